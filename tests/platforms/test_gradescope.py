"""Gradescope: the zip's layout; run_autograder against a fake /autograder tree; and, marked
slow, the zip as Gradescope runs it: setup.sh builds the image once, then every shape of
upload is graded in a fresh root. results.json is checked against the published autograder
specification ("Output format")."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from clean_env import bare_env
from kit_env import without_kit_settings

from graders.catalog import topic

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
    env = without_kit_settings(keep=("GRADERS_RESULTS_KEY",))
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    done = graders("gradescope", "build", "--out", str(out), "--topics", "data_race",
                   "deadlock")
    assert done.returncode == 0, done.stderr
    assert f"points to {topic('data_race').points + topic('deadlock').points}" in done.stdout
    return out


def test_zip_layout(autograder_zip: Path) -> None:
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        run = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "kit/pyproject.toml", "kit/setup.py",
            "kit/graders/topics.toml", "kit/graders/grading/bootstrap.py",
            "kit/graders/engine/native.py"} <= names
    # (no file a build of this machine made: the image compiles its own, or runs the sources)
    assert not [n for n in names if n.startswith(("kit/solutions", "kit/exercises"))
                or "__pycache__" in n or n.endswith((".so", ".pyd"))
                or "/native-" in n]
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


def starter_points(name: str) -> int:
    """What the untouched starter of ``name`` earns: its checks topics.toml does not list
    it as failing."""
    t = topic(name)
    return sum(c.points for c in t.checks if c.name not in t.fails)


def run_autograder(root: Path) -> dict[str, object]:
    env = without_kit_settings(also=("PYTHON",), keep=("GRADERS_RESULTS_KEY",))
    env.update(GRADERS_AUTOGRADER_ROOT=str(root), GRADERS_PYTHON=sys.executable)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.slow
def test_run_autograder_on_a_checkout(autograder_zip: Path, tmp_path: Path) -> None:
    root = fake_autograder(tmp_path, autograder_zip, {
        "kit/exercises/data_race/shop.py": ROOT / "solutions/data_race/shop.py",
        "kit/exercises/deadlock/dining.py": ROOT / "exercises/deadlock/dining.py"})
    data = run_autograder(root)
    assert spec_problems(data) == []
    assert data["score"] == topic("data_race").points + starter_points("deadlock")
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["data_race: no_lost_updates"]["status"] == "passed"
    eats = by_name["deadlock: everyone_eats"]
    assert eats["status"] == "failed" and eats["score"] == 0.0 and eats["max_score"] == 2.0
    assert "Deadlock" in eats["output"]
    hidden = by_name["data_race: many_shoppers (hidden)"]
    assert hidden["max_score"] == 1.0
    assert [t["number"] for t in data["tests"]] == [
        f"{i}.{j}" for i, name in enumerate(("data_race", "deadlock"), 1)
        for j in range(1, len(topic(name).checks) + 1)]


@pytest.mark.slow
def test_run_autograder_on_loose_files(autograder_zip: Path, tmp_path: Path) -> None:
    root = fake_autograder(tmp_path, autograder_zip, {
        "shop.py": ROOT / "exercises/data_race/shop.py",
        "dining.py": ROOT / "solutions/deadlock/dining.py"})
    data = run_autograder(root)
    assert spec_problems(data) == []
    assert data["score"] == starter_points("data_race") + topic("deadlock").points
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


# ------------------------------------------------------------ as Gradescope runs it
# The image is built once with the real setup.sh (it installs the kit's dependencies from
# PyPI), then every submission gets a fresh root made of that image, as Gradescope starts a
# fresh container of its image for each one.
#: Two topics whose checks cost little: these tests are about uploads, not the checks.
FIRST, SECOND = "race_condition", "condition_variables"
IMAGE_TOPICS = (FIRST, SECOND)
IMAGE_FILES = {t: topic(t).files[0] for t in IMAGE_TOPICS}
IMAGE_POINTS = {t: topic(t).points for t in IMAGE_TOPICS}
SOLVED, STARTER = "solutions", "exercises"      # the folders a topic's file is taken from
# Gradescope's default container memory (its troubleshooting guide), as an address-space
# limit on run_autograder: stricter than the container's, which counts resident memory.
GRADESCOPE_MEMORY_KB = 768 * 1024


def build_image(folder: Path) -> Path:
    """Build the zip with the CLI, unpack it into ``<root>/source`` and run its setup.sh
    there, with this test's interpreter first on PATH as ``python3`` and no virtual
    environment on PATH otherwise; returns the root."""
    zip_path = folder / "autograder.zip"
    done = graders("gradescope", "build", "--out", str(zip_path), "--topics", *IMAGE_TOPICS)
    assert done.returncode == 0, done.stderr
    root = folder / "gradescope image"            # a space tests the scripts' quoting
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    shim = folder / "bin"
    shim.mkdir()
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (shim / "python3").chmod(0o755)
    # GRADERS_NATIVE=0: the install leaves the engine pure (setup.py's own switch, as on an
    # image without a C compiler). Compiling it is the install's work, which both README
    # lines check; here it cost 40 s of the suite's CPU for the same grades.
    env = {**bare_env(shim), "GRADERS_AUTOGRADER_ROOT": str(root), "GRADERS_NATIVE": "0"}
    done = subprocess.run([str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert FIRST in done.stdout                       # setup.sh ends by listing topics
    return root


@pytest.fixture(scope="session")
def gradescope_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image, built once per test session. Under pytest-xdist every worker has its own
    session, so the first one builds it in the run's shared temporary folder under a lock
    and the others reuse it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "gradescope-image"
    with open(shared / "gradescope-image.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "built").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build_image(folder)
            (folder / "built").touch()
    return folder / "gradescope image"


def grade_in_container(image: Path, base: Path, files: dict[str, bytes]) -> dict[str, Any]:
    """One submission as Gradescope grades it: a fresh root holding the image's source/ and
    venv/, run_autograder copied to the top, the upload unpacked into submission/; then
    run_autograder with the root as its working folder, no setting but the root, and no
    more memory than Gradescope gives by default."""
    root = base / "autograder"
    root.mkdir()
    for part in ("source", "venv"):
        (root / part).symlink_to(image / part, target_is_directory=True)
    shutil.copy(image / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    env = {**bare_env(), "GRADERS_AUTOGRADER_ROOT": str(root)}
    with open(root / "results" / "stdout", "w") as stdout:
        done = subprocess.run(
            ["bash", "-c", f'ulimit -v {GRADESCOPE_MEMORY_KB} && exec "$0"',
             str(root / "run_autograder")], cwd=root, env=env, stdout=stdout,
            stderr=subprocess.STDOUT, timeout=600, check=False)
    log = (root / "results" / "stdout").read_text()
    assert done.returncode == 0, log
    data = json.loads((root / "results" / "results.json").read_text())
    assert spec_problems(data) == [], log
    assert isinstance(data["execution_time"], int)          # the specification's seconds
    for test in data["tests"]:
        assert (test["status"] == "passed") == (test["score"] == test["max_score"]), test
    return data


def upload(layout: str, kinds: dict[str, str | None]) -> dict[str, bytes]:
    """The student's files for each topic: the reference solution, the untouched starter,
    one that does not parse, or none; ``layout`` is where a topic's file lies."""
    files = {}
    for name, kind in kinds.items():
        path = layout.format(topic=name) + IMAGE_FILES[name]
        if kind == "syntax error":
            files[path] = b"def cook(self, dishes:\n    pass\n"
        elif kind is not None:
            files[path] = (ROOT / kind / name / IMAGE_FILES[name]).read_bytes()
    return files


