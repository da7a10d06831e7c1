"""The sample class, graded end to end through ``python -m graders grade``.

Each synthetic student gets the expected checks; every cheat scores no more than the same
files without the cheat; a misbehaving student changes nobody else's grade; every output
file follows its format.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from format_checks import (
    check_classroom,
    check_gradescope,
    check_html,
    check_junit,
    check_nbgrader_csv,
    check_prairielearn,
)
from grading_helpers import CLASS, ROOT, grade_cli, make_class, normalized, passed, results

CHEATS = [name for name, s in make_class.STUDENTS.items() if s.cheat]


def add_honest_twin(folder: Path, cheat: str) -> str:
    """The cheat's own files without the cheat, as another student of the class."""
    twin = f"{cheat}_honest"
    student = make_class.STUDENTS[cheat]
    for path, text in make_class.files_of(student, cheat=False).items():
        target = folder / twin / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return twin


def check_outputs(out: Path, students: list[str], topics: int) -> None:
    check_nbgrader_csv((out / "grades.csv").read_text(), len(students), topics)
    sheet = (out / "sheet.csv").read_text().splitlines()
    assert len(sheet) == len(students) + 1
    check_junit((out / "junit.xml").read_text())
    graded = results(out)
    for name in students:
        check_html((out / "feedback" / f"{name}.html").read_text())
        assert (out / "feedback" / f"{name}.md").read_text().startswith(f"# Feedback for {name}")
        if graded[name]["status"] == "review":    # no platform file publishes held points
            assert not (out / "gradescope" / name / "results.json").exists()
            assert not (out / "prairielearn" / name / "results.json").exists()
            continue
        check_gradescope(json.loads((out / "gradescope" / name / "results.json").read_text()))
        check_classroom(json.loads((out / "classroom" / f"{name}.json").read_text()),
                        (out / "classroom" / f"{name}.b64").read_text())
        check_prairielearn((out / "prairielearn" / name / "results.json").read_text())


def expected(name: str, topics: tuple[str, ...]) -> set[str]:
    return {c for c in make_class.EXPECTED[name] if c.split(":")[0] in topics}


def test_the_committed_class_is_what_make_class_writes() -> None:
    assert make_class.main(["--check"]) == 0, "run: python examples/make_class.py"


@pytest.mark.slow
def test_a_quick_class_on_data_race(tmp_path: Path) -> None:
    names = ["ada", "ben", "eve", "finn", "gus", *CHEATS]
    folder = tmp_path / "class"
    for name in names:
        make_class.write_student(folder, name, make_class.STUDENTS[name])
    twin = add_honest_twin(folder, "kai")
    out = tmp_path / "out"
    run = grade_cli(str(folder), "--topics", "data_race", "--jobs", "2", "--timeout", "20",
                    "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    graded = results(out)
    assert sorted(graded) == sorted([*names, twin])
    for name in names:
        assert passed(graded[name]) == expected(name, ("data_race",)), name
    for cheat in CHEATS:
        assert graded[cheat]["score"] <= graded[twin]["score"], cheat
    assert graded["kai"]["checks"][0]["bug_class"] == "tampering"
    assert {n for n, r in graded.items() if r["status"] == "review"} == {"finn", "kai", "max"}
    check_outputs(out, [*names, twin], topics=1)
    assert "ada" in run.stdout and "Graded 10." in run.stdout

    # The same student graded alone gets the very same result: nobody's fork bomb, crash,
    # endless output or cheat in the class changed it.
    alone = tmp_path / "alone"
    shutil.copytree(folder / "ada", alone / "ada")
    run = grade_cli(str(alone), "--topics", "data_race", "--timeout", "20", "--out",
                    str(tmp_path / "out1"))
    assert run.returncode == 0, run.stderr
    assert normalized(tmp_path / "out1")["results/ada.json"] == normalized(out)["results/ada.json"]


@pytest.mark.slow
def test_the_whole_sample_class(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    shutil.copytree(CLASS, folder)
    twin = add_honest_twin(folder, "kai")
    out = tmp_path / "out"
    # The per-check limit is CPU time, which a loaded machine does not eat into: 4 s is
    # several times the dearest correct check of these topics through the sandbox (under
    # 1 s compiled, 2 s pure), and each of dev's endless loops burns all of it.
    run = grade_cli(str(folder), "--jobs", "2", "--timeout", "4", "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    graded = results(out)
    for name in make_class.STUDENTS:
        assert passed(graded[name]) == expected(name, make_class.TOPICS), name
    for cheat in CHEATS:
        assert graded[cheat]["score"] <= graded[twin]["score"], cheat
    assert [c["bug_class"] for c in graded["dev"]["checks"][:2]] == ["timeout", "timeout"]
    assert graded["finn"]["checks"][0]["bug_class"] == "process limit"
    assert {c["check"]: c["bug_class"] for c in graded["eve"]["checks"]
            if c["topic"] == "mutex"}["exact_tally"] == "crash"
    check_outputs(out, [*make_class.STUDENTS, twin], topics=3)


def test_usage_errors(tmp_path: Path) -> None:
    run = grade_cli(str(tmp_path / "nowhere"))
    assert run.returncode == 2 and "no such folder" in run.stderr
    run = grade_cli(str(tmp_path))
    assert run.returncode == 2 and "no student folders" in run.stderr
    (tmp_path / "alice" / "notes").mkdir(parents=True)
    run = grade_cli(str(tmp_path))
    assert run.returncode == 2 and "--topics" in run.stderr
    run = grade_cli(str(tmp_path), "--topics", "no_such_topic")
    assert run.returncode == 2 and "no topic named" in run.stderr


def test_grade_is_listed_in_help() -> None:
    run = subprocess.run([sys.executable, "-m", "graders", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert "grade" in run.stdout
