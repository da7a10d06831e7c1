"""GitHub Classroom: the students' workflow, and the result output its reporter reads.

``python -m graders classroom workflow --out DIR [--topics ...]`` writes
``DIR/.github/workflows/classroom.yml`` for the assignment's template repository. On every
push it installs the kit, grades the student's ``exercises/`` with
``python -m graders classroom report``, and hands the results to GitHub Classroom's
``autograding-grading-reporter`` action, which shows them in the run's log and sends the
points to Classroom.

The reporter reads, for each runner ``NAME`` in its ``runners`` input, the environment
variable ``NAME_RESULTS`` (upper-cased): base64 of a JSON object such as the
``classroom-resources`` graders write::

    {"version": 1, "status": "pass" | "fail" | "error", "max_score": <integer>,
     "tests": [{"name", "status": "pass" | "fail" | "error", "message", "test_code",
                "filename", "line_no", "duration", "score"}]}

Classroom's total is the sum of the tests' ``score`` over the sum of ``max_score``; the log's
summary table divides passed tests by tests for each runner. So every check is a runner of
its own (one test, ``max_score`` its points): both agree, whatever the points. The
objects themselves come from :mod:`graders.grading.formats.classroom`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from graders.catalog import Topic
from graders.grading import formats
from graders.grading.model import SubmissionResult

REPORTER = "classroom-resources/autograding-grading-reporter@v1"
MESSAGE_LIMIT = 6000
STEP_ID = "kit"


def runner_id(topic: str, check: str) -> str:
    """The reporter's runner name for one check (also the grading step's output name)."""
    return f"{topic}-{check}"


def per_check(result: SubmissionResult, chosen: Sequence[Topic]) -> dict[str, dict[str, Any]]:
    """One reporter result per check (runner name -> the grader result object), rendered
    by :func:`graders.grading.formats.classroom.render` from a one-check copy of the
    submission's result."""
    out: dict[str, dict[str, Any]] = {}
    for c in result.checks:
        one = dataclasses.replace(result, checks=[c])
        data = formats.classroom.render(one, chosen)
        for test in data["tests"]:
            if len(test.get("message", "")) > MESSAGE_LIMIT:
                test["message"] = (test["message"][:MESSAGE_LIMIT]
                                   + "\n[... cut; run the check in your checkout]")
        out[runner_id(c.topic, c.check)] = data
    return out


def encode(obj: dict[str, Any]) -> str:
    """Base64 of the compact JSON text, as the reporter decodes it."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def output_lines(result: SubmissionResult, chosen: Sequence[Topic]) -> list[str]:
    """``name=value`` lines for ``$GITHUB_OUTPUT``: one output per check."""
    return [f"{name}={encode(data)}" for name, data in per_check(result, chosen).items()]


def workflow(chosen: Sequence[Topic], *, kit: str = ".", python: str = "3.11",
             timeout: float = 60.0) -> str:
    """The text of ``.github/workflows/classroom.yml``."""
    names = " ".join(t.name for t in chosen)
    runners = [runner_id(t.name, c.name) for t in chosen for c in t.checks]
    env_lines = "".join(
        f'          {r.upper()}_RESULTS: "${{{{ steps.{STEP_ID}.outputs.{r} }}}}"\n'
        for r in runners)
    # An editable install reads topics.toml from the checkout itself.
    install = "-e ." if kit == "." else json.dumps(kit)
    return f"""# Made by `python -m graders classroom workflow` (concurrency kit).
# Grades exercises/ with the kit on every push and reports the points to GitHub Classroom.
name: Autograding Tests
"on":
  push:
  workflow_dispatch:
  repository_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install the concurrency kit
        run: python -m pip install {install}
      - name: Grade with the concurrency kit
        id: {STEP_ID}
        env:
          GRADERS_CHECK_TIMEOUT: "{timeout:g}"
        run: python -m graders classroom report --topics {names} --output "$GITHUB_OUTPUT"
      - name: Autograding Reporter
        uses: {REPORTER}
        env:
{env_lines}        with:
          runners: {",".join(runners)}
"""
