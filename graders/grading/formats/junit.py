"""``junit.xml``: the class as JUnit XML (the layout CI servers and test reporters read).

``<testsuites>`` holds one ``<testsuite name="<student>">`` per student, with ``tests``,
``failures``, ``errors``, ``skipped``, ``time`` and ``timestamp`` attributes and the score in
``<properties>`` ("review" or "error: not graded" when it may not count yet); each check is
a ``<testcase classname="<student>.<topic>" name="<check>" time="...">``, holding a
``<failure>`` when it failed or an ``<error>`` when it could not run (a load error, a
timeout, a crash), with ``message`` and ``type`` (the bug class) attributes. Text a student
may not see (a hidden check's report) is left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..model import SubmissionResult

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _INVALID.sub("?", value)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def render(results: list[SubmissionResult]) -> str:
    root = ET.Element("testsuites", name="graders")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for r in sorted(results, key=lambda r: r.student):
        failures = sum(c.status == "failed" for c in r.checks)
        errors = sum(c.status == "error" for c in r.checks)
        suite = ET.SubElement(root, "testsuite", name=_text(r.student),
                              tests=str(len(r.checks)), failures=str(failures),
                              errors=str(errors), skipped="0", time=_seconds(r.seconds),
                              timestamp=r.timestamp.replace(" ", "T") or "1970-01-01T00:00:00")
        props = ET.SubElement(suite, "properties")
        for name, value in (("score", r.withheld() or r.score), ("max_score", r.max_score),
                            ("percent", f"{r.percent:.1f}"), ("python", r.python),
                            ("digest", r.digest)):
            ET.SubElement(props, "property", name=name, value=_text(str(value)))
        for c in r.checks:
            case = ET.SubElement(suite, "testcase", classname=_text(f"{r.student}.{c.topic}"),
                                 name=_text(c.check), time=_seconds(c.seconds))
            if c.passed:
                continue
            text = c.student_text()
            tag = "error" if c.status == "error" else "failure"
            first = text.splitlines()[0] if text else c.status
            problem = ET.SubElement(case, tag, message=_text(first[:500]),
                                    type=_text(c.bug_class or c.status))
            problem.text = _text(text)
        totals["tests"] += len(r.checks)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += r.seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(total_time))
    ET.indent(root)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
