"""Who holds what and who waits for what, in words: the reports of deadlocks, livelocks,
programs that cannot exit and misused locks.

Objects are named the way the program names them (``forks[1]``, ``table.lock``) by looking
through the modules under test and the threads' targets and arguments; a check may set a
name with :func:`graders.engine.label`; otherwise the report says where the object was made.
The scheduler and the stand-ins record their verdicts as facts (:mod:`.findings`); the
explorer has them worded here once the run is over.
"""

from __future__ import annotations

import asyncio
import io
import linecache
import os
import tokenize
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from .findings import BLOCKED, DONE, Misuse, Site, Stuck, ThreadView, line_of, wait_cycle
from .primitives import Primitive
from .scheduler import Run
from .threads import MainThread, Thread, Timer
from .verdicts import BugClass

#: The engine's own Thread classes: their attributes hold nothing of the program's. (A
#: subclass the program defined may keep its locks as attributes: those are searched.)
_ENGINE_THREADS = (Thread, MainThread, Timer)

#: What reports name: the stand-ins, and asyncio's primitives (which work unchanged on the
#: controlled loop, :mod:`.aio`).
_NAMED = (Primitive, asyncio.Lock, asyncio.Event, asyncio.Condition, asyncio.Semaphore,
          asyncio.Queue)


def _names(run: Run, threads: Sequence[ThreadView]) -> dict[int, str]:
    """Map id(primitive) -> a path the program would recognise, shortest first."""
    found: dict[int, str] = {}
    seen: set[int] = set()
    queue: list[tuple[str, object, int]] = []
    for module in run.modules:
        for key, value in vars(module).items():
            if not key.startswith("__"):
                queue.append((key, value, 0))
    for t in threads:
        owner = getattr(t.target, "__self__", None)
        if owner is not None:
            queue.append((f"{t.name}'s {type(owner).__name__}", owner, 1))
        for i, arg in enumerate(t.args):
            queue.append((f"{t.name}'s argument {i + 1}", arg, 1))
        task_locals = getattr(t.handle, "task_locals", None)
        if isinstance(task_locals, dict):         # an asyncio task (aio.TaskHandle)
            for key, value in task_locals.items():
                queue.append((f"{key} (in {t.name})", value, 1))
        elif type(t.handle) not in _ENGINE_THREADS:
            queue.append((t.name, t.handle, 1))
    while queue:
        path, value, depth = queue.pop(0)
        if id(value) in seen or isinstance(value, type | ModuleType):
            continue
        seen.add(id(value))
        if isinstance(value, _NAMED):
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


def label_of(run: Run, obj: object, threads: Sequence[ThreadView] | None = None) -> str:
    """A short name for a primitive, as the program would call it.

    The names are taken once per run, the first time one is needed, from the threads as
    they stand then, or as they stood at a verdict (``threads``): a finished Thread forgets
    its target and arguments, so names looked up after the run would find fewer.
    """
    explicit = getattr(obj, "label", None)
    if explicit:
        return str(explicit)
    if run.names is None:
        run.names = _names(run, threads if threads is not None else run.views())
    name = run.names.get(id(obj))
    kind = type(obj).__name__
    if name:
        return name
    site = getattr(obj, "site", None)
    if site:
        return f"the {kind} made at {os.path.basename(site[0])}:{site[1]}"
    return f"a {kind}"


def _waits(run: Run, t: ThreadView, threads: Sequence[ThreadView]) -> str:
    """'waits for X, held by Y' and the like, for a blocked thread."""
    if t.kind is None:
        if t.deadline is not None:
            return f"sleeps until t={t.deadline:g}s"
        return "waits"
    obj = t.waits_for
    what = label_of(run, obj, threads)
    if t.kind == "lock":
        if t.holder is None:
            return f"waits for {what}"
        if t.holder == t.tid:
            return f"waits for {what}, which it holds itself"
        owner = threads[t.holder]          # a tid is the thread's place in the run
        if owner.status == DONE:
            return (f"waits for {what}, still held by {owner.name}, which has ended without "
                    "releasing it")
        return f"waits for {what}, held by {owner.name}"
    if t.kind == "join":
        return f"waits for {getattr(obj, 'name', what)} to finish (join)"
    words = getattr(obj, "wait_words", None)
    if words is not None:     # a channel, a rank's message, a future: in its own terms
        return str(words(t, threads, what))
    if t.kind == "condition":
        return f"waits on {what} for a notify that never comes"
    if t.kind == "semaphore":
        return f"waits for {what} (its count is 0)"
    if t.kind == "event":
        return f"waits for {what} to be set"
    if t.kind == "barrier":
        return (f"waits at {what} ({getattr(obj, '_count', '?')} of "
                f"{getattr(obj, '_parties', '?')} threads arrived)")
    return f"waits on {what}"


def where(site: Site | None, with_file: bool = True) -> str:
    """'diary.py, line 45 (`time.sleep(SAVE_EVERY)`)': a place in the code under test."""
    if site is None:
        return ""
    code, offset = site
    line = line_of(code, offset)
    source = _without_comment(linecache.getline(code.co_filename, line).strip())
    place = f"{os.path.basename(code.co_filename)}, line {line}" if with_file else (
        f"line {line}")
    return f"{place} (`{source}`)" if source else place


