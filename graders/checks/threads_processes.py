"""threads_processes: a prime census on worker processes; every worker stopped and reaped.

No thread schedules here: the student's functions run in a child interpreter (see
:mod:`graders.childproc.launch`) under the 'spawn' and 'forkserver' start methods, with a hard
time budget as a backstop. A probe on ``count_primes`` reports which processes ran it, and
holds the first block back until another block has been counted, so a program that collects
counts as they arrive returns them out of order on every machine. The code sees a machine of
:data:`~graders.checks.support.COURSE_CPUS` CPUs; verdicts never depend on how fast anything
ran. Each check judges one requirement from the same driver run:

* exact_counts: census() returns the exact counts, in order (empty list included);
* several_processes: census() counted in two or more worker processes, never the main one;
* at_most_workers: census() and census_office() start at most `workers` processes;
* office_counts: census_office() returns the exact counts, in order;
* workers_stopped: no worker process is left running or unreaped after either returns.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from graders.childproc.launch import (
    DriverRun,
    Scenario,
    leftovers_failure,
    outcome_failure,
    processes_failure,
    require_functions,
    run_processes,
    too_many_failure,
    unobserved,
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
    """Both functions under both start methods, 4 to 6 blocks of different sizes and 2 or 3
    workers (always more blocks than workers, and fewer workers than the course machine's
    CPUs), and each function once with no blocks at all."""
    rng = random.Random(f"threads_processes:{settings.seed}")
    chosen = []
    for function in ("census", "census_office"):
        sizes = [(method, rng.randrange(4, 7), rng.choice((2, 3)))
                 for method in ("spawn", "forkserver")]
        sizes.append((rng.choice(("spawn", "forkserver")), 0, rng.choice((2, 3))))
        for method, count, workers in sizes:
            blocks = _blocks(rng, count)
            sieve = _primes_below(blocks[-1][1] if blocks else 2)
            expect = [sum(sieve[a:b]) for a, b in blocks]
            shown = ", ".join(f"({a}, {b})" for a, b in blocks)
            chosen.append(Scenario(f"{function}-{method}-{count}", function, [blocks, workers],
                                   method, workers, expect,
                                   f"{function}([{shown}], workers={workers})",
                                   hold=blocks[0] if blocks else None))
    return chosen


def _run(folder: Path, settings: Settings) -> tuple[DriverRun, list[Scenario]]:
    path = student_file(folder, FILE)
    require_functions(path, ["count_primes", "census", "census_office"])
    scenarios = _scenarios(settings)
    return run_processes(folder, FILE, "count_primes", scenarios, settings), scenarios


def _first(scenarios: list[Scenario], settings: Settings,
           judge: Callable[[Scenario, int], Exploration | None]) -> Exploration:
    """The first scenario's failure by ``judge``, or a pass over all of them."""
    for s in scenarios:
        failure = judge(s, len(scenarios))
        if failure is not None:
            return failure
    return passed(settings, len(scenarios))


@check("threads_processes")
def exact_counts(folder: Path, settings: Settings) -> Exploration:
    """Part 1: census() returns the exact counts, in order, under 'spawn' and 'forkserver'."""
    run, scenarios = _run(folder, settings)
    part1 = [s for s in scenarios if s.function == "census"]
    return _first(part1, settings, lambda s, n: outcome_failure(run, s, settings, n))


@check("threads_processes")
def several_processes(folder: Path, settings: Settings) -> Exploration:
    """Part 1: the blocks are counted in two or more worker processes at the same time,
    whatever census() returned."""
    run, scenarios = _run(folder, settings)
    part1 = [s for s in scenarios if s.function == "census" and len(s.args[0]) >= 2]
    return _first(part1, settings, lambda s, n: processes_failure(
        run, s, settings, n, "count_primes", "exact_counts"))


@check("threads_processes")
def at_most_workers(folder: Path, settings: Settings) -> Exploration:
    """census() and census_office() start at most `workers` processes."""
    run, scenarios = _run(folder, settings)
    return _first(scenarios, settings,
                  lambda s, n: too_many_failure(run, s, settings, n, "workers_stopped"))


@check("threads_processes")
def office_counts(folder: Path, settings: Settings) -> Exploration:
    """Part 2: census_office() returns the exact counts, in the order of the blocks."""
    run, scenarios = _run(folder, settings)
    part2 = [s for s in scenarios if s.function == "census_office"]

    def judge(s: Scenario, n: int) -> Exploration | None:
        if s.name not in run.results and run.crashed is None:
            return unobserved(run, s, settings, n, "workers_stopped")
        return outcome_failure(run, s, settings, n)

    return _first(part2, settings, judge)


@check("threads_processes")
def workers_stopped(folder: Path, settings: Settings) -> Exploration:
    """Parts 1 and 2: no worker process is left running or unreaped once a call returned."""
    run, scenarios = _run(folder, settings)
    return _first(scenarios, settings, lambda s, n: leftovers_failure(run, s, settings, n))
