"""Seconds per submission and per class for ``python -m graders grade``, with --jobs 1 and 2.

Not a test: it grades a class (by default the sample class, ``examples/class``) once per
``--jobs`` value, each time into a fresh temporary folder, times the whole command and reads
each student's own grading time from ``results/<id>.json``, then writes
``docs/grading-benchmark.md`` beside nbgrader's figures for one notebook: 8 s per passing
student and 26 s per deadlocking one (nbgrader with plain assert-based tests on real threads,
where a deadlock only ends at the cell timeout).

Usage::

    python benchmarks/grading.py                       # jobs 1 and 2, default limits
    python benchmarks/grading.py --jobs 1 2 4 --timeout 30 --out docs/grading-benchmark.md
    python benchmarks/grading.py --no-write            # print only
    python benchmarks/grading.py --synthetic 200       # the course-scale section (issue 16)

``--synthetic N`` grades instead a class of N students generated from the kit's solutions,
alternative fixes and listed wrong fixes (a seeded draw per student and topic), with
``--jobs`` and on a local Dask cluster of ``--cluster-workers`` one-thread workers, and
rewrites only the section of ``docs/grading-benchmark.md`` between its ``scale`` markers:
seconds per student-topic and per class, and the time projected for a course of 2,000
students and 14 topics on 1, 10 and 50 such machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples.make_class import STUDENTS  # noqa: E402

NBGRADER = {"passing": 8.0, "deadlocking": 26.0}
PASSING, DEADLOCKING = "ada", "cleo"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def grade(folder: Path, jobs: int, timeout: float, cluster: str | None = None
          ) -> tuple[float, dict[str, dict]]:
    with tempfile.TemporaryDirectory(prefix="graders-bench-") as tmp:
        out = Path(tmp) / "out"
        where = ["--cluster", cluster] if cluster else ["--jobs", str(jobs)]
        command = [sys.executable, "-m", "graders", "grade", str(folder), *where,
                   "--timeout", f"{timeout:g}", "--out", str(out)]
        start = time.monotonic()
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "NO_COLOR": "1"}, check=False)
        wall = time.monotonic() - start
        if run.returncode != 0:
            raise SystemExit(f"grading failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
        results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return wall, results


def isolation_overhead(repeats: int) -> dict[str, list[float]]:
    """Seconds to grade ``ada``'s passing data_race (2 checks) through the sandbox under each
    isolation mode this machine offers: the cost of the walls themselves."""
    from graders.catalog import topic
    from graders.grading import isolation, sandbox
    from graders.grading.submissions import Submission

    modes = [isolation.NONE]
    if os.geteuid() == 0:
        modes.append(isolation.UNPRIVILEGED_USER)
    if isolation.namespaces_work():
        modes.append(isolation.NAMESPACES)
    seconds: dict[str, list[float]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="graders-bench-") as tmp:
        from examples.make_class import write_student

        write_student(Path(tmp), PASSING, STUDENTS[PASSING])
        sub = Submission(PASSING, Path(tmp) / PASSING, "folder")
        for _ in range(repeats):
            for mode in modes:
                plan = sandbox.Plan((topic("data_race"),), isolation=mode)
                start = time.monotonic()
                result = sandbox.grade(sub, plan)
                seconds[mode].append(time.monotonic() - start)
                assert result.score == result.max_score, (mode, result.notes)
    return seconds


def topic_seconds(result: dict) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for check in result["checks"]:
        seconds[check["topic"]] = seconds.get(check["topic"], 0.0) + check["seconds"]
    return seconds


def report(folder: Path, timeout: float, runs: dict[int, tuple[float, dict[str, dict]]],
           minutes: float, walls: dict[str, list[float]]) -> str:
    first = min(runs)
    _, per_student = runs[first]
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    n = len(per_student)
    topics = list(topic_seconds(next(iter(per_student.values()))))
    lines = [
        "# Grading benchmark", "",
        f"Generated by `python benchmarks/grading.py` in {minutes:.1f} minutes.", "",
        "## Machine", "",
        f"* `nproc`: {os.cpu_count()}; CPU: {cpu_name()}; OS: {platform.platform()}",
        f"* Python {platform.python_version()} ({platform.python_implementation()})",
        f"* class: `{shown}`, "
        f"{n} submissions, topics {', '.join(topics)}; `--timeout {timeout:g}` (seconds per "
        "check), other limits at their defaults; 200 schedules per check", "",
        "## Commands", "", "```bash"]
    for jobs in runs:
        lines.append(f"python -m graders grade {shown} --jobs {jobs} --timeout {timeout:g} "
                     "--out /tmp/...")
    lines += ["```", "", "## Per class", "",
              "| `--jobs` | seconds for the class | seconds per submission |", "|---|---|---|"]
    for jobs, (wall, _) in runs.items():
        lines.append(f"| {jobs} | {wall:.1f} | {wall / n:.1f} |")
    lines += ["", f"## Per submission (`--jobs {first}`)", "",
              "Each submission's own time: the child process from start to signed result, "
              "all of its checks included.", "",
              f"| student | what they handed in | score | seconds | {' | '.join(topics)} |",
              "|---|---|---|---|" + "---|" * len(topics)]
    for name in sorted(per_student):
        r = per_student[name]
        story = STUDENTS[name].story if name in STUDENTS else ""
        per_topic = topic_seconds(r)
        lines.append(f"| {name} | {story} | {r['score']}/{r['max_score']} | "
                     f"{r['seconds']:.1f} | "
                     + " | ".join(f"{per_topic.get(t, 0.0):.1f}" for t in topics) + " |")
    ada, cleo = per_student.get(PASSING), per_student.get(DEADLOCKING)
    lines += ["", "## Beside nbgrader", "",
              "nbgrader's figures are for one notebook (one topic), graded with plain "
              "assert-based tests on real threads, where a deadlock only ends at the cell "
              "timeout. Here each check explores 200 seeded schedules, and a deadlock is a "
              "verdict of the engine the moment it happens. *One topic* is the time of the "
              "topic's checks inside the grading process; *whole submission* adds the other "
              "topics and the process's start-up.", "",
              "| student | nbgrader, one notebook | this kit, one topic | this kit, whole "
              "submission |", "|---|---|---|---|"]
    if ada is not None:
        per_topic = topic_seconds(ada)
        lines.append(f"| passing (`{PASSING}`) | {NBGRADER['passing']:g} s | "
                     f"{sum(per_topic.values()) / len(per_topic):.1f} s (mean; "
                     f"{min(per_topic.values()):.1f}–{max(per_topic.values()):.1f} s) | "
                     f"{ada['seconds']:.1f} s ({len(per_topic)} topics) |")
    if cleo is not None:
        per_topic = topic_seconds(cleo)
        lines.append(f"| deadlocking (`{DEADLOCKING}`) | {NBGRADER['deadlocking']:g} s | "
                     f"{per_topic.get('deadlock', 0.0):.1f} s (deadlock) | "
                     f"{cleo['seconds']:.1f} s ({len(per_topic)} topics) |")
    if walls:
        lines += ["", "## The cost of the walls", "",
                  f"`{PASSING}`'s passing data_race (2 checks, 200 schedules each) graded "
                  "through `sandbox.grade` under each isolation mode this machine offers, "
                  f"{len(next(iter(walls.values())))} times each, interleaved; median and "
                  "range in seconds (see docs/grading.md, *Isolation*).", "",
                  "| isolation | median | fastest | slowest |", "|---|---|---|---|"]
        for mode, times in walls.items():
            ordered = sorted(times)
            lines.append(f"| {mode} | {ordered[len(ordered) // 2]:.2f} | {ordered[0]:.2f} | "
                         f"{ordered[-1]:.2f} |")
    if "dev" in per_student:
        lines += ["", "`dev` spins in C code that the engine cannot interrupt, so each of its "
                  f"data_race checks runs into the {timeout:g}-second wall clock: it alone "
                  "accounts for most of the class time with one job."]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- course scale
SCALE_BEGIN = "<!-- scale: written by python benchmarks/grading.py --synthetic N -->"
SCALE_END = "<!-- /scale -->"
COURSE = (2000, 14)                       # students, topics
MACHINES = (1, 10, 50)


def synthetic_class(root: Path, students: int, topic_names: list[str], seed: int
                    ) -> dict[str, int]:
    """Write ``students`` submissions under ``root``: for each student and topic, the
    reference solution half of the time, otherwise one of its alternative or listed wrong
    fixes, drawn with ``seed``. Returns how often each kind was drawn."""
    import random

    from graders import variants
    from graders.catalog import topic

    draw = random.Random(seed)
    kinds = {"solution": 0, "alternative": 0, "wrong": 0}
    for i in range(students):
        for name in topic_names:
            t = topic(name)
            fixes = [variants.Fix.of(t, "alternative", n) for n in t.alternative] + [
                variants.Fix.of(t, "wrong", n) for n in t.wrong]
            if not fixes or draw.random() < 0.5:
                files, kind = variants.reference(t), "solution"
            else:
                fix = draw.choice(fixes)
                files, kind = variants.files(fix), fix.kind
            kinds[kind] += 1
            folder = root / f"s{i:04d}" / "exercises" / name
            folder.mkdir(parents=True, exist_ok=True)
            variants.write_folder(files, folder)
    return kinds


def local_cluster(workers: int) -> Any:
    """A Dask cluster of ``workers`` one-thread worker processes on this machine."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0")


