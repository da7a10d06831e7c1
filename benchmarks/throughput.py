"""Schedules per CPU second of the engine in a checkout, with the one API every version of
the kit has had (``explore_target`` and ``Settings``): for comparing today's engine with an
older checkout of the kit (issue 13: "three times the throughput") on the same programs.

Run it with each checkout's own interpreter, from that checkout, and the same programs::

    cd OLD && .venv/bin/python NEW/benchmarks/throughput.py --programs NEW/benchmarks/programs
    cd NEW && .venv/bin/python benchmarks/throughput.py

It prints one JSON object: per program, schedules per CPU second of one exploration (seed 0,
no shrinking; the process's CPU, so a busy machine inflates it less than the clock) and
whether it found a failure. Interleave the checkouts and take medians; the schedules
themselves may differ between versions (their strategies changed), so compare correct
programs, whose runs all go to the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Correct programs (benchmarks/run.py's catalogue) whose files have not changed since
#: issue 13 was filed.
CORRECT = ("counter_lock", "philosophers_ordered", "rwlock_fair", "queue_producer_consumer",
           "condition_while", "barrier", "threadpool_map")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("programs", nargs="*", default=list(CORRECT))
    parser.add_argument("--schedules", type=int, default=300)
    parser.add_argument("--programs", dest="folder", type=Path, default=HERE / "programs")
    args = parser.parse_args()
    sys.path.insert(0, ".")            # the checkout this runs from, not this file's
    from graders.engine import Settings, explore_target

    out = {}
    for name in args.programs:
        cpu = time.process_time()
        result = explore_target(f"{args.folder / name}.py:main",
                                Settings(schedules=args.schedules, seed=0, shrink=False))
        cpu = time.process_time() - cpu
        out[name] = {"per_cpu_second": round(result.schedules_run / cpu, 1),
                     "schedules": result.schedules_run, "failed": result.failure is not None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
