"""No verdict stronger than the evidence.

A thread that asks again for a plain Lock it holds is a self-deadlock only once no thread
can release it; an assert in the program under test is the program's own, not a check's; a
non-daemon thread left running after main returned keeps the program from exiting, which is
not a livelock.
"""

from __future__ import annotations

from typing import Any

import pytest

from graders.engine import BugClass, Settings, explore

pytestmark = pytest.mark.timeout(120)


def failure_of(kit, target, **settings):
    result = kit.explore(target, **settings)
    assert result.failure is not None, f"{target}: no failure in {result.schedules_run} runs"
    return result.failure


# ------------------------------------------------------------------ hand-off, self-deadlock


@pytest.mark.parametrize("strategy", ["portfolio", "random", "pct", "lockstep", "sync",
                                      "contend", "handoff"])
@pytest.mark.parametrize("scenario", ["main", "five_waiters"])
def test_a_hand_off_through_per_waiter_locks_is_correct_code(kit, strategy, scenario):
    """Each waiter blocks on a Lock of its own, taken a second time, until the thread that
    is done releases it: Python lets any thread release a Lock, and nothing is wrong."""
    result = kit.explore(f"handoff.py:{scenario}", strategy=strategy, schedules=150)
    assert result.ok, result.report()


def test_a_hand_off_passes_every_schedule_within_the_bound(kit):
    result = kit.explore("handoff.py:two_twice", strategy="exhaustive", preemption_bound=1,
                         schedules=3000)
    assert result.ok and result.complete, result.report()


def test_a_hand_off_is_not_a_foreign_release_unless_the_check_asks(kit):
    """strict_locks is a check's own requirement (only the taker releases); without it, a
    release by another thread is not a bug by itself."""
    assert kit.explore("handoff.py:main", schedules=30).ok
    f = failure_of(kit, "handoff.py:main", schedules=30, strict_locks=True)
    assert f.bug_class == BugClass.FOREIGN_RELEASE


def test_an_rlock_released_by_another_thread_is_still_an_error(kit):
    f = failure_of(kit, "handoff.py:rlock_handed_off", schedules=5)
    assert f.bug_class == BugClass.EXCEPTION
    assert "RuntimeError: cannot release un-acquired lock" in f.message


def test_a_waiter_that_nobody_releases_is_a_self_deadlock(kit):
    f = failure_of(kit, "handoff.py:forgotten_waiter")
    assert f.bug_class == BugClass.SELF_DEADLOCK
    assert f.thread == "waiter"
    assert f.message == ("Self-deadlock: waiter tried to take the Lock made at handoff.py:77 "
                         "again while already holding it.")
    assert f.details.splitlines()[0] == (
        "waiter took the Lock made at handoff.py:77 at handoff.py, line 78 (`mine.acquire()`) "
        "and, still holding it, asked for it again at line 80 (`mine.acquire()`). No other "
        "thread can release it: every other thread has ended or waits too.")


def test_a_self_deadlock_beside_threads_that_never_touch_the_lock(kit):
    f = failure_of(kit, "handoff.py:others_never_touch_the_lock")
    assert f.bug_class == BugClass.SELF_DEADLOCK
    assert f.thread == "greedy"
    assert f.message == "Self-deadlock: greedy tried to take lock again while already holding it."
    assert ("greedy took lock at handoff.py, line 101 (`with lock:`) and, still holding it, "
            "asked for it again at line 102 (`with lock:`).") in f.details
    assert "Use an RLock" in f.details


@pytest.mark.parametrize(("scenario", "runner"), [("beside_a_heartbeat", "heartbeat"),
                                                  ("beside_a_poller", "poller")])
def test_a_self_deadlock_while_others_run_on_is_still_a_self_deadlock(kit, scenario, runner):
    """A daemon heartbeat, or a thread polling for what the stuck thread would do, never
    blocks for good: the run ends at the step budget, and the verdict is the self-deadlock
    (the lock was never handed between threads), not a livelock."""
    f = failure_of(kit, f"handoff.py:{scenario}", schedules=10, max_steps=2000)
    assert f.bug_class == BugClass.SELF_DEADLOCK, f.message
    assert f.message == ("Self-deadlock: MainThread tried to take lock again while already "
                         "holding it.")
    assert (f"No other thread released it before the step budget ran out ({runner} kept "
            "running meanwhile).") in f.details


def test_a_lock_handed_over_before_and_then_never_again_is_a_livelock(kit):
    """The baton was released by the coach once already: the runner waits for a coach that
    spins instead of handing it over again, which is the coach's endless loop."""
    f = failure_of(kit, "handoff.py:releaser_spins", schedules=20, max_steps=2000)
    assert f.bug_class == BugClass.LIVELOCK, f.message


def test_a_self_deadlock_is_found_on_every_strategy(kit):
    for strategy in ("random", "pct", "lockstep", "exhaustive"):
        f = failure_of(kit, "handoff.py:others_never_touch_the_lock", strategy=strategy)
        assert f.bug_class == BugClass.SELF_DEADLOCK, (strategy, f.message)


# ------------------------------------------------------------------ the program's own asserts


