"""``python -m graders dev new TOPIC`` in a copy of the kit: the scaffold loads, its check
runs, and the dev check then names, in plain words, what the topic still lacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def graders(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(clone)}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_new_topic_is_reported_incomplete_in_plain_words(tmp_path: Path) -> None:
    clone = tmp_path / "kit"
    for part in ("graders", "exercises", "solutions"):
        shutil.copytree(ROOT / part, clone / part,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    made = graders(clone, "dev", "new", "barrier_demo", "--title", "Barriers: a demo")
    assert made.returncode == 0, made.stderr
    assert "wrote graders/checks/barrier_demo.py" in made.stdout
    assert (clone / "exercises" / "barrier_demo" / "barrier_demo.py").is_file()

    again = graders(clone, "dev", "new", "barrier_demo")
    assert again.returncode == 2 and "already exists" in again.stderr

    checked = graders(clone, "dev", "check", "barrier_demo", "--jobs", "1")
    assert checked.returncode == 1, checked.stdout
    text = checked.stdout + checked.stderr
    assert "exercises/barrier_demo/README.md is missing" in text
    assert "marks no place to edit (no TODO)" in text
    assert "at least 6 wrong fixes are needed, 0 listed" in text
    assert "at least 4 alternative fixes are needed, 0 listed" in text
    assert "no wrong fix breaks the requirement of check 'main_runs'" not in text  # the starter
    assert "starter" in text and "expected exception: main_runs" in text
