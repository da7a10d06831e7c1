"""Telling the grader's own failures from the submission's (see graders.grading.supervisor)."""

from __future__ import annotations

import errno
import shutil
import sys
from pathlib import Path

import pytest

from graders.catalog import topic
from graders.cli.output import Output
from graders.grading import sandbox, seal, supervisor
from graders.grading.limits import Limits
from graders.grading.model import INFRASTRUCTURE, CheckResult, SubmissionResult
from graders.grading.progress import summary
from graders.grading.submissions import Submission
from graders.grading.whole_class import grade_class, store

ROOT = Path(__file__).resolve().parents[2]


def raised(fn: object) -> BaseException:
    try:
        fn()  # type: ignore[operator]
    except BaseException as exc:
        return exc
    raise AssertionError("nothing raised")


def submitted(folder: Path, source: str) -> dict[str, object]:
    """Run ``source`` as a submitted file in ``folder``; returns its namespace."""
    path = folder / "planner.py"
    path.write_text(source)
    namespace: dict[str, object] = {}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def test_an_error_in_the_kits_own_code_is_the_kits(tmp_path: Path) -> None:
    assert supervisor._raised_by_kit(raised(lambda: {}["missing"]), str(tmp_path))


def test_an_error_through_a_submitted_file_is_the_submissions(tmp_path: Path) -> None:
    student = submitted(tmp_path, "def book():\n    return 1 / 0\n")
    assert not supervisor._raised_by_kit(raised(student["book"]), str(tmp_path))

    def kit_after_student() -> None:
        try:
            student["book"]()  # type: ignore[operator]
        except ZeroDivisionError:
            raise KeyError("the kit tripped over it") from None

    # ``from None`` hides the cause from the report, not from __context__
    assert not supervisor._raised_by_kit(raised(kit_after_student), str(tmp_path))


@pytest.mark.parametrize("exc", [MemoryError(), RecursionError(), SystemExit(3),
                                 KeyboardInterrupt(), OSError(errno.EMFILE, "too many files")],
                         ids=["memory", "recursion", "exit", "interrupt", "descriptors"])
def test_exhaustion_and_exits_stay_the_submissions(tmp_path: Path, exc: BaseException) -> None:
    def kit() -> None:
        raise exc

    assert not supervisor._raised_by_kit(raised(kit), str(tmp_path))


def test_a_kit_error_becomes_a_check_the_grader_could_not_run() -> None:
    spec = {"topic": "mutex", "check": "exact_tally"}
    kit = supervisor._verdict(spec, b'{"error": "KeyError: 1", "kit_error": true}', 0, False, False,
                         "", Limits())
    assert (kit["status"], kit["bug_class"]) == ("error", INFRASTRUCTURE)
    student = supervisor._verdict(spec, b'{"error": "KeyError: 1", "kit_error": false}', 0, False,
                             False, "", Limits())
    assert (student["status"], student["bug_class"]) == ("error", "crash")


def test_resume_grades_an_ungraded_result_again(tmp_path: Path) -> None:
    """What failed (a package, say) is fixed outside the digest: never reuse "not graded"."""
    folder = tmp_path / "class" / "ada" / "exercises" / "data_race"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "data_race" / "shop.py", folder)
    subs = [Submission("ada", tmp_path / "class" / "ada", "folder")]
    plan = sandbox.Plan((topic("data_race"),), schedules=20)
    out = tmp_path / "out"
    first = grade_class(subs, out, plan).results[0]
    assert first.graded and first.score == first.max_score
    for c in first.checks:
        c.status, c.bug_class = "error", INFRASTRUCTURE
    first.graded = False
    store(out, first, seal.load_key())              # sealed: only "not graded" is at stake
    again = grade_class(subs, out, plan, resume=True)
    assert again.reused == 0 and again.results[0].graded


def test_the_class_summary_says_not_graded(capsys: pytest.CaptureFixture[str]) -> None:
    check = CheckResult("mutex", "exact_tally", 1, False, "error", INFRASTRUCTURE, "missing")
    result = SubmissionResult("ada", "ada", "folder", "", "", "3.11", {}, [check],
                              graded=False)
    summary(Output(sys.stdout, styled=False), [result], [topic("mutex")])
    row = capsys.readouterr().out.splitlines()[1]
    assert row.split()[:5] == ["ada", "error:", "not", "graded", "error:"]
