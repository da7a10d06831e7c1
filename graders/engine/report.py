"""The failure a student reads: what went wrong, in words, and the interleaving that led there.

A run's verdict is recorded as facts (:mod:`.findings`); :func:`words` turns it into the
message and details of the report. The interleaving is a table with a column per thread;
each row is a source line one thread ran (consecutive instructions of one line are one
row). A ``*`` marks a row where the scheduler switched threads although the previous one
could have gone on: after shrinking, those are exactly the switches the bug needs.
"""

from __future__ import annotations

import ast
import dis
import linecache
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import TypedDict

from .findings import (
    BLOCKED,
    Misuse,
    Raised,
    Stated,
    Stuck,
    ThreadView,
    Verdict,
    line_of,
    wait_cycle,
)
from .primitives import Primitive
from .scheduler import LogEntry, Run
from .verdicts import BugClass
from .waitfor import describe, label_of

WIDTH = 40

_line = line_of


_ins_cache: dict[CodeType, dict[int, dis.Instruction]] = {}


def _pending(code: CodeType, offset: int) -> str:
    """What the instruction at ``offset`` is about to do, in words ('write count')."""
    table = _ins_cache.get(code)
    if table is None:
        table = _ins_cache[code] = {i.offset: i for i in dis.get_instructions(code)}
    ins = table.get(offset)
    if ins is None:
        return ""
    name, arg = ins.opname, ins.argval
    if name.startswith("STORE_") and name not in ("STORE_FAST",):
        return f"writes {'.' if name == 'STORE_ATTR' else ''}{arg}" if isinstance(
            arg, str) else "writes"
    if name in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_ATTR", "LOAD_CLASSDEREF"):
        return f"reads {'.' if name == 'LOAD_ATTR' else ''}{arg}"
    if name in ("BINARY_SUBSCR", "BINARY_SLICE"):
        return "reads an item"
    if name.startswith("CALL"):
        return "makes a call"
    if name == "BINARY_OP":
        return f"computes {ins.argrepr}"
    return ""


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(run: Run, ev: LogEntry) -> tuple[str, str]:
    """(key, text) for an event; events with the same key on one thread merge."""
    if ev.code is not None:
        line = _line(ev.code, ev.offset)
        source = linecache.getline(ev.code.co_filename, line).strip()
        key = f"{ev.code.co_filename}:{line}"
        text = f"{source}  (line {line})"
    else:
        key = f"op:{ev.note}:{id(ev.obj)}"
        name = getattr(ev.obj, "name", None) if ev.note in ("join", "start", "is_alive") else None
        what = name if isinstance(name, str) else (
            label_of(run, ev.obj) if ev.obj is not None else "")
        text = f"{ev.note} {what}".strip()
    return key, text


def names_of(run: Run) -> dict[int, str]:
    return {t.tid: t.name for t in run.threads}


@dataclass
class _Row:
    """One row of the table: a source line (or a primitive operation) one thread ran."""

    tid: int | None               # None: the "..." row where the middle is left out
    key: str                      # rows of one thread with the same key merge
    text: str
    mark: bool                    # the scheduler switched threads here
    note: str | None = None       # "<- worker paused before it writes count"
    line: int = 0                 # the source line (0 for an operation)
    file: str = ""                # the source file's name, without its folder


def _all_rows(run: Run) -> tuple[list[_Row], list[int]]:
    """Every row of the run's interleaving, and for each entry of the log the row that was
    in progress when it was written (-1 before the first row)."""
    rows: list[_Row] = []
    row_of_event: list[int] = []
    preempt_next: set[int] = set()
    last_event: dict[int, LogEntry] = {}
    names = names_of(run)
    for ev in run.events:
        row_of_event.append(len(rows) - 1)
        if ev.note == "switch":
            preempt_next.add(ev.tid)
            if rows:
                row = rows[-1]
                paused = last_event.get(row.tid) if row.tid is not None else None
                if paused is not None and paused.code is not None:
                    doing = _pending(paused.code, paused.offset)
                    who = names.get(row.tid, "") if row.tid is not None else ""
                    row.note = f"{who} paused before it {doing}" if doing else f"{who} paused"
            continue
        if ev.note == "blocked":
            if rows and rows[-1].tid == ev.tid:
                rows[-1].note = f"{names.get(ev.tid, '')} waits"
            last_event.pop(ev.tid, None)
            continue
        last_event[ev.tid] = ev
        if ev.code is not None and ev.code.co_name != "<module>" and _line(
                ev.code, ev.offset) == ev.code.co_firstlineno:
            continue    # the 'def' line: frame bookkeeping (unwinding), not a statement
        key, text = _describe(run, ev)
        mark = ev.tid in preempt_next
        preempt_next.discard(ev.tid)
        if rows and rows[-1].tid == ev.tid and rows[-1].key == key and not mark:
            continue
        row = _Row(ev.tid, key, text, mark)
        if ev.code is not None:
            row.line = _line(ev.code, ev.offset)
            row.file = os.path.basename(ev.code.co_filename)
        rows.append(row)
        row_of_event[-1] = len(rows) - 1
    return rows, row_of_event


