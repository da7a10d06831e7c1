"""scheduling: a CPU scheduling simulator, judged against the rules on fixed and generated jobs.

No threads here. One bug, one check: fixed_job_sets judges the rules tick by tick,
generated_job_sets the promises every correct schedule keeps (on the fixed sets too), and an
algorithm that breaks a promise is shown in full only by the latter. metrics judges the rules'
own schedules, so a wrong schedule never fails it. The student's simulator runs in a child
interpreter
(:mod:`graders.childproc.simulator_driver` holds the reference rules and the properties) with
a hard time budget, since a simulator
under construction may loop forever. Generated job sets come from ``random.Random`` seeded
with the settings' seed, so a verdict is the same on every run with the same seed.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.childproc.launch import child_env, folder_digest, run_child
from graders.engine import Exploration, LoadError, Settings

from . import check
from .support import passed, student_file, verdict

FILE = "simulator.py"
RUNNER = Path(__file__).resolve().parents[1] / "childproc" / "simulator_driver.py"
BUDGET = 45.0

_memo: dict[tuple[Any, ...], dict[str, Any]] = {}


def job_sets(settings: Settings) -> int:
    """How many generated job sets to try: a quarter of the schedule count, at least 10."""
    return max(10, settings.schedules // 4)


def _judge(folder: Path, settings: Settings) -> dict[str, Any]:
    path = student_file(folder, FILE)
    count = job_sets(settings)
    key = (str(path.resolve()), folder_digest(folder), settings.seed, count)
    if key in _memo:
        return _memo[key]
    with tempfile.TemporaryDirectory(prefix="graders-sched-") as tmp:
        results = Path(tmp) / "results.jsonl"
        child = run_child([sys.executable, "-P", str(RUNNER), str(path.resolve()),
                           str(settings.seed), str(count), str(results)],
                          timeout=BUDGET, env=child_env(), cwd=tmp)
        lines = results.read_text().splitlines() if results.exists() else []
    found: dict[str, Any] = {"checks": {}, "running": None, "child": child}
    for line in lines:
        record = json.loads(line)
        if "load_error" in record:
            raise LoadError(f"{path}: {record['load_error']}")
        if record.get("phase") == "start":
            found["running"] = record["check"]
        else:
            found["checks"][record["check"]] = record
            found["running"] = None
    _memo[key] = found
    return found


def _outcome(folder: Path, settings: Settings, name: str) -> Exploration:
    found = _judge(folder, settings)
    record = found["checks"].get(name)
    if record is None:
        child = found["child"]
        if child.timed_out:
            what = ("this check" if found["running"] == name
                    else f"an earlier check ({found['running'] or 'loading the simulator'})")
            return verdict(settings, Bug.ENDLESS_LOOP,
                           f"The simulator did not finish {what} within {BUDGET:g} seconds.",
                           "Some loop never ends: check that every loop moves time forward "
                           "or removes a job.")
        last = (child.stderr.strip().splitlines() or ["(no output)"])[-3:]
        return verdict(settings, Bug.EXCEPTION, "The simulator's process ended unexpectedly.",
                       "\n".join(last))
    if record["ok"]:
        return passed(settings, record["runs"])
    return verdict(settings, record["bug_class"], record["message"], record["details"],
                   record["runs"])


@check("scheduling")
def fixed_job_sets(folder: Path, settings: Settings) -> Exploration:
    """Every algorithm's schedule of the fixed job sets (each also listed backwards) matches
    the rules tick by tick; an algorithm that breaks a promise is left to generated_job_sets,
    with one line saying so."""
    return _outcome(folder, settings, "fixed_job_sets")


@check("scheduling")
def metrics(folder: Path, settings: Settings) -> Exploration:
    """metrics() on the rules' schedules of the fixed and of generated job sets: completion,
    turnaround, waiting, response, averages and throughput."""
    return _outcome(folder, settings, "metrics")


@check("scheduling")
def generated_job_sets(folder: Path, settings: Settings) -> Exploration:
    """Properties on the fixed job sets, then on seeded random ones: exact bursts, no idling
    while a job is ready, SJN optimal, SRT shortest-first, round-robin quanta and response
    bound."""
    return _outcome(folder, settings, "generated_job_sets")


@check("scheduling")
def gantt_chart(folder: Path, settings: Settings) -> Exploration:
    """gantt() draws a timeline as the README shows."""
    return _outcome(folder, settings, "gantt_chart")
