"""Gradescope: the zip's layout, and run_autograder against a fake /autograder tree, with
results.json checked against the published autograder specification ("Output format")."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP = {"score": (int, float), "execution_time": (int, float), "output": str,
       "output_format": str, "test_output_format": str, "test_name_format": str,
       "visibility": str, "stdout_visibility": str, "extra_data": dict, "tests": list,
       "leaderboard": list}
TEST = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
        "name_format": str, "number": str, "output": str, "output_format": str, "tags": list,
        "visibility": str, "extra_data": dict}


def spec_problems(data: object) -> list[str]:
    """Everything in ``data`` that Gradescope's results.json specification does not allow
    (a hand-written check of the published format)."""
    if not isinstance(data, dict):
        return ["results.json is not an object"]
    problems = [f"unknown top-level key {k!r}" for k in data if k not in TOP]
    for key, kind in TOP.items():
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            problems.append(f"{key} should be {kind}, is {type(data[key]).__name__}")
    if "score" not in data and not all("score" in t for t in data.get("tests", [])):
        problems.append("a score is needed at the top or on every test")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITY:
            problems.append(f"{key} {data[key]!r} is not one of {sorted(VISIBILITY)}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in FORMATS:
            problems.append(f"{key} {data[key]!r} is not a known format")
    for i, test in enumerate(data.get("tests", [])):
        where = f"tests[{i}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in test if k not in TEST]
        for key, kind in TEST.items():
            if key in test and (not isinstance(test[key], kind) or isinstance(test[key], bool)):
                problems.append(f"{where}.{key} should be {kind}")
        if test.get("status", "passed") not in ("passed", "failed"):
            problems.append(f"{where}.status {test['status']!r} is not passed/failed")
        if test.get("visibility", "visible") not in VISIBILITY:
            problems.append(f"{where}.visibility {test['visibility']!r}")
        if "score" in test and "max_score" in test and not 0 <= test["score"] <= test["max_score"]:
            problems.append(f"{where}: score {test['score']} outside 0..{test['max_score']}")
    if "score" in data and data.get("tests") and all("score" in t for t in data["tests"]):
        total = sum(t["score"] for t in data["tests"])
        if abs(total - data["score"]) > 1e-9:
            problems.append(f"score {data['score']} is not the tests' total {total}")
    return problems


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADERS_")}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    done = graders("gradescope", "build", "--out", str(out), "--topics", "data_race",
                   "deadlock")
    assert done.returncode == 0, done.stderr
    assert "points to 7" in done.stdout
    return out


def test_zip_layout(autograder_zip: Path) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        run = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "kit/pyproject.toml",
            "kit/graders/topics.toml", "kit/graders/grading/bootstrap.py"} <= names
    assert not [n for n in names if n.startswith(("kit/solutions", "kit/exercises"))
                or "__pycache__" in n]
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, f"{script} is not executable"
    assert "--topics data_race deadlock" in run


def test_scripts_are_valid_bash(autograder_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr


def fake_autograder(base: Path, autograder_zip: Path, files: dict[str, Path]) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), run_autograder,
    submission/ (the student's files)."""
    root = base / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    for name, source in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, root / "submission" / name)
    return root


def run_autograder(root: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADERS_", "PYTHON"))}
    env.update(GRADERS_AUTOGRADER_ROOT=str(root), GRADERS_PYTHON=sys.executable)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_on_a_checkout(autograder_zip: Path, tmp_path: Path) -> None:
    root = fake_autograder(tmp_path, autograder_zip, {
        "kit/exercises/data_race/shop.py": ROOT / "solutions/data_race/shop.py",
        "kit/exercises/deadlock/dining.py": ROOT / "exercises/deadlock/dining.py"})
    data = run_autograder(root)
    assert spec_problems(data) == []
    assert data["score"] == 3.0
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["data_race: no_lost_updates"]["status"] == "passed"
    eats = by_name["deadlock: everyone_eats"]
    assert eats["status"] == "failed" and eats["score"] == 0.0 and eats["max_score"] == 2.0
    assert "Deadlock" in eats["output"]
    hidden = by_name["data_race: many_shoppers (hidden)"]
    assert hidden["max_score"] == 1.0
    assert [t["number"] for t in data["tests"]] == ["1.1", "1.2", "2.1", "2.2"]


def test_run_autograder_on_loose_files(autograder_zip: Path, tmp_path: Path) -> None:
    root = fake_autograder(tmp_path, autograder_zip, {
        "shop.py": ROOT / "exercises/data_race/shop.py",
        "dining.py": ROOT / "solutions/deadlock/dining.py"})
    data = run_autograder(root)
    assert spec_problems(data) == []
    assert data["score"] == 4.0
    hidden = next(t for t in data["tests"] if "(hidden)" in t["name"])
    assert hidden["status"] == "failed"
    assert "seed" not in hidden["output"] and "Replay" not in hidden["output"]


def test_spec_check_catches_mistakes() -> None:
    good = {"score": 1.0, "execution_time": 2, "tests": [
        {"name": "a", "score": 1.0, "max_score": 1.0, "status": "passed"}]}
    assert spec_problems(good) == []
    assert spec_problems({**good, "execution_time": "2 s"})
    assert spec_problems({**good, "tests": [{"score": 2.0, "max_score": 1.0}]})
    assert spec_problems({**good, "tests": [{"score": 1.0, "status": "ok"}]})
    assert spec_problems({**good, "visibility": "students"})
