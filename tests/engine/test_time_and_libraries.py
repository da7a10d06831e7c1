"""Virtual time, readerwriterlock, and putting the real primitives back after exploring."""

from __future__ import annotations

import concurrent.futures
import queue
import threading
import time
from typing import Any

import pytest

from graders.engine import BugClass, LoadError, Settings, explore, set_wall_clock
from graders.engine.strategies import Strategy

# ------------------------------------------------------------------ virtual time


@pytest.mark.timeout(60)
def test_a_billion_second_sleep_returns_at_once(kit):
    # Only the timeout mark guards the wall clock: a real sleep would never return.
    result, seen = kit.observe("virtual_time.py:huge_sleep", schedules=20, strategy="portfolio")
    assert result.ok, result.report()
    assert seen and seen == ["woke"] * len(seen)


@pytest.mark.timeout(60)
def test_clocks_advance_by_exactly_the_slept_time(kit):
    result, seen = kit.observe("virtual_time.py:monotonic_advances_by_sleep")
    assert result.ok, result.report()
    assert seen == [[5.0, 5.0, 5.0, 5_000_000_000, 0.25, 0.0]]


def test_a_wall_clock_set_back_moves_time_time_only(kit):
    """A check may set the wall clock as a machine's clock is set right: a duration taken
    from time.time() across it is off by that much, perf_counter and monotonic are not."""
    seen: list[Any] = []

    def entry(module: Any) -> None:
        seen.append(module.clocks_across(lambda: set_wall_clock(-5.0)))

    result = explore(entry, [kit.programs / "virtual_time.py"],
                     Settings(schedules=1, strategy="sequential"))
    assert result.ok, result.report()
    assert seen == [[-4.0, 1.0, 1.0, -4_000_000_000]]


@pytest.mark.timeout(60)
def test_timeouts_cost_virtual_time_only(kit):
    result, seen = kit.observe("virtual_time.py:timeouts_cost_virtual_time")
    assert result.ok, result.report()
    assert seen == [[False, 30.0, 130.0]]


def test_a_barrier_timeout_runs_on_virtual_time(kit):
    """With no thread slow, the waiter gives up at 30 s against a party 60 s late and
    passes with one 10 s late. On other schedules a thread may get no CPU for a while (as
    on a loaded machine), so a round can end later, or broken, but never earlier than its
    timeout, and both parties always see the same end."""
    result, seen = kit.observe("virtual_time.py:barrier_timeout_against_a_sleeper")
    assert result.ok, result.report()
    assert seen == [["slow found it broken at 60", "waiter gave up at 30",
                     "slow passed at 10", "waiter passed at 10"]]
    result, seen = kit.observe("virtual_time.py:barrier_timeout_against_a_sleeper",
                               schedules=24, strategy="portfolio")
    assert result.ok, result.report()
    for rounds in seen:
        for slow, waiter in (rounds[:2], rounds[2:]):
            at = float(waiter.rsplit(" ", 1)[1])
            if "passed" in waiter:
                assert slow == f"slow passed at {at:g}", rounds
            else:
                assert at >= 30 and "broken" in slow, rounds


@pytest.mark.timeout(60)
class _SleeperFirst(Strategy):
    """Wakes a sleeper whenever the engine offers one (it is the last option), and never
    switches otherwise."""

    name = "test-sleeper-first"
    listed = False

    def choose(self, run, options, default, current):
        return options[-1] if options[-1].status == "blocked" else default


def test_a_new_thread_may_wait_while_another_completes_twenty_sleeps(kit):
    result = kit.explore("virtual_time.py:gives_up_after_twenty_naps", schedules=1,
                         strategy=_SleeperFirst.name)
    assert result.failure is not None and result.failure.bug_class == BugClass.ASSERTION


def test_negative_sleep_keeps_the_stdlib_error(kit):
    _, seen = kit.observe("virtual_time.py:negative_sleep")
    assert seen == ["sleep length must be non-negative"]
    assert kit.on_real_threads("virtual_time.py:negative_sleep") == seen[0]


@pytest.mark.timeout(60)
def test_sleepers_wake_in_deadline_order_when_nobody_is_slow(kit):
    result, seen = kit.observe("virtual_time.py:sleeping_threads_wake_in_order")
    assert result.ok, result.report()
    assert seen == [[1, 2, 3]]


@pytest.mark.timeout(60)
def test_threads_sleeping_for_ages_finish(kit):
    result = kit.explore("virtual_time.py:long_sleeps_in_threads", schedules=50)
    assert result.ok, result.report()


# ------------------------------------------------------------------ readerwriterlock


@pytest.mark.timeout(120)
@pytest.mark.parametrize("scenario", ["read_preferring", "write_preferring", "fair"])
def test_correct_readerwriterlock_programs_pass(kit, scenario):
    result = kit.explore(f"rwlocks.py:{scenario}", schedules=300)
    assert result.ok, result.report()
    assert result.schedules_run == 300


@pytest.mark.timeout(60)
def test_readerwriterlock_downgrade_passes(kit):
    result = kit.explore("rwlocks.py:downgrade", schedules=100)
    assert result.ok, result.report()


