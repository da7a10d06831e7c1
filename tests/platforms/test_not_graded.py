"""When the grader itself fails, every platform says so to staff and records no score."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from graders import cli
from graders.catalog import topic
from graders.grading.model import INFRASTRUCTURE, CheckResult, SubmissionResult
from graders.platforms import gradescope, notebook, one_submission, prairielearn

ROOT = Path(__file__).resolve().parents[2]
REASON = "The reader_writer checks need the package readerwriterlock, which is missing."


def fake_grade(sub: Any, plan: Any, files: Any = None) -> SubmissionResult:
    """What the sandbox returns when the grading process cannot import a required package."""
    checks = [CheckResult(t.name, c.name, c.points, c.hidden, "error", INFRASTRUCTURE, REASON)
              for t, c in plan.checks()]
    return SubmissionResult(sub.student, sub.path.name, "folder", "sha256:0", "", "3.11",
                            {}, checks, graded=False)


@pytest.fixture
def submission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(one_submission, "grade", fake_grade)
    folder = tmp_path / "submission"
    folder.mkdir()
    shutil.copy(ROOT / "solutions/reader_writer/planner.py", folder)
    return folder


def test_grade_files_raises_not_graded_with_the_reason(submission: Path) -> None:
    with pytest.raises(one_submission.NotGraded, match="readerwriterlock") as caught:
        one_submission.grade_root(submission, [topic("reader_writer")])
    assert str(caught.value).startswith("Not graded: the grader itself failed")


def test_a_crash_while_grading_is_not_graded(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> SubmissionResult:
        raise OSError("no space left for the scratch folder")

    monkeypatch.setattr(one_submission, "grade", crash)
    with pytest.raises(one_submission.NotGraded, match="the grader crashed: OSError: no space"):
        one_submission.grade_root(tmp_path, [topic("mutex")])


def test_gradescope_writes_no_results_and_fails(submission: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results" / "results.json"
    results.parent.mkdir()
    results.write_text('{"score": 6.0}')           # a stale file must not be uploaded
    with pytest.raises(one_submission.NotGraded):
        gradescope.run(submission, results, [topic("reader_writer")])
    assert not results.exists()
    code = cli.main(["gradescope", "run", "--submission", str(submission), "--results",
                     str(results), "--topics", "reader_writer"])
    assert code == 1 and not results.exists()
    assert "readerwriterlock" in capsys.readouterr().out


def test_classroom_step_fails_without_reporting_a_score(submission: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    output = tmp_path / "github_output"
    code = cli.main(["classroom", "report", "--root", str(submission), "--topics",
                     "reader_writer", "--output", str(output)])
    assert code == 1 and not output.exists()
    out = capsys.readouterr().out
    assert out.startswith("::error title=Not graded::Not graded:") and "readerwriterlock" in out


def test_a_notebook_cell_raises_instead_of_scoring(submission: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(one_submission.NotGraded, match="readerwriterlock"):
        notebook.check("reader_writer", "writers_exclusive", 1, folder=submission)
    assert "FAIL" not in capsys.readouterr().out


def test_prairielearn_results_are_not_gradable(submission: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    data = prairielearn.run(submission, results, [topic("reader_writer")])
    assert json.loads(results.read_text()) == data
    assert data == {"gradable": False, "format_errors": [data["format_errors"][0]]}
    assert "readerwriterlock" in data["format_errors"][0]