def _shown(rows: list[_Row], last: int) -> list[int | None]:
    """Which rows the table shows, in order (None: the "..." row): the last ``last``, or,
    when few switches decide the bug, from just before the first of them."""
    every: list[int | None] = list(range(len(rows)))
    marks = [i for i, r in enumerate(rows) if r.mark]
    if 0 < len(marks) <= 6 and len(rows) - marks[0] + 3 > last:
        start = max(0, marks[0] - 3)
        if len(rows) - start <= last + 10:
            return every[start:]
        return [*every[start:start + last], None, *every[-6:]]
    return every[-last:]


def interleaving(run: Run, last: int = 14) -> str:
    """The last ``last`` rows of the run's interleaving as a text table."""
    every, _ = _all_rows(run)
    rows = [every[i] if i is not None else _Row(None, "", "", False)
            for i in _shown(every, last)]
    if not rows:
        return ""
    names = names_of(run)
    tids = sorted({r.tid for r in rows if r.tid is not None})
    limit = WIDTH if len(tids) <= 3 else 30
    col = {tid: i for i, tid in enumerate(tids)}
    widths = [len(_cell(names[t], limit)) for t in tids]
    for r in rows:
        if r.tid is not None:
            i = col[r.tid]
            widths[i] = max(widths[i], len(_cell(r.text, limit)))
    header = " | ".join(_cell(names[t], limit).ljust(w) for t, w in zip(tids, widths,
                                                                          strict=True))
    out = ["    " + header.rstrip()]
    for r in rows:
        if r.tid is None:
            out.append("    ...")
            continue
        cells = [""] * len(tids)
        cells[col[r.tid]] = _cell(r.text, limit)
        line = " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        if r.note:
            line += f"   <- {r.note}"
        out.append(("  * " if r.mark else "    ") + line.rstrip())
    return "\n".join(out)


# ------------------------------------------------------------------ the interleaving as data
#: How many lock holds and waits a timeline carries at most.
MAX_SPANS = 200


class Step(TypedDict):
    """One row of a timeline: what one thread ran (or the "..." where rows are left out)."""

    lane: int          # the thread's index in Timeline.lanes; -1 for the "..." row
    kind: str          # "line" (a source line), "op" (an operation: "join worker"), "gap"
    text: str          # the source line's text (without "(line N)"), or the operation
    line: int          # its line number, 0 for an operation
    file: str          # its file's name, "" for an operation
    switch: bool       # the scheduler switched threads here although it need not have
    note: str          # "shopper-1 paused before it reads .count", "philosopher-0 waits"


class Span(TypedDict):
    """A thread holding, or waiting for, a lock (or waiting on another primitive) from one
    row to another (both included)."""

    lane: int
    kind: str          # "holds" or "waits"
    what: str          # the lock (or primitive, or "join <thread>") as the program names it
    on: str            # what it is: "lock", "condition", "semaphore", "event", "join", ...
    start: int         # row index in Timeline.rows
    end: int
    before: bool       # it began before the first row shown
    after: bool        # it had not ended when the run did


class Node(TypedDict):
    id: str            # "t<tid>" for a thread, "l<n>" for a lock
    kind: str          # "thread" or "lock"
    name: str


class Edge(TypedDict):
    source: str        # a thread's id
    target: str        # a lock's id ("holds", "waits for") or a thread's ("waits for": join)
    kind: str          # "holds" or "waits for"
    cycle: bool        # part of the wait-for cycle


class Graph(TypedDict):
    nodes: list[Node]
    edges: list[Edge]


class Timeline(TypedDict):
    """The failing interleaving as plain data (JSON as it is): the rows of the text table,
    with lanes, lock intervals and, for a deadlock, the wait-for cycle. Drawn by
    :mod:`.drawing`."""

    version: int
    bug_class: str
    lanes: list[str]   # the threads' names, one lane each, in the order they started
    rows: list[Step]
    spans: list[Span]
    cycle: Graph       # empty when the verdict has no wait-for cycle


