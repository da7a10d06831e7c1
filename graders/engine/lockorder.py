"""The lock-order graph: a deadlock that no explored run hit, but some run might.

A cycle still standing when an exploration's schedules are spent is chased (``contend``
runs, ``_Explorer._chase``): only a deadlock the chase shows is a failure.

Each time a thread takes lock B while holding lock A, the run records the edge A -> B. A
cycle whose edges come from different threads, with no lock that every one of those threads
held at the time (a "gate" that serialises them), can deadlock under some schedule. Locks
that another thread released (used as signals, as readerwriterlock does) and locks made by
libraries are left out: their order says nothing about deadlock. A lock made where, in any
run of the exploration, another thread released one is a signal too: the first reader takes
the room's lock for every reader, and whether the last one out is the same thread depends on
the schedule, not on the code (a run where it was would show a cycle no run can close).
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from .scheduler import Run
from .waitfor import label_of


def find_cycle(run: Run, signal_sites: Set[tuple[str, int]] = frozenset()) -> str | None:
    """A description of a lock-order cycle in ``run``, or None. Locks made at
    ``signal_sites`` (where other runs saw a lock released by another thread) and at the
    run's own are left out."""
    edges: dict[int, list[tuple[Any, Any, Any, frozenset[int]]]] = {}
    objs: dict[int, Any] = {}
    signals = run.signal_sites | signal_sites
    for a, b, ts, held in run.lock_edges:
        if (id(a) in run.foreign_released or id(b) in run.foreign_released or a is b
                or getattr(a, "site", None) in signals or getattr(b, "site", None) in signals):
            continue
        edges.setdefault(id(a), []).append((a, b, ts, held))
        objs[id(a)] = a
        objs[id(b)] = b
    for start in sorted(objs, key=lambda k: _order(objs[k])):
        found = _search(start, start, edges, [], set(), run.gate_values)
        if found:
            lines = [f"{ts.name} took {label_of(run, a)} and then {label_of(run, b)}"
                     for a, b, ts, _ in found]
            return "; ".join(lines)
    return None


def _order(obj: Any) -> tuple[str, int]:
    site = getattr(obj, "site", None) or ("", 0)
    return (site[0], site[1])


def _gated(cycle: list[Any], gate_values: dict[int, int]) -> bool:
    """True when something every thread of the cycle held keeps the cycle from closing:
    a lock outside the cycle, or a semaphore with fewer permits than the cycle has threads."""
    common = frozenset.intersection(*[e[3] for e in cycle]) - {id(e[0]) for e in cycle}
    return any(gate_values.get(g, 1) < len(cycle) for g in common)


def _search(start: int, node: int, edges: dict[int, list[Any]], path: list[Any],
            threads: set[int], gate_values: dict[int, int]) -> list[Any] | None:
    for edge in edges.get(node, []):
        _a, b, ts, _held = edge
        if ts.tid in threads:
            continue
        if any(id(b) == id(p[0]) for p in path[1:]):
            continue
        new_path = [*path, edge]
        if id(b) == start:
            if len(new_path) >= 2 and not _gated(new_path, gate_values):
                return new_path
            continue
        if len(new_path) < 8:
            found = _search(start, id(b), edges, new_path, threads | {ts.tid}, gate_values)
            if found:
                return found
    return None
