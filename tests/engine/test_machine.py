"""The code under test sees the course machine's CPU count, whatever machine runs it, and the
real functions are back afterwards."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from graders.engine import Settings, explore, machine


def test_explored_code_sees_the_course_machine(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 64)       # a big grading machine
    program = tmp_path / "sizes.py"
    program.write_text(
        "import concurrent.futures, multiprocessing, os\n"
        "def sizes():\n"
        "    pool = concurrent.futures.ThreadPoolExecutor()\n"
        "    workers = pool._max_workers\n"
        "    pool.shutdown()\n"
        "    return (os.cpu_count(), multiprocessing.cpu_count(),\n"
        "            len(os.sched_getaffinity(0)), os.sysconf('SC_NPROCESSORS_ONLN'), workers)\n")
    seen = []

    def scenario(module: object) -> None:
        seen.append(module.sizes())  # type: ignore[attr-defined]

    result = explore(scenario, [program], Settings(schedules=3))
    assert result.ok, result.report()
    cpus = machine.CPUS
    assert set(seen) == {(cpus, cpus, cpus, cpus, min(32, cpus + 4))}
    assert os.cpu_count() == 64                             # restored afterwards


def test_course_machine_restores_what_was_there() -> None:
    real = os.cpu_count, os.sched_getaffinity, hasattr(os, "process_cpu_count")
    with machine.course_machine(3):
        assert os.cpu_count() == multiprocessing.cpu_count() == 3
        assert os.process_cpu_count() == 3  # type: ignore[attr-defined]
        assert len(os.sched_getaffinity(0)) == 3
    assert (os.cpu_count, os.sched_getaffinity, hasattr(os, "process_cpu_count")) == real
