"""Hints as data until an output writes them: which hint fits a failure, and how it is written.

A failed check shows the hint its check lists in ``topics.toml`` for the bug class it failed
with, and only one whose code (``needs``) is in the student's files: a hint written for the
untouched starter never points at a line the student has already changed. A failure no hint
fits shows none, only the line that says where the topic's hint ladder is. The ladder (a nudge
first, nearly code last) is what ``python -m graders hint TOPIC`` climbs.

A failed check carries its :class:`Hint`, never text with the hint glued on, so every output
(the terminal, pytest, the feedback files, the platforms) can place it where it belongs;
:func:`render` is the wording they share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graders.catalog import CheckInfo, HintRule, Topic

#: The command that climbs a topic's ladder (graders/cli/hint.py).
MORE = "python -m graders hint {topic}"


@dataclass(frozen=True)
class Hint:
    """The hint shown for a failed check of topic ``topic``."""

    topic: str
    text: str

    def render(self) -> str:
        """The hint as a terminal shows it, with the command for more."""
        return render(self.text, self.topic)


def rule_for(info: CheckInfo, bug: str | None, sources: Iterable[str]) -> HintRule | None:
    """The first of the check's hints that fits a failure with class ``bug`` in code made
    of ``sources`` (the texts of the student's files), or None."""
    texts = list(sources)
    for rule in info.hints:
        if rule.bug is not None and rule.bug != bug:
            continue
        if all(any(need in text for text in texts) for need in rule.needs):
            return rule
    return None


def for_failure(t: Topic, check: str, bug: str | None, sources: Iterable[str]) -> Hint | None:
    """The hint a failure of ``t``'s check ``check`` with class ``bug`` shows, or None."""
    rule = rule_for(t.check(check), bug, sources)
    return None if rule is None else Hint(t.name, rule.text)


def sources_in(folder: Path, t: Topic) -> list[str]:
    """The texts of the topic's files in ``folder`` (a missing or unreadable one is empty)."""
    texts = []
    for name in t.files:
        try:
            texts.append((Path(folder) / name).read_text(errors="replace"))
        except OSError:
            texts.append("")
    return texts


def render(text: str | None, topic: str | None = None) -> str:
    """``Hint: TEXT`` (when there is one), then, given the topic, the line that says where
    more hints are."""
    lines = [] if text is None else [f"Hint: {text}"]
    if topic is not None:
        lines.append(f"More hints: {MORE.format(topic=topic)}")
    return "\n".join(lines)
