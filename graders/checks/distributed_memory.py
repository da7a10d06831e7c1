"""distributed_memory: MPI programs (mpi4py) run on the engine's ranks.

The student's cluster.py runs as ``mpiexec -n SIZE`` would run it: :func:`mpiexec` starts
SIZE controlled processes, each with its own copy of cluster.py, whose ``mpi4py.MPI`` is the
engine's stand-in. Every send, receive and collective is a wait the scheduler knows, so a
protocol deadlock is found on the schedules that show it and reported as a cycle between
ranks, and a collective some rank never calls names that rank.

Every blocking send here waits until its message is received (the engine's eager limit is
0): real MPI does that for large messages only (the rendezvous), so a program that works
only while its messages are small fails here on every machine, with any data.

Each check draws its scenario (the number of ranks, 1 to 4, and the data, of lengths that do
not divide evenly among the ranks, and empty) from the schedule's seeded ``random``, so a
replay token rebuilds the same scenario.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Processes, Settings, explore, fail, mpiexec

from . import check
from .support import require, student_file

_WORDS = ("ranks", "send", "blocks", "to", "each", "other", "over", "the", "network")


def _explore(folder: Path, settings: Settings, scenario: Callable[[Any], None]) -> Exploration:
    return explore(scenario, [student_file(folder, "cluster.py")], settings,
                   processes=Processes(mpi=True))


def _rng() -> random.Random:
    return random.Random(random.getrandbits(32))


def _numbers(rng: random.Random, n: int) -> list[int]:
    """``n`` numbers, none of them 0 (a dropped 0 would not change a sum of squares)."""
    return [rng.choice((-1, 1)) * rng.randint(1, 9) for _ in range(n)]


def _ranks(size: int) -> str:
    return "1 rank" if size == 1 else f"{size} ranks"


@check("distributed_memory")
def blocks_even(folder: Path, settings: Settings) -> Exploration:
    """blocks(items, parts): parts blocks, in order, covering every item, sizes within one."""

    def scenario(module: Any) -> None:
        blocks = require(module, "blocks", ["items", "parts"])
        for parts in (1, 2, 3, 4):
            for n in (0, 1, 2, 3, 5, 6, 7, 10, 11):
                items = list(range(n))
                got = blocks(items, parts)
                shown = f"blocks({items}, {parts}) returned {got}"
                if not isinstance(got, list | tuple) or len(got) != parts:
                    fail(Bug.WRONG_RESULT, f"{shown}: it should return {parts} blocks, one "
                         "per rank.")
                if [x for block in got for x in block] != items:
                    fail(Bug.WRONG_RESULT, f"{shown}: put together in order, the blocks "
                         "should give back every item once.")
                sizes = [len(block) for block in got]
                if max(sizes) - min(sizes) > 1:
                    fail(Bug.WRONG_RESULT, f"{shown}, of sizes {sizes}: the sizes should "
                         "differ by at most one, so that no rank has more work than the "
                         "others need.")

    return _explore(folder, settings, scenario)


@check("distributed_memory")
def spmd_total(folder: Path, settings: Settings) -> Exploration:
    """sum_of_squares(numbers) on 1 to 4 ranks: rank 0 returns the sum of the squares."""

    def scenario(module: Any) -> None:
        require(module, "sum_of_squares", ["numbers"])
        rng = _rng()
        size = rng.choice((1, 2, 3, 4))
        numbers = _numbers(rng, rng.choice((0, 1, 5, 7, 10)))
        got = mpiexec(module.sum_of_squares, size, numbers)[0]
        want = sum(x * x for x in numbers)
        if got != want:
            fail(Bug.WRONG_RESULT, f"On {_ranks(size)}, sum_of_squares({numbers}) returned "
                 f"{got!r} at rank 0; the sum of the squares is {want}.")

    return _explore(folder, settings, scenario)


@check("distributed_memory")
def swap_completes(folder: Path, settings: Settings) -> Exploration:
    """swap(numbers) on 1 to 4 ranks: every rank returns its partner's block."""

    def scenario(module: Any) -> None:
        require(module, "swap", ["numbers"])
        blocks = require(module, "blocks", ["items", "parts"])
        rng = _rng()
        size = rng.choice((1, 2, 3, 4))
        numbers = _numbers(rng, rng.choice((0, 4, 9)))
        cut = blocks(numbers, size)     # the student's own blocks: blocks_even judges them
        got = mpiexec(module.swap, size, numbers)
        want = [cut[r ^ 1] if r ^ 1 < size else cut[r] for r in range(size)]
        for rank, (theirs, right) in enumerate(zip(got, want, strict=True)):
            if theirs != right:
                fail(Bug.WRONG_RESULT, f"On {_ranks(size)}, swap({numbers}) returned "
                     f"{theirs!r} at rank {rank}; its partner's block is {right}.")

    return _explore(folder, settings, scenario)


def _texts(rng: random.Random, n: int) -> list[str]:
    """``n`` texts of different lengths (1 to n words), shuffled."""
    sizes = list(range(1, n + 1))
    rng.shuffle(sizes)
    return [" ".join(rng.choice(_WORDS) for _ in range(k)) for k in sizes]


@check("distributed_memory")
def workers_stop(folder: Path, settings: Settings) -> Exploration:
    """count_words(texts) on 1 to 4 ranks returns, and every rank ends."""

    def scenario(module: Any) -> None:
        require(module, "count_words", ["texts"])
        rng = _rng()
        size = rng.choice((1, 2, 3, 4))
        texts = _texts(rng, rng.choice((0, 1, 2, 5)))
        mpiexec(module.count_words, size, texts)   # returns once every rank has ended

    return _explore(folder, settings, scenario)


@check("distributed_memory")
def counts_in_order(folder: Path, settings: Settings) -> Exploration:
    """count_words(texts): rank 0 returns the counts in the order of the texts. On 4 ranks
    with more texts than workers: answers come out of order on many schedules (a counts list
    that happens to come out right, as insert() does for most orders, is caught within some
    tens of schedules), and every worker gets a task, so stopping only the workers that had
    one fails workers_stop, not this check."""

    def scenario(module: Any) -> None:
        require(module, "count_words", ["texts"])
        rng = _rng()
        size = 4                      # three workers (one alone answers in order)
        texts = _texts(rng, rng.choice((4, 6, 8)))   # more texts than workers
        got = mpiexec(module.count_words, size, texts)[0]
        want = [len(t.split()) for t in texts]
        if got != want:
            fail(Bug.WRONG_RESULT, f"On {_ranks(size)}, count_words() returned {got!r} at "
                 f"rank 0 for texts of {want} words: each count belongs at its text's "
                 "place.")

    return _explore(folder, settings, scenario)
