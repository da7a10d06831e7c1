"""TCP sockets on localhost between controlled processes: each classic protocol bug found on
an early schedule with its bug class and words, and replayed by its token; the correct
protocols passing over many schedules, and finishing on real processes and real sockets.

The programs are ``programs/socket_protocols.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from graders.engine import BugClass, Processes, Settings, explore, partial_reads
from graders.engine.ipc import installed
from graders.engine.processes import program_files

pytestmark = pytest.mark.timeout(300)

FILE = "socket_protocols.py"
#: how many bytes each direction of a connection holds in these tests
ROOM = 16
REAL_SOCKET = socket.socket


def _line(kit, function, text):
    """The line of ``text`` inside ``function`` of the program (reports name lines)."""
    lines = (kit.programs / FILE).read_text().splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"def {function}(")))
    return start + 1 + next(i for i, line in enumerate(lines[start:]) if text in line)


def _explore(kit, function, replay=None, schedules=200):
    settings = Settings(schedules=schedules, replay=replay)
    return explore(lambda module: getattr(module, function)(), [kit.programs / FILE],
                   settings, processes=Processes(pipe_capacity=ROOM, sockets=True))


def _found(kit, function):
    """The failure found, checked to replay by its token with the same words."""
    result = _explore(kit, function)
    f = result.failure
    assert f is not None, f"{function}: no failure in {result.schedules_run} schedules"
    again = _explore(kit, function, replay=f.token)
    assert again.failure is not None, again.report()
    assert (again.failure.message, again.failure.details) == (f.message, f.details)
    return result, f


def test_both_ends_receiving_first_is_a_cycle_between_the_processes(kit):
    result, f = _found(kit, "both_receive_first")
    assert f.bug_class == BugClass.DEADLOCK
    assert result.schedules_run == 1
    assert f.message == ("Deadlock: MainProcess -> Process-1 -> MainProcess each wait for "
                         "the next, in a cycle.")
    client = _line(kit, "both_receive_first", "create_connection")
    server = _line(kit, "greeting_server", "accept()")
    assert f.details.splitlines() == [
        f"MainProcess waits to receive from Process-1 on the socket made at "
        f"socket_protocols.py:{client} (port 40001): nothing has arrived, and Process-1 has "
        "not closed its end.",
        f"Process-1 waits to receive from MainProcess on the socket made at "
        f"socket_protocols.py:{server} (port 40001): nothing has arrived, and MainProcess "
        "has not closed its end."]


def test_a_client_that_never_closes_keeps_the_server_loop_waiting(kit):
    _, f = _found(kit, "never_closes")
    assert f.bug_class == BugClass.DEADLOCK
    server = _line(kit, "line_echo_server", "accept()")
    assert f.details.splitlines() == [
        "MainProcess waits for Process-1 to finish (join).",
        f"Process-1 waits to receive from MainProcess on the socket made at "
        f"socket_protocols.py:{server} (port 40001): nothing has arrived, and MainProcess "
        "has not closed its end."]


def test_an_end_kept_open_by_its_makefile_is_named_so(kit):
    _, f = _found(kit, "makefile_left_open")
    assert f.bug_class == BugClass.DEADLOCK
    server = _line(kit, "line_echo_server", "accept()")
    assert f.details.splitlines() == [
        "MainProcess waits for Process-1 to finish (join).",
        f"Process-1 waits to receive on the socket made at socket_protocols.py:{server} "
        "(port 40001): nothing has arrived, and the other end is still open: its socket was "
        "closed, but a makefile() of it (or a copy) never was."]


def test_both_ends_sending_more_than_the_connection_holds(kit):
    _, f = _found(kit, "send_all_then_read")
    assert f.bug_class == BugClass.DEADLOCK
    assert "the connection is full (16 bytes Process-1 has not read)" in f.details


@pytest.mark.parametrize("function", ["one_recv_per_message", "server_one_recv"])
def test_one_recv_taken_for_one_message_fails_on_an_early_schedule(kit, function):
    """The byte stream splits a message on the schedules that switch in the middle of a
    sendall; the sequential schedule never does, so the split is the strategy's choice."""
    result, f = _found(kit, function)
    assert f.bug_class == BugClass.ASSERTION
    assert 1 < result.schedules_run <= 10


def test_a_server_that_stops_early_closes_the_clients_stream(kit):
    _, f = _found(kit, "server_stops_early")
    assert f.bug_class == BugClass.EXCEPTION
    assert f.message.startswith("MainProcess raised ConnectionError: the connection closed "
                                "in the middle of a line")


