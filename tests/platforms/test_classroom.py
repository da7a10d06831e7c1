"""GitHub Classroom: the generated workflow, and the base64 results the reporter reads."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graders.catalog import topic
from graders.platforms.classroom import REPORTER, runner_id

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ("mutex", "deadlock")


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADERS_")}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def runners() -> list[str]:
    return [runner_id(t, c.name) for t in TOPICS for c in topic(t).checks]


@pytest.fixture
def workflow_text(tmp_path: Path) -> str:
    done = graders("classroom", "workflow", "--out", str(tmp_path), "--topics", *TOPICS)
    assert done.returncode == 0, done.stderr
    return (tmp_path / ".github" / "workflows" / "classroom.yml").read_text()


def test_workflow_text(workflow_text: str) -> None:
    """Checks that hold with or without a YAML parser."""
    assert "\t" not in workflow_text
    assert '\n"on":\n  push:\n' in workflow_text           # quoted: YAML 1.1 reads on as true
    assert f"uses: {REPORTER}" in workflow_text
    assert "python -m graders classroom report --topics mutex deadlock" in workflow_text
    assert f"runners: {','.join(runners())}" in workflow_text
    for name in runners():
        assert f'{name.upper()}_RESULTS: "${{{{ steps.kit.outputs.{name} }}}}"' \
            in workflow_text


def test_workflow_yaml(workflow_text: str) -> None:
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(workflow_text)
    assert set(doc["on"]) >= {"push"}
    assert doc["permissions"]["checks"] == "write"
    job = doc["jobs"]["run-autograding-tests"]
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[1]["with"]["python-version"] == "3.11"
    grade = next(s for s in steps if s.get("id") == "kit")
    assert grade["run"].startswith("python -m graders classroom report")
    assert '--output "$GITHUB_OUTPUT"' in grade["run"]
    reporter = steps[-1]
    assert reporter["uses"] == REPORTER
    assert reporter["with"]["runners"].split(",") == runners()
    # the reporter reads <RUNNER>_RESULTS, upper-cased
    assert set(reporter["env"]) == {f"{r.upper()}_RESULTS" for r in runners()}


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    repo = tmp_path_factory.mktemp("student-repo")
    (repo / "exercises" / "mutex").mkdir(parents=True)
    (repo / "exercises" / "deadlock").mkdir(parents=True)
    shutil.copy(ROOT / "exercises/mutex/kitchen.py", repo / "exercises/mutex")     # 1 of 4
    shutil.copy(ROOT / "solutions/deadlock/dining.py", repo / "exercises/deadlock")  # 4 of 4
    output = repo / "github_output"
    done = graders("classroom", "report", "--topics", *TOPICS, "--output", str(output),
                   cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "Total: 5/8 points" in done.stdout
    found = {}
    for line in output.read_text().splitlines():
        name, _, value = line.partition("=")
        found[name] = json.loads(base64.b64decode(value, validate=True))
    return found


def test_one_result_per_check(reported: dict[str, dict[str, object]]) -> None:
    assert list(reported) == runners()


def test_result_format(reported: dict[str, dict[str, object]]) -> None:
    for name, result in reported.items():
        assert result["version"] == 1
        assert result["status"] in ("pass", "fail", "error")
        assert type(result["max_score"]) is int and result["max_score"] > 0
        [test] = result["tests"]
        assert {"name", "status", "message", "score"} <= set(test)
        assert type(test["score"]) is int and 0 <= test["score"] <= result["max_score"]
        assert test["status"] == result["status"]
        assert (test["status"] == "pass") == (test["score"] == result["max_score"]), name


def test_classroom_total(reported: dict[str, dict[str, object]]) -> None:
    """What the reporter sends to Classroom: the tests' scores over the max scores."""
    total = sum(t["score"] for r in reported.values() for t in r["tests"])
    maximum = sum(r["max_score"] for r in reported.values())
    assert (total, maximum) == (5, 8)
    # the reporter's log table divides passed tests by tests per runner: with one check
    # per runner it agrees with the total
    table = sum(sum(t["status"] == "pass" for t in r["tests"]) / len(r["tests"])
                * r["max_score"] for r in reported.values())
    assert table == total
    failed = reported["mutex-short_critical_section"]
    assert failed["status"] == "fail" and failed["tests"][0]["message"]
