"""Each output format, rendered from a hand-made result and checked against its spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from format_checks import (
    check_classroom,
    check_gradescope,
    check_html,
    check_junit,
    check_nbgrader_csv,
    check_prairielearn,
)

from graders.catalog import topic
from graders.grading import formats
from graders.grading.formats import (
    classroom,
    feedback,
    gradescope,
    junit,
    nbgrader,
    prairielearn,
    sheet,
)
from graders.grading.model import (
    INFRASTRUCTURE,
    NOT_GRADED,
    REVIEW,
    CheckResult,
    SubmissionResult,
    load_data,
    write_atomic,
)

TOPICS = (topic("data_race"), topic("mutex"))
REPORT = ("Lost update: 2 shoppers added 3 items each, so the basket should count 6; it "
          "counted 3.\nFound on schedule 4 of 200 (strategy random, seed 1382913032, Python "
          "3.11).\nReplay:\n    python -m graders check data_race --only no_lost_updates "
          "--replay 19.2-21.1-23.2\nInterleaving (last steps):\n    shopper-1 | shopper-2\n"
          "    current = self.count  (line 21) | <- paused & \"quoted\" <tag>\n")
SECRET = "SECRET-SCHEDULE 7.7-8.8 seed 31337"


def result(student: str = "ada", graded: bool = True) -> SubmissionResult:
    checks = [
        CheckResult("data_race", "no_lost_updates", 2, False, "failed", "lost update", REPORT,
                    hint="Hold one lock.", seed=0, schedules=200, token="19.2-21.1-23.2",
                    failing_seed=1382913032, seconds=0.4, output="debug \x00 line\n"),
        CheckResult("data_race", "many_shoppers", 1, True, "failed", "lost update", SECRET,
                    hint="Hold one lock.", seed=0, schedules=200, token="7.7-8.8",
                    failing_seed=31337, seconds=0.5),
        CheckResult("mutex", "exact_tally", 1, False, "passed", seconds=1.25),
        CheckResult("mutex", "short_critical_section", 2, False, "error", "timeout",
                    "The check did not finish within 30 s.", hint="Move it out.", seconds=30.1),
        CheckResult("mutex", "cooks_overlap", 1, False, "passed", seconds=1.0),
    ]
    return SubmissionResult(student, student, "folder", "sha256:abc", "2024-09-30 12:00:00",
                            "3.11.7", {"schedules": 200, "seed": 0}, checks,
                            notes=["exercises/mutex/notes.txt ignored"], seconds=33.25,
                            graded=graded)


CONTEXT = formats.Context(TOPICS, {"ada": formats.Person("Lovelace", "Ada", "ada@ex.org")},
                          "2024-10-01 00:00:00")


def test_scores_are_per_check_points() -> None:
    r = result()
    assert (r.score, r.max_score) == (2, 7)
    assert r.topic_score("data_race") == (0, 3) and r.topic_score("mutex") == (2, 4)


def test_nbgrader_csv_has_exactly_nbgraders_columns() -> None:
    text = nbgrader.render([result("ada"), result("bob")], CONTEXT)
    rows = check_nbgrader_csv(text, students=2, topics=2)
    assert rows[0] == {"assignment": "data_race", "duedate": "2024-10-01 00:00:00",
                       "timestamp": "2024-09-30 12:00:00", "student_id": "ada",
                       "last_name": "Lovelace", "first_name": "Ada", "email": "ada@ex.org",
                       "raw_score": "0.0", "late_submission_penalty": "0.0", "score": "0.0",
                       "max_score": "3.0"}
    assert [r["assignment"] for r in rows] == ["data_race", "data_race", "mutex", "mutex"]
    assert rows[2]["score"] == "2.0" and rows[3]["last_name"] == ""


def test_wide_sheet_one_row_per_student() -> None:
    text = sheet.render([result("bob"), result("ada")], TOPICS)
    assert text.splitlines() == ["student_id,data_race,mutex,total,max_score,percent",
                                 "ada,0,2,2,7,28.6", "bob,0,2,2,7,28.6"]


def test_gradescope_results_follow_the_specification() -> None:
    data = gradescope.render(result())
    check_gradescope(data)
    assert [t["number"] for t in data["tests"]] == ["1.1", "1.2", "2.1", "2.2", "2.3"]
    assert data["execution_time"] == 34 and data["score"] == 2.0
    assert data["tests"][0]["status"] == "failed" and "Interleaving" in data["tests"][0]["output"]


def test_github_classroom_result_and_its_base64() -> None:
    data = classroom.render(result(), TOPICS)
    check_classroom(data, classroom.base64(result(), TOPICS))
    assert data["status"] == "fail" and data["max_score"] == 7
    assert [t["status"] for t in data["tests"]] == ["fail", "fail", "pass", "error", "pass"]
    assert data["tests"][0]["filename"] == "exercises/data_race/shop.py"
    assert data["tests"][3]["duration"] == 30100
    assert classroom.render(result(graded=False), TOPICS)["status"] == "error"


def test_prairielearn_results_follow_the_specification() -> None:
    data = check_prairielearn(prairielearn.dumps(result(), TOPICS))
    assert data["score"] == pytest.approx(2 / 7)
    assert data["tests"][0]["description"] == TOPICS[0].title


def test_prairielearn_results_stay_under_one_megabyte() -> None:
    r = result()
    r.checks[0].message = "x" * 3_000_000
    check_prairielearn(prairielearn.dumps(r, TOPICS))


def test_junit_xml_parses_and_counts_agree() -> None:
    root = check_junit(junit.render([result("ada"), result("bob")]))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "ada"
    assert (suite.get("failures"), suite.get("errors")) == ("2", "1")
    cases = suite.findall("testcase")
    assert cases[0].get("classname") == "ada.data_race"
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "lost update"
    assert cases[3].find("error") is not None


@pytest.mark.parametrize("render", [
    lambda r: feedback.markdown(r, TOPICS), lambda r: feedback.html(r, TOPICS),
    lambda r: json.dumps(gradescope.render(r)), lambda r: classroom.dumps(r, TOPICS),
    lambda r: prairielearn.dumps(r, TOPICS), lambda r: junit.render([r])],
    ids=["markdown", "html", "gradescope", "classroom", "prairielearn", "junit"])
def test_hidden_checks_show_name_points_and_hint_but_not_their_report(render) -> None:
    text = render(result())
    assert "many_shoppers" in text and SECRET not in text and "7.7-8.8" not in text
    assert "31337" not in text


def test_feedback_has_the_interleaving_and_the_hint() -> None:
    text = feedback.markdown(result(), TOPICS)
    assert "**2 / 7 points (28.6%)**" in text
    assert "Interleaving (last steps)" in text and "Hint: Hold one lock." in text
    assert "(hidden)" in text


def test_the_hint_is_rendered_from_data_not_cut_out_of_the_report() -> None:
    """A report with a line that starts like a hint stays whole, and the hint itself comes
    after it once, in Markdown and in HTML."""
    r = result()
    r.checks[0].message = REPORT + "\nHint: a line of the report itself"
    text = feedback.markdown(r, TOPICS)
    report, _, rest = text.partition("Hint: Hold one lock.")
    assert "Hint: a line of the report itself" in report and rest
    page = feedback.html(r, TOPICS)
    assert "Hint: a line of the report itself</pre>" in page
    assert "<p><strong>Hint:</strong> Hold one lock.</p>" in page


def test_feedback_html_is_well_formed_and_escaped() -> None:
    root = check_html(feedback.html(result(), TOPICS))
    text = "".join(root.itertext())
    assert '<- paused & "quoted" <tag>' in text


def test_results_round_trip_and_write_atomically(tmp_path: Path) -> None:
    r = result()
    path = tmp_path / "results" / "ada.json"
    write_atomic(path, r.dumps())
    assert load_data(json.loads(path.read_text())) == r
    assert [p.name for p in path.parent.iterdir()] == ["ada.json"]
    assert load_data({"format": "something else"}) is None


def test_every_format_is_written_for_a_student_and_the_class(tmp_path: Path) -> None:
    formats.write_student(tmp_path, result(), CONTEXT)
    formats.write_class(tmp_path, [result()], CONTEXT)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["classroom/ada.b64", "classroom/ada.json", "feedback/ada.html",
                       "feedback/ada.md", "grades.csv", "gradescope/ada/results.json",
                       "junit.xml", "prairielearn/ada/results.json", "sheet.csv"]


def ungraded(student: str = "cy") -> SubmissionResult:
    """The grader could not run mutex (a package missing): not the student's failure."""
    r = result(student)
    for c in r.checks:
        if c.topic == "mutex":
            c.status, c.bug_class = "error", INFRASTRUCTURE
            c.message = "The mutex checks need the package examplelib, which is missing."
    r.graded = False
    return r


