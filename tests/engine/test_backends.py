"""Greenlets and OS threads explore the very same schedules.

A controlled thread is a greenlet where the ``greenlet`` package imports, and an OS thread of
its own otherwise (or with ``GRADERS_ENGINE_THREADS=os``). The two must be interchangeable:
every run of an exploration takes the same steps, makes the same decisions and switches and
ends in the same verdict, for threads, thread-local data, asyncio tasks, processes and MPI
ranks. (``benchmarks/speed.py`` compares them on more programs; this is the cheap guard.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graders.engine import Processes, Settings, explore, explorer, scheduler
from graders.engine.mpi import mpiexec

pytestmark = pytest.mark.skipif(scheduler._Greenlet is None, reason="greenlet is not installed")

_run_once = explorer._Explorer.run_once

#: file, function, what to start it with (None: the program's threads only)
PROGRAMS = [
    ("lost_update.py", "main", None),
    ("philosophers.py", "main", None),
    ("threads_api.py", "thread_local_data", None),
    ("polling.py", "main_sleeps_while_others_spin", None),
    ("aio_programs.py", "oversold", None),
    ("aio_programs.py", "loops_in_two_threads", None),
    ("ipc_protocols.py", "terminated", Processes()),
    ("mpi_protocols.py", "head_to_head", Processes(mpi=True)),
]


def _runs(kit: Any, monkeypatch: pytest.MonkeyPatch, green: bool, file: str, function: str,
          processes: Processes | None) -> tuple[list[tuple[object, ...]], str | None]:
    """Every run's steps, decisions, switches, verdict and log length, and the report."""
    monkeypatch.setattr(scheduler, "GREEN", green)
    seen: list[tuple[object, ...]] = []

    def run_once(self: Any, strategy: Any, seed: int, **options: Any) -> Any:
        run = _run_once(self, strategy, seed, **options)
        assert run.green is green
        verdict = None if run.verdict is None else str(run.verdict.bug_class)
        seen.append((run.steps, run.decisions, tuple(run.deviations), verdict, len(run.events)))
        return run

    monkeypatch.setattr(explorer._Explorer, "run_once", run_once)

    def entry(module: Any) -> object:
        target: Callable[[], object] = getattr(module, function)
        return mpiexec(target, 2) if processes is not None and processes.mpi else target()

    result = explore(entry, [kit.programs / file], Settings(schedules=30, shrink=False),
                     processes=processes)
    return seen, None if result.failure is None else result.failure.message


@pytest.mark.parametrize(("file", "function", "processes"), PROGRAMS,
                         ids=[f"{f}:{fn}" for f, fn, _ in PROGRAMS])
def test_greenlets_and_os_threads_explore_the_same_schedules(kit, monkeypatch, file, function,
                                                            processes):
    on_os = _runs(kit, monkeypatch, False, file, function, processes)
    green = _runs(kit, monkeypatch, True, file, function, processes)
    assert green == on_os
    assert on_os[0], "no run was made"
    if function == "loops_in_two_threads":      # (correct: no verdict on either backend)
        assert on_os[1] is None, on_os[1]
