"""PrairieLearn's external grading ``results.json``.

The fields are the ones PrairieLearn's external grading guide documents and its
``pl-external-grader-results`` element renders (:data:`TOP_KEYS`, :data:`TEST_KEYS`;
PrairieLearn keeps any others without showing them). ``score`` is a fraction in [0, 1];
``gradable`` stays true for anything the student's code did (a submission that does not
load is graded, with 0 for the checks it fails); ``message`` and ``output`` describe the
whole submission; ``tests`` has one entry per check with ``name``, ``description``,
``points``, ``max_points``, ``message`` and ``output``. PrairieLearn limits the file to
1 MB, so long outputs are shortened to fit.

A submission the grader could not grade (a package missing in the grading image, a crash of
the kit) is ``"gradable": false`` with the reason in ``format_errors`` and no score:
PrairieLearn then records no points and charges no attempt (:func:`not_gradable`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from graders.catalog import Topic

from ..model import SubmissionResult

LIMIT = 1_000_000
TOP_KEYS = {"gradable", "score", "message", "output", "images", "tests", "format_errors"}
TEST_KEYS = {"name", "description", "points", "max_points", "message", "output", "images"}


def not_gradable(message: str) -> dict[str, Any]:
    """results.json for a submission the grader could not grade, saying why."""
    return {"gradable": False, "format_errors": [message]}


def render(result: SubmissionResult, topics: Sequence[Topic] = (),
           longest: int = 20_000) -> dict[str, Any]:
    if not result.graded:
        return not_gradable(result.not_graded_message())
    titles = {t.name: t.title for t in topics}
    tests = []
    for c in result.checks:
        text = c.student_text()
        first = text.splitlines()[0] if text else ""
        tests.append({
            "name": c.name + (" (hidden)" if c.hidden else ""),
            "description": titles.get(c.topic, c.topic),
            "points": c.earned, "max_points": c.points,
            "message": first if len(first) <= 500 else first[:500] + " [...]",
            "output": text if len(text) <= longest else text[:longest] + "\n[...]"})
    score = result.score / result.max_score if result.max_score else 0.0
    return {"gradable": True, "score": round(score, 6),
            "message": f"{result.score}/{result.max_score} points.",
            "output": "\n".join(result.notes), "tests": tests}


def dumps(result: SubmissionResult, topics: Sequence[Topic] = ()) -> str:
    longest = 20_000
    while True:
        text = json.dumps(render(result, topics, longest), indent=2) + "\n"
        if len(text.encode()) < LIMIT or longest < 100:
            return text
        longest //= 2
