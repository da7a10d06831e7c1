"""Controlled processes and MPI ranks: each protocol deadlock found as a named wait-for cycle
and replayed by its token, the unlocked shared counter's lost update found, the correct
programs passing over many schedules, and processes that share nothing by default.

The programs are ``programs/ipc_protocols.py`` (multiprocessing) and
``programs/mpi_protocols.py`` (mpi4py, ranks started by :func:`graders.engine.mpi.mpiexec`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import sys

import pytest

from graders.engine import BugClass, Processes, Settings, explore, segments_left
from graders.engine.mpi import mpiexec

pytestmark = pytest.mark.timeout(300)

IPC = "ipc_protocols.py"
MPI = "mpi_protocols.py"


def _explore(kit, file, function, size=None, replay=None, schedules=200, **options):
    """``function`` of ``file`` as the main process (or on ``size`` MPI ranks)."""
    def entry(module):
        target = getattr(module, function)
        return mpiexec(target, size) if size else target()

    settings = Settings(schedules=schedules, replay=replay)
    return explore(entry, [kit.programs / file], settings,
                   processes=Processes(mpi=size is not None, **options))


def _found(kit, file, function, size=None, **options):
    """The failure found, checked to replay by its token with the same words."""
    result = _explore(kit, file, function, size, **options)
    f = result.failure
    assert f is not None, f"{function}: no failure in {result.schedules_run} schedules"
    again = _explore(kit, file, function, size, replay=f.token, **options)
    assert again.failure is not None, again.report()
    assert (again.failure.message, again.failure.details) == (f.message, f.details)
    return result, f


# ------------------------------------------------------------------ pipes and queues
def test_both_ends_receiving_first_is_a_cycle_between_the_processes(kit):
    result, f = _found(kit, IPC, "recv_recv")
    assert f.bug_class == BugClass.DEADLOCK
    assert result.schedules_run == 1       # every schedule deadlocks: the first one shows it
    assert f.message == ("Deadlock: MainProcess -> Process-1 -> MainProcess each wait for "
                         "the next, in a cycle.")
    lines = f.details.splitlines()
    assert lines[0].startswith("MainProcess waits to receive on the Connection made at "
                               "ipc_protocols.py:45, which only Process-1 can send to")
    assert lines[1] == ("Process-1 waits to receive on Process-1's argument 1, which only "
                        "MainProcess can send to.")


def test_both_ends_sending_first_deadlocks_only_when_a_send_waits_for_its_receive(kit):
    assert _explore(kit, IPC, "send_send").ok      # small messages fit in the pipe
    _, f = _found(kit, IPC, "send_send", pipe_capacity=0)
    assert f.bug_class == BugClass.DEADLOCK
    assert "MainProcess -> Process-1 -> MainProcess" in f.message
    assert ("Process-1 waits to send on Process-1's argument 1: the pipe is full (19 bytes "
            "unread) and only MainProcess can read from it.") in f.details.splitlines()


def test_a_writer_blocked_on_a_full_pipe_while_its_reader_joins_it(kit):
    _, f = _found(kit, IPC, "join_then_recv")
    assert f.bug_class == BugClass.DEADLOCK
    assert f.details.splitlines() == [
        "MainProcess waits for Process-1 to finish (join).",
        "Process-1 waits to send on Process-1's argument 1: the pipe is full (100009 bytes "
        "unread) and only MainProcess can read from it."]


def test_a_process_cannot_end_before_its_big_queue_items_are_read(kit):
    _, f = _found(kit, IPC, "queue_join_then_get")
    assert f.message == ("Deadlock: MainProcess -> Process-1 -> MainProcess each wait for "
                         "the next, in a cycle.")
    assert f.details.splitlines()[1] == (
        "Process-1 has finished but cannot exit: what it put on Process-1's argument 1 does "
        "not fit in the queue's pipe (100009 bytes unread), and a process waits for its "
        "queue items to be read before it ends; only MainProcess can read them.")


def test_a_reader_sees_eof_once_every_writing_end_is_closed(kit):
    _, f = _found(kit, IPC, "eof_never_comes")
    assert f.message == ("Deadlock: MainProcess -> Process-1 -> MainProcess each wait for "
                         "the next, in a cycle.")
    assert ("Process-1 waits to receive on Process-1's argument 1, which only MainProcess can "
            "send to.") in f.details.splitlines()


def test_poll_says_whether_a_message_waits(kit):
    seen = []

    def entry(module):
        seen.append(module.poll_with_timeout())

    assert explore(entry, [kit.programs / IPC], Settings(schedules=5),
                   processes=Processes()).ok
    assert seen and seen == [(False, True, "x", False)] * len(seen)


def test_workers_never_told_to_stop_keep_their_manager_waiting(kit):
    _, f = _found(kit, IPC, "missing_stop")
    assert f.bug_class == BugClass.DEADLOCK
    assert f.message.startswith("Deadlock: MainProcess -> Process-")
    assert ("waits to get from Process-1's argument 1, which is empty; only MainProcess "
            "and Process-2 can put into it.") in f.details


def test_an_unlocked_shared_value_loses_updates_between_processes(kit):
    _, f = _found(kit, IPC, "unlocked_counter")
    assert f.bug_class == BugClass.ASSERTION
    assert "Lost update: 2 processes added 2 each, counted " in f.message
    assert "counter.value += 1" in f.interleaving


# ------------------------------------------------------------------ MPI
def test_head_to_head_sends_deadlock_on_every_schedule_under_rendezvous(kit):
    result, f = _found(kit, MPI, "head_to_head", size=2)
    assert result.schedules_run == 1
    assert f.message == "Deadlock: rank 0 -> rank 1 -> rank 0 each wait for the next, in a cycle."
    assert f.details.splitlines()[:2] == [
        "rank 0 waits to send to rank 1 (tag 0) until rank 1 receives it: a blocking send "
        "may wait for its receive.",
        "rank 1 waits to send to rank 0 (tag 0) until rank 0 receives it: a blocking send "
        "may wait for its receive."]
    # buffered small messages hide the bug, as real MPI's eager protocol does
    assert _explore(kit, MPI, "head_to_head", size=2, eager_limit=1000).ok


def test_both_ranks_receiving_first(kit):
    _, f = _found(kit, MPI, "both_receive", size=2)
    assert f.details.splitlines()[:2] == ["rank 0 waits to receive from rank 1.",
                                          "rank 1 waits to receive from rank 0."]


def test_a_collective_called_by_one_rank_only_is_a_mismatch(kit):
    _, f = _found(kit, MPI, "bcast_only_at_root", size=3)
    assert f.bug_class == BugClass.COLLECTIVE_MISMATCH
    assert f.message.startswith("Collective mismatch: rank ")
    assert "called comm.gather(root=0) where rank 0 called comm.bcast(root=0)" in f.message


def test_a_collective_a_rank_never_reaches_names_that_rank(kit):
    _, f = _found(kit, MPI, "barrier_skipped", size=3)
    assert f.bug_class == BugClass.DEADLOCK
    for rank in (0, 1):
        assert (f"rank {rank} waits in comm.barrier(), collective call 1 of every rank, for "
                "rank 2 (rank 2 has ended without calling it).") in f.details.splitlines()


def test_a_manager_waiting_on_workers_in_a_fixed_order(kit):
    _, f = _found(kit, MPI, "manager_fixed_order", size=4)
    assert f.message == "Deadlock: rank 0 -> rank 3 -> rank 0 each wait for the next, in a cycle."
    assert f.details.splitlines()[:2] == ["rank 0 waits to receive from rank 3.",
                                          "rank 3 waits to receive from rank 0."]


def test_a_receive_from_a_rank_that_ended_says_so(kit):
    _, f = _found(kit, MPI, "manager_without_stop", size=3)
    assert f.bug_class == BugClass.DEADLOCK
    for rank in (1, 2):
        assert (f"rank {rank} waits to receive from rank 0, which has ended without sending "
                "it.") in f.details.splitlines()


def test_connection_wait_on_pipe_ends_returns_the_ready_ones(kit):
    seen = []

    def entry(module):
        seen.append((module.wait_on_two_pipes(), module.wait_with_a_timeout_for_nobody()))

    result = explore(entry, [kit.programs / IPC], Settings(schedules=50),
                     processes=Processes())
    assert result.ok, result.report()
    assert seen and all(got == ["left", "right"] and waited == [] for got, waited in seen)


def test_a_probe_for_a_message_nobody_sends_is_a_deadlock(kit):
    _, f = _found(kit, MPI, "probe_for_nobody", 2)
    assert f.bug_class == BugClass.DEADLOCK
    assert "rank 1, which has ended without sending it" in f.details


def test_a_request_never_completed_fails_its_rank(kit):
    """MPI needs every request completed before the program ends: an isend nobody waits
    for is the rank's error, named, even though the message got through."""
    _, f = _found(kit, MPI, "isend_never_waited", 2)
    assert f.bug_class == BugClass.EXCEPTION
    assert "ended with 1 request it never completed (isend() to rank" in f.message
    assert "req.wait()" in f.message


