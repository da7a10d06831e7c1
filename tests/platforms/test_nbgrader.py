"""The nbgrader route, for real: export a course, generate the student version, autograde a
correct, a partly correct and a deadlocking submission, read the scores from the gradebook,
generate feedback and export grades to CSV."""

from __future__ import annotations

import csv
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from clean_env import bare_env, decoys

from graders.catalog import topic, topics
from graders.interpreter_tools import path_with_scripts

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[nbgrader]'")

from graders.platforms.nbgrader_course import (  # noqa: E402 - needs nbformat
    BEGIN,
    END,
    build_notebook,
    merge,
)

TOPIC = "deadlock"
HIDDEN = "polite_philosophers"          # hidden for the test course with --hide


def _expected_scores() -> dict[str, float]:
    """correct: every point; partly (part 2 undone): all but the hidden Part 2 check's;
    deadlocking (the starter): the points of the checks it is not listed to fail."""
    from graders.catalog import topic

    t = topic(TOPIC)
    return {"correct": float(t.points), "partly": float(t.points - t.check(HIDDEN).points),
            "deadlocking": float(sum(c.points for c in t.checks if c.name not in t.fails))}


def _partly_cells() -> dict[str, float]:
    from graders.catalog import topic

    return {f"{TOPIC}-{c.name}": 0.0 if c.name == HIDDEN else float(c.points)
            for c in topic(TOPIC).checks}


def fill(merged_text: str, starter: list[list[str]], keep_starter: set[int]) -> str:
    """The merged cell text with the regions in ``keep_starter`` given the starter's lines
    and every other region its solution lines: a student who fixed some places."""
    out: list[str] = []
    region, inside = -1, False
    for line in merged_text.split("\n"):
        if BEGIN in line:
            region, inside = region + 1, True
            if region in keep_starter:
                out.extend(starter[region])
        elif END in line:
            inside = False
        elif not inside or region not in keep_starter:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("name", list(topics()))
def test_merge_keeps_both_versions(name: str) -> None:
    t = topic(name)
    for file_name in t.files:
        starter = (t.exercise_dir() / file_name).read_text()
        solution = (t.solution_dir() / file_name).read_text()
        merged = merge(starter, solution)
        regions = len(merged.starter)
        assert fill(merged.text, merged.starter, set()) == solution.rstrip("\n")
        assert fill(merged.text, merged.starter, set(range(regions))) == starter.rstrip("\n")


@pytest.mark.parametrize("name", list(topics()))
def test_notebooks_are_valid_for_nbgrader(name: str) -> None:
    nb = build_notebook(topic(name))
    nbformat.validate(nb)
    validator = pytest.importorskip("nbgrader.nbgraderformat").MetadataValidator()
    validator.validate_nb(nb)
    grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata.nbgrader.points for c in grade_cells] == \
        [c.points for c in topic(name).checks]
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert cell.source.startswith("%%writefile ")


# ---------------------------------------------------------------- the round trip
def nbgrader(course: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-4000:]}"
    return done