def test_a_connect_before_the_server_listens_is_refused(kit):
    result, f = _found(kit, "connect_before_listen")
    assert f.bug_class == BugClass.EXCEPTION
    assert f.message.startswith("MainProcess raised ConnectionRefusedError: [Errno 111] "
                                "Connection refused")
    assert result.schedules_run <= 10


CORRECT = ["lines_echoed", "lines_through_makefile", "lines_through_text_files",
           "length_prefixed", "half_closed", "listener_made_by_the_parent"]


@pytest.mark.parametrize("function", CORRECT)
def test_correct_protocols_pass(kit, function):
    result = _explore(kit, function, schedules=100)
    assert result.ok, result.report()


@pytest.mark.slow
@pytest.mark.parametrize("function", CORRECT)
def test_no_false_alarm_in_a_thousand_schedules(kit, function):
    result = _explore(kit, function, schedules=1000)
    assert result.ok, result.report()
    assert result.schedules_run == 1000


def test_partial_reads_are_counted_for_a_check(kit):
    """A check can tell a wrong answer caused by a split message from any other."""
    counts = []

    def scenario(module):
        module.lines_echoed()
        counts.append(partial_reads())

    result = explore(scenario, [kit.programs / FILE], Settings(schedules=30),
                     processes=Processes(pipe_capacity=ROOM, sockets=True))
    assert result.ok, result.report()
    assert counts[0] == []                 # the sequential schedule splits nothing
    split = next(c for c in counts if c)[0]
    assert re.fullmatch(r"(MainProcess|Process-1)'s recv\(\) returned b'[^']+', part of the "
                        r"message b'[^']+' that (Process-1|MainProcess) sent", split), split


def test_the_stand_ins_are_installed_only_with_sockets(kit):
    made = []

    def scenario(module):
        made.append(type(module.socket.socket()).__module__)

    for sockets in (False, True):
        explore(scenario, [kit.programs / FILE], Settings(schedules=1),
                processes=Processes(sockets=sockets))
    assert made == ["socket", "graders.engine.sockets"]
    assert type(socket.socket()).__module__ == "socket"     # put back afterwards


def test_threads_outside_the_run_keep_real_sockets_while_it_runs():
    """While the stand-ins are installed, a thread the engine does not control (a cluster
    worker's own connections) gets a real socket, still an instance of ``socket.socket``."""
    with installed(program_files((), (), ()), Processes(sockets=True)):
        assert socket.socket is not REAL_SOCKET
        with socket.socket() as real, socket.create_server(("127.0.0.1", 0)) as server:
            assert type(real) is REAL_SOCKET and type(server) is REAL_SOCKET
            assert isinstance(real, socket.socket)
    assert socket.socket is REAL_SOCKET


def test_what_needs_a_file_descriptor_is_refused_saying_so(kit):
    """socketserver and xmlrpc.server wait with selectors: the grader cannot run them, and
    says so rather than failing somewhere inside the standard library."""
    result = _explore(kit, "socketserver_used", schedules=1)
    assert result.failure is not None
    assert result.failure.message.startswith(
        "MainProcess raised OSError: the grader's sockets have no file descriptor, so select, "
        "selectors and what is built on them (socketserver, xmlrpc.server, asyncio streams) "
        "cannot wait on them")


_REAL = """
import faulthandler, multiprocessing, sys
faulthandler.dump_traceback_later({timeout}, exit=True)   # a stack dump, then exit, if stuck
multiprocessing.set_start_method("spawn")
sys.path.insert(0, {folder!r})
import socket_protocols
print(repr(socket_protocols.{function}()))
"""


@pytest.mark.parametrize("function", CORRECT)
def test_correct_protocols_finish_on_real_processes_and_sockets(kit, function):
    """The second signal: the same code on real processes and real localhost sockets, under
    a hard timeout (each program starts one child process)."""
    code = _REAL.format(timeout=60, folder=str(kit.programs), function=function)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=kit.programs,
                             start_new_session=True)
    try:
        out, err = child.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        pytest.fail(f"{function} did not finish in 90 s on real processes:\n{err[-3000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 0, err[-3000:]
    assert out.strip() not in ("", "None"), out


def test_the_calls_say_what_real_sockets_say(kit):
    """Errors and results of the socket calls, under the engine and on real sockets."""
    seen = []
    result = explore(lambda module: seen.append(module.api_semantics()),
                     [kit.programs / FILE], Settings(schedules=1),
                     processes=Processes(pipe_capacity=ROOM, sockets=True))
    assert result.ok, result.report()
    code = (f"import sys; sys.path.insert(0, {str(kit.programs)!r}); import socket_protocols; "
            "print(socket_protocols.api_semantics())")
    real = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert repr(seen[0]) == real.stdout.strip()
