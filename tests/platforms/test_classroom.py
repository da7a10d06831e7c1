"""GitHub Classroom: the generated workflow (also against GitHub's workflow schema), the
base64 results the reporter reads, and, marked slow, the workflow's steps run in a clean
clone of the template, as a runner runs them."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from clean_env import bare_env
from kit_env import without_kit_settings

from graders.catalog import topic
from graders.platforms.classroom import REPORTER, runner_id

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ("mutex", "deadlock")


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = without_kit_settings(keep=("GRADERS_RESULTS_KEY",))
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


def _expected_total() -> tuple[int, int]:
    """The mutex starter (its checks not listed as failing) and the deadlock solution."""
    mutex, deadlock = topic("mutex"), topic("deadlock")
    earned = sum(c.points for c in mutex.checks if c.name not in mutex.fails) + deadlock.points
    return earned, mutex.points + deadlock.points


EXPECTED_TOTAL = _expected_total()


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
    assert "Total: {}/{} points".format(*EXPECTED_TOTAL) in done.stdout
    found = {}
    for line in output.read_text().splitlines():
        name, _, value = line.partition("=")
        found[name] = json.loads(base64.b64decode(value, validate=True))
    return found


@pytest.mark.slow
def test_one_result_per_check(reported: dict[str, dict[str, object]]) -> None:
    assert list(reported) == runners()


@pytest.mark.slow
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


@pytest.mark.slow
def test_classroom_total(reported: dict[str, dict[str, object]]) -> None:
    """What the reporter sends to Classroom: the tests' scores over the max scores."""
    total = sum(t["score"] for r in reported.values() for t in r["tests"])
    maximum = sum(r["max_score"] for r in reported.values())
    assert (total, maximum) == EXPECTED_TOTAL
    # the reporter's log table divides passed tests by tests per runner: with one check
    # per runner it agrees with the total
    table = sum(sum(t["status"] == "pass" for t in r["tests"]) / len(r["tests"])
                * r["max_score"] for r in reported.values())
    assert table == total
    failed = reported["mutex-short_critical_section"]
    assert failed["status"] == "fail" and failed["tests"][0]["message"]


# ------------------------------------------------------------ the published schemas
def check_workflows(*files: Path) -> subprocess.CompletedProcess[str]:
    """SchemaStore's GitHub workflow schema, as check-jsonschema vendors it."""
    pytest.importorskip("check_jsonschema", reason="pip install -e '.[dev]'")
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", *map(str, files)],
                          capture_output=True, text=True, timeout=300, check=False)


