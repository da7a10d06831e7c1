"""Where the time of a passing student-topic goes: the sandbox against the same checks
in-process, with and without each part of the grading guard (issue 16).

    python benchmarks/grading_breakdown.py [--repeats 3] [--topics mutex data_race deadlock]

For each topic, ``ada``'s (passing) files are graded, interleaved ``--repeats`` times:

* ``sandbox``: ``sandbox.grade`` of the topic alone (the whole submission: child start,
  walls, imports, one forked worker per check, signed result);
* in a fresh interpreter, the topic's checks run one after the other with ``run_check``:
  ``plain`` (nothing installed), ``counting hook`` (an audit hook that only counts the
  events, which it reports), ``hook, no per-run look`` (the audit hook of
  :mod:`graders.grading.guard` with :func:`graders.grading.integrity.unchanged` made free),
  ``hook`` (the audit hook as a worker has it: a quick integrity look at the loads of the
  student's module that :func:`guard.look_due` picks), ``hook + wrappers`` (plus
  :func:`guard.protect_functions`: what a worker runs under).

Times are CPU seconds (user + system, of every process involved), summed over the topic's
checks: on a shared machine the clock measures the neighbours as much as the grader. It
prints one Markdown table of medians and the most frequent audit events of each topic.
Nothing here changes the kit; the modes only exist in the throw-away interpreters.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
CLASS = KIT / "examples" / "class"
MODES = ("plain", "counting hook", "hook, no per-run look", "hook", "hook + wrappers")

CHILD = r"""
import collections, json, os, sys, time
from pathlib import Path
from graders.catalog import topic
from graders.checking import run_check
from graders.checks import checks_of
from graders.engine import Settings
from graders.grading import guard, integrity
name, mode, folder = sys.argv[1], sys.argv[2], sys.argv[3]
checks_of(name)
events = collections.Counter()
if mode == "counting hook":
    sys.addaudithook(lambda event, args: events.update((event,)))
elif mode != "plain":
    if mode == "hook, no per-run look":
        integrity.unchanged = lambda index, functions=True: True
    root = str(Path(folder).parent) + os.sep
    state = guard.GuardState(supervisor=-1, student_roots=(root,), scratch=root)
    guard.install(state, [])
    if mode == "hook + wrappers":
        guard.protect_functions(state)
    state.enter_worker(16)
start = time.process_time()
for check in topic(name).checks:
    outcome = run_check(name, check.name, Path(folder), Settings(schedules=200, seed=0))
    assert outcome.passed, (name, check.name)
print(json.dumps({"seconds": time.process_time() - start, "events": dict(events)}))
"""


def in_process(name: str, mode: str, folder: Path) -> tuple[float, dict[str, int]]:
    out = subprocess.run([sys.executable, "-c", CHILD, name, mode, str(folder)], cwd=KIT,
                         env={"PYTHONPATH": str(KIT), "PYTHONHASHSEED": "0",
                              "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["seconds"], data["events"]


def in_sandbox(name: str) -> float:
    from graders.catalog import topic
    from graders.grading import sandbox
    from graders.grading.submissions import discover

    sub = next(s for s in discover(CLASS) if s.student == "ada")
    before = os.times()
    result = sandbox.grade(sub, sandbox.Plan((topic(name),)))
    after = os.times()
    assert all(c.status == "passed" for c in result.checks), name
    return sum(after[:4]) - sum(before[:4])      # this process and its reaped children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--topics", nargs="+", default=["mutex", "data_race", "deadlock"])
    args = parser.parse_args(argv)
    sys.path.insert(0, str(KIT))
    times: dict[tuple[str, str], list[float]] = {}
    events: dict[str, Counter[str]] = {}
    for _ in range(args.repeats):
        for name in args.topics:
            folder = CLASS / "ada" / "exercises" / name
            times.setdefault((name, "sandbox"), []).append(in_sandbox(name))
            for mode in MODES:
                seconds, counted = in_process(name, mode, folder)
                times.setdefault((name, mode), []).append(seconds)
                if counted:
                    events[name] = Counter(counted)
    head = ["topic", "sandbox", *MODES, "audit events"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in args.topics:
        cells = [f"{statistics.median(times[(name, m)]):.2f}" for m in ("sandbox", *MODES)]
        print(f"| {name} | " + " | ".join(cells) + f" | {sum(events[name].values()):,} |")
    for name in args.topics:
        common = ", ".join(f"`{e}` {n:,}" for e, n in events[name].most_common(4))
        print(f"\n{name}: {common}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