# ------------------------------------------------------------------ correct programs
CORRECT = [(IPC, "pingpong", None), (IPC, "wait_on_two_pipes", None),
           (IPC, "recv_then_join", None), (IPC, "with_stop", None),
           (IPC, "locked_counter", None), (IPC, "queue_get_then_join", None),
           (IPC, "eof_after_close", None), (IPC, "terminated", None),
           (MPI, "ordered_exchange", 2), (MPI, "nonblocking_exchange", 2), (MPI, "spmd_sum", 4),
           (MPI, "manager_any_order", 4), (MPI, "probe_then_receive", 3),
           (MPI, "iprobe_then_receive", 3), (MPI, "waitany_manager", 4),
           (MPI, "testall_exchange", 2)]


@pytest.mark.parametrize(("file", "function", "size"), CORRECT,
                         ids=[c[1] for c in CORRECT])
def test_correct_programs_pass(kit, file, function, size):
    result = _explore(kit, file, function, size, schedules=100)
    assert result.ok, result.report()


@pytest.mark.slow
@pytest.mark.parametrize(("file", "function", "size"), CORRECT,
                         ids=[c[1] for c in CORRECT])
def test_no_false_alarm_in_a_thousand_schedules(kit, file, function, size):
    result = _explore(kit, file, function, size, schedules=1000)
    assert result.ok, result.report()
    assert result.schedules_run == 1000


