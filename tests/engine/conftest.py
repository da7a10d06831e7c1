"""Helpers for the engine's own tests: run a scenario under the engine or on real threads.

The programs in ``programs/`` are plain threading code. A scenario function returns what it
saw as plain data, so a test can compare what the stand-ins did with what the standard
library does.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graders.engine import Exploration, Settings, explore, explore_target

PROGRAMS = Path(__file__).resolve().parent / "programs"

_real_counter = itertools.count()


class Kit:
    """What the tests need, handed out by the ``kit`` fixture (conftest modules are not
    importable by name when several test folders have one)."""

    programs = PROGRAMS

    @staticmethod
    def spec(target: str) -> str:
        """'file.py:function' in programs/ as the 'PATH:FUNCTION' explore_target takes."""
        return str(PROGRAMS / target)

    @staticmethod
    def explore(target: str, **settings: Any) -> Exploration:
        """explore_target on a program of programs/, with Settings built from keywords."""
        return explore_target(str(PROGRAMS / target), Settings(**settings))

    @staticmethod
    def observe(target: str, **settings: Any) -> tuple[Exploration, list[Any]]:
        """Run ``file.py:function`` under the engine; collect what it returned in each run."""
        file, _, func = target.partition(":")
        settings.setdefault("schedules", 1)
        settings.setdefault("strategy", "sequential")
        results: list[Any] = []

        def entry(module: Any) -> None:
            results.append(getattr(module, func)())

        return explore(entry, [PROGRAMS / file], Settings(**settings)), results

    @staticmethod
    def on_real_threads(target: str) -> Any:
        """Run ``file.py:function`` on the real threading module, in a module of its own."""
        file, _, func = target.partition(":")
        name = f"_real_{Path(file).stem}_{next(_real_counter)}"
        module_spec = importlib.util.spec_from_file_location(name, PROGRAMS / file)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return getattr(module, func)()


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


def settle_thread_count(limit: int, attempts: int = 1000) -> int:
    """The number of OS threads, once it is at most ``limit`` or after a settle of at most
    20 s.

    A controlled thread hands the baton on as its very last step, so its OS thread may still
    be unwinding when the exploration returns. The wait is a bound, not a measurement: on a
    machine running three suites at once on two cores, 5 s was once not enough for a
    livelocked thread to unwind, and a passing test never waits.
    """
    count = len(sys._current_frames())
    for _ in range(attempts):
        if count <= limit:
            break
        time.sleep(0.02)
        count = len(sys._current_frames())
    return count


@pytest.fixture
def no_stray_threads() -> Callable[[], None]:
    """Call the returned function at the end of a test: no OS thread outlives the test."""
    before = len(sys._current_frames())
    names_before = {t.name for t in threading.enumerate()}

    def check() -> None:
        after = settle_thread_count(before)
        assert after <= before, (
            f"{after - before} OS thread(s) still alive after the exploration; "
            f"threading sees {sorted({t.name for t in threading.enumerate()} - names_before)}")

    return check