def assert_graded(data: dict[str, Any], kinds: dict[str, str | None]) -> None:
    """Full marks for a topic's reference solution, fewer for its starter, none for a
    missing file or one that does not parse, each with a reason the student can read."""
    for name, kind in kinds.items():
        tests = [t for t in data["tests"] if t["name"].startswith(f"{name}: ")]
        earned = sum(t["score"] for t in tests)
        assert sum(t["max_score"] for t in tests) == IMAGE_POINTS[name]
        if kind == SOLVED:
            assert earned == IMAGE_POINTS[name], tests
        elif kind == STARTER:
            assert earned < IMAGE_POINTS[name], tests
        else:
            assert earned == 0, tests
        failed = [t["output"] for t in tests if t["status"] == "failed"]
        if kind == "syntax error":
            assert all("SyntaxError" in out for out in failed), failed
        if kind is None:
            assert f"no {IMAGE_FILES[name]} for topic {name}" in data["output"]
    total = sum(t["score"] for t in data["tests"])
    assert data["output"].startswith(f"{total:g}/{sum(IMAGE_POINTS.values())} points")


@pytest.mark.slow
@pytest.mark.parametrize(("layout", "kinds"), [
    pytest.param("", {FIRST: SOLVED, SECOND: SOLVED}, id="files-at-the-top"),
    pytest.param("{topic}/", {FIRST: SOLVED, SECOND: STARTER}, id="topic-folders"),
    pytest.param("exercises/{topic}/", {FIRST: STARTER, SECOND: SOLVED},
                 id="exercises-tree"),
    pytest.param("Homework 3/", {FIRST: STARTER, SECOND: SOLVED},
                 id="zipped-folder-of-files"),
    pytest.param("hw/{topic}/", {FIRST: SOLVED, SECOND: STARTER},
                 id="zipped-folder-of-topic-folders"),
    pytest.param("kit-main/exercises/{topic}/", {FIRST: SOLVED, SECOND: SOLVED},
                 id="zipped-folder-of-the-exercises-tree"),
    pytest.param("", {FIRST: None, SECOND: None}, id="empty"),
    pytest.param("", {FIRST: None, SECOND: SOLVED}, id="one-topic-missing"),
    pytest.param("{topic}/", {FIRST: SOLVED, SECOND: "syntax error"},
                 id="syntax-error"),
])
def test_gradescope_grades_every_upload(gradescope_image: Path, tmp_path: Path, layout: str,
                                        kinds: dict[str, str | None]) -> None:
    files = upload(layout, kinds)
    wrapper = layout.partition("/")[0]
    if wrapper and "{" not in wrapper and wrapper != "exercises":
        # a folder zipped by macOS's Finder: __MACOSX/ beside it, with AppleDouble files
        files.update({f"__MACOSX/{wrapper}/._{IMAGE_FILES[t]}": b"\0\5\26\7" for t in kinds})
    data = grade_in_container(gradescope_image, tmp_path, files)
    assert_graded(data, kinds)
    assert [t["number"] for t in data["tests"]] == [
        f"{i}.{j}" for i, t in enumerate(IMAGE_TOPICS, 1)
        for j in range(1, len(topic(t).checks) + 1)]


@pytest.mark.slow
def test_gradescope_grades_a_github_checkout(gradescope_image: Path, tmp_path: Path) -> None:
    """A GitHub submission: the student's whole checkout of the kit. Its own graders/ never
    runs (it would stop the grading here); only the exercises' files are read."""
    files = {f"exercises/{p.relative_to(ROOT / 'exercises')}": p.read_bytes()
             for p in (ROOT / "exercises").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    files.update({name: (ROOT / name).read_bytes() for name in ("pyproject.toml", "README.md")})
    files["graders/__init__.py"] = b"raise SystemExit('the submission\\'s graders/ ran')\n"
    files["graders/__main__.py"] = files["graders/__init__.py"]
    kinds: dict[str, str | None] = {FIRST: SOLVED, SECOND: STARTER}
    files.update(upload("exercises/{topic}/", kinds))
    data = grade_in_container(gradescope_image, tmp_path, files)
    assert_graded(data, kinds)
