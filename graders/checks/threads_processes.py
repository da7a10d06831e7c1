"""threads_processes: a prime census on worker processes; every worker stopped and reaped.

No thread schedules here: the student's functions run in a child interpreter (see
:mod:`graders.childproc.launch`) under the 'spawn' and 'forkserver' start methods, with a hard
time budget as a backstop. A probe on ``count_primes`` reports which processes ran it;
verdicts never depend on how fast anything ran.
"""

from __future__ import annotations

import random
from pathlib import Path

from graders.childproc.launch import (
    DriverRun,
    Scenario,
    leftovers_failure,
    outcome_failure,
    processes_failure,
    require_functions,
    run_processes,
)
from graders.engine import Exploration, Settings

from . import check
from .support import passed, student_file

FILE = "census.py"


def _primes_below(limit: int) -> list[bool]:
    sieve = [True] * max(limit, 2)
    sieve[0] = sieve[1] = False
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n::n] = [False] * len(range(n * n, limit, n))
    return sieve


def _blocks(rng: random.Random, count: int) -> list[list[int]]:
    start = rng.randrange(0, 1000)
    blocks = []
    for _ in range(count):
        stop = start + rng.randrange(1500, 3000)
        blocks.append([start, stop])
        start = stop
    return blocks


def _scenarios(settings: Settings) -> list[Scenario]:
    rng = random.Random(f"threads_processes:{settings.seed}")
    chosen = []
    for function, method, count, workers in (("census", "spawn", 5, 3),
                                             ("census", "forkserver", 4, 2),
                                             ("census_office", "spawn", 5, 3),
                                             ("census_office", "forkserver", 4, 2)):
        blocks = _blocks(rng, count)
        sieve = _primes_below(blocks[-1][1])
        expect = [sum(sieve[a:b]) for a, b in blocks]
        shown = ", ".join(f"({a}, {b})" for a, b in blocks)
        chosen.append(Scenario(f"{function}-{method}", function, [blocks, workers], method,
                               workers, expect, f"{function}([{shown}], workers={workers})"))
    return chosen


def _run(folder: Path, settings: Settings) -> tuple[DriverRun, list[Scenario]]:
    path = student_file(folder, FILE)
    require_functions(path, ["count_primes", "census", "census_office"])
    scenarios = _scenarios(settings)
    return run_processes(folder, FILE, "count_primes", scenarios, settings), scenarios


@check("threads_processes")
def exact_counts(folder: Path, settings: Settings) -> Exploration:
    """Part 1: census() returns the exact counts, in order, under 'spawn' and 'forkserver'."""
    run, scenarios = _run(folder, settings)
    part1 = [s for s in scenarios if s.function == "census"]
    for s in part1:
        failure = outcome_failure(run, s, settings, len(part1))
        if failure is not None:
            return failure
    return passed(settings, len(part1))


@check("threads_processes")
def several_processes(folder: Path, settings: Settings) -> Exploration:
    """Part 1: the blocks are counted in two or more worker processes at the same time."""
    run, scenarios = _run(folder, settings)
    part1 = [s for s in scenarios if s.function == "census"]
    for s in part1:
        failure = (outcome_failure(run, s, settings, len(part1))
                   or processes_failure(run, s, settings, len(part1), "count_primes"))
        if failure is not None:
            return failure
    return passed(settings, len(part1))


@check("threads_processes")
def workers_stopped(folder: Path, settings: Settings) -> Exploration:
    """Part 2 (and part 1): exact counts, and no worker process is left running or unreaped."""
    run, scenarios = _run(folder, settings)
    for s in scenarios:
        if s.function == "census_office":
            failure = outcome_failure(run, s, settings, len(scenarios))
            if failure is not None:
                return failure
    for s in scenarios:
        failure = leftovers_failure(run, s, settings, len(scenarios))
        if failure is not None:
            return failure
    return passed(settings, len(scenarios))
