"""``sheet.csv``: one row per student, one column per topic, then total, max and percent.

For a gradebook or a spreadsheet: ``student_id,<topic>...,total,max_score,percent``.
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
        writer.writerow([r.student, *(r.topic_score(t.name)[0] for t in topics), r.score,
                         r.max_score, f"{r.percent:.1f}"])
    return buffer.getvalue()
