"""Bad input never hangs the engine, and no OS thread outlives an exploration.

No assertion here looks at the wall clock; the timeout marks are only a backstop that turns
a hang into a failure.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
import time
import types
from typing import Any

import pytest

from graders.engine import BugClass, Settings, explore, primitives

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("scenario", ["threads_start_threads", "daemons_left_running",
                                      "never_joined", "huge_sleeps", "unfinished_executor"])
def test_untidy_but_correct_programs_pass(kit, scenario, no_stray_threads):
    result = kit.explore(f"untidy.py:{scenario}", schedules=40)
    assert result.ok, result.report()
    assert result.schedules_run == 40
    no_stray_threads()


@pytest.mark.parametrize(("target", "settings", "bug"), [
    ("endless.py:main", {"max_steps": 1000}, BugClass.LIVELOCK),
    ("endless.py:main_spins", {"max_steps": 1000}, BugClass.LIVELOCK),
    ("worker_errors.py:deep_recursion", {}, BugClass.EXCEPTION),
    ("worker_errors.py:deep_recursion_in_main", {}, BugClass.EXCEPTION),
    ("philosophers.py:main", {}, BugClass.DEADLOCK),
    ("cannot_exit.py:main", {}, BugClass.CANNOT_EXIT),
    ("self_deadlock.py:in_worker", {}, BugClass.SELF_DEADLOCK),
    ("if_not_while.py:main", {}, BugClass.EXCEPTION),
], ids=lambda v: v if isinstance(v, str) else "")
def test_failing_programs_end_with_a_verdict_and_leave_no_thread(kit, target, settings, bug,
                                                                   no_stray_threads):
    result = kit.explore(target, schedules=30, **settings)
    assert result.failure is not None and result.failure.bug_class == bug, result.report()
    no_stray_threads()


def test_an_endless_loop_ends_by_the_step_budget_not_the_watchdog(kit):
    """With the watchdog far away, only the step budget can end these runs."""
    for target in ("endless.py:main", "endless.py:main_spins"):
        result = kit.explore(target, schedules=3, max_steps=300, watchdog=3600)
        assert result.failure.bug_class == BugClass.LIVELOCK, result.report()


def test_many_explorations_in_a_row_leave_no_thread(kit, no_stray_threads):
    for target in ("lost_update.py:main", "philosophers.py:main", "untidy.py:never_joined",
                   "queues_api.py:executor_without_shutdown", "cannot_exit.py:main"):
        kit.explore(target, schedules=20)
    no_stray_threads()


def test_threads_left_blocked_at_a_verdict_are_released(kit, no_stray_threads):
    """A deadlock leaves three philosophers and the main thread parked on the engine's
    gates; each must be woken and unwound once the verdict is in."""
    frames_before = len(sys._current_frames())
    result = kit.explore("philosophers.py:main", schedules=200)
    assert result.failure.bug_class == BugClass.DEADLOCK
    no_stray_threads()
    assert len(sys._current_frames()) <= frames_before


def test_nested_explorations_are_refused():
    inner = {}

    def entry() -> None:
        try:
            explore(lambda: None, [], Settings(schedules=1))
        except RuntimeError as exc:
            inner["error"] = str(exc)

    result = explore(entry, [], Settings(schedules=1))
    assert result.ok, result.report()
    assert inner == {"error": "explorations do not nest"}


def test_the_test_process_threads_are_untouched(kit):
    """The exploring thread is a real thread before and after, with its real name."""
    me = threading.current_thread()
    kit.explore("lost_update.py:main", schedules=5)
    assert threading.current_thread() is me
    assert me.name == threading.main_thread().name == "MainThread"


@pytest.mark.parametrize(("scenario", "bug"), [("daemon_at_exit", None),
                                               ("worker_outlives_a_failure", "assertion")])
def test_a_thread_that_catches_everything_cannot_hold_up_the_run(kit, scenario, bug):
    """A bare 'except:' in a loop also catches the exception that ends a thread when the
    run is over. The run must still end at once (the watchdog is far away here), with the
    right verdict, and such a thread must never run the program's code again: it is parked
    inside the engine (the only OS thread an exploration may leave behind)."""
    before = set(sys._current_frames())
    result = kit.explore(f"swallower.py:{scenario}", schedules=20, watchdog=3600)
    assert (result.failure.bug_class if result.failure else None) == bug, result.report()

    def running_code() -> list[str]:
        """Where the OS threads that appeared since the start are, unless parked."""
        return [f"{f.f_code.co_filename}:{f.f_lineno}"
                for i, f in sys._current_frames().items()
                if i not in before and f.f_code.co_name != "park_forever"]

    for _ in range(250):        # threads that are still ending need a moment
        if not running_code():
            break
        time.sleep(0.02)
    assert not running_code()


def test_threads_outside_the_run_still_get_real_answers():
    """While the stand-ins are installed, a thread the engine does not control (a real pool's
    worker finishing, a library's helper thread) still asks threading who it is."""
    go, done = threading.Event(), threading.Event()     # real ones: made before exploring
    seen = {}

    def bystander() -> None:
        go.wait()
        try:
            seen["ident"] = threading.get_ident() == me
            seen["current"] = threading.current_thread().name
            seen["main"] = threading.main_thread().name
            seen["enumerate"] = "bystander" in [t.name for t in threading.enumerate()]
            seen["count"] = threading.active_count() >= 2
        finally:
            done.set()

    me = None
    t = threading.Thread(target=bystander, name="bystander")
    t.start()
    me = t.ident

    def entry() -> None:
        go.set()
        done.wait(30)       # a real wait, outside the engine's control, and short

    result = explore(entry, [], Settings(schedules=1, watchdog=60))
    t.join()
    assert result.ok, result.report()
    assert seen == {"ident": True, "current": "bystander", "main": "MainThread",
                    "enumerate": True, "count": True}


def test_a_run_stuck_in_a_python_loop_outside_the_code_under_test_fails():
    """The watchdog: no step for its time is a run stuck outside the engine (here a loop in
    code that is not under test). Its thread is told to unwind, and the run fails."""
    runs: list[int] = []

    def entry() -> None:
        runs.append(1)
        while True:
            pass

    result = explore(entry, [], Settings(schedules=5, watchdog=0.5))
    assert result.failure is not None and result.failure.bug_class == BugClass.BLOCKED_OUTSIDE
    assert "made no progress for 0.5s" in result.failure.message
    assert runs == [1]


def test_a_run_stuck_for_good_outside_the_engine_still_ends_the_exploration():
    """A call that no exception reaches (a real lock's acquire, in C) never comes back: the
    exploration reports the run as stuck all the same, and the thread it leaves behind
    makes no other run once the call returns after all."""
    held = threading.Lock()          # made before exploring: a real lock
    held.acquire()
    runs: list[int] = []

    def entry() -> None:
        runs.append(1)
        held.acquire()

    try:
        result = explore(entry, [], Settings(schedules=5, watchdog=0.5))
        assert result.failure is not None
        assert result.failure.bug_class == BugClass.BLOCKED_OUTSIDE
        assert result.schedules_run == 1
        # The process goes on exploring while that thread is still stuck (a check after it).
        assert explore(lambda: None, [], Settings(schedules=3)).ok
    finally:
        held.release()
    time.sleep(0.5)                  # (the thread comes back now, and stops)
    assert runs == [1]


def test_a_runs_greenlets_lead_to_none_of_the_searchs_frames():
    """The search runs on the thread that hosts its runs' greenlets, in a greenlet of its
    own: walking up from a controlled thread's greenlet (``.parent``, ``.gr_frame``,
    ``.f_back``) meets the host, never the explorer's frames, whose locals hold the runs
    and their verdicts."""
    import greenlet

    seen: list[str] = []

    def entry() -> None:
        g = greenlet.getcurrent().parent
        while g is not None:
            frame = g.gr_frame
            while frame is not None:
                seen.append(frame.f_code.co_filename)
                frame = frame.f_back
            g = g.parent

    assert explore(entry, [], Settings(schedules=2)).ok
    assert not [f for f in seen if f.endswith("explorer.py")], seen


def test_an_object_left_by_an_earlier_run_cannot_touch_a_later_one(kit):
    """The garbage collector may finalize a run's unfinished generator (as_completed() left
    by an exception) while a later run is under way: its `finally` used to take the earlier
    run's lock in the later run and park the thread there, a self-deadlock nobody wrote. Now
    that operation is refused with an error of its own, and the later run goes on."""
    left: list[Any] = []
    refused: list[str] = []

    def entry(module: Any) -> None:
        helper = threading.Thread(target=len, args=((),))    # a choice: not the only run
        helper.start()
        helper.join()
        if not left:
            left.append(module.unfinished_generator())
            return
        try:
            left.pop().close()         # what a finalizer does
        except RuntimeError as exc:
            refused.append(str(exc))

    result = explore(entry, [kit.programs / "leftovers.py"], Settings(schedules=2))
    assert result.ok, result.report()
    assert refused == ["Lock was made in an earlier run of the program and cannot be used in "
                       "this one (an object of that run finalized late, such as a generator "
                       "left unfinished, reached it)"]


def test_late_finalizers_of_earlier_runs_are_refused_quietly(kit, monkeypatch):
    """A program that leaves as_completed() unfinished in every run: the garbage collector
    finalizes each one later (in a later run, or when the exploration ends), and the
    refusal of its lock says nothing on the student's screen."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    result = kit.explore("leftovers.py:as_completed_left_by_an_error", schedules=30)
    assert result.ok, result.report()
    assert unraisable == []


def test_a_finalizer_the_collector_runs_is_never_interrupted(kit, monkeypatch):
    """The garbage collector runs a program's ``__del__`` in whichever thread allocated
    when it started: no switch may land inside it (another thread saw it half done, and
    "Exception ignored in __del__" tracebacks reached the screen). The same holds for the
    ``__del__`` of an object an earlier run left in a cycle, which a later run's allocation
    frees (a correct data_race basket with one failed a check now and then)."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    result = kit.explore("leftovers.py:finalizers_run_whole", schedules=100)
    assert result.ok, result.report()
    assert unraisable == []


def test_a_late_finalizer_that_turns_the_refusal_into_another_error_is_quiet_too(
        kit, monkeypatch):
    """Code that catches the refusal and raises something else (a check's harness makes
    any exception a verdict) fails for the same reason: nothing of it on the screen (on
    3.12+ the asyncio checks' coroutines were closed this way, sixteen tracebacks a case)."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    result = kit.explore("leftovers.py:judged_late", schedules=30)
    assert result.ok, result.report()
    assert unraisable == []


def test_leftovers_of_an_earlier_exploration_are_finalized_inside_a_later_one(kit, monkeypatch):
    """A run can outlive its exploration (here the caller keeps an error whose traceback
    holds the run's unfinished as_completed()); once it is dropped, its generator is garbage
    that only the collector frees. The next exploration finalizes it while its stand-ins are
    installed, quietly, and leaves none of it for a collection outside any exploration (one
    that ran inside ast.parse broke 3.11's parser in CI)."""
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    kept: list[Any] = []

    def keep(module: Any) -> None:
        if not kept:
            kept.append(module.as_completed_left_by_an_error())

    assert explore(keep, [kit.programs / "leftovers.py"], Settings(schedules=1)).ok
    assert kept, "the program left no error to keep"
    kept.clear()       # garbage now, in a reference cycle
    assert explore(lambda module: None, [kit.programs / "leftovers.py"],
                   Settings(schedules=1)).ok
    gc.collect()       # outside any exploration
    assert unraisable == []


RACY_ADD = (
    "def add(box, n):\n"
    "    {prologue}\n"
    "    for _ in range(n):\n"
    "        box[0] += 1\n\n"
    "def main():\n"
    "    box = [0]\n"
    "    threads = [threading.Thread(target={target}, args=(box, 3)) for _ in range(2)]\n"
    "    for t in threads:\n"
    "        t.start()\n"
    "    for t in threads:\n"
    "        t.join()\n"
    "    assert box[0] == 6, f'Lost update: counted {{box[0]}}'\n")

UNTRACED = {
    # a function of the program's code run with a library module's globals
    "foreign_globals": ("import threading, collections\n", "pass",
                        "type(add)(add.__code__, vars(collections), 'add')"),
    # the racy loop compiled under a name the standard library's frozen modules have
    "frozen_name": ("import threading\nexec(compile('def add2(box, n):\\n    for _ in "
                    "range(n):\\n        box[0] += 1\\n', '<frozen shop>', 'exec'))\n",
                    "pass", "add2"),
    # sys.settrace(None) in the thread (3.11 explores through sys.settrace)
    "settrace_off": ("import threading, sys\n", "sys.settrace(None)", "add"),
    # the standard library's debugger switches tracing off on every frame of the stack
    "bdb_continue": ("import threading, bdb\n",
                     "d = bdb.Bdb(); d.botframe = None; d.set_continue()", "add"),
}


@pytest.mark.parametrize("trick", sorted(UNTRACED))
def test_code_under_test_cannot_step_out_of_the_engines_view(tmp_path, trick):
    """Racy code that escapes tracing would make every update atomic, and pass: run with
    a library's globals it is still traced (by its code); with tracing switched off, the
    run fails saying so (3.11), or the switch changes nothing (3.12+: sys.monitoring)."""
    header, prologue, target = UNTRACED[trick]
    racy = tmp_path / "racy.py"
    racy.write_text(header + RACY_ADD.format(prologue=prologue, target=target))
    result = explore(lambda module: module.main(), [racy], Settings(schedules=50))
    assert result.failure is not None, result.report()
    message = result.failure.message
    assert "Lost update" in message or "switched off the engine's view" in message, message


@pytest.mark.parametrize("disguise", ["threading.__file__", "scheduler_file"])
def test_a_program_that_names_a_library_as_its_file_is_still_traced(tmp_path, disguise):
    """A module under test that sets its ``__file__`` to a library's, or the engine's own,
    must not pass for one (a frame is judged by its code, whatever its module claims):
    its lost update is still found."""
    from graders.engine import scheduler

    value = repr(scheduler.__file__) if disguise == "scheduler_file" else disguise
    racy = tmp_path / "racy.py"
    racy.write_text(f"import threading\n__file__ = {value}\n"
                    + RACY_ADD.format(prologue="pass", target="add"))
    result = explore(lambda module: module.main(), [racy], Settings(schedules=50))
    assert result.failure is not None, result.report()
    assert "Lost update" in result.failure.message


def test_a_ctrl_c_that_lands_in_a_finalizer_is_delivered_again():
    """Between runs the collector finalizes earlier runs' leftovers in the main thread; a
    Ctrl-C handled in there raises inside the finalizer, where Python only reports it. The
    stand-ins' unraisable hook hands it to the main thread again (else `graders explore`
    went on after Ctrl-C, seen once in CI)."""
    hook = primitives.quiet_finalizers(lambda unraisable: pytest.fail("reported, not kept"))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            hook(types.SimpleNamespace(exc_value=KeyboardInterrupt(), object=None))
            for _ in range(10_000):      # (a pending signal is raised at the next check)
                time.sleep(0)
    finally:
        signal.signal(signal.SIGINT, previous)
