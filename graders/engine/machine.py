"""The machine the code under test sees: :data:`CPUS` CPUs, whatever machine runs it.

A grade must not depend on the grading machine, and code that sizes a pool from
``os.cpu_count()`` would otherwise behave differently on a laptop and on a 64-core grader.
While the stand-ins are installed (:mod:`.patching`), or inside :func:`course_machine`, every
way Python reads the CPU count says :data:`CPUS`: ``os.cpu_count()``,
``os.process_cpu_count()`` (3.13), ``multiprocessing.cpu_count()`` (which asks
``os.cpu_count``), ``len(os.sched_getaffinity(0))`` and the ``os.sysconf`` processor counts;
so a default ``ProcessPoolExecutor`` or ``multiprocessing.Pool`` has :data:`CPUS` processes
and a default ``ThreadPoolExecutor`` ``CPUS + 4`` threads, as the engine's own has.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: The course machine's CPU count (the child-process drivers get it as GRADERS_PD_CPUS).
CPUS = 4

_COUNTS = ("SC_NPROCESSORS_ONLN", "SC_NPROCESSORS_CONF")
_real_sysconf: Callable[[Any], int] | None = getattr(os, "sysconf", None)
_MISSING = object()


def fakes(cpus: int = CPUS) -> dict[str, Callable[..., Any]]:
    """The ``os`` functions that read the CPU count, each saying ``cpus``."""
    numbers = {os.sysconf_names[n] for n in _COUNTS if n in getattr(os, "sysconf_names", {})}

    def cpu_count() -> int:
        return cpus

    def sched_getaffinity(pid: int) -> set[int]:
        return set(range(cpus))

    def sysconf(name: str | int) -> int:
        if name in _COUNTS or name in numbers:
            return cpus
        assert _real_sysconf is not None
        return int(_real_sysconf(name))

    found: dict[str, Callable[..., Any]] = {
        "cpu_count": cpu_count, "process_cpu_count": cpu_count,
        "sched_getaffinity": sched_getaffinity}
    if _real_sysconf is not None:
        found["sysconf"] = sysconf
    return found


def stand_ins(cpus: int = CPUS) -> list[tuple[Any, str, Any]]:
    """``(module, name, fake)`` for :func:`.patching.stand_ins_installed`'s plan."""
    return [(os, name, fake) for name, fake in fakes(cpus).items()]


@contextmanager
def course_machine(cpus: int = CPUS) -> Iterator[None]:
    """While the block runs, every way Python reads the CPU count says ``cpus``; the real
    functions are back afterwards (one that did not exist, such as ``process_cpu_count``
    before 3.13, is gone again)."""
    saved = {name: os.__dict__.get(name, _MISSING) for name in fakes(cpus)}
    try:
        for name, fake in fakes(cpus).items():
            setattr(os, name, fake)
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                os.__dict__.pop(name, None)
            else:
                setattr(os, name, value)
