"""What ``grade`` shows while a large class is graded: the rate, the time left, the
failures so far and the slowest submissions, in the plain output a log keeps."""

from __future__ import annotations

import io

from graders.cli.output import Output
from graders.grading.model import CheckResult, SubmissionResult
from graders.grading.progress import Progress, duration


def result(student: str, seconds: float, passed: bool = True) -> SubmissionResult:
    check = CheckResult(topic="mutex", check="exact_tally", points=1, hidden=False,
                        status="passed" if passed else "failed")
    return SubmissionResult(student=student, source=student, kind="folder", digest="",
                            timestamp="", python="3", settings={}, checks=[check],
                            seconds=seconds)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_large_class_gets_status_lines_with_rate_eta_failures_and_the_slowest() -> None:
    stream, clock = io.StringIO(), Clock()
    shown = Progress(Output(stream, styled=False), 40, clock=clock)
    shown("reused", "r0", result("r0", 0.0))             # reused: not in the rate
    for i in range(1, 8):
        clock.now += 10.0                                 # one every 10 s: 6 per minute
        shown("started", f"s{i}", None)
        shown("done", f"s{i}", result(f"s{i}", 10.0 * i, passed=i % 2 == 0))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "[1/40] r0: 1/1 (reused)"
    status = [line for line in lines if "done," in line]
    # at every tenth of the class: 4, then 8 submissions done
    assert status == ["  4/40 done, 6.0/min, ETA 6 min; 2 checks failed, 0 with errors; "
                      "slowest: s3 30.0 s, s2 20.0 s, s1 10.0 s",
                      "  8/40 done, 6.0/min, ETA 5 min; 4 checks failed, 0 with errors; "
                      "slowest: s7 70.0 s, s6 60.0 s, s5 50.0 s"]
    clock.now += 60.0               # a minute before the next: a line at once, off the tenths
    shown("done", "s8", result("s8", 1.0))
    assert stream.getvalue().splitlines()[-1].startswith("  9/40 done, 3.7/min")


def test_a_small_class_keeps_one_line_per_submission() -> None:
    stream = io.StringIO()
    shown = Progress(Output(stream, styled=False), 3)
    for name in ("ada", "ben", "cleo"):
        shown("done", name, result(name, 1.0))
    assert stream.getvalue().splitlines() == ["[1/3] ada: 1/1 (1.0 s)",
                                              "[2/3] ben: 1/1 (1.0 s)",
                                              "[3/3] cleo: 1/1 (1.0 s)"]


def test_durations_read_as_an_estimate() -> None:
    assert [duration(s) for s in (42, 420, 7500)] == ["42 s", "7 min", "2 h 05 min"]
