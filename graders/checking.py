"""Run a topic's checks against a folder and put the verdict in the student's words.

:func:`run_check` is the one way a check runs: ``pytest exercises/<topic>`` (the plugin's
``explorer.check``), ``python -m graders check``, the dev check and class grading's workers
all call it, so a verdict never depends on which door it came through. Each door only
decides how to show the outcome.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

from graders import hints
from graders.bugclasses import WORDS, Bug
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
    bug_class: Bug | None
    exploration: Exploration | None
    load_error: str | None
    seconds: float
    hint: hints.Hint | None = None     # for a failed check: the hint that fits its failure
    requirement: str = ""              # what the check tests, in the README's words

    @property
    def earned(self) -> int:
        return self.points if self.passed else 0

    def report(self, replay_command: str = "--replay {token}") -> str:
        """What went wrong, without the hint: the engine's report and the bug class, as
        pytest shows them, or the one line that says why the folder could not be loaded."""
        if self.passed:
            return f"{self.check}: passed."
        if self.load_error is not None:
            return self.load_error
        assert self.exploration is not None
        return pytest_report(self.requirement, self.exploration, replay_command)

    def message(self, replay_command: str = "--replay {token}") -> str:
        """The failure as a terminal shows it: the report, then the hint."""
        text = self.report(replay_command)
        if self.passed or self.load_error is not None:
            return text
        return f"{text}\n{hints.render(self.hint and self.hint.text, self.topic)}"


def headed(requirement: str, report: str) -> str:
    """A failure's report under the line that names the requirement it broke."""
    return f"Requirement not met: {requirement}\n{report}" if requirement else report


def pytest_report(requirement: str, exploration: Exploration, replay_command: str) -> str:
    """A failed exploration as the pytest plugin shows it, up to the picture's line: the
    requirement, the engine's report and the bug class."""
    assert exploration.failure is not None
    return (headed(requirement, exploration.report(replay_command=replay_command))
            + f"\nbug class: {exploration.failure.bug_class}")


def pytest_ending(picture: str | None, real: str | None, hint: hints.Hint | None,
                  topic: str | None) -> str:
    """What the pytest plugin shows after :func:`pytest_report`: where the picture of the
    interleaving is, what real threads did, and the hint (for a topic's check)."""
    text = f"\nPicture of this interleaving: {picture}" if picture is not None else ""
    if real:
        text += "\n" + real
    if topic is not None:
        text += "\n" + hints.render(hint and hint.text, topic)
    return text


def run_check(topic_name: str, check_name: str, folder: Path,
              settings: Settings | None = None) -> CheckOutcome:
    """Run one check; a folder that cannot be loaded fails the check with one clear line.

    A check that reports a bug class :class:`~graders.bugclasses.Bug` does not name is a bug
    of the kit (topics.toml could never promise it): it raises ValueError.

    What the process holds before the check is frozen first (``gc.freeze``: never walked
    nor freed by the collector again), since each of the check's explorations ends with a
    full collection, which would otherwise walk all of it: the kit, pytest, the checks
    before. Nothing is ever unfrozen, so an earlier exploration's leftovers are never
    finalized outside its stand-ins (docs/engine-profile.md).
    """
    gc.freeze()
    t = topic(topic_name)
    info = t.check(check_name)
    fn = checks_of(topic_name)[check_name]
    start = time.monotonic()
    try:
        result = fn(Path(folder), settings or Settings())
    except LoadError as exc:
        return CheckOutcome(topic_name, check_name, info.points, info.hidden, False,
                            Bug.LOAD_ERROR, None, str(exc), time.monotonic() - start,
                            requirement=info.requirement)
    failure = result.failure
    if failure is not None and failure.bug_class not in WORDS:
        raise ValueError(f"check {topic_name}.{check_name} reported the bug class "
                         f"{failure.bug_class!r}, which graders/bugclasses.py does not name")
    hint = None if failure is None else hints.for_failure(
        t, check_name, failure.bug_class, hints.sources_in(Path(folder), t))
    return CheckOutcome(topic_name, check_name, info.points, info.hidden, failure is None,
                        None if failure is None else Bug(failure.bug_class), result, None,
                        time.monotonic() - start, hint, info.requirement)


def run_topic(t: Topic, folder: Path, settings: Settings | None = None,
              include_hidden: bool = True) -> list[CheckOutcome]:
    """Every check of a topic, in the catalogue's order."""
    return [run_check(t.name, c.name, folder, settings)
            for c in t.checks if include_hidden or not c.hidden]
