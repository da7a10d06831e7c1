"""Questions a check may ask from inside a run: who am I, what do I hold, who was started,
how busy has a thread been.

Checks use these to build witnesses instead of timing: a probe wrapped around a slow call
asks whether the caller holds a lock; a probe that counts callers inside at once proves
overlap.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from typing import TypeVar

from . import scheduler
from .findings import BLOCKED
from .waitfor import label_of

T = TypeVar("T")


def _ctx() -> tuple[scheduler.Run, scheduler.ThreadState]:
    ctx = scheduler.here()
    if ctx is None:
        raise RuntimeError("probes work only inside a run of the engine")
    return ctx


def in_run() -> bool:
    """True when called from a thread the engine controls."""
    return scheduler.here() is not None


def held_locks() -> list[str]:
    """Names of the locks the calling thread holds, oldest first."""
    run, ts = _ctx()
    return [label_of(run, lock) for lock in ts.held]


def threads_started() -> list[str]:
    """Names of the threads the program started in this run (the main thread excluded)."""
    run, _ts = _ctx()
    return [t.name for t in run.threads[1:] if t.loop_thread is None]   # (not asyncio tasks)


def thread_name() -> str:
    """The calling thread's name."""
    return _ctx()[1].name


def steps_taken() -> dict[str, int]:
    """How many steps (scheduling points, and passes of loops that have none) each thread of
    the run has taken so far, by name: a thread that waits by blocking takes none while it
    waits; one that keeps looking (busy waiting) keeps taking them."""
    run, _ts = _ctx()
    return {t.name: t.steps for t in run.threads}


def naps() -> dict[str, tuple[int, bool]]:
    """For each thread of the run, by name: how many times ``time.sleep()`` put it to
    sleep, and whether it is asleep there now. A thread that waits for another to wake it
    takes no naps; one that looks now and then, with a pause between looks, keeps taking
    them, however long the pause (a check can let virtual time run on while it sleeps)."""
    run, _ts = _ctx()
    return {t.name: (t.naps, t.status == BLOCKED and t.queue is None and t.deadline is not None)
            for t in run.threads}


def slept_holding() -> list[tuple[str, str, int]]:
    """(thread, the first lock it held, how many it held) for every ``time.sleep()`` of the
    run begun while the thread held a lock (as :func:`held_locks` counts them: Lock,
    RLock): slow work under a lock, wherever the code keeps it (a helper, a lambda, a
    method), which a probe on one function cannot see."""
    run, _ts = _ctx()
    return [(name, label_of(run, lock), n) for name, lock, n in run.slept_holding]


def most_asleep() -> int:
    """The most threads the program started (the main thread not counted) asleep in
    ``time.sleep()`` at once so far: slow work done side by side, whatever function the
    code did it in."""
    run, _ts = _ctx()
    return run.most_asleep


def timed_out_idle() -> list[str]:
    """The threads (by name, once per time) whose ``Condition.wait(timeout=...)`` ran out
    while no thread of the run could run: only the timeout let the run go on, so nobody was
    going to wake them (a notify that is missing or came too early)."""
    run, _ts = _ctx()
    return list(run.timed_out_idle)


def set_wall_clock(seconds: float) -> None:
    """Move the run's wall clock (``time.time()``, ``time.time_ns()``) by ``seconds`` from now
    on, as a machine's clock is set right (by NTP, or by hand): a duration measured on it
    across the change is off by that much. ``perf_counter()`` and ``monotonic()`` never move."""
    run, _ts = _ctx()
    run.wall_offset += seconds


def draw_scenario(draw: Callable[[], T]) -> T:
    """``draw()``, a check's draw of its scenario from ``random`` (the day, the sizes),
    declared to the engine: the same numbers as without it, and the engine then knows that
    the run's choices and this scenario are all it depends on. A later run with the same
    strategy key (``Strategy.repeat_key``) that draws the same scenario, in a program that
    draws nothing else, is an earlier run again: it ends here, uncounted as a verdict, and
    the explorer counts its schedule as run (see ``_Explorer._search``). Draw the scenario
    before the program starts its threads."""
    run, _ts = _ctx()
    expected = run.random_after_scenario
    if expected is None:       # (none drawn yet: as the run seeded it)
        expected = random.Random(run.random_seed).getstate()
    if random.getstate() != expected:
        run.undeclared_draw = True
    value = draw()
    run.random_after_scenario = random.getstate()
    try:
        hash(value)
        seen: Hashable = value
    except TypeError:
        seen = repr(value)
    run.scenario.append(seen)
    if not run.undeclared_draw and tuple(run.scenario) in run.repeats:
        run.repeat = True
        run.aborting = True
        raise scheduler.Aborted
    return value
