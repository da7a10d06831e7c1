"""ipc: processes that talk through a pipe and queues, share one counter and one segment,
and make remote calls over a socket.

The student's processes run as the engine's controlled processes (``Processes``): each has
its own copy of pipeline.py, arguments and messages are pickled, and every receive, send,
get and join is a wait the scheduler knows, so a protocol deadlock is found on the schedules
that show it and reported as a cycle between processes.

Every pipe (and the pipe behind each queue) holds only PIPE_ROOM bytes in these checks, a
few small messages, so that a pipe fills as quickly as it does on a real machine with big
data (64 KiB): a protocol that relies on the pipe's room (send everything, then read; join
a worker before reading what it put) fails here on every machine, not only with big data.

The socket checks run with the engine's TCP stand-ins (:mod:`graders.engine.sockets`): each
direction of a connection holds PIPE_ROOM bytes too, and the bytes of a message arrive a few
at a time on the schedules that switch while they are sent, so "one recv() is one message"
fails on those schedules; :func:`partial_reads` says whether a wrong answer came from one.

Each check draws its scenario from the schedule's seeded ``random``, so a replay token
rebuilds the same numbers, texts and team sizes.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    Processes,
    Settings,
    explore,
    fail,
    partial_reads,
    segments_left,
)

from . import check
from .support import require, student_file

#: How many bytes a pipe holds in these checks (a small int pickles to about 5).
PIPE_ROOM = 16

_WORDS = ("ships", "carry", "boxes", "across", "the", "sea", "at", "night")


def _explore(folder: Path, settings: Settings, scenario: Callable[[Any], None],
             sockets: bool = False) -> Exploration:
    return explore(scenario, [student_file(folder, "pipeline.py")], settings,
                   processes=Processes(pipe_capacity=PIPE_ROOM, sockets=sockets))


def _rng() -> random.Random:
    return random.Random(random.getrandbits(32))


def _still_running(what: str) -> None:
    alive = [p.name for p in multiprocessing.active_children()]
    if alive:
        fail(Bug.WORKERS_NOT_STOPPED,
             f"{what} returned while {', '.join(alive)} still ran: wait for every process "
             "you started to end (join it) before you return.")


def _let_processes_end() -> None:
    """Give each process still running a moment to end. A server that crashed closed the
    connection on its way out: its own traceback, not the connection its client lost, is
    then what the report shows, whichever of the two the schedule ran first."""
    for process in multiprocessing.active_children():
        process.join(timeout=1)


def _texts(rng: random.Random, n: int) -> list[str]:
    """``n`` texts of different lengths (1 to n words), shuffled."""
    sizes = list(range(1, n + 1))
    rng.shuffle(sizes)
    return [" ".join(rng.choice(_WORDS) for _ in range(k)) for k in sizes]


@check("ipc")
def squares_answered(folder: Path, settings: Settings) -> Exploration:
    """squares(numbers): every square, in order, and the server has ended."""

    def scenario(module: Any) -> None:
        squares = require(module, "squares", ["numbers"])
        rng = _rng()
        numbers = [rng.randint(-20, 20) for _ in range(rng.choice((0, 1, 3, 8)))]
        got = squares(numbers)
        want = [n * n for n in numbers]
        if got != want:
            fail(Bug.WRONG_RESULT, f"squares({numbers}) returned {got}; the squares are "
                 f"{want}.")
        _still_running(f"squares({numbers})")

    return _explore(folder, settings, scenario)


@check("ipc")
def workers_stop(folder: Path, settings: Settings) -> Exploration:
    """count_words(texts, workers): returns, with every worker ended, for 1 to 3 workers."""

    def scenario(module: Any) -> None:
        count_words = require(module, "count_words", ["texts", "workers"])
        rng = _rng()
        workers = rng.choice((1, 2, 3))
        texts = _texts(rng, rng.choice((0, 1, 4)))
        count_words(texts, workers)
        _still_running(f"count_words() with {workers} workers")

    return _explore(folder, settings, scenario)


@check("ipc")
def counts_in_order(folder: Path, settings: Settings) -> Exploration:
    """count_words(texts, workers): each text's number of words, in the order of the texts,
    whatever order the workers finish in."""

    def scenario(module: Any) -> None:
        count_words = require(module, "count_words", ["texts", "workers"])
        rng = _rng()
        # (mostly 3 workers and 6 texts: 588 of the 720 orders their results may come back
        # in put a count inserted at its index into a growing list in the wrong place; with
        # 3 texts 1 of 6 does, and the schedules give the in-order one most often)
        workers, n = rng.choice(((2, 2), (2, 3), (3, 6), (3, 6), (3, 6)))
        texts = _texts(rng, n)
        got = count_words(texts, workers)
        want = [len(t.split()) for t in texts]
        if got != want:
            fail(Bug.WRONG_RESULT, f"count_words() returned {got} for texts of {want} words "
                 f"({workers} workers): each count belongs at its text's place.")

    return _explore(folder, settings, scenario)


@check("ipc")
def tally_exact(folder: Path, settings: Settings) -> Exploration:
    """tally(processes, times): the shared total counts every addition."""

    def scenario(module: Any) -> None:
        tally = require(module, "tally", ["processes", "times"])
        rng = _rng()
        processes, times = rng.choice((2, 3)), rng.choice((1, 2, 3))
        got = tally(processes, times)
        if got != processes * times:
            fail(Bug.LOST_UPDATE, f"Lost update: {processes} processes added one {times} "
                 f"times each, so the total should be {processes * times}; tally() returned "
                 f"{got}.")

    return _explore(folder, settings, scenario)


@check("ipc")
def segment_squares(folder: Path, settings: Settings) -> Exploration:
    """shared_squares(n, processes): every place of the segment written, for n not a
    multiple of processes too."""

    def scenario(module: Any) -> None:
        shared_squares = require(module, "shared_squares", ["n", "processes"])
        rng = _rng()
        processes = rng.choice((1, 2, 3))
        n = rng.choice((0, 1, 5, 7))
        got = shared_squares(n, processes)
        want = [i * i % 256 for i in range(n)]
        if got != want:
            fail(Bug.WRONG_RESULT, f"shared_squares({n}, {processes}) returned {got}; the "
                 f"squares are {want}: every place must be written by one of the processes.")

    return _explore(folder, settings, scenario)


@check("ipc")
def segment_released(folder: Path, settings: Settings) -> Exploration:
    """shared_squares(n, processes): no shared memory segment is left once it returns."""

    def scenario(module: Any) -> None:
        shared_squares = require(module, "shared_squares", ["n", "processes"])
        rng = _rng()
        n, processes = rng.choice((0, 1, 4)), rng.choice((1, 2))   # n = 0 still makes one
        shared_squares(n, processes)
        left = segments_left()
        if left:
            fail(Bug.SEGMENT_LEFT, f"shared_squares({n}, {processes}) returned, and the shared "
                 f"memory segment {', '.join(left)} is still there: a segment outlives every "
                 "process until one of them unlinks it.")

    return _explore(folder, settings, scenario)


def _call(pairs: list[tuple[int, int]]) -> str:
    """How a report names the call: remote_sums([(1, 2), (3, 4), ...]) for a long list."""
    shown = ", ".join(map(str, pairs[:3])) + (", ..." if len(pairs) > 3 else "")
    return f"remote_sums([{shown}])" + (f" ({len(pairs)} pairs)" if len(pairs) > 3 else "")


def _remote_sums(module: Any, pairs: list[tuple[int, int]]) -> list[int]:
    """remote_sums(pairs), with a refused connection named as the bug it is."""
    remote_sums = require(module, "remote_sums", ["pairs"])
    try:
        got: list[int] = remote_sums(pairs)
    except ConnectionRefusedError:
        fail(Bug.CONNECTION_REFUSED, f"{_call(pairs)} connected before the server listened, "
             "and the connection was refused (ConnectionRefusedError).")
    return got


def _split() -> str:
    """The first message of the run that a recv() split, in a sentence."""
    return f"In this schedule a message arrived in pieces: {partial_reads()[0]}."


@check("ipc")
def sums_answered(folder: Path, settings: Settings) -> Exploration:
    """remote_sums(pairs): every sum, in order, however the answers' bytes arrive."""

    def scenario(module: Any) -> None:
        rng = _rng()
        pairs = [(rng.randint(-20, 20), rng.randint(-20, 20))
                 for _ in range(rng.choice((2, 3, 12)))]
        want = [a + b for a, b in pairs]
        try:
            got = _remote_sums(module, pairs)
        except ValueError as exc:
            if partial_reads():
                fail(Bug.PARTIAL_MESSAGE, f"{_call(pairs)} raised ValueError: {exc}. "
                     f"{_split()}")
            raise
        except ConnectionError as exc:
            _let_processes_end()
            fail(Bug.STOPPED_EARLY, f"{_call(pairs)} lost its connection "
                 f"({type(exc).__name__}: {exc}): the server closed its end while the "
                 "client still had requests to send.")
        if got != want:
            fail(Bug.PARTIAL_MESSAGE if partial_reads() else Bug.WRONG_RESULT,
                 f"{_call(pairs)} returned {got}; the sums are {want}."
                 + (f" {_split()}" if partial_reads() else ""))

    return _explore(folder, settings, scenario, sockets=True)


@check("ipc")
def rpc_session(folder: Path, settings: Settings) -> Exploration:
    """remote_sums(pairs): connects once the server listens, closes, the server has ended."""

    def scenario(module: Any) -> None:
        rng = _rng()
        pairs = [(rng.randint(0, 9), rng.randint(0, 9))]
        _remote_sums(module, pairs)
        _still_running(_call(pairs))

    return _explore(folder, settings, scenario, sockets=True)
