"""Livelock by state: the program came back to a state it was in, and every thread that
could run (or would wake once time passed) ran in between, so it can go round forever.

No verdict without that evidence: loops that look alike but count, draw at random, read the
clock, wait for a sleeper, or keep their count where the state cannot be read all finish.
"""

from __future__ import annotations

import dis
from pathlib import Path

import pytest

from graders.engine import BugClass, Settings, explore_target
from graders.engine.statehash import clean, stack_depths

pytestmark = pytest.mark.timeout(300)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks" / "programs"


def test_polite_philosophers_are_a_livelock_by_state_with_the_round_shown():
    result = explore_target(f"{BENCHMARKS / 'polite_philosophers.py'}:main",
                            Settings(strategy="lockstep", schedules=60))
    f = result.failure
    assert f is not None and f.bug_class == BugClass.LIVELOCK, result.report()
    assert f.message.startswith("Livelock: philosopher-0 and philosopher-1 keep running but "
                                "get nowhere: after ")
    assert "the program was back in the same state" in f.message
    lines = f.details.splitlines()
    assert lines[0] == "Each time round:"
    assert "  philosopher-0 runs polite_philosophers.py, lines 14, 15, 20, 21" in lines
    assert "  philosopher-1 runs polite_philosophers.py, lines 14, 15, 20, 21" in lines
    assert "The state that comes back:" in lines
    assert "  MainThread waits for philosopher-0 to finish (join)." in lines
    assert "  meals = [0, 0]" in lines
    # The verdict did not wait for the step budget (25,000 steps by default).
    assert "steps without finishing" not in f.message

    replayed = explore_target(f"{BENCHMARKS / 'polite_philosophers.py'}:main",
                              Settings(replay=f.token))
    assert replayed.failure is not None, replayed.report()
    assert (replayed.failure.message, replayed.failure.details) == (f.message, f.details)


@pytest.mark.parametrize("scenario", ["polite_forever", "polite_forever_beside_a_generator"])
def test_two_polite_threads_in_step_are_a_livelock_by_state(kit, scenario):
    result = kit.explore(f"retries.py:{scenario}", strategy="lockstep", schedules=30)
    f = result.failure
    assert f is not None and f.bug_class == BugClass.LIVELOCK, result.report()
    assert "back in the same state" in f.message
    assert "  diner-0 runs retries.py, lines " in f.details


@pytest.mark.parametrize("strategy", ["lockstep", "portfolio"])
@pytest.mark.parametrize("scenario", [
    "bounded_by_a_for_loop", "random_backoff", "counted_in_shared_state", "until_a_deadline",
    "counted_by_itertools", "pollers_while_main_sleeps", "backoff_from_a_generator_of_its_own"])
def test_loops_that_finish_are_never_a_livelock(kit, strategy, scenario):
    result = kit.explore(f"retries.py:{scenario}", strategy=strategy, schedules=40)
    assert result.ok, result.report()


def _offsets(function, opname):
    return [i.offset for i in dis.get_instructions(function) if i.opname == opname]


def _loops(items, lock):
    for _item in items:
        lock.acquire()
        lock.release()


def test_a_for_loop_keeps_its_iterator_where_no_state_can_read_it():
    """Inside a for loop the iterator is on the value stack: a frame stopped there is never
    'clean', so a thread that moves through it cannot be shown to repeat its state."""
    code = _loops.__code__
    depths = stack_depths(code)
    call = _offsets(_loops, "CALL")[0]
    assert depths[call][0] >= 1
    assert not clean(code, call, before=False)
    assert not clean(code, _offsets(_loops, "FOR_ITER")[0], before=True)
    # Before the loop starts, the stack is empty.
    assert clean(code, min(depths), before=True)


def _polite(left, right):
    while True:
        left.acquire()
        if right.acquire(blocking=False):
            return
        left.release()


def test_a_call_whose_result_is_all_that_is_left_is_clean():
    code = _polite.__code__
    assert all(clean(code, offset, before=False) for offset in _offsets(_polite, "CALL"))


@pytest.mark.slow
@pytest.mark.parametrize("program", ["spin_while_main_sleeps", "counter_lock",
                                     "philosophers_ordered", "queue_producer_consumer",
                                     "condition_while", "barrier", "rwlock_fair",
                                     "threadpool_map"])
def test_no_false_alarm_in_a_thousand_schedules(program):
    result = explore_target(f"{BENCHMARKS / program}.py:main", Settings(schedules=1000))
    assert result.ok, result.report()
    assert result.schedules_run == 1000
