"""asyncio on the controlled event loop (graders/engine/aio.py): each bug it must find is
found and replayed, correct programs never fail, and an async scenario runs like any other.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graders.engine import BugClass, Settings, explore, explore_target

PROGRAM = Path(__file__).resolve().parent / "programs" / "aio_programs.py"


def _explore(name: str, **settings: Any) -> Any:
    settings.setdefault("schedules", 50)
    return explore_target(f"{PROGRAM}:{name}", Settings(**settings))


def _replayed(name: str, token: str) -> Any:
    return explore_target(f"{PROGRAM}:{name}", Settings(replay=token))


@pytest.mark.parametrize(("program", "bug", "words"), [
    ("lost_update", "lost update", "expected a balance of 15, found"),
    ("blocking_sleep", BugClass.BLOCKING_CALL,
     "blocked the event loop at aio_programs.py, line 51 (`time.sleep(1.0)`): for 1s"),
    ("fire_and_forget", BugClass.LOST_EXCEPTION, "ValueError: the disk is full"),
    ("unawaited_task", "work not done", "expected 1 job done, found 0"),
    ("lock_across_await", BugClass.DEADLOCK, "each wait for the next, in a cycle"),
    ("missing_await", BugClass.MISSING_AWAIT,
     "called save() at aio_programs.py, line 133 (`save(results, 1)`) without `await`"),
    ("waits_forever", BugClass.DEADLOCK, "to be set"),
    ("oversold", "oversold", "sold 2 of 1 item"),
    ("cpu_blocks_the_loop", "loop blocked", "no other task ran while the work was done"),
])
def test_each_bug_is_found_and_replayed(program: str, bug: str, words: str) -> None:
    found = _explore(program)
    assert found.failure is not None, found.report()
    assert found.failure.bug_class == bug
    assert words in found.report()
    again = _replayed(program, found.failure.token)
    assert again.failure is not None, again.report()
    assert again.failure.bug_class == bug
    assert again.failure.message == found.failure.message


def test_a_race_asyncio_order_hides_is_found_off_that_order() -> None:
    """The late buyer must run two steps before the first buyer's second: a schedule that
    deviates from first-in-first-out, which the token records and the replay follows."""
    found = _explore("oversold")
    assert found.failure is not None
    assert found.failure.token.split(":")[1] != "default"
    sequential = _explore("oversold", strategy="sequential", schedules=1)
    assert sequential.ok, sequential.report()


def test_a_deadlock_names_each_task_and_what_it_waits_for() -> None:
    report = _explore("lock_across_await").report()
    assert ("Task-2 (transfer) holds first (in Task-2 (transfer)) and waits for second (in "
            "Task-2 (transfer)), held by Task-3 (transfer).") in report
    assert "MainThread runs the event loop, which has no task ready and no timer set." in report


def test_the_interleaving_has_a_column_per_task() -> None:
    report = _explore("lost_update").report()
    header = next(line for line in report.splitlines() if "Task-2 (deposit)" in line)
    assert "Task-1 (lost_update)" in header and "Task-3 (deposit)" in header


CORRECT = ["no_lost_update", "no_blocking_sleep", "awaited_tasks", "ordered_locks",
           "queue_timeout_semaphore", "not_oversold", "to_thread_and_back",
           "sync_entry_runs_loop", "cpu_yields_to_others"]


@pytest.mark.parametrize("program", CORRECT)
def test_correct_programs_pass(program: str) -> None:
    result = _explore(program, schedules=100)
    assert result.ok, result.report()


@pytest.mark.slow
@pytest.mark.parametrize("program", CORRECT)
def test_no_false_alarm_in_a_thousand_schedules(program: str) -> None:
    result = _explore(program, schedules=1000, seed=17)
    assert result.ok, result.report()
    # (a program that never leaves the loop a choice has one schedule: the one run)
    assert result.schedules_run == 1000 or result.only_schedule


def test_an_async_scenario_gets_the_modules_and_runs_on_the_loop() -> None:
    seen: list[object] = []

    async def scenario(programs: Any) -> None:
        seen.append(type(asyncio.get_running_loop()).__name__)
        await programs.no_lost_update()
        seen.append(asyncio.get_running_loop().time())

    result = explore(scenario, [PROGRAM], Settings(schedules=3))
    assert result.ok, result.report()
    assert seen[:2] == ["ControlledLoop", 1000.0]


def test_virtual_time_costs_no_wall_time() -> None:
    async def scenario(programs: Any) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(3600)
        assert loop.time() - start == 3600

    result = explore(scenario, [PROGRAM], Settings(schedules=5))
    assert result.ok, result.report()
    assert result.seconds < 60


def test_a_run_cut_short_leaves_nothing_behind_for_the_next() -> None:
    """unawaited_task ends while a task has not started: its coroutine must not be reported
    as never awaited in a later exploration."""
    assert _explore("unawaited_task").failure is not None
    result = _explore("awaited_tasks", schedules=20)
    assert result.ok, result.report()


def test_tasks_a_run_leaves_alive_are_not_in_asyncios_registry() -> None:
    """A run's tasks can outlive it (a deadlocked run's, a failing run kept for its report,
    garbage frozen between checks); asyncio must not go on counting them among the live
    tasks: every later ``asyncio.all_tasks()`` (every ``asyncio.run`` calls it as it ends)
    walked all of them, and after a dev check's wrong fixes each later asyncio check took
    five times as long."""
    registry = getattr(asyncio.tasks, "_all_tasks", None)
    if registry is None:
        registry = asyncio.tasks._scheduled_tasks   # 3.12+
    before = len(registry)
    for _ in range(3):
        assert _explore("lock_across_await", schedules=20).failure is not None
    assert len(registry) == before


def test_asyncio_is_itself_again_after_exploring() -> None:
    _explore("no_lost_update", schedules=2)
    assert asyncio.Lock.__module__ == "asyncio.locks"
    assert type(asyncio.new_event_loop()).__name__ != "ControlledLoop"
    assert asyncio.run(asyncio.sleep(0, result=7)) == 7