def make_course(base: Path, env: dict[str, str]) -> dict[str, object]:
    """Export, generate, submit three notebooks, autograde, feedback, export grades."""
    root = base / "course"
    done = subprocess.run([sys.executable, "-m", "graders", "nbgrader", "export", "--course",
                           str(root), "--topics", TOPIC, "--hide", f"{TOPIC}.{HIDDEN}"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    check_gradebook_is_whole(root)
    nbgrader(root, env, "db", "upgrade")             # runs alembic by name
    nbgrader(root, env, "generate_assignment", TOPIC)

    t = topic(TOPIC)
    file_name = t.files[0]
    starter = (t.exercise_dir() / file_name).read_text()
    solution = (t.solution_dir() / file_name).read_text()
    merged = merge(starter, solution)
    last = len(merged.starter) - 1
    codes = {"correct": solution,
             "partly": fill(merged.text, merged.starter, {last}),    # part 2 left undone
             "deadlocking": starter}                                 # forks in a cycle
    released = nbformat.read(root / "release" / TOPIC / f"{TOPIC}.ipynb", as_version=4)
    for student, code in codes.items():
        nb = nbformat.from_dict(released)
        cell = next(c for c in nb.cells if c.source.startswith(f"%%writefile {file_name}"))
        cell.source = f"%%writefile {file_name}\n{code}"
        folder = root / "submitted" / student / TOPIC
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{TOPIC}.ipynb")
        (folder / file_name).write_text("# a stale copy the notebook's cell replaces\n")

    nbgrader(root, env, "autograde", TOPIC)
    nbgrader(root, env, "generate_feedback", TOPIC)
    nbgrader(root, env, "export")
    return {"root": root, "released": released, "starter": starter}


def check_gradebook_is_whole(root: Path) -> None:
    with sqlite3.connect(root / "gradebook.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        versions = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert {"assignment", "student", "alembic_version"} <= tables
    assert len(versions) == 1 and versions[0][0]
    assert not list(root.glob(".*.tmp"))


def check_student_version_is_the_starter(course: dict[str, object]) -> None:
    released = course["released"]
    code = next(c for c in released.cells if c.source.startswith("%%writefile"))
    assert code.source.split("\n", 1)[1] == course["starter"].rstrip("\n")
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "sorted((left, right))" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    assert f'check("{TOPIC}", "{HIDDEN}"' not in text
    assert f"Hidden check `{HIDDEN}`" in text


def check_gradebook_scores(course: dict[str, object]) -> None:
    from nbgrader.api import Gradebook

    root: Path = course["root"]
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(TOPIC, s).score
                  for s in ("correct", "partly", "deadlocking")}
        per_cell = {g.name: g.score for g in
                    gb.find_submission_notebook(TOPIC, TOPIC, "partly").grades}
    assert scores == _expected_scores()
    assert per_cell == _partly_cells()


def check_graded_notebooks_print_to_stdout_only(course: dict[str, object]) -> None:
    root: Path = course["root"]
    nb = nbformat.read(root / "autograded" / "deadlocking" / TOPIC / f"{TOPIC}.ipynb", 4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"
                or (o.output_type == "stream" and o.name == "stderr")]
    text = "".join(o.get("text", "") for o in outputs)
    assert "Deadlock:" in text and f"check {TOPIC} --path . --only everyone_eats" in text


def check_feedback_hides_hidden_checks(course: dict[str, object]) -> None:
    root: Path = course["root"]
    for student in ("correct", "partly", "deadlocking"):
        html = (root / "feedback" / student / TOPIC / f"{TOPIC}.html").read_text()
        assert f"Hidden check {HIDDEN}" in html
        assert "BEGIN HIDDEN TESTS" not in html
        assert f"&quot;{HIDDEN}&quot;" not in html and f'"{HIDDEN}"' not in html
    partly = (root / "feedback" / "partly" / TOPIC / f"{TOPIC}.html").read_text()
    hidden_output = partly[partly.index(f"Hidden check {HIDDEN}"):][:300]
    assert "did not pass: 0 of 2 points" in hidden_output
    # the visible check passed, so the only failure is the hidden one: no seed, schedule
    # or replay line of it may appear anywhere
    plain = re.sub(r"<[^>]+>", "", partly)
    assert not re.search(r"\bseed\b|Replay|schedule \d+ of", plain)


def check_csv_export(course: dict[str, object]) -> None:
    root: Path = course["root"]
    with (root / "grades.csv").open() as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert {s: float(r["score"]) for s, r in rows.items()} == _expected_scores()
    assert {r["max_score"] for r in rows.values()} == {f"{_expected_scores()['correct']:.1f}"}


@pytest.mark.slow
def test_round_trip(tmp_path: Path,
                    make_jupyter_env: Callable[[Path], dict[str, str]]) -> None:
    """One course, three submissions, one topic: everything nbgrader does with them, run as
    a newcomer runs it, with the kit's interpreter and no virtual environment activated.
    (One test, so that parallel runs make the course once.)"""
    pytest.importorskip("nbgrader", reason="pip install -e '.[nbgrader]'")
    pytest.importorskip("ipykernel", reason="pip install -e '.[nbgrader]'")
    env = bare_env(decoys(tmp_path / "decoys"), make_jupyter_env(tmp_path))
    course = make_course(tmp_path, env)
    check_student_version_is_the_starter(course)
    check_gradebook_scores(course)
    check_graded_notebooks_print_to_stdout_only(course)
    check_feedback_hides_hidden_checks(course)
    check_csv_export(course)


@pytest.mark.slow
def test_an_activated_venv_works_the_same(
        tmp_path: Path, make_jupyter_env: Callable[[Path], dict[str, str]]) -> None:
    pytest.importorskip("nbgrader", reason="pip install -e '.[nbgrader]'")
    env = make_jupyter_env(tmp_path)
    env.update(VIRTUAL_ENV=sys.prefix, PATH=path_with_scripts(env.get("PATH")))
    root = tmp_path / "course"
    done = subprocess.run([sys.executable, "-m", "graders", "nbgrader", "export", "--course",
                           str(root), "--topics", TOPIC], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"wrote {root / 'gradebook.db'}" in done.stdout
    nbgrader(root, env, "db", "upgrade")
    nbgrader(root, env, "generate_assignment", TOPIC)
    check_gradebook_is_whole(root)
    assert (root / "release" / TOPIC / f"{TOPIC}.ipynb").is_file()


def test_a_failed_gradebook_leaves_nothing_half_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("nbgrader.api", reason="pip install -e '.[nbgrader]'")
    from graders.platforms.nbgrader_course import ExportError, export

    def broken() -> str:
        raise OSError("alembic did not start")

    monkeypatch.setattr(api, "get_alembic_version", broken)
    root = tmp_path / "course"
    with pytest.raises(ExportError, match=r"could not create .*gradebook\.db.*alembic did not"):
        export(root, [topic(TOPIC)])
    assert not (root / "gradebook.db").exists()
    assert not list(root.glob(".*"))
    monkeypatch.undo()
    written = export(root, [topic(TOPIC)])      # the retry makes it whole
    assert root / "gradebook.db" in written
    check_gradebook_is_whole(root)