def test_an_ungraded_submission_shows_an_error_never_a_score(tmp_path: Path) -> None:
    r = ungraded()
    assert r.not_graded_message().startswith("Not graded: the grader itself failed")
    assert "examplelib" in r.not_graded_message()
    assert sheet.render([r], TOPICS).splitlines()[1] == \
        f"cy,0,{NOT_GRADED},{NOT_GRADED},7,{NOT_GRADED}"
    rows = check_nbgrader_csv(nbgrader.render([r], formats.Context(TOPICS)), 1, 2)
    assert (rows[0]["score"], rows[1]["raw_score"], rows[1]["score"]) == ("0.0", "", "")
    text = feedback.markdown(r, TOPICS)
    assert f"**{NOT_GRADED}**" in text and "examplelib" in text
    assert f"| mutex: {TOPICS[1].title} | {NOT_GRADED} |" in text
    assert NOT_GRADED in "".join(check_html(feedback.html(r, TOPICS)).itertext())
    data = check_prairielearn(prairielearn.dumps(r, TOPICS))
    assert data["gradable"] is False and "examplelib" in data["format_errors"][0]
    assert classroom.render(r, TOPICS)["status"] == "error"
    stale = tmp_path / "gradescope" / "cy" / "results.json"
    write_atomic(stale, "{}")
    formats.write_student(tmp_path, r, CONTEXT)
    assert not stale.exists()      # Gradescope's own "autograder failed", not a score


