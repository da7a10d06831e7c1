"""Stored results carry a seal only the instructor's key gives: ``--resume`` regrades a
result someone edited, and the key file is the instructor's alone."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from grading_helpers import grade_cli, make_class

from graders.grading import seal


def test_the_key_is_made_once_and_readable_by_its_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADERS_RESULTS_KEY", str(tmp_path / "dir" / "results.key"))
    key = seal.load_key()
    path = tmp_path / "dir" / "results.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert seal.load_key() == key and len(key) == seal.KEY_BYTES


def test_a_changed_result_loses_its_seal() -> None:
    key = b"k" * seal.KEY_BYTES
    data = seal.seal({"student": "ada", "checks": [{"status": "failed"}]}, key)
    assert seal.intact(data, key)
    forged = {**data, "checks": [{"status": "passed"}]}
    assert not seal.intact(forged, key)
    assert not seal.intact({k: v for k, v in data.items() if k != seal.FIELD}, key)
    assert not seal.intact(data, b"x" * seal.KEY_BYTES)


def test_resume_regrades_a_stored_result_that_was_edited(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    make_class.write_student(folder, "lea", make_class.STUDENTS["lea"])
    out = tmp_path / "out"
    args = ["--topics", "data_race", "--schedules", "20"]
    assert grade_cli(str(folder), *args, "--out", str(out)).returncode == 0
    stored = out / "results" / "lea.json"
    data = json.loads(stored.read_text())
    assert data[seal.FIELD].startswith("hmac-sha256:")
    earned = data["score"]
    assert earned < sum(check["points"] for check in data["checks"])   # lea fails a check
    for check in data["checks"]:
        check["status"] = "passed"
    stored.write_text(json.dumps(data))

    run = grade_cli(str(folder), *args, "--out", str(out), "--resume")
    assert run.returncode == 0, run.stderr
    assert "(reused)" not in run.stdout
    assert "seal" in run.stdout                      # the run says why it graded again
    regraded = json.loads(stored.read_text())
    assert regraded["score"] == earned and seal.FIELD in regraded
