"""The one result model: what grading found for one student, and how it is scored.

Every output format renders these objects and nothing else. A result is stored as JSON in
``OUT/results/<student>.json`` (written atomically the moment the student is graded) and
read back by ``--resume``.

Scores are points per check from topics.toml; a check is passed or not, and a topic earns
the sum of its passed checks (partial credit by check). Hidden checks count like any other;
what a student may see of them is :meth:`CheckResult.student_text`: the name, the points and
the hint, never the report (which names the schedule, the seed and the code's lines).

A check the grader itself could not run (a package the topic needs is missing, the grading
process crashed, the kit's own check code raised) has status ``"error"`` and bug class
:data:`INFRASTRUCTURE`, and its submission has ``graded = False``: that is never the
student's failure, so every output says "not graded" (:meth:`SubmissionResult.
not_graded_message`, :data:`NOT_GRADED`) instead of a score.

A submission whose files the integrity scan flagged (:mod:`graders.grading.scan`, run in the
parent before any of its code) keeps its graded checks, but the points of each flagged topic
are withheld (:data:`REVIEW`) until the instructor accepts the code (``--accept ID``, which
sets ``accepted``). :meth:`SubmissionResult.withheld` is the one rule every output follows
for a score it may not show.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graders import hints
from graders.bugclasses import Bug

FORMAT = "graders-result/1"
#: The bug class of a check the grader could not run for reasons of its own (grading's name
#: for :data:`graders.bugclasses.Bug.GRADER`).
INFRASTRUCTURE = Bug.GRADER
#: What a score cell says for work the grader could not grade.
NOT_GRADED = "error: not graded"
#: What a score cell says for flagged code the instructor has not accepted yet.
REVIEW = "review"


def not_graded_message(reasons: list[str]) -> str:
    """The one text every platform shows for a submission the grader could not grade."""
    why = " ".join(r.strip().rstrip(".") + "." for r in reasons if r.strip())
    return ("Not graded: the grader itself failed; this is not a problem with the submitted "
            "code. For course staff: " + (why or "see the grader's log."))


@dataclass
class CheckResult:
    topic: str
    check: str
    points: int
    hidden: bool
    status: str                      # "passed", "failed" or "error" (could not run)
    bug_class: str | None = None
    message: str = ""                # the full report (instructors); see student_text
    hint: str | None = None          # the text of the hint a failed check shows
    seed: int | None = None          # the exploration's seed (Settings.seed)
    schedules: int | None = None
    schedules_run: int | None = None
    failing_seed: int | None = None  # the seed of the schedule that failed
    token: str | None = None         # its replay token
    seconds: float = 0.0
    output: str = ""                 # what the student's code printed (excerpt)
    #: a failed check's interleaving as data (graders.engine.report.Timeline), drawn in the
    #: HTML feedback; checked and capped where it leaves the sandbox (sandbox._check_result)
    timeline: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def earned(self) -> int:
        return self.points if self.passed else 0

    @property
    def name(self) -> str:
        return f"{self.topic}: {self.check}"

    @property
    def infrastructure(self) -> bool:
        """The grader could not run this check for reasons of its own."""
        return self.status == "error" and self.bug_class == INFRASTRUCTURE

    def student_report(self) -> str:
        """What the student may read about this check, without the hint."""
        if self.passed:
            return "Passed."
        if self.hidden:
            return (f"Hidden check failed ({self.bug_class or 'failure'}); its details are "
                    "not shown.")
        return self.message.strip() or f"Failed ({self.bug_class or 'failure'})."

    def student_text(self) -> str:
        """What the student may read about this check, as one text: the report, then the
        hint (for outputs that have one text field per check)."""
        text = self.student_report()
        return f"{text}\n{hints.render(self.hint)}" if self.hint and not self.passed else text


@dataclass
class SubmissionResult:
    student: str
    source: str                      # the folder or zip name in SUBMISSIONS_DIR
    kind: str                        # "folder" or "zip"
    digest: str                      # of the graded files, the kit and the settings
    timestamp: str                   # newest graded file's modification time, UTC
    python: str
    settings: dict[str, Any]
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    graded: bool = True              # False: the grader could not grade it (see notes)
    #: what the integrity scan flagged: {"topic", "file", "line", "reason"} per finding
    review: list[dict[str, Any]] = field(default_factory=list)
    accepted: bool = False           # the instructor accepted the flagged code (--accept)

    @property
    def score(self) -> int:
        return sum(c.earned for c in self.checks)

    @property
    def max_score(self) -> int:
        return sum(c.points for c in self.checks)

    @property
    def percent(self) -> float:
        return round(100.0 * self.score / self.max_score, 1) if self.max_score else 0.0

    def topics(self) -> list[str]:
        seen: list[str] = []
        for c in self.checks:
            if c.topic not in seen:
                seen.append(c.topic)
        return seen

    def topic_score(self, topic: str) -> tuple[int, int]:
        mine = [c for c in self.checks if c.topic == topic]
        return sum(c.earned for c in mine), sum(c.points for c in mine)

    def failures(self) -> int:
        return sum(not c.passed for c in self.checks)

    def topic_graded(self, topic: str) -> bool:
        """False when some check of ``topic`` could not run for the grader's own reasons."""
        return not any(c.infrastructure for c in self.checks if c.topic == topic)

    def withheld(self, topic: str | None = None) -> str | None:
        """What a score cell of ``topic`` (of the whole submission for None) says instead of
        the points: :data:`NOT_GRADED` when the grader failed, :data:`REVIEW` while flagged
        code waits for the instructor; None when the points count."""
        if not (self.graded if topic is None else self.topic_graded(topic)):
            return NOT_GRADED
        if self.accepted:
            return None
        flagged = any(topic is None or f.get("topic") == topic for f in self.review)
        return REVIEW if flagged else None

    def flagged(self) -> list[str]:
        """The scan's findings as lines: ``exercises/mutex/kitchen.py line 3: why``."""
        return [f"{f.get('file')} line {f.get('line')}: {f.get('reason')}" for f in self.review]

    def not_graded_message(self) -> str:
        """Why this submission was not graded (see :func:`not_graded_message`)."""
        reasons = list(dict.fromkeys(c.message for c in self.checks if c.infrastructure))
        return not_graded_message(reasons or self.notes)

    # ------------------------------------------------------------- storage
    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        data["score"], data["max_score"] = self.score, self.max_score
        held = self.withheld()
        data["status"] = "not graded" if held == NOT_GRADED else (held or "graded")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} result")
        fields = {k: v for k, v in data.items()
                  if k not in ("format", "score", "max_score", "status", "seal", "checks")}
        checks = [CheckResult(**c) for c in data.get("checks", [])]
        return cls(**fields, checks=checks)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"


#: ``.<name>.<8 random characters>.tmp``: what :func:`write_atomic` writes before the rename.
_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``path`` so that a reader (or a crash) sees the old file or the new, never half.

    A process killed with SIGKILL between the write and the rename leaves its temporary file
    behind; :func:`remove_temporaries` clears those before the next run writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_temporaries(folder: Path) -> int:
    """Delete the temporary files an interrupted :func:`write_atomic` left anywhere under
    ``folder``, so a resumed run ends with exactly the files of an uninterrupted one.
    Returns how many were removed."""
    removed = 0
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*.tmp"):
        if _TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def load_data(data: dict[str, Any]) -> SubmissionResult | None:
    """A stored result from its JSON, or None when it does not hold one (then it is
    regraded)."""
    try:
        return SubmissionResult.from_json(data)
    except (ValueError, TypeError, KeyError):
        return None
