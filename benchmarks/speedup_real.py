"""The speedup topic's render on the real clock: how far real measurements stray from
Amdahl's law, and why the speedup checks use the engine's virtual clock instead.

Not a test: it runs the reference solution's ``render()`` (``solutions/speedup/film.py``,
real threads, real ``time.sleep``) ``--repeat`` times for each number of workers, and prints
(or writes to ``docs/speedup-benchmark.md``) the measured speedups beside Amdahl's
prediction. On the grader's clock the same render takes exactly the predicted time on every
machine; on a real one the figures move with the machine's load, the cost of starting
threads and the sleeps' own overshoot.

Usage::

    python benchmarks/speedup_real.py                  # 5 repeats, writes the doc
    python benchmarks/speedup_real.py --repeat 9 --no-write
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
FILM = ROOT / "solutions" / "speedup" / "film.py"
OUT = ROOT / "docs" / "speedup-benchmark.md"
WORKERS = (1, 2, 4, 8)
FRAMES = 16


def _film() -> ModuleType:
    spec = importlib.util.spec_from_file_location("film_reference", FILM)
    assert spec is not None and spec.loader is not None, FILM
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(repeat: int) -> tuple[float, dict[int, list[float]]]:
    """The serial fraction, and the real seconds of each render per number of workers."""
    film = _film()
    frames = list(range(FRAMES))
    serial = film.STORYBOARD_SECONDS / (film.STORYBOARD_SECONDS + FRAMES * film.FRAME_SECONDS)
    times: dict[int, list[float]] = {w: [] for w in WORKERS}
    for _ in range(repeat):
        for workers in WORKERS:      # interleaved, so a burst of load hits every row alike
            times[workers].append(film.render(frames, workers))
    return serial, times


def table(serial: float, times: dict[int, list[float]]) -> str:
    t1 = statistics.median(times[1])
    rows = ["| workers | Amdahl's speedup | real speedup, median [min-max] | real efficiency "
            "| off by |",
            "|---|---|---|---|---|"]
    for workers, seconds in times.items():
        predicted = 1 / (serial + (1 - serial) / workers)
        speedups = sorted(t1 / s for s in seconds)
        median = statistics.median(speedups)
        rows.append(f"| {workers} | {predicted:.2f} | {median:.2f} [{speedups[0]:.2f}-"
                    f"{speedups[-1]:.2f}] | {median / workers:.0%} | "
                    f"{(median - predicted) / predicted:+.1%} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="renders per number of workers")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    serial, times = measure(args.repeat)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text = (
        "# The speedup topic's render on the real clock\n\n"
        "Written by `python benchmarks/speedup_real.py`; do not edit by hand. The reference "
        f"`render()` of {FRAMES} frames (serial fraction {serial:.2f}), real threads and real "
        f"`time.sleep`, {args.repeat} times per row, on Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.2f} when "
        "it ended. The real speedup is measured against the median one-worker time.\n\n"
        f"{table(serial, times)}\n\n"
        "On the grader's (virtual) clock every row is exactly Amdahl's figure, on any machine "
        "and under any load, which is why `speedup_as_predicted` can ask for 1 %; here the "
        "rows stray by more than that, and differently from one run to the next.\n")
    print(text)
    if not args.no_write:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
