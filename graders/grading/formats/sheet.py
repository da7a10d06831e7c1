"""``sheet.csv``: one row per student, one column per topic, then total, max and percent.

For a gradebook or a spreadsheet: ``student_id,<topic>...,total,max_score,percent``. A topic
the grader could not grade says ``error: not graded`` instead of a score, a topic whose code
waits for the instructor's review says ``review``, and the total and the percent of such a
submission say the same (:meth:`~graders.grading.model.SubmissionResult.withheld`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from graders.catalog import Topic

from ..model import SubmissionResult


def header(topics: Sequence[Topic]) -> list[str]:
    return ["student_id", *(t.name for t in topics), "total", "max_score", "percent"]


def render(results: list[SubmissionResult], topics: Sequence[Topic]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header(topics))
    for r in sorted(results, key=lambda r: r.student):
        cells = [r.withheld(t.name) or r.topic_score(t.name)[0] for t in topics]
        held = r.withheld()
        total, percent = (r.score, f"{r.percent:.1f}") if held is None else (held, held)
        writer.writerow([r.student, *cells, total, r.max_score, percent])
    return buffer.getvalue()
