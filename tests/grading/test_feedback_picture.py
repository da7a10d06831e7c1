"""A failed check's interleaving crosses the sandbox as data (checked and capped by the
parent), is stored and sealed with the result, and is drawn in the HTML feedback, never for
a hidden check."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from format_checks import check_html

from graders.catalog import topic
from graders.engine import Settings, explore_target
from graders.grading import sandbox, seal, supervisor
from graders.grading.formats import feedback
from graders.grading.limits import Limits
from graders.grading.model import CheckResult, SubmissionResult
from graders.grading.whole_class import _stored, result_path, store

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
TOPICS = (topic("deadlock"),)


def _timeline() -> dict:
    spec = f"{ROOT / 'tests' / 'engine' / 'programs' / 'philosophers.py'}:main"
    failure = explore_target(spec, Settings(schedules=50)).failure
    assert failure is not None and failure.timeline is not None
    return json.loads(json.dumps(failure.timeline))      # as it crosses the pipe


def _result(timeline: dict | None, hidden_timeline: dict | None = None) -> SubmissionResult:
    checks = [
        CheckResult("deadlock", "no_deadlock", 2, False, "failed", "deadlock",
                    "Deadlock: philosopher-0 -> ...", hint="Order the forks.",
                    timeline=timeline),
        CheckResult("deadlock", "hidden_one", 1, True, "failed", "deadlock", "SECRET",
                    hint="Order the forks.", timeline=hidden_timeline),
    ]
    return SubmissionResult("ada", "ada", "folder", "sha256:x", "", "3.11.7",
                            {"schedules": 50, "seed": 0}, checks)


def _figures(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == "interleaving-picture"]


def test_feedback_draws_a_failed_checks_interleaving_under_it() -> None:
    tl = _timeline()
    root = check_html(feedback.html(_result(tl, hidden_timeline=tl), TOPICS))
    (picture,) = _figures(root)                 # the hidden check's is not drawn
    body = next(iter(root.iter("body")))
    order = list(body)
    h3 = next(e for e in order if e.tag == "h3" and "no_deadlock" in "".join(e.itertext()))
    assert order.index(h3) < order.index(picture)
    later = [e for e in order[order.index(picture):] if e.tag == "h3"]
    assert later and "hidden_one" in "".join(later[0].itertext())
    lanes = [t.text for t in picture.iter(f"{SVG}text") if t.get("class") == "lane-name"]
    assert lanes == ["MainThread", "philosopher-0", "philosopher-1", "philosopher-2"]
    nodes = [g for g in picture.iter(f"{SVG}g") if "node" in g.get("class", "").split()]
    assert len(nodes) == 6
    assert "SECRET" not in "".join(root.itertext())


def test_no_picture_without_a_timeline_and_markdown_unchanged() -> None:
    plain = _result(None)
    assert not _figures(check_html(feedback.html(plain, TOPICS)))
    assert feedback.markdown(plain, TOPICS) == feedback.markdown(_result(_timeline()), TOPICS)


def test_the_parent_checks_and_caps_the_childs_timeline() -> None:
    tl = _timeline()
    assert sandbox._timeline({"timeline": tl}) == tl
    for junk in ("<svg/>", ["x"], {"version": 1, "lanes": "ab", "rows": []}, None, 7):
        assert sandbox._timeline({"timeline": junk}) is None
    hostile = {**tl, "lanes": ["<script>alert(1)</script>", *tl["lanes"][1:]],
               "evil": "x" * 10_000}
    kept = sandbox._timeline({"timeline": hostile})
    assert kept is not None and "evil" not in kept
    page = feedback.html(_result(kept), TOPICS)
    assert "<script" not in page
    assert "<script>alert(1)</script>" in "".join(check_html(page).itertext())
    big = {**tl, "rows": [{**tl["rows"][0], "text": "y" * 300, "note": "z" * 160,
                          "file": "f" * 120}] * 500}
    assert sandbox._timeline({"timeline": big}) is None      # over the cap: dropped


def test_the_supervisor_passes_a_failed_checks_timeline_only() -> None:
    spec = {"topic": "deadlock", "check": "no_deadlock"}
    tl = {"version": 1, "lanes": ["a"], "rows": []}
    record = {"passed": False, "bug_class": "deadlock", "message": "m", "timeline": tl}
    failed = supervisor._verdict(spec, json.dumps(record).encode(), 0, False, False, "",
                                 Limits())
    assert failed["status"] == "failed" and failed["timeline"] == tl
    passed = supervisor._verdict(spec, json.dumps({**record, "passed": True}).encode(), 0,
                                 False, False, "", Limits())
    assert "timeline" not in passed
    tampered = supervisor._verdict(spec, json.dumps({**record, "changed": ["x"]}).encode(),
                                   0, False, False, "", Limits())
    assert "timeline" not in tampered


def test_a_stored_result_keeps_its_timeline_sealed(tmp_path: Path) -> None:
    key = seal.load_key()
    result = _result(_timeline())
    store(tmp_path, result, key)
    again, edited = _stored(result_path(tmp_path, "ada"), key)
    assert again is not None and not edited
    assert again.checks[0].timeline == result.checks[0].timeline
    data = json.loads(result_path(tmp_path, "ada").read_text())
    data["checks"][0]["timeline"]["lanes"][0] = "forged"
    result_path(tmp_path, "ada").write_text(json.dumps(data))
    assert _stored(result_path(tmp_path, "ada"), key) == (None, True)
    # a result stored before timelines existed still loads
    old = result.to_json()
    for c in old["checks"]:
        del c["timeline"]
    assert SubmissionResult.from_json(old).checks[0].timeline is None
