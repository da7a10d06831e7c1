"""The engine's raw speed, and proof that a faster engine explores the very same schedules.

For each program: schedules per second of one exploration (seed 0, no shrinking), and a
fingerprint of every run it made (steps, decisions, switches, verdict), so that a change
to the hot path can be checked to change nothing but the time. Use it A/B: run it on two
checkouts in turn, a few times, and compare the medians; the fingerprints must be equal.

Usage::

    python benchmarks/speed.py                         # the default programs, 300 schedules
    python benchmarks/speed.py --schedules 500 --repeat 3 counter_lock barrier
    python benchmarks/speed.py --profile counter_lock  # cProfile of every controlled thread
    GRADERS_ENGINE_THREADS=os python benchmarks/speed.py   # controlled threads as OS threads
    python benchmarks/speed.py --like-pytest           # with as many modules loaded as pytest
    valgrind --tool=callgrind python benchmarks/speed.py --workload 3000   # instructions
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from watching import watching  # (beside this file: a script's folder is on sys.path)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DEFAULT = ("racy_counter", "counter_lock", "condition_while", "barrier", "philosophers_5",
           "rwlock_fair")


def measure(name: str, schedules: int, seed: int) -> tuple[float, float, float, int, str]:
    """(schedules per second, CPU ms per schedule (every thread of the process), times a
    thread of the process went to sleep per schedule, schedules run, fingerprint of every
    run) of one exploration. The sleeps are each a wait for the OS to wake the thread up
    again: on a loaded machine, where the time goes."""
    from graders.engine import Settings, explore_target

    digest = hashlib.sha256()

    def fingerprint(strategy: Any, run: Any) -> None:
        verdict = None if run.verdict is None else str(run.verdict.bug_class)
        digest.update(repr((run.steps, run.decisions, run.deviations, verdict,
                            len(run.events))).encode())

    with watching(fingerprint):
        target = f"{HERE / 'programs' / name}.py:main"
        cpu = time.process_time()
        sleeps = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
        r = explore_target(target, Settings(schedules=schedules, seed=seed, shrink=False))
        sleeps = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - sleeps
        cpu = time.process_time() - cpu
    found = "" if r.failure is None else f" {r.failure.bug_class}@{r.failure.schedule}"
    return (r.schedules_run / r.seconds, cpu * 1000 / r.schedules_run,
            sleeps / r.schedules_run, r.schedules_run, digest.hexdigest()[:12] + found)


def workload(n: int) -> None:
    """One schedule of the overhead workload (one thread, 4 scheduling points per pass):
    run under ``valgrind --tool=callgrind`` at two sizes, the difference in instructions
    over the difference in points is the engine's cost per scheduling point."""
    from graders.engine import Settings, explore

    settings = Settings(schedules=1, strategy="sequential", max_steps=10**8, lock_order=False,
                        shrink=False)
    r = explore(lambda m: m.main(n), [HERE / "workloads" / "loop.py"], settings)
    assert r.failure is None, r.report()


def profile(name: str, schedules: int) -> None:
    """cProfile in every OS thread that runs the exploration: the search's thread, where
    each run's hub and all its greenlets run (then the callers and cumulative times are
    mixed up by the switches; own times are right), and each controlled thread's own
    (GRADERS_ENGINE_THREADS=os)."""
    from graders.engine import explorer, scheduler

    profilers: list[cProfile.Profile] = []
    patched = [(scheduler.Run, "_os_main"), (explorer._Explorer, "_search")]
    originals = [getattr(owner, attribute) for owner, attribute in patched]

    def profiled(original: Any) -> Any:
        def body(self: Any, *args: Any) -> Any:
            p = cProfile.Profile()
            profilers.append(p)
            p.enable()
            try:
                return original(self, *args)
            finally:
                p.disable()
        return body

    main = cProfile.Profile()
    for (owner, attribute), original in zip(patched, originals, strict=True):
        setattr(owner, attribute, profiled(original))
    try:
        main.enable()
        measure(name, schedules, 0)
        main.disable()
    finally:
        for (owner, attribute), original in zip(patched, originals, strict=True):
            setattr(owner, attribute, original)
    stats = pstats.Stats(main)
    for p in profilers:
        stats.add(p)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("programs", nargs="*", default=list(DEFAULT))
    parser.add_argument("--schedules", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--like-pytest", action="store_true",
                        help="import pytest and the kit's plugin first: per-run costs that "
                        "grow with sys.modules then weigh as they do in a test run")
    parser.add_argument("--workload", type=int, metavar="N",
                        help="only run the overhead workload's N passes (for callgrind)")
    args = parser.parse_args()
    if args.workload is not None:
        workload(args.workload)
        return
    if args.like_pytest:
        import pytest  # noqa: F401

        import graders.pytest_plugin  # noqa: F401
    if args.profile:
        for name in args.programs:
            profile(name, args.schedules)
        return
    for name in args.programs:
        rates = []
        cpus = []
        sleeps = []
        prints = set()
        for _ in range(args.repeat):
            rate, cpu, slept, ran, fingerprint = measure(name, args.schedules, args.seed)
            rates.append(rate)
            cpus.append(cpu)
            sleeps.append(slept)
            prints.add(fingerprint)
        t = time.strftime("%H:%M:%S")
        print(f"{t} {name:<24} {statistics.median(rates):7.0f}/s  "
              f"cpu {statistics.median(cpus):5.2f} ms  sleeps {statistics.median(sleeps):5.1f}  "
              f"runs {ran:4d}  "
              f"{' '.join(sorted(prints))}  [{' '.join(f'{r:.0f}' for r in rates)}]",
              flush=True)


if __name__ == "__main__":
    main()
