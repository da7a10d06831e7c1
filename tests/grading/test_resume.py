"""A grader killed with SIGKILL at any moment loses nothing: ``--resume`` finishes the class
and the files are those of a run that was never interrupted (run-time measurements aside).

The kill points are drawn from a seeded random generator: a moment in the first run's length,
or a few milliseconds after the k-th result is stored (when the grader is busy writing that
student's files), so they fall before the first result, between results, inside atomic
writes and after the end. ``GRADERS_KILL_POINTS=50`` tries fifty of them (the suite tries a few);
``GRADERS_KILL_SEED`` picks another set."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from grading_helpers import ROOT, grade_cli, make_class, normalized

from graders.catalog import topic

NAMES = ["ada", "ben", "cleo", "eve", "kai", "lea", "noa", "finn"]
POINTS = topic("data_race").points
ARGS = ["--topics", "data_race", "--schedules", "40", "--jobs", "1", "--timeout", "20"]
KILL_POINTS = int(os.environ.get("GRADERS_KILL_POINTS", "3"))
KILL_SEED = int(os.environ.get("GRADERS_KILL_SEED", "20261205"))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    """The class, its uninterrupted grading, and how long that took."""
    base = tmp_path_factory.mktemp("resume")
    folder = base / "class"
    for name in NAMES:
        make_class.write_student(folder, name, make_class.STUDENTS[name])
    whole = base / "whole"
    start = time.monotonic()
    run = grade_cli(str(folder), *ARGS, "--out", str(whole))
    assert run.returncode == 0, run.stderr
    return folder, whole, time.monotonic() - start


def kill_at(folder: Path, out: Path, results: int, delay: float) -> list[str]:
    """Start grading ``folder`` into ``out`` and SIGKILL it ``delay`` seconds after its
    ``results``-th stored result appears (after its start for 0): just after a result is
    stored the grader writes the student's six other files, so kills there land inside
    atomic writes. Returns the names of the results it had stored."""
    scratch = out.parent / f"{out.name}-scratch"       # what a killed grader leaves stays here
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NO_COLOR": "1", "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "graders", "grade", str(folder), *ARGS,
                             "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while results and proc.poll() is None and time.monotonic() < deadline:
        if len(list((out / "results").glob("*.json"))) >= results:
            break
        time.sleep(0.002)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return sorted(p.name for p in (out / "results").glob("*.json"))


@pytest.mark.slow
@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_kill_at_any_moment_then_resume_gives_the_same_files(
        point: int, graded_class: tuple[Path, Path, float], tmp_path: Path) -> None:
    folder, whole, seconds = graded_class
    draw = random.Random(f"{KILL_SEED}-{point}")
    results = draw.randrange(len(NAMES) + 1)
    delay = draw.uniform(0.0, seconds * 1.1) if results == 0 else draw.uniform(0.0, 0.05)
    killed = tmp_path / "killed"
    done = kill_at(folder, killed, results, delay)

    run = grade_cli(str(folder), *ARGS, "--out", str(killed), "--resume")
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("(reused)") == len(done), (results, delay, done, run.stdout)
    assert normalized(killed) == normalized(whole), \
        f"killed {delay:.3f} s after result {results}"


def test_resume_removes_what_a_killed_write_left(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    make_class.write_student(folder, "ada", make_class.STUDENTS["ada"])
    out = tmp_path / "out"
    assert grade_cli(str(folder), *ARGS, "--out", str(out)).returncode == 0
    before = normalized(out)
    leftovers = [out / "results" / ".ada.json.k3j_9x0a.tmp", out / ".grades.csv.abcdefgh.tmp",
                 out / "feedback" / ".ada.html.0123abcd.tmp"]
    for path in leftovers:
        path.write_text("half a file")
    run = grade_cli(str(folder), *ARGS, "--out", str(out), "--resume")
    assert run.returncode == 0, run.stderr
    assert f"ada: {POINTS}/{POINTS} (reused)" in run.stdout
    assert not [p for p in leftovers if p.exists()]
    assert normalized(out) == before


def test_resume_regrades_a_changed_submission_only(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    for name in ("ada", "eve"):
        make_class.write_student(folder, name, make_class.STUDENTS[name])
    out = tmp_path / "out"
    assert grade_cli(str(folder), *ARGS, "--out", str(out)).returncode == 0
    shop = folder / "eve" / "exercises" / "data_race" / "shop.py"
    shop.write_text(make_class.source("data_race", "solution"))
    run = grade_cli(str(folder), *ARGS, "--out", str(out), "--resume")
    assert run.returncode == 0, run.stderr
    assert f"ada: {POINTS}/{POINTS} (reused)" in run.stdout
    assert (f"eve: {POINTS}/{POINTS} (" in run.stdout
            and f"eve: {POINTS}/{POINTS} (reused)" not in run.stdout)


def test_a_killed_graders_scratch_is_removed_by_the_next_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graders.grading import sandbox

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{sandbox.SCRATCH_PREFIX}{gone.pid}-abc123"
    alive = tmp_path / f"{sandbox.SCRATCH_PREFIX}{os.getpid()}-def456"
    other = tmp_path / "graders-bench-xyz"
    for folder in (dead, alive, other):
        (folder / "work").mkdir(parents=True)
    assert sandbox.remove_stale_scratch() == 1
    assert not dead.exists() and alive.exists() and other.exists()
