"""PrairieLearn: results.json as external grading specifies it, and the question folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADERS_")}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def pl_problems(data: object) -> list[str]:
    """What PrairieLearn's external grading results format does not allow."""
    if not isinstance(data, dict):
        return ["not an object"]
    problems = []
    if data.get("gradable", True) is not False:
        score = data.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool) \
                or not 0.0 <= score <= 1.0:
            problems.append(f"score {score!r} is not a number in [0, 1]")
    for i, test in enumerate(data.get("tests", [])):
        for key in ("name",):
            if not isinstance(test.get(key), str):
                problems.append(f"tests[{i}].{key} is not a string")
        for key in ("message", "output", "description"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"tests[{i}].{key} is not a string")
        points, most = test.get("points"), test.get("max_points")
        if not all(isinstance(v, int | float) for v in (points, most)) \
                or not 0 <= points <= most:
            problems.append(f"tests[{i}]: points {points!r} of {most!r}")
    if len(json.dumps(data).encode()) > 1_000_000:
        problems.append("larger than 1 MB")
    return problems


@pytest.mark.parametrize(("source", "expected"), [("exercises", 0.25), ("solutions", 1.0)])
def test_results_json(tmp_path: Path, source: str, expected: float) -> None:
    student = tmp_path / "grade" / "student"
    student.mkdir(parents=True)
    shutil.copy(ROOT / source / "mutex" / "kitchen.py", student)     # as pl-file-editor saves
    results = tmp_path / "grade" / "results" / "results.json"
    done = graders("prairielearn", "run", "--student", str(student), "--results",
                   str(results), "--topics", "mutex")
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    assert pl_problems(data) == []
    assert data["gradable"] is True and data["score"] == pytest.approx(expected)
    assert [t["max_points"] for t in data["tests"]] == [1, 2, 1]
    if expected < 1:
        failed = next(t for t in data["tests"] if t["points"] == 0)
        assert failed["message"] and failed["output"]


def test_question_folder(tmp_path: Path) -> None:
    done = graders("prairielearn", "question", "--course", str(tmp_path), "--topics",
                   "data_race")
    assert done.returncode == 0, done.stderr
    q = tmp_path / "questions" / "concurrency_kit" / "data_race"
    info = json.loads((q / "info.json").read_text())
    assert info["gradingMethod"] == "External"
    options = info["externalGradingOptions"]
    assert options["enabled"] is True and options["entrypoint"] == "/grade/tests/run.sh"
    assert options["serverFilesCourse"] == ["concurrency_kit/"]
    html = (q / "question.html").read_text()
    assert '<pl-file-editor file-name="shop.py"' in html
    assert "<pl-external-grader-results>" in html
    assert (q / "starter" / "shop.py").read_text() == \
        (ROOT / "exercises/data_race/shop.py").read_text()
    run_sh = q / "tests" / "run.sh"
    assert os.access(run_sh, os.X_OK)
    assert subprocess.run(["bash", "-n", str(run_sh)], check=False).returncode == 0
    kit = tmp_path / "serverFilesCourse" / "concurrency_kit" / "graders"
    assert (kit / "topics.toml").is_file() and not list(kit.rglob("__pycache__"))


def test_run_sh_grades_like_the_container(tmp_path: Path) -> None:
    """tests/run.sh, with /grade moved into tmp_path, grades with the copied kit."""
    graders("prairielearn", "question", "--course", str(tmp_path / "course"), "--topics",
            "data_race")
    grade = tmp_path / "grade"
    shutil.copytree(tmp_path / "course" / "serverFilesCourse", grade / "serverFilesCourse")
    (grade / "student").mkdir()
    shutil.copy(ROOT / "solutions/data_race/shop.py", grade / "student")
    script = (tmp_path / "course/questions/concurrency_kit/data_race/tests/run.sh").read_text()
    script = script.replace("/grade/", f"{grade}/").replace("python3 ", f"{sys.executable} ")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADERS_", "PYTHON"))}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads((grade / "results" / "results.json").read_text())
    assert pl_problems(data) == [] and data["score"] == 1.0
