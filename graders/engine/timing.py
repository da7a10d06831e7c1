"""Virtual time: ``time.sleep`` costs no wall time and timeouts expire when the strategy says.

A sleeping thread wakes either when no other thread can run or earlier, when the strategy
decides the others were slow (a thread just started may wait for its first step while the
clock passes up to ``scheduler.MAX_LAG`` times, and a random-walk run may stall one thread
for longer: ``scheduler.Stall``): both are things real machines do, so a ``sleep`` meant to
"let the other thread finish first" is caught instead of trusted, however long it is.
"""

from __future__ import annotations

import time as _real_time
from collections.abc import Callable

from . import scheduler
from .findings import BLOCKED
from .primitives import step

_EPOCH = 1_767_225_600.0      # the wall clock a program sees at virtual time zero
_MONOTONIC_BASE = 1_000.0

_real_sleep = _real_time.sleep
_real_clocks: dict[str, Callable[[], float]] = {
    "monotonic": _real_time.monotonic,
    "perf_counter": _real_time.perf_counter,
    "time": _real_time.time,
}
_real_clocks_ns: dict[str, Callable[[], int]] = {
    "monotonic_ns": _real_time.monotonic_ns,
    "perf_counter_ns": _real_time.perf_counter_ns,
    "time_ns": _real_time.time_ns,
}


class _Sleep:
    """Marks a sleeping thread in reports ("sleeps until t=...")."""


SLEEP = _Sleep()


def sleep(secs: float) -> None:
    ctx = scheduler.here()
    if ctx is None:
        _real_sleep(secs)
        return
    secs = float(secs)
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    run, ts = step(SLEEP, "sleep")
    if secs > 0:
        ts.naps += 1
        if ts.held:
            run.slept_holding.append((ts.name, ts.held[0], len(ts.held)))
        if ts.tid:     # (threads the program started: not the main thread)
            asleep = 1 + sum(1 for t in run.threads if t is not ts and t.tid and t.status ==
                             BLOCKED and t.queue is None and t.deadline is not None)
            run.most_asleep = max(run.most_asleep, asleep)
        run.block(ts, None, run.now + secs, obj=SLEEP)


def _clock(name: str, base: float, wall: bool = False) -> Callable[[], float]:
    """A virtual clock; ``wall``: the wall clock, which a run may set off (``set_wall_clock``)."""
    real = _real_clocks[name]

    def clock() -> float:
        run = scheduler.active
        if run is None or scheduler.here() is None:
            return real()
        run.clock_read = True      # the time is part of its state now (statehash)
        return base + run.now + (run.wall_offset if wall else 0.0)

    clock.__name__ = name
    return clock


def _clock_ns(name: str, base: float, wall: bool = False) -> Callable[[], int]:
    real = _real_clocks_ns[name]

    def clock_ns() -> int:
        run = scheduler.active
        if run is None or scheduler.here() is None:
            return real()
        run.clock_read = True      # the time is part of its state now (statehash)
        return int((base + run.now + (run.wall_offset if wall else 0.0)) * 1_000_000_000)

    clock_ns.__name__ = name
    return clock_ns


monotonic = _clock("monotonic", _MONOTONIC_BASE)
perf_counter = _clock("perf_counter", _MONOTONIC_BASE)
time = _clock("time", _EPOCH, wall=True)
monotonic_ns = _clock_ns("monotonic_ns", _MONOTONIC_BASE)
perf_counter_ns = _clock_ns("perf_counter_ns", _MONOTONIC_BASE)
time_ns = _clock_ns("time_ns", _EPOCH, wall=True)
