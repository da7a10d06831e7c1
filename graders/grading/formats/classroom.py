"""GitHub Classroom's grader result, as its autograding actions hand it to the reporter.

``education/autograding-*-grader`` actions set an output ``result``: base64 of a JSON object
``{"version": 1, "status": "pass"|"fail"|"error", "max_score": N, "tests": [{"name",
"status", "score", "message", "test_code", "filename", "line_no", "duration"}]}``
(``duration`` in milliseconds). ``autograding-grading-reporter`` reads it from the
environment variable ``<RUNNER-ID>_RESULTS`` and adds up ``tests[].score`` against
``max_score``. We write the JSON (``classroom/<id>.json``) and its base64
(``classroom/<id>.b64``), one test per check. A result the grader could not grade has status
``error``; the reporter would still send its tests' scores, so ``python -m graders classroom
report`` sends none and fails the step instead (:mod:`graders.cli.classroom`).
"""

from __future__ import annotations

import base64 as b64
import json
from collections.abc import Sequence
from typing import Any

from graders.catalog import Topic

from ..model import SubmissionResult

STATUS = ("pass", "fail", "error")
TEST_KEYS = ("name", "status", "score", "message", "test_code", "filename", "line_no",
             "duration")


def render(result: SubmissionResult, topics: Sequence[Topic] = ()) -> dict[str, Any]:
    files = {t.name: t.files[0] for t in topics if t.files}
    tests = []
    for c in result.checks:
        status = "pass" if c.passed else ("error" if c.status == "error" else "fail")
        tests.append({
            "name": c.name, "status": status, "score": c.earned,
            "message": c.student_text(),
            "test_code": f"python -m graders check {c.topic} --only {c.check}",
            "filename": f"exercises/{c.topic}/{files.get(c.topic, '')}".rstrip("/"),
            "line_no": 0, "duration": round(c.seconds * 1000)})
    if not result.graded:
        status = "error"
    elif all(t["status"] == "pass" for t in tests):
        status = "pass"
    else:
        status = "fail"
    return {"version": 1, "status": status, "max_score": result.max_score, "tests": tests}


def dumps(result: SubmissionResult, topics: Sequence[Topic] = ()) -> str:
    return json.dumps(render(result, topics), indent=2) + "\n"


def base64(result: SubmissionResult, topics: Sequence[Topic] = ()) -> str:
    """What a grader action's ``result`` output holds (compact JSON, base64)."""
    compact = json.dumps(render(result, topics), separators=(",", ":"))
    return b64.b64encode(compact.encode()).decode() + "\n"