def _without_comment(source: str) -> str:
    """A line of source without its trailing comment ('with lock:  # noqa' -> 'with lock:')."""
    if "#" not in source:
        return source
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                return source[:tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return source


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _holds(run: Run, t: ThreadView, threads: Sequence[ThreadView]) -> str:
    if not t.held:
        return ""
    return "holds " + ", ".join(label_of(run, h, threads) for h in t.held) + " and "


def _situation(run: Run, t: ThreadView, threads: Sequence[ThreadView]) -> str:
    return f"{t.name} {_holds(run, t, threads)}{_waits(run, t, threads)}."


def describe(run: Run, verdict: Stuck | Misuse) -> tuple[str, str]:
    """The one-line message and the details of a verdict recorded as facts."""
    if isinstance(verdict, Misuse):
        return _misuse(run, verdict)
    if verdict.bug_class == BugClass.LIVELOCK:
        return _livelock(run, verdict)
    if verdict.bug_class == BugClass.CANNOT_EXIT:
        return _cannot_exit(run, verdict)
    return _deadlock(run, verdict)


def _deadlock(run: Run, verdict: Stuck) -> tuple[str, str]:
    """A run where every live thread is blocked: the cycle, and who waits for what."""
    threads = verdict.threads
    blocked = [t for t in threads if t.status == BLOCKED]
    cycle = wait_cycle(threads)
    main_done = threads[0].status == DONE     # the first thread is the main thread
    if cycle:
        names = " -> ".join(t.name for t in [*cycle, cycle[0]])
        message = f"Deadlock: {names} each wait for the next, in a cycle."
        if len(cycle) == 1:
            message = f"Deadlock: {cycle[0].name} waits for a lock it holds itself."
    elif main_done:
        message = ("The program cannot exit: the main thread has finished but "
                   f"{', '.join(t.name for t in blocked)} will wait forever.")
    elif 1 < len(blocked) <= 4:     # named, so that ranks, tasks and pool workers say who
        both = "both" if len(blocked) == 2 else "all"
        message = (f"Deadlock: {_and([t.name for t in blocked])} {both} wait, and nothing "
                   "can wake any of them.")
    else:
        message = "Deadlock: every thread is waiting and nothing can wake any of them."
    order = cycle + [t for t in blocked if t not in cycle]
    return message, "\n".join(_situation(run, t, threads) for t in order)


def _cannot_exit(run: Run, verdict: Stuck) -> tuple[str, str]:
    """The main thread returned, but a non-daemon thread never ends: it waits forever (the
    run got stuck) or runs on (the step budget was spent after main returned)."""
    threads = verdict.threads
    alive = [t for t in threads if t.status != DONE]
    keeping = [t for t in alive if not t.daemon] or alive
    names = _and([t.name for t in keeping])
    one = len(keeping) == 1
    if verdict.steps:
        message = (f"The program cannot exit: the main thread has finished, but {names} "
                   f"{'is not a daemon thread' if one else 'are not daemon threads'} and "
                   f"{'is' if one else 'are'} still running {verdict.steps:,} steps later.")
    else:
        message = (f"The program cannot exit: the main thread has finished, but {names} "
                   f"{'is not a daemon thread' if one else 'are not daemon threads'} and "
                   f"will wait forever.")
    details = []
    for t in keeping:
        at = where(t.at)
        if t.status == BLOCKED and (t.kind is not None or t.tid not in verdict.busy):
            line = f"{t.name} {_holds(run, t, threads)}{_waits(run, t, threads)}"
            details.append(f"{line}, at {at}." if at else f"{line}.")
        else:
            details.append(f"{t.name} is still running, at {at}." if at else
                           f"{t.name} is still running.")
    details.append("Python waits for every non-daemon thread before it exits, for as long as "
                   "it takes. Tell such a thread to stop (an Event it checks) and let it "
                   "end, or make it a daemon if it may be stopped anywhere.")
    return message, "\n".join(details)


def _livelock(run: Run, verdict: Stuck) -> tuple[str, str]:
    """A run that spent its step budget: who was still running, who waited for what."""
    if verdict.cycle:
        return _cycle(run, verdict)
    alive = [t for t in verdict.threads if t.status != DONE]
    busy = [t.name for t in alive if t.tid in verdict.busy]
    message = (f"No progress: the program took {verdict.steps:,} steps without "
               "finishing (an endless loop, threads that keep reacting to each other: a "
               "livelock, or far more work than the exercise needs).")
    details = []
    if busy:
        details.append("Still running at the end: " + ", ".join(busy) + ".")
    for t in alive:
        if t.status == BLOCKED:
            details.append(_situation(run, t, verdict.threads))
    return message, "\n".join(details)


def _cycle(run: Run, verdict: Stuck) -> tuple[str, str]:
    """A livelock shown by its state: the steps of one round, and the state that recurs."""
    threads = verdict.threads
    lines: dict[int, list[int]] = {}
    for tid, code, offset in verdict.cycle:
        seen = lines.setdefault(tid, [])
        line = line_of(code, offset)
        if line not in seen:
            seen.append(line)
    movers = [threads[tid] for tid in sorted(lines)]
    names = _and([t.name for t in movers])
    message = (f"Livelock: {names} {'keeps' if len(movers) == 1 else 'keep'} running but "
               f"{'gets' if len(movers) == 1 else 'get'} nowhere: after {len(verdict.cycle):,} "
               "steps the program was back in the same state, and it can go round like that "
               "forever.")
    details = ["Each time round:"]
    for t in movers:
        file = os.path.basename(t.at[0].co_filename) if t.at is not None else "the program"
        # A round has no first step: it is shown from its first line in the file, so the
        # words do not depend on where the run noticed the repeat (which moves with the
        # Python version's bytecode).
        round_lines = lines[t.tid]
        first = round_lines.index(min(round_lines))
        shown = ", ".join(map(str, round_lines[first:] + round_lines[:first]))
        details.append(f"  {t.name} runs {file}, line{'s' if len(lines[t.tid]) > 1 else ''} "
                       f"{shown}")
    details.append("The state that comes back:")
    for t in threads:
        if t.status == DONE:
            continue
        if t.status == BLOCKED:
            details.append("  " + _situation(run, t, threads))
        else:
            held = (" holding " + ", ".join(label_of(run, h, threads) for h in t.held)
                    if t.held else "")
            details.append(f"  {t.name} at {where(t.at)}{held}." if t.at is not None else
                           f"  {t.name} has not started yet.")
    for module in run.modules:
        for key, value in vars(module).items():
            plain = _plain_value(value)
            if not key.startswith("_") and plain is not None:
                details.append(f"  {key} = {plain}")
    return message, "\n".join(details)


def _plain_value(value: Any, depth: int = 0) -> str | None:
    """A short repr of plain data (numbers, strings, and lists, tuples, dicts and sets of
    them), or None for anything else: no code of the program runs to show it."""
    kind = type(value)
    if kind in (int, float, str, bool, bytes) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else None
    if depth >= 2 or kind not in (list, tuple, set, dict):
        return None
    items: list[str] = []
    pairs = value.items() if kind is dict else ((None, v) for v in value)
    for i, (k, v) in enumerate(pairs):
        if i >= 8:
            items.append("...")
            break
        shown = _plain_value(v, depth + 1)
        key = _plain_value(k, depth + 1) if k is not None else ""
        if shown is None or key is None:
            return None
        items.append(f"{key}: {shown}" if isinstance(value, dict) else shown)
    body = ", ".join(items)
    if kind is list:
        return f"[{body}]"
    if kind is tuple:
        return f"({body}{',' if len(items) == 1 else ''})"
    if kind is dict:
        return "{" + body + "}"
    return "{" + body + "}" if items else "set()"


def _misuse(run: Run, verdict: Misuse) -> tuple[str, str]:
    """A lock starved a thread, was released by a thread that did not hold it, or was taken
    again by its holder."""
    lock = label_of(run, verdict.lock, verdict.threads)
    who = verdict.thread
    if verdict.bug_class == BugClass.STARVATION:
        return (f"{who} waited for {lock} while other threads took it {verdict.overtaken} "
                "times in a row.",
                "A thread that is always overtaken never makes progress, even though the "
                "program as a whole does.")
    if verdict.bug_class == BugClass.FOREIGN_RELEASE:
        holder = verdict.owner if verdict.owner is not None else "nobody"
        return (f"{who} released {lock}, which {holder} held.",
                "Only the thread that took a lock should release it.")
    # BugClass.SELF_DEADLOCK, the only other misuse: found once nothing could run any more
    me = next((t for t in verdict.threads if t.name == who and t.status == BLOCKED
               and t.waits_for is verdict.lock), None)
    again = me.at if me is not None else None
    first = verdict.taken_at
    facts = ""
    if first is not None and again is not None:
        same_file = first[0].co_filename == again[0].co_filename
        facts = (f"{who} took {lock} at {where(first)} and, still holding it, asked for it "
                 f"again at {where(again, with_file=not same_file)}.")
    elif again is not None:
        facts = f"{who} asked for {lock} again at {where(again)}, while holding it."
    if facts and verdict.running:
        facts += (" No other thread released it before the step budget ran out "
                  f"({_and(list(verdict.running))} kept running meanwhile).")
    elif facts:
        facts += " No other thread can release it: every other thread has ended or waits too."
    if getattr(verdict.lock, "user_made", False):
        advice = ("A Lock is not reentrant: the second acquire waits for the first to be "
                  "released, which never happens. Use an RLock, or do not take the lock "
                  "again in code that already holds it.")
    else:
        advice = ("This lock is not reentrant: the second acquire waits for the first to be "
                  "released, which never happens. Do not take it again in code that "
                  "already holds it.")
    return (f"Self-deadlock: {who} tried to take {lock} again while already holding it.",
            f"{facts}\n{advice}" if facts else advice)