@pytest.mark.timeout(60)
def test_a_writer_that_skips_the_lock_is_caught(kit):
    """The passing runs above mean something: the same program without the lock fails."""
    result = kit.explore("rwlocks.py:writer_skips_lock", schedules=300)
    assert not result.ok
    assert result.failure.bug_class == BugClass.ASSERTION
    assert "a reader saw a half-written pair" in result.failure.message


@pytest.mark.timeout(60)
def test_readerwriterlock_is_imported_once_per_exploration_never_the_callers_copy(kit):
    """Importing readerwriterlock in every run cost four times a small program's run: it is
    imported once per exploration, under the stand-ins (its locks are the engine's), and
    every run shares that copy; the caller's own copy is neither used nor changed."""
    import sys

    import readerwriterlock.rwlock

    callers = readerwriterlock.rwlock
    seen = []

    def entry(module):
        rw = sys.modules["readerwriterlock.rwlock"]
        seen.append((rw, type(rw.RWLockFair().c_lock_read_count).__module__))
        module.fair()

    result = explore(entry, [kit.programs / "rwlocks.py"], Settings(schedules=20))
    assert result.ok, result.report()
    assert len({id(rw) for rw, _ in seen}) == 1, "imported again in a run"
    assert seen[0][0] is not callers
    assert seen[0][1] == "graders.engine.primitives"
    assert sys.modules["readerwriterlock.rwlock"] is callers
    assert type(callers.RWLockFair().c_lock_read_count).__module__ == "_thread"


# ------------------------------------------------------------------ patching is undone

REAL = {
    (threading, "Thread"): threading.Thread,
    (threading, "Lock"): threading.Lock,
    (threading, "RLock"): threading.RLock,
    (threading, "Condition"): threading.Condition,
    (threading, "Semaphore"): threading.Semaphore,
    (threading, "BoundedSemaphore"): threading.BoundedSemaphore,
    (threading, "Event"): threading.Event,
    (threading, "Barrier"): threading.Barrier,
    (threading, "Timer"): threading.Timer,
    (threading, "current_thread"): threading.current_thread,
    (threading, "get_ident"): threading.get_ident,
    (threading, "enumerate"): threading.enumerate,
    (time, "sleep"): time.sleep,
    (time, "monotonic"): time.monotonic,
    (time, "time"): time.time,
    (time, "perf_counter"): time.perf_counter,
    (queue, "SimpleQueue"): queue.SimpleQueue,
    (concurrent.futures, "ThreadPoolExecutor"): concurrent.futures.ThreadPoolExecutor,
}


def assert_real_primitives_back() -> None:
    replaced = [f"{mod.__name__}.{name}" for (mod, name), value in REAL.items()
                if getattr(mod, name) is not value]
    assert not replaced, f"still patched after exploring: {replaced}"
    # And they work as the real ones: a real lock, a real thread, a real clock.
    lock = threading.Lock()
    assert type(lock).__module__ == "_thread"
    t = threading.Thread(target=lock.acquire)
    t.start()
    t.join()
    assert lock.locked()
    assert time.monotonic() > 0


def test_the_real_primitives_are_what_this_test_sees():
    assert type(threading.Lock()).__module__ == "_thread"
    assert threading.Thread.__module__ == "threading"


@pytest.mark.timeout(60)
def test_primitives_are_restored_after_a_passing_exploration(kit):
    result = kit.explore("locks_api.py:lock_mutual_exclusion", schedules=5)
    assert result.ok
    assert_real_primitives_back()


@pytest.mark.timeout(60)
def test_primitives_are_restored_after_the_code_raised(kit):
    result = kit.explore("worker_errors.py:in_main", schedules=5)
    assert result.failure.bug_class == BugClass.EXCEPTION
    assert_real_primitives_back()


@pytest.mark.timeout(60)
def test_primitives_are_restored_after_a_deadlock(kit):
    result = kit.explore("philosophers.py:main", schedules=50)
    assert result.failure.bug_class == BugClass.DEADLOCK
    assert_real_primitives_back()


@pytest.mark.timeout(60)
def test_primitives_are_restored_after_a_load_error(kit):
    with pytest.raises(LoadError):
        kit.explore("lost_update.py:no_such_function")
    assert_real_primitives_back()


@pytest.mark.timeout(60)
def test_primitives_are_restored_when_the_entry_itself_raises(kit):
    def entry(module):
        raise KeyError("from the check itself")

    result = explore(entry, [kit.programs / "lost_update.py"], Settings(schedules=3))
    assert result.failure.bug_class == BugClass.EXCEPTION
    assert "KeyError" in result.failure.message
    assert_real_primitives_back()


@pytest.mark.timeout(60)
def test_modules_imported_before_exploring_survive_an_import_error(kit):
    """A program that fails at import must not take the caller's modules with it."""
    import readerwriterlock.rwlock

    before = readerwriterlock.rwlock
    import sys

    with pytest.raises(LoadError):
        kit.explore("raises_at_import.py:main")
    assert sys.modules["readerwriterlock.rwlock"] is before
    assert_real_primitives_back()
