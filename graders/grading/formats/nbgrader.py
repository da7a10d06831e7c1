"""``grades.csv`` in the columns of ``nbgrader export`` (its default CSV exporter).

nbgrader writes one row per (assignment, student) with exactly these columns, in this
order, numbers as Python floats (``2.0``) and missing values empty. Here an *assignment* is
a topic, ``raw_score`` is the points its checks earned, there is no late penalty (0.0),
``timestamp`` is when the newest graded file was last changed (UTC), and names and emails
come from ``--roster`` when given. A topic the grader could not grade (the grader's failure,
not the student's), or whose flagged code waits for the instructor's review, leaves
``raw_score`` and ``score`` empty rather than 0.0.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from ..model import SubmissionResult

if TYPE_CHECKING:
    from . import Context

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
           "email", "raw_score", "late_submission_penalty", "score", "max_score"]


def rows(results: list[SubmissionResult], context: Context) -> list[dict[str, str]]:
    from . import Person

    table = []
    for t in context.topics:
        for r in sorted(results, key=lambda r: r.student):
            earned, most = r.topic_score(t.name)
            if not most:
                most = t.points
            person = context.roster.get(r.student, Person())
            penalty = 0.0
            counts = r.withheld(t.name) is None
            table.append({
                "assignment": t.name, "duedate": context.duedate, "timestamp": r.timestamp,
                "student_id": r.student, "last_name": person.last_name,
                "first_name": person.first_name, "email": person.email,
                "raw_score": str(float(earned)) if counts else "",
                "late_submission_penalty": str(penalty),
                "score": str(max(0.0, float(earned) - penalty)) if counts else "",
                "max_score": str(float(most))})
    return table


def render(results: list[SubmissionResult], context: Context) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(results, context))
    return buffer.getvalue()
