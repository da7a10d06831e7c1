"""A grader killed with SIGKILL mid-run loses nothing: ``--resume`` finishes the class and
the files are the same as those of a run that was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from grading_helpers import ROOT, grade_cli, make_class, normalized

NAMES = ["ada", "ben", "cleo", "eve", "kai", "lea", "noa", "finn"]
ARGS = ["--topics", "data_race", "--schedules", "40", "--jobs", "1", "--timeout", "20"]


def test_kill_then_resume_gives_the_same_files(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    for name in NAMES:
        make_class.write_student(folder, name, make_class.STUDENTS[name])

    whole = tmp_path / "whole"
    run = grade_cli(str(folder), *ARGS, "--out", str(whole))
    assert run.returncode == 0, run.stderr

    killed = tmp_path / "killed"
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "graders", "grade", str(folder), *ARGS,
                             "--out", str(killed)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = list((killed / "results").glob("*.json"))
        if len(done) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(p.name for p in (killed / "results").glob("*.json"))
    assert 2 <= len(done) < len(NAMES), done
    assert not (killed / "grades.csv").exists()

    run = grade_cli(str(folder), *ARGS, "--out", str(killed), "--resume")
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("(reused)") == len(done)
    assert normalized(killed) == normalized(whole)


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
    assert "ada: 3/3 (reused)" in run.stdout
    assert "eve: 3/3 (" in run.stdout and "eve: 3/3 (reused)" not in run.stdout
