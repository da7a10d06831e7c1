"""A run's verdict as facts: what went wrong and how every thread stood at that moment.

The scheduler and the stand-ins record a verdict the moment they see it, but they do not put
it into words: naming a lock the way the program does ("forks[1]") means searching the
program's modules and threads, which is the reports' business (:mod:`.waitfor`). So they
record facts, frozen before the threads unwind (an unwinding thread leaves the queue it was
parked on, ends, and its stand-in Thread forgets its target and arguments), and the explorer
has them worded after the run (:func:`.report.words`).

This module imports nothing of the engine: the scheduler, the stand-ins and the reports all
depend on it, and it on none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import CodeType

#: What a controlled thread is doing (ThreadState.status, ThreadView.status).
RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"


#: Where a thread was in the code under test: a code object and an instruction offset.
Site = tuple[CodeType, int]

_lines: dict[CodeType, dict[int, int]] = {}


def line_of(code: CodeType, offset: int) -> int:
    """The source line of the instruction at ``offset`` in ``code``."""
    table = _lines.get(code)
    if table is None:
        table = {}
        for i, pos in enumerate(code.co_positions()):
            if pos[0] is not None:
                table[i * 2] = pos[0]
        _lines[code] = table
    return table.get(offset, code.co_firstlineno)


@dataclass(frozen=True, eq=False)
class ThreadView:
    """One controlled thread as it stood when a verdict was reached."""

    tid: int                      # its place in the run's threads (and in a verdict's views)
    name: str
    status: str                   # "runnable", "blocked" or "done"
    held: tuple[object, ...]      # the locks it held, oldest first
    kind: str | None              # what it was parked on ("lock", "join", ...), if anything
    waits_for: object             # the primitive (or the Thread, for a join) it waited for
    holder: int | None            # the tid of the thread that held waits_for / is waited for
    deadline: float | None        # when a timed wait or a sleep would have ended
    handle: object                # the Thread object the program saw
    target: object                # the handle's target and arguments, which it drops when
    args: tuple[object, ...]      # its run() ends: reports look for names there
    daemon: bool = False
    at: Site | None = None        # the last line of the code under test it ran


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The first thing that went wrong in a run (one of the kinds below)."""

    bug_class: str
    thread: str | None = None     # the thread it happened in, when it is one thread's doing


@dataclass(frozen=True, kw_only=True)
class Stated(Verdict):
    """A verdict that comes in words already: a check's ``fail()``, a load error, a thread
    stuck outside the engine."""

    message: str
    details: str = ""


@dataclass(frozen=True, kw_only=True)
class Raised(Verdict):
    """An exception (or a failed assert) that ended a thread of the program."""

    error: BaseException


@dataclass(frozen=True, kw_only=True)
class Stuck(Verdict):
    """Deadlock (nothing can run), livelock (the state recurred, or the step budget is
    spent), or a program that cannot exit (the main thread has returned; a non-daemon
    thread never ends)."""

    threads: tuple[ThreadView, ...]           # every thread, in the order they started
    steps: int = 0                            # livelock: the budget that was spent;
                                              # cannot exit: the steps since main returned
    busy: frozenset[int] = field(default_factory=frozenset)  # livelock: tids that ran lately
    #: livelock by state: the steps between two visits of the same state, as (tid, code,
    #: offset); empty when the verdict came from the step budget
    cycle: tuple[tuple[int, CodeType, int], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Misuse(Verdict):
    """A lock used in a way that is a bug by itself: ``thread`` starved on it, released it
    without holding it, or took it again while holding it (bug_class says which)."""

    lock: object
    threads: tuple[ThreadView, ...]   # for naming the lock as the program does
    owner: str | None = None          # a foreign release: the thread that held it
    overtaken: int = 0                # starvation: how often the others took it meanwhile
    taken_at: Site | None = None      # self-deadlock: where the thread took it the first time
    running: tuple[str, ...] = ()     # self-deadlock at the step budget: who still ran


def wait_cycle(threads: tuple[ThreadView, ...]) -> list[ThreadView]:
    """A cycle of blocked threads each waiting for the next (a lock's holder, a joined
    thread, a process or rank at a channel's other end), or [] when there is none. One
    thread alone is waiting for itself."""
    def next_of(t: ThreadView) -> ThreadView | None:
        if t.holder is not None:
            return threads[t.holder]
        return None

    for start in threads:
        if start.status != BLOCKED:
            continue
        path: list[ThreadView] = []
        t: ThreadView | None = start
        while t is not None and t.status == BLOCKED and t not in path:
            path.append(t)
            t = next_of(t)
        if t is not None and t in path:
            return path[path.index(t):]
    return []