def passing_seconds(results: dict[str, dict], topics: int) -> str:
    """The median time of a submission whose every check passed, from its own results
    file (start to signed result, as the grader measured it), per topic it holds."""
    import statistics

    passing = [r["seconds"] / topics for r in results.values()
               if r["checks"] and all(c["status"] == "passed" for c in r["checks"])]
    return f"{statistics.median(passing):.2f} s ({len(passing)})" if passing else "none"


def scale_report(students: int, topic_names: list[str], kinds: dict[str, int],
                 timeout: float, runs: dict[str, tuple[float, dict[str, dict]]],
                 minutes: float) -> str:
    pairs = students * len(topic_names)
    lines = [SCALE_BEGIN, "", "## At course scale (issue 16)", "",
             f"Generated by `python benchmarks/grading.py --synthetic {students}` in "
             f"{minutes:.1f} minutes (load average at the end: {os.getloadavg()[0]:.1f}). "
             f"A class of {students} students generated from the kit's own variants, on "
             f"{', '.join(topic_names)} ({pairs} student-topics): "
             + ", ".join(f"{n} {k}" for k, n in kinds.items())
             + f" (a seeded draw per student and topic); `--timeout {timeout:g}`, 200 "
             "schedules per check.", "",
             "| run | seconds for the class | seconds per student | seconds per "
             "student-topic | a passing submission, per topic (median) | slowest "
             "submission |", "|---|---|---|---|---|---|"]
    for label, (wall, results) in runs.items():
        slowest = max(results.values(), key=lambda r: r["seconds"])
        lines.append(f"| {label} | {wall:.1f} | {wall / students:.2f} | {wall / pairs:.2f} "
                     f"| {passing_seconds(results, len(topic_names))} "
                     f"| {slowest['student']} {slowest['seconds']:.1f} s |")
    best_label, (best, _) = min(runs.items(), key=lambda item: item[1][0])
    per_pair = best / pairs
    total = COURSE[0] * COURSE[1]
    lines += ["", f"Projected for {COURSE[0]:,} students x {COURSE[1]} topics ({total:,} "
              f"student-topics) from the fastest run here ({best_label}: {per_pair:.2f} s "
              f"per student-topic on this {os.cpu_count()}-core machine), on machines like "
              "this one, each grading as fast, the parent reading, scanning and writing as "
              "it does here:", "",
              "| machines | hours |", "|---|---|"]
    for machines in MACHINES:
        lines.append(f"| {machines} | {total * per_pair / machines / 3600:.1f} |")
    lines += ["", SCALE_END]
    return "\n".join(lines) + "\n"


