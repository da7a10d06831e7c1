"""The schedule-exploring engine: run code one thread at a time, switch where a seeded
strategy says, and report the first schedule that breaks it.

Public API for grader authors::

    from graders.engine import Settings, explore, fail

    def scenario(shop):                       # the module under test, loaded fresh per run
        ...start threads, join them...
        if shop.total != 40:
            fail("lost update", f"expected 40 items, counted {shop.total}")

    result = explore(scenario, ["exercises/data_race/shop.py"], Settings(schedules=200))
    assert result.ok, result.report()

This package imports neither pytest nor any topic.
"""

from typing import TypeVar

from . import native  # noqa: F401 - first: decides where the hot modules load from
from .explorer import (
    Exploration,
    Failure,
    Settings,
    explore,
    explore_target,
    with_settings,
)
from .mpi import mpiexec
from .primitives import Primitive
from .probes import (
    draw_scenario,
    held_locks,
    in_run,
    most_asleep,
    naps,
    set_wall_clock,
    slept_holding,
    steps_taken,
    thread_name,
    threads_started,
    timed_out_idle,
)
from .processes import Processes
from .sharedmem import segments_left
from .sockets import partial_reads
from .tokens import decode, encode
from .verdicts import BugClass, CheckFailed, LoadError, fail

_T = TypeVar("_T")


def label(obj: _T, name: str) -> _T:
    """Give a primitive the name reports should use for it (``label(fork, "fork-0")``).
    Anything else, such as a real primitive made outside a run, is left as it is."""
    if isinstance(obj, Primitive):
        obj.label = name
    return obj


__all__ = [
    "BugClass",
    "CheckFailed",
    "Exploration",
    "Failure",
    "LoadError",
    "Processes",
    "Settings",
    "decode",
    "draw_scenario",
    "encode",
    "explore",
    "explore_target",
    "fail",
    "held_locks",
    "in_run",
    "label",
    "most_asleep",
    "mpiexec",
    "naps",
    "partial_reads",
    "segments_left",
    "set_wall_clock",
    "slept_holding",
    "steps_taken",
    "thread_name",
    "threads_started",
    "timed_out_idle",
    "with_settings",
]