def _what(run: Run, obj: object, threads: tuple[ThreadView, ...] | None) -> tuple[str, str]:
    """(the name, the kind) of what a thread waits for or holds."""
    if isinstance(obj, Primitive):
        return label_of(run, obj, threads), obj._queue.kind
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return f"join {name}", "join"
    return label_of(run, obj, threads), "other"


def timeline(run: Run, verdict: Verdict | None, last: int = 14) -> Timeline | None:
    """The rows :func:`interleaving` shows, as data, with who held and waited for what, and
    the wait-for cycle of a deadlock; None when there is no row to show."""
    every, row_of_event = _all_rows(run)
    shown = _shown(every, last)
    if not shown:
        return None
    views = verdict.threads if isinstance(verdict, Stuck | Misuse) else None
    names = names_of(run)
    # original row -> row shown (rows in the left-out middle: the "..." row)
    place: dict[int, int] = {}
    gap = -1
    for i, original in enumerate(shown):
        if original is None:
            gap = i
        else:
            place[original] = i
    first = next(o for o in shown if o is not None)

    def at(position: int) -> int | None:
        """The row shown that was in progress at ``position`` in the log (after its entry
        ``position - 1``); None before the first row shown."""
        row = row_of_event[position - 1] if position > 0 else -1
        if row < first:
            return None
        return place.get(row, gap)

    raw: list[tuple[int, str, object, int, int | None]] = []   # tid, kind, obj, from, to
    taken: dict[tuple[int, int], tuple[object, int]] = {}
    for position, tid, lock, took in run.lock_log:
        if took:
            taken[(tid, id(lock))] = (lock, position)
        elif (tid, id(lock)) in taken:
            _obj, began = taken.pop((tid, id(lock)))
            raw.append((tid, "holds", lock, began, position))
    raw.extend((tid, "holds", lock, began, None) for (tid, _), (lock, began) in taken.items())
    resumed: dict[int, list[int]] = {}
    for i, ev in enumerate(run.events):
        if ev.note != "switch":
            resumed.setdefault(ev.tid, []).append(i)
    for position, tid, _lock, _took in run.lock_log:
        resumed.setdefault(tid, []).append(position)
    for moments in resumed.values():
        moments.sort()
    for i, ev in enumerate(run.events):
        if ev.note == "blocked" and ev.obj is not None:
            ends = [p for p in resumed.get(ev.tid, ()) if p > i]
            raw.append((ev.tid, "waits", ev.obj, i + 1, ends[0] if ends else None))

    lanes = sorted({t for o in shown if o is not None and (t := every[o].tid) is not None})
    spans: list[tuple[int, Span]] = []
    tail = len(shown) - 1
    for tid, kind, obj, began, ended in raw:
        start = at(began)
        end = at(ended) if ended is not None else tail
        if end is None:
            continue                       # over before the first row shown
        if start is not None and start == gap and end == gap:
            continue                       # within the rows left out
        what, on = _what(run, obj, views)
        if tid not in lanes:
            lanes.append(tid)
        spans.append((tid, Span(lane=0, kind=kind, what=what, on=on,
                                start=start if start is not None else 0, end=end,
                                before=start is None, after=ended is None)))
    lanes.sort()
    lane = {tid: i for i, tid in enumerate(lanes)}
    out_spans = []
    for tid, span in sorted(spans, key=lambda s: (s[1]["start"], s[0]))[:MAX_SPANS]:
        span["lane"] = lane[tid]
        out_spans.append(span)
    rows: list[Step] = []
    for original in shown:
        if original is None:
            rows.append(Step(lane=-1, kind="gap", text="...", line=0, file="", switch=False,
                             note=""))
            continue
        r = every[original]
        assert r.tid is not None
        text = r.text
        if r.line and text.endswith(f"  (line {r.line})"):
            text = text[: -len(f"  (line {r.line})")]
        rows.append(Step(lane=lane[r.tid], kind="line" if r.line else "op", text=text,
                         line=r.line, file=r.file, switch=r.mark, note=r.note or ""))
    return Timeline(version=1, bug_class=verdict.bug_class if verdict is not None else "",
                    lanes=[names[t] for t in lanes], rows=rows, spans=out_spans,
                    cycle=_cycle(run, verdict, lane))