# ------------------------------------------------------------------ what a process is
def test_each_rank_is_a_process_of_its_own(kit):
    seen = []

    def entry(module):
        seen.extend(mpiexec(module.who_am_i, 3))

    assert explore(entry, [kit.programs / MPI], Settings(schedules=1),
                   processes=Processes(mpi=True)).ok
    assert [(rank, size) for rank, size, _ in seen] == [(0, 3), (1, 3), (2, 3)]
    assert len({pid for *_, pid in seen}) == 3


def test_collectives_on_buffers(kit):
    seen = []

    def entry(module):
        seen.append(mpiexec(module.spmd_sum_buffers, 4)[0])

    result = explore(entry, [kit.programs / MPI], Settings(schedules=20),
                     processes=Processes(mpi=True))
    assert result.ok, result.report()
    assert seen and seen == [([66, 12], [3, 12, 21, 30], [4])] * len(seen)


def test_exit_codes_and_process_subclasses(kit):
    seen = []

    def entry(module):
        seen.append(module.exit_codes())

    assert explore(entry, [kit.programs / IPC], Settings(schedules=5),
                   processes=Processes()).ok
    assert seen[0] == ([3, 0, 0], True)


def test_a_terminated_process_ends_where_it_stands(kit):
    seen = []

    def entry(module):
        seen.append(module.terminated())

    result = explore(entry, [kit.programs / IPC], Settings(schedules=50),
                     processes=Processes())
    assert result.ok, result.report()
    assert seen and seen == [(1, -15, False)] * len(seen)     # (runs known to repeat: one)


