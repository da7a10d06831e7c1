"""The stand-ins behave like the standard library's primitives for correct programs.

Every scenario in the fidelity programs runs twice: on real threads, and under the engine
over a dozen schedules of the default portfolio. Each run must pass and return exactly what
the real threads returned: the same values, the same errors with the same messages. A second
table spells out the most important answers literally, so that a change in the engine shows
up as a readable diff rather than only as "differs from real threads".
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"
FIDELITY_PROGRAMS = ["threads_api.py", "locks_api.py", "conditions.py", "signals.py",
                     "queues_api.py"]


def scenarios(file: str) -> list[str]:
    """'file.py:function' for each scenario: public functions that take no arguments."""
    tree = ast.parse((PROGRAMS / file).read_text())
    return [f"{file}:{node.name}" for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.args.args
            and not node.name.startswith("_")]


ALL_SCENARIOS = [s for f in FIDELITY_PROGRAMS for s in scenarios(f)]

#: Scenarios that order their threads with a sleep. Real threads keep that order in
#: practice; the engine keeps it only on the schedule where no thread is slow, because its
#: other schedules rightly treat a sleep as no guarantee.
SEQUENTIAL_ONLY = {"signals.py:event_pulse_wakes_waiter"}


@pytest.mark.timeout(60)
# On real threads, pytest's thread-exception hook notes the SystemExit that the standard
# library's own hook ignores.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("target", ALL_SCENARIOS)
def test_same_as_real_threads(kit, target):
    expected = kit.on_real_threads(target)
    runs = 1 if target in SEQUENTIAL_ONLY else 12
    strategy = "sequential" if target in SEQUENTIAL_ONLY else "portfolio"
    result, seen = kit.observe(target, schedules=runs, strategy=strategy)
    assert result.ok, result.report()
    # (a run the explorer knows to be the same as one before is not made again, and a run
    # with no choice in it is every run there is)
    assert 1 <= len(seen) <= result.schedules_run <= runs
    assert result.schedules_run == runs or result.complete
    differing = [s for s in seen if s != expected]
    assert not differing, f"real threads: {expected!r}\nengine: {differing[0]!r}"


THREAD_STARTED_TWICE = "RuntimeError: threads can only be started once"
# The one message here that differs between versions: 3.13 reworded it.
NEGATIVE_TIMEOUT = ("ValueError: timeout value must be a non-negative number"
                    if sys.version_info >= (3, 13) else
                    "ValueError: timeout value must be positive")
NOT_INITIALIZED = "RuntimeError: Thread.__init__() not called"

LITERAL = {
    # Thread
    "threads_api.py:start_twice": THREAD_STARTED_TWICE,
    "threads_api.py:join_before_start": "RuntimeError: cannot join thread before it is started",
    "threads_api.py:join_self": ["RuntimeError: cannot join current thread"] * 2,
    "threads_api.py:join_timeout_while_alive": [None, True, False],
    "threads_api.py:is_alive_lifecycle": [False, True, False],
    "threads_api.py:default_names": ["Thread-1 (work)", "chosen", "Thread-2", "Thread-3",
                                     "Thread-4 (work)", "Thread-5 (work)"],
    "threads_api.py:daemon_inherit": {"main": False, "child_of_main": False,
                                      "child_of_daemon": True, "explicit": False},
    "threads_api.py:daemon_setter": [
        True, "RuntimeError: cannot set daemon status of active thread", True],
    "threads_api.py:subclass_run": [("worker-0", 0), ("worker-1", 10), ("worker-2", 20)],
    "threads_api.py:worker_sys_exit": [False, []],
    "threads_api.py:thread_local_data": ["main", ["False", "False", "worker-0", "worker-1"]],
    "threads_api.py:subclass_forgot_init": [
        "RuntimeError: thread.__init__() not called", NOT_INITIALIZED, NOT_INITIALIZED],
    # Lock and RLock
    "locks_api.py:lock_nonblocking": [True, False, True, False],
    "locks_api.py:lock_timeout": [False, True],
    "locks_api.py:lock_bad_arguments": [
        "ValueError: can't specify a timeout for a non-blocking call",
        NEGATIVE_TIMEOUT, NEGATIVE_TIMEOUT, False],
    "locks_api.py:lock_release_unlocked": ["RuntimeError: release unlocked lock"] * 2,
    "locks_api.py:rlock_reentry": [True, True, True, "nested",
                                   "RuntimeError: cannot release un-acquired lock"],
    "locks_api.py:rlock_release_by_non_owner": [
        "RuntimeError: cannot release un-acquired lock", False, False],
    # Condition
    "conditions.py:errors_without_lock": [
        "RuntimeError: cannot wait on un-acquired lock",
        "RuntimeError: cannot wait on un-acquired lock",
        "RuntimeError: cannot notify on un-acquired lock",
        "RuntimeError: cannot notify on un-acquired lock",
        "RuntimeError: cannot wait on un-acquired lock",
        "already"],
    "conditions.py:wait_timeout_nobody_notifies": [False, False],
    "conditions.py:wait_notified": [True],
    "conditions.py:wait_for_predicate": [True, False, 2, [0, 1, 2]],
    "conditions.py:notify_n": [2, [0, 1, 2]],
    # Semaphore, BoundedSemaphore, Event, Barrier
    "signals.py:semaphore_counts": [True, True, False, False, True, True, False],
    "signals.py:semaphore_bad_arguments": [
        "ValueError: semaphore initial value must be >= 0",
        "ValueError: can't specify timeout for non-blocking acquire",
        "ValueError: n must be one or more", False],
    "signals.py:bounded_semaphore_too_many": ["ValueError: Semaphore released too many times"] * 2,
    "signals.py:event_basics": [False, False, False, True, True, True, False, False],
    "signals.py:event_pulse_wakes_waiter": [True],
    "signals.py:barrier_reset_while_waiting": [["broken", "broken"], False, 0],
    "signals.py:barrier_indices_and_action": [[0, 0, 1, 1, 2, 2], ["tripped", "tripped"], 3, 0,
                                              False],
    "signals.py:barrier_abort": [["BrokenBarrierError", "BrokenBarrierError"], True,
                                 "BrokenBarrierError: "],
    "signals.py:barrier_timeout_breaks": ["BrokenBarrierError: ", True, False],
    "signals.py:barrier_action_raises": [["BrokenBarrierError: ", "ValueError: action failed"],
                                         True],
    # queue and concurrent.futures
    "queues_api.py:queue_timeouts": [
        "Empty: ", "Empty: ", "Empty: ", True, 1, "Full: ", "Full: ", "Full: ", "a", True,
        "ValueError: 'timeout' must be a non-negative number",
        "ValueError: 'timeout' must be a non-negative number"],
    "queues_api.py:queue_task_done_join": [
        [0, 1, 2], "ValueError: task_done() called too many times"],
    "queues_api.py:lifo_and_priority": [[1, 3, 2], [1, 2, 3], "Empty: ", "Empty: "],
    "queues_api.py:simple_queue": [
        True, "Empty: ", "Empty: ", "ValueError: 'timeout' must be a non-negative number",
        2, 1, 2, True, ["handed over"]],
    "queues_api.py:executor_submit_and_map": [[0, 1, 4, 9], [0, 1, 4, 9, 16], [True] * 4],
    "queues_api.py:executor_exceptions": [
        "ValueError: bad input 7", "ValueError", "bad input 7", "ValueError: bad input 1"],
    "queues_api.py:executor_shutdown": [
        [0, 1, 4], "RuntimeError: cannot schedule new futures after shutdown", "submit"],
    "queues_api.py:executor_without_shutdown": [0, 1, 4],
    "queues_api.py:executor_worker_names": ["crew_0"],
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("target", sorted(LITERAL))
def test_literal_answers(kit, target):
    result, seen = kit.observe(target)
    assert result.ok, result.report()
    assert seen == [LITERAL[target]]


@pytest.mark.timeout(60)
def test_stand_ins_are_what_the_program_sees():
    """Inside a run, threading's names are the engine's; outside, the real ones."""
    import threading

    from graders.engine import Settings, explore

    seen = {}

    def entry() -> None:
        seen["lock"] = type(threading.Lock()).__module__
        seen["thread"] = threading.current_thread().name

    result = explore(entry, [], Settings(schedules=1))
    assert result.ok, result.report()
    assert seen == {"lock": "graders.engine.primitives", "thread": "MainThread"}
