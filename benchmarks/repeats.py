"""How much of a check's budget goes to schedules it already ran.

A passing check explores its whole budget (200 schedules per scenario), so every run that
repeats an earlier one, step for step, is time spent for nothing. For each exploration the
checks of a topic's solution make, this prints how many of its runs were distinct (the same
threads through the same scheduling points in the same order count as one), and how many
of each strategy's runs repeated an earlier run. The strategies that repeat most are where
the portfolio could spend its budget better (issue 13: "a portfolio that spends its budget
where earlier schedules found new behaviour").

Usage::

    python benchmarks/repeats.py data_race             # the topic's solution
    python benchmarks/repeats.py ipc --variant starter
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watching import watching  # (beside this file: a script's folder is on sys.path)

from graders import devcheck
from graders.catalog import topic


def measure(name: str, variant: str) -> list[tuple[int, int, dict[str, tuple[int, int]]]]:
    """Per exploration: runs, distinct runs, and strategy -> (repeats, runs)."""
    runs: list[tuple[str, tuple[tuple[int, int, int], ...]]] = []
    found: list[tuple[int, int, dict[str, tuple[int, int]]]] = []

    def each_run(strategy: Any, run: Any) -> None:
        steps = tuple((e.tid, id(e.code), e.offset) for e in run.events)
        runs.append((strategy.label().split("(")[0], steps))

    def each_exploration(result: Any) -> None:
        seen: set[tuple[tuple[int, int, int], ...]] = set()
        repeats: collections.Counter[str] = collections.Counter()
        total: collections.Counter[str] = collections.Counter()
        for label, steps in runs:
            total[label] += 1
            repeats[label] += steps in seen
            seen.add(steps)
        found.append((len(runs), len(seen), {k: (repeats[k], total[k]) for k in total}))
        runs.clear()

    case = next(c for c in devcheck.cases(topic(name)) if c.variant == variant)
    with watching(each_run, each_exploration):
        devcheck.verify(case)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic")
    parser.add_argument("--variant", default="solution",
                        help="solution, starter, wrong/NAME or alternative/NAME")
    args = parser.parse_args()
    all_runs = all_distinct = 0
    for runs, distinct, by_strategy in measure(args.topic, args.variant):
        all_runs += runs
        all_distinct += distinct
        shown = ", ".join(f"{k} {r}/{n}" for k, (r, n) in by_strategy.items() if r)
        print(f"{runs:4d} runs, {distinct:4d} distinct; repeats: {shown or 'none'}")
    if all_runs:
        print(f"all: {all_runs} runs, {all_distinct} distinct "
              f"({100 * (all_runs - all_distinct) / all_runs:.0f} % repeats)")


if __name__ == "__main__":
    main()
