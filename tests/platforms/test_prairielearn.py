"""PrairieLearn: results.json as external grading specifies it, the question folder, and the
grading route as the platform runs it (``/grade/tests/run.sh`` under a bare ``python3``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from kit_env import without_kit_settings

from graders.catalog import topic, topics
from graders.grading.formats.prairielearn import TEST_KEYS, TOP_KEYS
from graders.platforms import prairielearn

ROOT = Path(__file__).resolve().parents[2]
KIT = Path("serverFilesCourse") / prairielearn.KIT_DIR
#: The route test's topics: the one that needs a package, and one that needs none.
ROUTE_TOPICS = ("reader_writer", "mutex")
FILES = {"reader_writer": "planner.py", "mutex": "kitchen.py"}


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = without_kit_settings(keep=("GRADERS_RESULTS_KEY",))
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def pl_problems(data: object) -> list[str]:
    """What PrairieLearn's external grading results format does not allow."""
    if not isinstance(data, dict):
        return ["not an object"]
    problems = [f"unknown key {k!r}" for k in sorted(set(data) - TOP_KEYS)]
    if data.get("gradable", True) is False:
        errors = data.get("format_errors")
        if not (isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors)):
            problems.append(f"not gradable, but format_errors is {errors!r}")
    else:
        score = data.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool) \
                or not 0.0 <= score <= 1.0:
            problems.append(f"score {score!r} is not a number in [0, 1]")
    for i, test in enumerate(data.get("tests", [])):
        problems += [f"tests[{i}]: unknown key {k!r}" for k in sorted(set(test) - TEST_KEYS)]
        if not isinstance(test.get("name"), str):
            problems.append(f"tests[{i}].name is not a string")
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
                   "data_race", "reader_writer")
    assert done.returncode == 0, done.stderr
    assert "readerwriterlock" in done.stdout
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
    kit = tmp_path / KIT
    assert (kit / "graders" / "topics.toml").is_file() and not list(kit.rglob("__pycache__"))
    # the sources only: a compiled engine of this machine would not fit the grading image
    assert not [p for p in (kit / "graders").rglob("*") if p.suffix in (".so", ".pyd")
                or p.name.startswith("native-")]
    # what reader_writer needs, pure Python, beside the kit (with its own dependency)
    assert (kit / "readerwriterlock" / "rwlock.py").is_file()
    assert (kit / "typing_extensions.py").is_file()


def test_only_installed_pure_python_packages_are_copied(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pip install no-such-package-for-the-kit"):
        prairielearn.distributions(["no-such-package-for-the-kit"])
    pytest.importorskip("markupsafe")         # has a compiled speed-up module
    with pytest.raises(ValueError, match="not pure Python"):
        prairielearn.vendor(metadata.distribution("MarkupSafe"), tmp_path)
    assert not list(tmp_path.iterdir())


def readme_code_blocks(name: str) -> list[str]:
    text = (ROOT / "exercises" / name / "README.md").read_text()
    text = text.split("\n## Check your work", 1)[0]
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)


@pytest.mark.parametrize("name", list(topics()))
def test_question_markdown_holds_the_readme_as_written(tmp_path: Path, name: str) -> None:
    """PrairieLearn renders <markdown> itself (code blocks become <pl-code>, which escapes
    them): escaped here, `<` would show as `&lt;`. Mustache runs first, so no `{{`."""
    prairielearn.question(tmp_path, topic(name))
    html = (tmp_path / "questions" / "concurrency_kit" / name / "question.html").read_text()
    block = html.split("<markdown>\n", 1)[1].split("\n</markdown>", 1)[0]
    for code in readme_code_blocks(name):
        assert code in block
    assert "&lt;" not in block and "&amp;" not in block and "{{" not in html


def test_the_readme_with_angle_brackets_in_code() -> None:
    assert any("<" in code for code in readme_code_blocks("thread_lifecycle"))
    assert prairielearn._markdown("a <markdown> b </markdown#> c") == \
        "a <markdown#> b </markdown##> c"


