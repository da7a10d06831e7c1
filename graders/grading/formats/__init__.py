"""Output formats: each module renders the result model to one published format.

Per student (written as soon as the student is graded, and again at the end):

============================================  =============================================
``feedback/<id>.md``, ``feedback/<id>.html``  what the student reads (:mod:`.feedback`)
``gradescope/<id>/results.json``              Gradescope autograder results (:mod:`.gradescope`)
``classroom/<id>.json``, ``<id>.b64``         GitHub Classroom's grader result (:mod:`.classroom`)
``prairielearn/<id>/results.json``            PrairieLearn external grading (:mod:`.prairielearn`)
============================================  =============================================

For the class (written at the end): ``grades.csv`` with ``nbgrader export``'s columns
(:mod:`.nbgrader`), ``sheet.csv`` with one row per student (:mod:`.sheet`) and
``junit.xml`` (:mod:`.junit`).

Every renderer is a pure function from results to text; students see hidden checks only
through :meth:`~graders.grading.model.CheckResult.student_report` (and ``student_text``,
the same followed by the hint). A check's hint stays data (``CheckResult.hint``) until a
renderer writes it.

A result with ``graded = False`` (the grader itself failed) never shows as a score: the
feedback, ``sheet.csv`` and ``grades.csv`` say "error: not graded", PrairieLearn's file is
not gradable, GitHub Classroom's status is ``error``, and no Gradescope results.json is
written, since a missing one is how Gradescope's specification reports an autograder that
failed (see :mod:`graders.platforms.gradescope`).

A result whose flagged code waits for the instructor's review shows "review" in the
feedback, ``sheet.csv`` and ``grades.csv`` (an empty score), and gets no Gradescope, Classroom
or PrairieLearn file until the code is accepted: each of those would publish the points.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from graders.catalog import Topic

from ..model import REVIEW, SubmissionResult, write_atomic
from ..submissions import safe_name
from . import classroom, feedback, gradescope, junit, nbgrader, prairielearn, sheet


@dataclass(frozen=True)
class Person:
    last_name: str = ""
    first_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Context:
    """What the formats need besides the results."""

    topics: tuple[Topic, ...]
    roster: dict[str, Person] = field(default_factory=dict)
    duedate: str = ""


def read_roster(path: Path) -> dict[str, Person]:
    """A CSV with a ``student_id`` column and optional last_name, first_name, email."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "student_id" not in reader.fieldnames:
            raise ValueError(f"{path}: a roster needs a student_id column")
        return {row["student_id"]: Person(row.get("last_name") or "",
                                          row.get("first_name") or "", row.get("email") or "")
                for row in reader if row.get("student_id")}


def write_student(out: Path, result: SubmissionResult, context: Context) -> None:
    name = safe_name(result.student)
    write_atomic(out / "feedback" / f"{name}.md", feedback.markdown(result, context.topics))
    write_atomic(out / "feedback" / f"{name}.html", feedback.html(result, context.topics))
    if result.withheld() == REVIEW:
        for path in (out / "gradescope" / name / "results.json",
                     out / "classroom" / f"{name}.json", out / "classroom" / f"{name}.b64",
                     out / "prairielearn" / name / "results.json"):
            path.unlink(missing_ok=True)
        return
    if result.graded:
        write_atomic(out / "gradescope" / name / "results.json", gradescope.dumps(result))
    else:
        (out / "gradescope" / name / "results.json").unlink(missing_ok=True)
    write_atomic(out / "classroom" / f"{name}.json", classroom.dumps(result, context.topics))
    write_atomic(out / "classroom" / f"{name}.b64", classroom.base64(result, context.topics))
    write_atomic(out / "prairielearn" / name / "results.json",
                 prairielearn.dumps(result, context.topics))


def write_class(out: Path, results: list[SubmissionResult], context: Context) -> None:
    write_atomic(out / "grades.csv", nbgrader.render(results, context))
    write_atomic(out / "sheet.csv", sheet.render(results, context.topics))
    write_atomic(out / "junit.xml", junit.render(results))
