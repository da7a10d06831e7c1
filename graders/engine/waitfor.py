"""Who holds what and who waits for what, in words: deadlock and livelock reports.

Objects are named the way the program names them (``forks[1]``, ``table.lock``) by looking
through the modules under test and the threads' targets and arguments; a check may set a
name with :func:`graders.engine.label`; otherwise the report says where the object was made.
"""

from __future__ import annotations

import os
import sys

from .scheduler import BLOCKED, DONE, Run, ThreadState
from .verdicts import BugClass

_KIND = {
    "Lock": "lock", "RLock": "lock", "Condition": "condition", "Semaphore": "semaphore",
    "BoundedSemaphore": "semaphore", "Event": "event", "Barrier": "barrier",
}


def _is_primitive(value: object) -> bool:
    return type(value).__module__ == "graders.engine.primitives"


def _names(run: Run) -> dict[int, str]:
    """Map id(primitive) -> a path the program would recognise, shortest first."""
    found: dict[int, str] = {}
    seen: set[int] = set()
    queue: list[tuple[str, object, int]] = []
    roots = getattr(run, "modules", [])
    for module in roots:
        for key, value in vars(module).items():
            if not key.startswith("__"):
                queue.append((key, value, 0))
    for ts in run.threads:
        handle = ts.handle
        target = getattr(handle, "_target", None)
        owner = getattr(target, "__self__", None)
        if owner is not None:
            queue.append((f"{ts.name}'s {type(owner).__name__}", owner, 1))
        for i, arg in enumerate(getattr(handle, "_args", ()) or ()):
            queue.append((f"{ts.name}'s argument {i + 1}", arg, 1))
        if type(handle).__module__ != "graders.engine.threads":
            queue.append((ts.name, handle, 1))
    while queue:
        path, value, depth = queue.pop(0)
        if id(value) in seen or isinstance(value, type | type(sys)):
            continue
        seen.add(id(value))
        if _is_primitive(value):
            found.setdefault(id(value), path)
            continue
        if depth >= 3:
            continue
        if isinstance(value, list | tuple):
            for i, item in enumerate(value[:64]):
                queue.append((f"{path}[{i}]", item, depth + 1))
        elif isinstance(value, dict):
            for i, (k, item) in enumerate(value.items()):
                if i >= 64:
                    break
                queue.append((f"{path}[{k!r}]", item, depth + 1))
        elif hasattr(value, "__dict__") and not callable(value):
            for k, item in vars(value).items():
                if not k.startswith("__"):
                    queue.append((f"{path}.{k}", item, depth + 1))
    return found


def label_of(run: Run, obj: object) -> str:
    """A short name for a primitive, as the program would call it."""
    explicit = getattr(obj, "label", None)
    if explicit:
        return str(explicit)
    cache = getattr(run, "_label_cache", None)
    if cache is None:
        cache = run._label_cache = _names(run)  # type: ignore[attr-defined]
    name = cache.get(id(obj))
    kind = type(obj).__name__
    if name:
        return name
    site = getattr(obj, "site", None)
    if site:
        return f"the {kind} made at {os.path.basename(site[0])}:{site[1]}"
    return f"a {kind}"


def _waits(run: Run, ts: ThreadState) -> str:
    """'waits for X, held by Y' and the like, for a blocked thread."""
    queue = ts.queue
    if queue is None:
        if ts.deadline is not None:
            return f"sleeps until t={ts.deadline:g}s"
        return "waits"
    obj = queue.owner
    what = label_of(run, obj)
    if queue.kind == "lock":
        owner = getattr(obj, "_owner", None)
        if owner is None:
            return f"waits for {what}"
        if owner is ts:
            return f"waits for {what}, which it holds itself"
        if owner.status == DONE:
            return (f"waits for {what}, still held by {owner.name}, which has ended without "
                    "releasing it")
        return f"waits for {what}, held by {owner.name}"
    if queue.kind == "join":
        return f"waits for {getattr(obj, 'name', what)} to finish (join)"
    if queue.kind == "condition":
        return f"waits on {what} for a notify that never comes"
    if queue.kind == "semaphore":
        return f"waits for {what} (its count is 0)"
    if queue.kind == "event":
        return f"waits for {what} to be set"
    if queue.kind == "barrier":
        return (f"waits at {what} ({getattr(obj, '_count', '?')} of "
                f"{getattr(obj, '_parties', '?')} threads arrived)")
    return f"waits on {what}"


def _holds(run: Run, ts: ThreadState) -> str:
    if not ts.held:
        return ""
    return "holds " + ", ".join(label_of(run, h) for h in ts.held) + " and "


def describe_deadlock(run: Run) -> tuple[str, str, str]:
    """(bug class, one-line message, the wait-for lines) for a run where all are blocked."""
    blocked = [t for t in run.threads if t.status == BLOCKED]
    cycle = _cycle(blocked)
    main_done = run.main is not None and run.main.status == DONE
    if cycle:
        names = " -> ".join(t.name for t in [*cycle, cycle[0]])
        message = f"Deadlock: {names} each wait for the next, in a cycle."
        if len(cycle) == 1:
            message = f"Deadlock: {cycle[0].name} waits for a lock it holds itself."
    elif main_done:
        message = ("The program cannot exit: the main thread has finished but "
                   f"{', '.join(t.name for t in blocked)} will wait forever.")
    else:
        message = "Deadlock: every thread is waiting and nothing can wake any of them."
    order = cycle + [t for t in blocked if t not in cycle]
    lines = [f"{t.name} {_holds(run, t)}{_waits(run, t)}." for t in order]
    bug = BugClass.SELF_DEADLOCK if len(cycle) == 1 else BugClass.DEADLOCK
    return bug, message, "\n".join(lines)


def _cycle(blocked: list[ThreadState]) -> list[ThreadState]:
    """A cycle in the wait-for graph (thread -> owner of the lock it waits for), if any."""
    def next_of(t: ThreadState) -> ThreadState | None:
        if t.queue is None:
            return None
        if t.queue.kind == "lock":
            return getattr(t.queue.owner, "_owner", None)
        if t.queue.kind == "join":
            return getattr(t.queue.owner, "_state", None)
        return None

    for start in blocked:
        path: list[ThreadState] = []
        t: ThreadState | None = start
        while t is not None and t.status == BLOCKED and t not in path:
            path.append(t)
            t = next_of(t)
        if t is not None and t in path:
            return path[path.index(t):]
    return []


def describe_livelock(run: Run) -> tuple[str, str]:
    """Message and details when the step budget is spent."""
    alive = [t for t in run.threads if t.status != DONE]
    recent: dict[int, int] = {}
    for ev in run.events[-2000:]:
        recent[ev.tid] = recent.get(ev.tid, 0) + 1
    busy = [t.name for t in alive if recent.get(t.tid)]
    message = (f"No progress: the program took {run.budget:,} steps without "
               "finishing (an endless loop, or threads that keep reacting to each other: "
               "a livelock).")
    details = []
    if busy:
        details.append("Still running at the end: " + ", ".join(busy) + ".")
    for t in alive:
        if t.status == BLOCKED:
            details.append(f"{t.name} {_holds(run, t)}{_waits(run, t)}.")
    return message, "\n".join(details)
