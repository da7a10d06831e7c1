"""Validators for each output format, written from its published specification (not from
our renderers), used by the format tests and by the class tests on real output."""

from __future__ import annotations

import base64
import csv
import io
import json
import xml.etree.ElementTree as ET
from numbers import Number
from typing import Any

# nbgrader/plugins/export.py, CsvExportPlugin: the header, in this order.
NBGRADER_COLUMNS = ("assignment,duedate,timestamp,student_id,last_name,first_name,email,"
                    "raw_score,late_submission_penalty,score,max_score")

# Gradescope autograder specification, "Output format".
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data",
                  "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
                   "output_format", "tags", "visibility", "extra_data"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}

# GitHub Classroom grader actions (education/autograding-command-grader, generateResult).
CLASSROOM_TEST = {"name", "status", "score", "message", "test_code", "filename", "line_no",
                  "duration"}

# PrairieLearn, "External grading": results.json (docs/externalGrading.md, "Grading results",
# and the fields pl-external-grader-results renders).
PRAIRIELEARN_TOP = {"gradable", "score", "message", "output", "images", "tests",
                    "format_errors"}
PRAIRIELEARN_TEST = {"name", "description", "points", "max_points", "message", "output",
                     "images"}


def _number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def check_nbgrader_csv(text: str, students: int, topics: int) -> list[dict[str, str]]:
    assert text.splitlines()[0] == NBGRADER_COLUMNS
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == students * topics
    for row in rows:
        if row["raw_score"] == row["score"] == "":     # not graded: a missing value
            continue
        for key in ("raw_score", "late_submission_penalty", "score", "max_score"):
            float(row[key])
            assert "." in row[key], f"nbgrader writes floats: {key}={row[key]!r}"
        assert float(row["score"]) == max(0.0, float(row["raw_score"])
                                          - float(row["late_submission_penalty"]))
        assert 0 <= float(row["score"]) <= float(row["max_score"])
    return rows


def check_gradescope(data: dict[str, Any]) -> None:
    assert set(data) <= GRADESCOPE_TOP, set(data) - GRADESCOPE_TOP
    assert "score" in data or all("score" in t for t in data["tests"])
    assert _number(data["score"]) and _number(data["execution_time"])
    assert data.get("visibility", "visible") in GRADESCOPE_VISIBILITY
    assert data.get("stdout_visibility", "hidden") in GRADESCOPE_VISIBILITY
    numbers = set()
    for test in data["tests"]:
        assert set(test) <= GRADESCOPE_TEST, set(test) - GRADESCOPE_TEST
        assert _number(test["score"]) and _number(test["max_score"])
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["number"], str) and test["number"] not in numbers
        numbers.add(test["number"])
        assert test["status"] in ("passed", "failed")
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
        assert test.get("visibility", "visible") in GRADESCOPE_VISIBILITY
        assert all(isinstance(tag, str) for tag in test.get("tags", []))
        assert isinstance(test.get("extra_data", {}), dict)
    assert data["score"] == sum(t["score"] for t in data["tests"])


def check_classroom(data: dict[str, Any], encoded: str | None = None) -> None:
    assert data["version"] == 1
    assert data["status"] in ("pass", "fail", "error")
    assert _number(data["max_score"])
    for test in data["tests"]:
        assert set(test) == CLASSROOM_TEST, set(test) ^ CLASSROOM_TEST
        assert test["status"] in ("pass", "fail", "error")
        assert _number(test["score"]) and isinstance(test["duration"], int)
        assert isinstance(test["line_no"], int) and isinstance(test["message"], str)
    assert sum(t["score"] for t in data["tests"]) <= data["max_score"]
    if all(t["status"] == "pass" for t in data["tests"]):
        assert data["status"] in ("pass", "error")
    if encoded is not None:
        assert json.loads(base64.b64decode(encoded)) == data


def check_prairielearn(text: str) -> dict[str, Any]:
    assert len(text.encode()) < 1_000_000
    data = json.loads(text)
    assert set(data) <= PRAIRIELEARN_TOP
    assert isinstance(data["gradable"], bool)
    if not data["gradable"]:     # score not needed; the reason in format_errors
        errors = data["format_errors"]
        assert isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors)
        assert "score" not in data and not data.get("tests")
        return data
    assert _number(data["score"]) and 0.0 <= data["score"] <= 1.0
    for test in data["tests"]:
        assert set(test) <= PRAIRIELEARN_TEST
        assert _number(test["points"]) and _number(test["max_points"])
        assert 0 <= test["points"] <= test["max_points"]
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
    total = sum(t["max_points"] for t in data["tests"])
    if total:
        assert abs(data["score"] - sum(t["points"] for t in data["tests"]) / total) < 1e-6
    return data


def check_junit(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    tests = failures = errors = 0
    for suite in root:
        assert suite.tag == "testsuite"
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        f = sum(c.find("failure") is not None for c in cases)
        e = sum(c.find("error") is not None for c in cases)
        assert int(suite.get("failures", "-1")) == f and int(suite.get("errors", "-1")) == e
        float(suite.get("time", "x"))
        assert suite.get("timestamp")
        for case in cases:
            assert case.get("name") and case.get("classname")
            float(case.get("time", "x"))
            for problem in list(case):
                assert problem.tag in ("failure", "error")
                assert problem.get("message") is not None and problem.get("type")
        tests, failures, errors = tests + len(cases), failures + f, errors + e
    assert (int(root.get("tests", "-1")), int(root.get("failures", "-1")),
            int(root.get("errors", "-1"))) == (tests, failures, errors)
    return root


def check_html(text: str) -> ET.Element:
    assert text.startswith("<!DOCTYPE html>")
    return ET.fromstring(text.split("\n", 1)[1].encode())