# ------------------------------------------------------------------ as PrairieLearn runs it
@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``python3`` is this Python's base interpreter with nothing installed:
    no pip, no pytest, no rich, no readerwriterlock (a grading image has none of them)."""
    where = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(where)],
                   check=True, env={"PATH": "/usr/bin:/bin"})
    probe = subprocess.run(
        [str(where / "bin" / "python3"), "-c",
         "import importlib.util as u; print([m for m in ('readerwriterlock', 'pytest', 'rich',"
         " 'typing_extensions') if u.find_spec(m)])"],
        capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    assert probe.stdout.strip() == "[]"
    return where / "bin"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PrairieLearn course with the route topics' questions and the kit, as an instructor
    makes it."""
    where = tmp_path_factory.mktemp("course")
    done = graders("prairielearn", "question", "--course", str(where), "--topics",
                   *ROUTE_TOPICS)
    assert done.returncode == 0, done.stderr
    return where


def grade_root(tmp_path: Path, course: Path, name: str, source: Path) -> Path:
    """``/grade`` as PrairieLearn lays it out for one submission of question ``name``."""
    grade = tmp_path / "grade"
    shutil.copytree(course / "questions" / "concurrency_kit" / name / "tests", grade / "tests")
    shutil.copytree(course / "serverFilesCourse", grade / "serverFilesCourse")
    (grade / "student").mkdir()
    shutil.copy(source, grade / "student" / FILES.get(name, source.name))
    return grade


def run_sh(grade: Path, bin_dir: Path) -> dict[str, object]:
    """Run ``/grade/tests/run.sh`` with ``bin_dir``'s ``python3`` first on PATH; the job must
    exit 0 (PrairieLearn ignores results.json otherwise) and leave a valid results.json."""
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "GRADERS_GRADE_ROOT": str(grade)}
    done = subprocess.run(["bash", str(grade / "tests" / "run.sh")], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((grade / "results" / "results.json").read_text())
    assert pl_problems(data) == [], data
    return data


@pytest.mark.slow
@pytest.mark.parametrize("name", ROUTE_TOPICS)
def test_run_sh_grades_with_a_bare_python(tmp_path: Path, course: Path, bare_python: Path,
                                          name: str) -> None:
    """The reference solution scores full marks and the starter less, both gradable, under
    a Python with nothing installed: the kit and the packages it copied are enough."""
    solved = run_sh(grade_root(tmp_path / "s", course, name,
                               ROOT / "solutions" / name / FILES[name]), bare_python)
    assert solved["gradable"] is True and solved["score"] == 1.0, solved
    starter = run_sh(grade_root(tmp_path / "e", course, name,
                                ROOT / "exercises" / name / FILES[name]), bare_python)
    assert starter["gradable"] is True and starter["score"] < 1.0, starter


def test_a_missing_package_is_not_gradable(tmp_path: Path, course: Path,
                                           bare_python: Path) -> None:
    grade = grade_root(tmp_path, course, "reader_writer",
                       ROOT / "solutions" / "reader_writer" / "planner.py")
    shutil.rmtree(grade / KIT / "readerwriterlock")
    data = run_sh(grade, bare_python)
    assert data["gradable"] is False and "score" not in data
    message = data["format_errors"][0]
    assert message.startswith("Not graded: the grader itself failed")
    assert "readerwriterlock" in message and "pip install readerwriterlock" in message


def test_a_crash_of_the_kits_check_code_is_not_gradable(tmp_path: Path, course: Path,
                                                        bare_python: Path) -> None:
    grade = grade_root(tmp_path, course, "mutex", ROOT / "solutions" / "mutex" / "kitchen.py")
    checks = grade / KIT / "graders" / "checks" / "mutex.py"
    checks.write_text(checks.read_text() + (           # every mutex check now fails itself
        "\n\ndef _broken(folder, settings):\n    raise KeyError('a bug of the kit')\n\n\n"
        "import graders.checks as _kit\n\n"
        "for _name in list(_kit._REGISTRY['mutex']):\n"
        "    _kit._REGISTRY['mutex'][_name] = _broken\n"))
    data = run_sh(grade, bare_python)
    assert data["gradable"] is False
    assert "KeyError: 'a bug of the kit'" in data["format_errors"][0]


def test_a_grader_that_cannot_start_is_not_gradable(tmp_path: Path, course: Path) -> None:
    grade = grade_root(tmp_path, course, "mutex", ROOT / "solutions" / "mutex" / "kitchen.py")
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "python3").write_text("#!/bin/sh\necho 'python3: cannot start' >&2\nexit 1\n")
    (broken / "python3").chmod(0o755)
    data = run_sh(grade, broken)
    assert data["gradable"] is False and "failed to start" in data["format_errors"][0]