def in_review(student: str = "dee") -> SubmissionResult:
    """mutex's file reaches beyond the exercise: its points wait for the instructor."""
    r = result(student)
    r.review = [{"topic": "mutex", "file": "exercises/mutex/kitchen.py", "line": 3,
                 "reason": "uses .__class__, which can disguise an object or swap its type"}]
    return r


def test_flagged_code_withholds_its_topics_points_until_accepted(tmp_path: Path) -> None:
    r = in_review()
    assert (r.withheld(), r.withheld("mutex"), r.withheld("data_race")) == (REVIEW, REVIEW, None)
    assert r.to_json()["status"] == REVIEW
    assert SubmissionResult.from_json(json.loads(r.dumps())) == r
    assert sheet.render([r], TOPICS).splitlines()[1] == f"dee,0,{REVIEW},{REVIEW},7,{REVIEW}"
    rows = check_nbgrader_csv(nbgrader.render([r], formats.Context(TOPICS)), 1, 2)
    assert (rows[0]["score"], rows[1]["raw_score"], rows[1]["score"]) == ("0.0", "", "")
    text = feedback.markdown(r, TOPICS)
    assert f"**{REVIEW}: points withheld" in text
    assert f"| mutex: {TOPICS[1].title} | {REVIEW} |" in text
    assert "- `exercises/mutex/kitchen.py` line 3: uses .\\_\\_class\\_\\_, which" in text
    page = "".join(check_html(feedback.html(r, TOPICS)).itertext())
    assert "exercises/mutex/kitchen.py line 3: uses .__class__" in page
    stale = [tmp_path / "gradescope" / "dee" / "results.json", tmp_path / "classroom" / "dee.json",
             tmp_path / "prairielearn" / "dee" / "results.json"]
    for path in stale:
        write_atomic(path, "{}")
    formats.write_student(tmp_path, r, CONTEXT)
    assert not any(path.exists() for path in stale)   # no platform publishes held points

    r.accepted = True
    assert (r.withheld(), r.withheld("mutex"), r.to_json()["status"]) == (None, None, "graded")
    assert sheet.render([r], TOPICS).splitlines()[1] == "dee,0,2,2,7,28.6"
    assert "accepted it:" in feedback.markdown(r, TOPICS)
    formats.write_student(tmp_path, r, CONTEXT)
    assert all(path.exists() for path in stale)