def replace_scale(doc: Path, section: str) -> None:
    text = doc.read_text()
    if SCALE_BEGIN in text:
        before, rest = text.split(SCALE_BEGIN, 1)
        after = rest.split(SCALE_END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text)


def scale(args: argparse.Namespace) -> int:
    start = time.monotonic()
    runs: dict[str, tuple[float, dict[str, dict]]] = {}
    with tempfile.TemporaryDirectory(prefix="graders-bench-") as tmp:
        folder = Path(tmp) / "class"
        kinds = synthetic_class(folder, args.synthetic, args.topics, args.seed)
        for jobs in args.jobs:
            print(f"grading {args.synthetic} students with --jobs {jobs} ...", flush=True)
            runs[f"`--jobs {jobs}`"] = grade(folder, jobs, args.timeout)
            print(f"  {runs[f'`--jobs {jobs}`'][0]:.1f} s", flush=True)
        if args.cluster_workers:
            label = f"`--cluster`, {args.cluster_workers} local workers"
            print(f"grading {args.synthetic} students on {label} ...", flush=True)
            with local_cluster(args.cluster_workers) as cluster:
                runs[label] = grade(folder, 0, args.timeout, cluster.scheduler_address)
            print(f"  {runs[label][0]:.1f} s", flush=True)
    section = scale_report(args.synthetic, args.topics, kinds, args.timeout, runs,
                           (time.monotonic() - start) / 60)
    print(section)
    if not args.no_write:
        replace_scale(args.out, section)
        print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class", dest="folder", type=Path, default=ROOT / "examples" / "class")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "grading-benchmark.md")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--isolation-repeats", type=int, default=5, metavar="N",
                        help="gradings per isolation mode for the overhead table (0: skip)")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="grade a generated class of N students instead (course scale)")
    parser.add_argument("--topics", nargs="+", default=["data_race", "mutex", "deadlock"],
                        help="the synthetic class's topics")
    parser.add_argument("--seed", type=int, default=16, help="the synthetic class's draw")
    parser.add_argument("--cluster-workers", type=int, default=2, metavar="N",
                        help="local Dask workers for the synthetic class (0: skip)")
    args = parser.parse_args(argv)
    if args.synthetic:
        return scale(args)
    start = time.monotonic()
    walls = isolation_overhead(args.isolation_repeats) if args.isolation_repeats else {}
    runs = {}
    for jobs in args.jobs:
        print(f"grading {args.folder} with --jobs {jobs} ...", flush=True)
        runs[jobs] = grade(args.folder.resolve(), jobs, args.timeout)
        print(f"  {runs[jobs][0]:.1f} s", flush=True)
    text = report(args.folder.resolve(), args.timeout, runs, (time.monotonic() - start) / 60,
                  walls)
    print(text)
    if not args.no_write:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