def _cycle(run: Run, verdict: Verdict | None, lane: dict[int, int]) -> Graph:
    """The wait-for cycle of a deadlock (a self-deadlock is a cycle of one thread): its
    threads and locks, who holds and who waits for what; other threads blocked on one of
    its locks join it, outside the cycle."""
    graph = Graph(nodes=[], edges=[])
    if not isinstance(verdict, Stuck | Misuse):
        return graph
    threads = verdict.threads
    cycle = wait_cycle(threads)
    if not cycle:
        return graph
    locks: dict[int, str] = {}

    def thread(t: ThreadView) -> str:
        node = f"t{t.tid}"
        if all(n["id"] != node for n in graph["nodes"]):
            graph["nodes"].append(Node(id=node, kind="thread", name=t.name))
        return node

    def lock(obj: object) -> str:
        if id(obj) not in locks:
            locks[id(obj)] = f"l{len(locks)}"
            graph["nodes"].append(Node(id=locks[id(obj)], kind="lock",
                                       name=label_of(run, obj, threads)))
        return locks[id(obj)]

    for t in cycle:
        me = thread(t)
        assert t.holder is not None
        if t.kind == "join":
            graph["edges"].append(Edge(source=me, target=thread(threads[t.holder]),
                                       kind="waits for", cycle=True))
            continue
        target = lock(t.waits_for)
        graph["edges"].append(Edge(source=me, target=target, kind="waits for", cycle=True))
        graph["edges"].append(Edge(source=thread(threads[t.holder]), target=target,
                                   kind="holds", cycle=True))
    for t in threads:
        if t in cycle or t.status != BLOCKED or t.kind != "lock" or id(t.waits_for) not in locks:
            continue
        graph["edges"].append(Edge(source=thread(t), target=locks[id(t.waits_for)],
                                   kind="waits for", cycle=False))
    return graph


# ------------------------------------------------------------------ the verdict in words
def words(run: Run, verdict: Verdict) -> tuple[str, str]:
    """The one-line message and the details a report shows for ``run``'s verdict."""
    if isinstance(verdict, Stated):
        return verdict.message, verdict.details
    if isinstance(verdict, Raised):
        return _raised(verdict, run.settings.traced)
    if isinstance(verdict, Stuck | Misuse):
        return describe(run, verdict)
    raise TypeError(f"a verdict of an unknown kind: {verdict!r}")


def _raised(verdict: Raised, traced: Callable[[str], bool]) -> tuple[str, str]:
    exc = verdict.error
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if verdict.bug_class == BugClass.ASSERTION:
        message = _own_assertion(verdict, traced) or (
            f"Check failed: {exc}" if str(exc) else "A check's assertion failed.")
    else:
        message = f"{verdict.thread} raised {text}"
    return message, _student_traceback(exc, traced)


def _own_assertion(verdict: Raised, traced: Callable[[str], bool]) -> str | None:
    """The words for an AssertionError raised in the code under test itself (an ``assert``
    of the program's own, not a check's): None when the check (or a library) raised it."""
    frames = traceback.extract_tb(verdict.error.__traceback__)
    if not frames or not traced(frames[-1].filename):
        return None
    f = frames[-1]
    where = f"{os.path.basename(f.filename)}, line {f.lineno}"
    if verdict.thread not in (None, "MainThread"):
        where += f", in {verdict.thread}"
    source = (f.line or "").strip()
    try:
        statement = ast.parse(source).body[0] if source else None
    except SyntaxError:       # a statement over several lines: its first line shows it
        statement = None
    if isinstance(statement, ast.Assert):
        source = f"assert {ast.unparse(statement.test)}"
    elif not source.startswith("assert"):
        source = ""
    said = str(verdict.error)
    if source:
        message = f"An assertion in your code failed: {source} ({where})"
    else:
        message = f"Your code raised AssertionError ({where})"
    return f"{message}: {said}" if said else message


def _student_traceback(exc: BaseException, traced: Callable[[str], bool]) -> str:
    """The traceback trimmed to the frames of the code under test (engine frames dropped)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if traced(f.filename)]
    if not frames:
        return ""
    lines = ["Traceback (code under test, most recent call last):"]
    repeats = 0
    for i, f in enumerate(frames):
        # Like Python's own tracebacks: a frame repeated (deep recursion) is shown 3 times.
        same = i > 0 and (f.filename, f.lineno, f.name) == (
            frames[i - 1].filename, frames[i - 1].lineno, frames[i - 1].name)
        repeats = repeats + 1 if same else 0
        if repeats < 3:
            lines.append(f'  File "{f.filename}", line {f.lineno}, in {f.name}')
            if f.line:
                lines.append(f"    {f.line.strip()}")
        if repeats >= 3 and (i + 1 == len(frames) or (f.filename, f.lineno, f.name) != (
                frames[i + 1].filename, frames[i + 1].lineno, frames[i + 1].name)):
            lines.append(f"  [Previous line repeated {repeats - 2} more times]")
    lines.append(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return "\n".join(lines)