def test_an_assert_in_the_program_is_reported_as_the_programs_own(kit):
    f = failure_of(kit, "assertions.py:bare", schedules=1)
    assert f.bug_class == BugClass.ASSERTION
    assert f.message == "An assertion in your code failed: assert x == 3 (assertions.py, line 10)"


def test_an_assert_with_a_message_in_a_worker(kit):
    f = failure_of(kit, "assertions.py:in_worker", schedules=1)
    assert f.bug_class == BugClass.ASSERTION
    assert f.thread == "auditor"
    assert f.message == ("An assertion in your code failed: assert total == 3 (assertions.py, "
                         "line 15, in auditor): expected 3 items, counted 2")
    assert "Check failed" not in f.message


def test_an_assertion_error_raised_by_hand_in_the_program(kit):
    f = failure_of(kit, "assertions.py:raised_by_hand", schedules=1)
    assert f.message == ("Your code raised AssertionError (assertions.py, line 25): not an "
                         "assert statement")


def test_a_checks_own_assert_and_fail_still_read_as_the_checks(kit):
    def asserting(module: Any) -> None:
        assert module.fine() == 99, "the check wanted 99"

    def failing(module: Any) -> None:
        from graders.engine import fail
        fail("miscount", f"counted {module.fine()}")

    settings = Settings(schedules=1, strategy="sequential")
    by_assert = explore(asserting, [kit.programs / "assertions.py"], settings).failure
    assert by_assert is not None
    assert by_assert.bug_class == BugClass.ASSERTION
    assert by_assert.message.startswith("Check failed: the check wanted 99")
    by_fail = explore(failing, [kit.programs / "assertions.py"], settings).failure
    assert by_fail is not None
    assert (by_fail.bug_class, by_fail.message) == ("miscount", "counted 2")


def test_the_programs_assert_called_from_a_check_is_still_the_programs(kit):
    def scenario(module: Any) -> None:
        module.with_message()

    f = explore(scenario, [kit.programs / "assertions.py"],
                Settings(schedules=1, strategy="sequential")).failure
    assert f is not None
    assert f.message.startswith("An assertion in your code failed: assert total == 3 "
                                "(assertions.py, line 15): ")


# ------------------------------------------------------------------ cannot exit


def test_a_saver_left_running_after_main_returned_cannot_exit(kit):
    f = failure_of(kit, "cannot_exit.py:saver_never_stops", schedules=20)
    assert f.bug_class == BugClass.CANNOT_EXIT
    assert f.message.startswith("The program cannot exit: the main thread has finished, but "
                                "saver is not a daemon thread and is still running ")
    assert f.message.endswith(" steps later.")
    first = f.details.splitlines()[0]
    assert first.startswith("saver ")
    assert "cannot_exit.py, line 2" in first          # the line of its loop it was on
    assert "Python waits for every non-daemon thread" in f.details
    assert "livelock" not in f.message


def test_a_thread_that_spins_after_main_returned_cannot_exit(kit):
    f = failure_of(kit, "cannot_exit.py:spinner_never_stops", schedules=5, max_steps=2000)
    assert f.bug_class == BugClass.CANNOT_EXIT
    assert "but spinner and listener are not daemon threads" in f.message
    assert "spinner is still running, at cannot_exit.py, line 4" in f.details


def test_a_thread_blocked_forever_after_main_returned_cannot_exit(kit):
    f = failure_of(kit, "cannot_exit.py:main")
    assert f.bug_class == BugClass.CANNOT_EXIT
    assert f.message == ("The program cannot exit: the main thread has finished, but listener "
                         "is not a daemon thread and will wait forever.")
    assert f.details.splitlines()[0] == ("listener waits for ready to be set, at "
                                         "cannot_exit.py, line 10 (`ready.wait()`).")


@pytest.mark.parametrize("scenario", ["daemon_saver_is_fine", "workers_finish_after_main"])
def test_threads_that_end_or_are_daemons_let_the_program_exit(kit, scenario):
    result = kit.explore(f"cannot_exit.py:{scenario}", schedules=40)
    assert result.ok, result.report()


@pytest.mark.parametrize("strategy", ["sequential", "pct", "random"])
def test_threads_still_finishing_when_main_returns_get_their_chance(kit, strategy):
    """main() returns near the end of the step budget; the workers it lets go then need more
    steps than are left, and still get them: they were not stuck, only late."""
    result = kit.explore("cannot_exit.py:busy_main_then_late_workers", strategy=strategy,
                         schedules=3, max_steps=2000)
    assert result.ok, result.report()


# ------------------------------------------------------------------ a sleeper among spinners


@pytest.mark.parametrize("strategy", ["lockstep", "portfolio", "sequential", "pct", "random",
                                      "exhaustive", "handoff"])
def test_a_sleeper_wakes_although_the_others_only_spin(kit, strategy):
    """Issue 13: two threads spin on a flag that main clears after a 3 s sleep. The spinners
    are always runnable; lockstep alone would never let main's deadline come, and called it a
    livelock after the whole budget. Time passes once every runnable thread has run long."""
    result = kit.explore("polling.py:main_sleeps_while_others_spin", strategy=strategy,
                         schedules=30)
    assert result.ok, result.report()