def test_a_shared_memory_segment_is_seen_by_name_and_outlives_processes_until_unlinked(kit):
    seen = []

    def entry(module):
        for function in ("segment_unlinked", "segment_left_behind"):
            seen.append((getattr(module, function)(), segments_left()))

    assert explore(entry, [kit.programs / IPC], Settings(schedules=3),
                   processes=Processes()).ok
    assert seen[:2] == [([1, 2, 3, 4], []),
                        ([1, 2, 3, 4], ["psm_00000002 (made at ipc_protocols.py:289 by "
                                        "MainProcess)"])]


def test_a_lambda_cannot_be_a_process_target_as_under_spawn(kit):
    result = _explore(kit, IPC, "lambda_target", schedules=1)
    assert result.failure is not None and result.failure.bug_class == BugClass.EXCEPTION
    # pickle's own words: "Can't pickle local object" up to 3.12, "Can't get" from 3.13
    assert re.fullmatch(r"MainProcess raised AttributeError: Can't (pickle|get) local "
                        r"object 'lambda_target\.<locals>\.<lambda>'", result.failure.message)


def test_the_stand_ins_are_installed_only_while_exploring_with_processes(kit):
    seen = {}

    def entry(module):
        seen["Process"] = multiprocessing.Process
        seen["pid"] = os.getpid()

    explore(entry, [kit.programs / IPC], Settings(schedules=1), processes=Processes(mpi=True))
    assert seen["pid"] == 1000
    assert seen["Process"] is not multiprocessing.Process     # a stand-in while it ran
    assert multiprocessing.Process.__module__ == "multiprocessing.context"
    assert os.getpid() != 1000
    assert "stand-in" not in getattr(sys.modules.get("mpi4py"), "__version__", "")
    plain = {}

    def without(module):
        plain["Process"] = multiprocessing.Process

    explore(without, [kit.programs / IPC], Settings(schedules=1))
    assert plain["Process"] is multiprocessing.Process


# ------------------------------------------------------------------ the real thing
_REAL = """
import faulthandler, multiprocessing, sys
faulthandler.dump_traceback_later({timeout}, exit=True)   # a stack dump, then exit, if stuck
multiprocessing.set_start_method({method!r})
sys.path.insert(0, {folder!r})
import ipc_protocols
print(repr(ipc_protocols.{function}()))
"""


@pytest.mark.parametrize("method", ["spawn", "fork"])
@pytest.mark.parametrize("function", [c[1] for c in CORRECT if c[0] == IPC])
def test_correct_programs_finish_on_real_processes(kit, function, method):
    """The second signal: the same code on real multiprocessing, under a hard timeout (each
    program starts at most two child processes)."""
    code = _REAL.format(timeout=60, method=method, folder=str(kit.programs),
                        function=function)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=kit.programs,
                             start_new_session=True)
    try:
        out, err = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)   # its children too: they may hold the pipes
        out, err = child.communicate()
        pytest.fail(f"{function} did not finish in 90 s on real processes:\n{err[-3000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 0, err[-3000:]
    assert out.strip() not in ("", "None"), out


# ------------------------------------------------------------------ fidelity
_FIDELITY = """
import json, multiprocessing, sys
multiprocessing.set_start_method("spawn")
sys.path.insert(0, {folder!r})
import ipc_api
print(json.dumps({{name: repr(getattr(ipc_api, name)()) for name in ipc_api.SCENARIOS}}))
"""


def test_the_stand_ins_say_what_multiprocessing_says(kit):
    """Each scenario of programs/ipc_api.py, under the engine and on real processes, gives
    the same values and the same errors."""
    import json

    mine = {}

    def entry(module):
        mine.update({name: repr(getattr(module, name)()) for name in module.SCENARIOS})

    result = explore(entry, [kit.programs / "ipc_api.py"], Settings(schedules=1),
                     processes=Processes())
    assert result.ok, result.report()
    child = subprocess.Popen([sys.executable, "-c", _FIDELITY.format(folder=str(kit.programs))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=kit.programs, start_new_session=True)
    try:
        out, err = child.communicate(timeout=90)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 0, err[-3000:]
    real = json.loads(out)
    real["processes"] = real["processes"].replace("'Process-1'", "'worker'")
    assert mine == real
