"""Run a topic's checks against a folder and put the verdict in the student's words.

The same function serves ``pytest exercises/<topic>``, ``python -m graders check``, the dev
check and class grading, so a verdict never depends on which door it came through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import Topic, topic
from graders.checks import checks_of
from graders.engine import Exploration, LoadError, Settings


@dataclass
class CheckOutcome:
    """One check of one topic against one folder."""

    topic: str
    check: str
    points: int
    hidden: bool
    passed: bool
    bug_class: str | None
    exploration: Exploration | None
    load_error: str | None
    seconds: float

    @property
    def earned(self) -> int:
        return self.points if self.passed else 0

    def message(self, replay_command: str = "--replay {token}", hint: str | None = None) -> str:
        """The failure as a student reads it: the engine's report, then a hint."""
        if self.passed:
            return f"{self.check}: passed."
        if self.load_error is not None:
            text = self.load_error
        else:
            assert self.exploration is not None
            text = self.exploration.report(replay_command)
        if hint:
            text += f"\nHint: {hint}\nMore hints: python -m graders hint {self.topic}"
        return text


def run_check(topic_name: str, check_name: str, folder: Path,
              settings: Settings | None = None) -> CheckOutcome:
    """Run one check; a folder that cannot be loaded fails the check with one clear line."""
    info = topic(topic_name).check(check_name)
    fn = checks_of(topic_name)[check_name]
    start = time.monotonic()
    try:
        result = fn(Path(folder), settings or Settings())
    except LoadError as exc:
        return CheckOutcome(topic_name, check_name, info.points, info.hidden, False,
                            "load error", None, str(exc), time.monotonic() - start)
    failure = result.failure
    return CheckOutcome(topic_name, check_name, info.points, info.hidden, failure is None,
                        failure.bug_class if failure else None, result, None,
                        time.monotonic() - start)


def run_topic(t: Topic, folder: Path, settings: Settings | None = None,
              include_hidden: bool = True) -> list[CheckOutcome]:
    """Every check of a topic, in the catalogue's order."""
    return [run_check(t.name, c.name, folder, settings)
            for c in t.checks if include_hidden or not c.hidden]
