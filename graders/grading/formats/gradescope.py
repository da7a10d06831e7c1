"""Gradescope's ``results.json`` (the autograder specification, "Output format").

Top level: ``score`` (the sum of the tests'), ``execution_time`` (seconds, a number),
``output``, ``visibility``, ``stdout_visibility`` and ``tests``. One test per check, with
``name``, ``number`` ("topic.check", e.g. "1.2"), ``score``, ``max_score``, ``status``
("passed" or "failed"), ``output`` (what the student may see: a hidden check's name,
points and hint only), ``tags``, ``visibility`` and ``extra_data`` (the check's own run
time and bug class; the specification has no per-test time field). A result the grader could
not grade is not rendered: the specification's only way to say so is no results.json.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..model import SubmissionResult

VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}


def render(result: SubmissionResult) -> dict[str, Any]:
    topic_numbers = {t: i for i, t in enumerate(result.topics(), 1)}
    seen: dict[str, int] = {}
    tests = []
    for c in result.checks:
        seen[c.topic] = seen.get(c.topic, 0) + 1
        tests.append({
            "name": c.name + (" (hidden)" if c.hidden else ""),
            "number": f"{topic_numbers[c.topic]}.{seen[c.topic]}",
            "score": float(c.earned), "max_score": float(c.points),
            "status": "passed" if c.passed else "failed",
            "output": c.student_text(), "tags": [c.topic] + ([c.bug_class] if c.bug_class
                                                             and not c.passed else []),
            "visibility": "visible",
            "extra_data": {"execution_time": c.seconds, "bug_class": c.bug_class},
        })
    lines = [f"{result.score}/{result.max_score} points ({result.percent:.1f}%)."]
    lines += result.notes
    return {"score": float(sum(t["score"] for t in tests)),
            "execution_time": math.ceil(result.seconds), "output": "\n".join(lines),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def dumps(result: SubmissionResult) -> str:
    return json.dumps(render(result), indent=2) + "\n"
