"""Experiment (not part of the engine): would a lock-biased strategy find deadlocks sooner?

The strategy keeps the running thread going, except right after it took a lock (its
``held`` list grew) or touched another primitive: then, with probability ``--p-sync``, it
switches to another thread, preferring one that holds no lock; elsewhere it switches with
probability ``--p-other``. This is what a lock-order deadlock needs: every thread holds its
first lock before any takes its second.

It is a strategy class of its own (the portfolio's first, sequential run, then itself),
registered in this process only; the experiment explores the given programs over ten seeds
and prints the median schedule of the first failure, next to the default portfolio. Run
from the repository root::

    python benchmarks/experiments/sync_bias.py philosophers_3 philosophers_5 if_not_while
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from graders.engine import Settings, explore_target, strategies  # noqa: E402


class LockBiased(strategies.SyncBias):
    """The engine's ``sync`` strategy with probabilities from the command line, run after
    one sequential run as the portfolio would, and never in a replay token."""

    name = "lock-biased"
    fair, unfair = True, False          # as the experiment always ran it

    @classmethod
    def for_run(cls, plan: strategies.Plan) -> strategies.Strategy:
        return strategies.Sequential(plan.seed) if plan.index == 0 else cls(plan.seed)

    def token(self) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("programs", nargs="+")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--p-sync", type=float, default=0.9)
    parser.add_argument("--p-other", type=float, default=0.05)
    args = parser.parse_args()
    LockBiased.P_SYNC, LockBiased.P_OTHER = args.p_sync, args.p_other

    print(f"Python {platform.python_version()}, {args.seeds} seeds, budget 200")
    for program in args.programs:
        target = f"{ROOT / 'benchmarks' / 'programs' / program}.py:main"
        for label in ("portfolio", LockBiased.name):
            at = []
            start = time.perf_counter()
            for seed in range(args.seeds):
                r = explore_target(target, Settings(schedules=200, seed=seed, shrink=False,
                                                    strategy=label))
                f = r.failure
                if f is not None and f.bug_class != "lock-order":
                    at.append(f.schedule)
            seconds = time.perf_counter() - start
            median = statistics.median(at) if at else None
            print(f"{program:<24} {label:<12} found {len(at)}/{args.seeds}, median schedule "
                  f"{median}, all {sorted(at)} ({seconds:.1f}s)")


if __name__ == "__main__":
    main()