def test_workflows_follow_the_github_schema(tmp_path: Path) -> None:
    made = [
        ("classroom", "workflow", "--out", "a", "--topics", *TOPICS),
        ("classroom", "workflow", "--out", "b", "--kit", "git+https://example.org/kit@v1",
         "--python", "3.12", "--timeout", "10"),
        ("course-ci", "--out", "c"),
        ("course-ci", "--out", "d", "--no-tests", "--python", "3.12"),
    ]
    for args in made:
        done = graders(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    files = sorted(tmp_path.glob("*/.github/workflows/*.yml"))
    assert len(files) == len(made)
    done = check_workflows(*files)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"              # the check can fail: a job without runs-on
    broken.write_text(files[0].read_text().replace("runs-on:", "runs_on:"))
    assert check_workflows(broken).returncode != 0


# ------------------------------------------------------------ the workflow, step by step
STEP_OUTPUT = re.compile(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")
# What the command grader's result holds (generateResult in autograding-command-grader).
RESULT_KEYS = {"version", "status", "max_score", "tests"}
RESULT_TEST = {"name": str, "status": str, "score": int, "message": str, "test_code": str,
               "filename": str, "line_no": int, "duration": int}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=Classroom", "-c", "user.email=c@example.org",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, capture_output=True,
                   timeout=120, check=True)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assignment's repository as GitHub holds it: the template docs/classroom.md
    describes (the kit's graders/, pyproject.toml, README.md and the topics' exercises, no
    solutions/), with the workflow, committed and pushed to a bare repository."""
    base = tmp_path_factory.mktemp("classroom")
    template = base / "template"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "graders", template / "graders", ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, template / name)
    for t in TOPICS:
        shutil.copytree(ROOT / "exercises" / t, template / "exercises" / t, ignore=skip)
    done = graders("classroom", "workflow", "--out", str(template), "--topics", *TOPICS)
    assert done.returncode == 0, done.stderr
    git("init", "-q", cwd=template)
    git("add", "-A", cwd=template)
    git("commit", "-qm", "Template", cwd=template)
    git("clone", "-q", "--bare", str(template), str(base / "origin.git"), cwd=base)
    return base / "origin.git"


def read_outputs(path: Path) -> dict[str, str]:
    """A step's ``$GITHUB_OUTPUT`` file: ``name=value`` lines, or ``name<<END`` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        name, _, value = lines[i].partition("=")
        if "<<" in name:
            name, _, end = lines[i].partition("<<")
            close = lines.index(end, i + 1)
            value = "\n".join(lines[i + 1:close])
            i = close
        outputs[name] = value
        i += 1
    return outputs


def run_workflow(origin: Path, base: Path) -> dict[str, dict[str, Any]]:
    """One push's run of classroom.yml, as a GitHub runner runs it: a fresh checkout, then
    each ``run:`` step in order with bash, in the checkout, with its own ``$GITHUB_OUTPUT``.
    Of the ``uses:`` steps, actions/checkout is ``git clone``; actions/setup-python is a
    fresh venv of this interpreter put first on PATH (no other virtual environment on it),
    so the workflow's own install step installs the kit into it; the reporter is replaced
    by what its code does: read ``<RUNNER>_RESULTS`` for every runner and decode it.
    Returns runner -> decoded result."""
    yaml = pytest.importorskip("yaml")
    workspace = base / "workspace"
    git("clone", "-q", str(origin), str(workspace), cwd=base)
    python = base / "setup-python"
    subprocess.run([sys.executable, "-m", "venv", str(python)], capture_output=True,
                   timeout=300, check=True)
    env = {**bare_env(python / "bin"), "CI": "true", "GITHUB_ACTIONS": "true",
           "GITHUB_WORKSPACE": str(workspace)}
    doc = yaml.safe_load((workspace / ".github/workflows/classroom.yml").read_text())
    [job] = doc["jobs"].values()
    outputs: dict[str, dict[str, str]] = {}
    for i, step in enumerate(job["steps"]):
        if step.get("uses") == REPORTER:
            step_env = {k: STEP_OUTPUT.sub(lambda m: outputs.get(m[1], {}).get(m[2], ""), v)
                        for k, v in step["env"].items()}
            encoded = {r: step_env[f"{r.strip().upper()}_RESULTS"]
                       for r in step["with"]["runners"].split(",")}
            return {r: json.loads(base64.b64decode(v, validate=True))
                    for r, v in encoded.items()}
        if "uses" in step:
            assert step["uses"].startswith(("actions/checkout@", "actions/setup-python@"))
            continue
        assert "${{" not in step["run"] + json.dumps(step.get("env", {})), step
        script, output = base / f"step-{i}.sh", base / f"step-{i}.out"
        script.write_text(step["run"])
        output.touch()
        done = subprocess.run(["bash", "-e", str(script)], cwd=workspace,
                              env={**env, **step.get("env", {}), "GITHUB_OUTPUT": str(output)},
                              capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout[-3000:]}{done.stderr}"
        if "id" in step:
            outputs[step["id"]] = read_outputs(output)
    raise AssertionError("the workflow has no reporter step")


def reporter_view(results: dict[str, dict[str, Any]]) -> tuple[int, int, bool]:
    """What the reporter makes of the results, after checking each has the shape its code
    reads: (points sent to Classroom, their maximum, whether it fails the run)."""
    for runner, result in results.items():
        assert set(result) == RESULT_KEYS, runner
        assert result["version"] == 1 and result["status"] in ("pass", "fail", "error")
        assert type(result["max_score"]) is int and result["max_score"] > 0, runner
        assert result["tests"], runner
        for test in result["tests"]:
            assert {k: type(v) for k, v in test.items()} == RESULT_TEST, (runner, test)
            assert test["status"] in ("pass", "fail", "error")
            assert 0 <= test["score"] <= result["max_score"] and test["duration"] >= 0
        # its log table: passed tests over tests, times max_score, must agree with the total
        table = (sum(t["status"] == "pass" for t in result["tests"]) / len(result["tests"])
                 * result["max_score"])
        assert table == sum(t["score"] for t in result["tests"]), runner
    points = sum(t["score"] for r in results.values() for t in r["tests"])
    maximum = sum(r["max_score"] for r in results.values())
    fails = any(r["status"] in ("fail", "error") for r in results.values())
    return points, maximum, fails


@pytest.mark.slow
def test_workflow_on_the_starter(origin: Path, tmp_path: Path) -> None:
    results = run_workflow(origin, tmp_path)
    assert list(results) == runners()
    points, maximum, fails = reporter_view(results)
    assert maximum == sum(topic(t).points for t in TOPICS)
    assert points < maximum and fails
    failed = [t for r in results.values() for t in r["tests"] if t["status"] != "pass"]
    assert all(t["message"] for t in failed)


@pytest.mark.slow
def test_workflow_after_pushing_the_solutions(origin: Path, tmp_path: Path) -> None:
    student = tmp_path / "student"
    git("clone", "-q", str(origin), str(student), cwd=tmp_path)
    for t in TOPICS:
        for name in topic(t).files:
            shutil.copy(ROOT / "solutions" / t / name, student / "exercises" / t / name)
    git("commit", "-qam", "Fix the exercises", cwd=student)
    git("push", "-q", "origin", "HEAD", cwd=student)
    (tmp_path / "run").mkdir()
    points, maximum, fails = reporter_view(run_workflow(origin, tmp_path / "run"))
    full = sum(topic(t).points for t in TOPICS)
    assert (points, maximum, fails) == (full, full, False)
