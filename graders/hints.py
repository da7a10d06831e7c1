"""A hint as data until an output writes it, and the one way it is written as text.

Each topic has a hint ladder in ``topics.toml`` (a nudge first, nearly code last). A failed
check carries the rung it points to (:class:`Hint`), never text with the hint glued on, so
every output (the terminal, pytest, the feedback files, the platforms) can place it where
it belongs; :func:`render` is the wording they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graders.catalog import Topic

#: The command that climbs a topic's ladder (graders/cli/hint.py).
MORE = "python -m graders hint {topic}"


@dataclass(frozen=True)
class Hint:
    """Rung ``rung`` (1 = the first) of topic ``topic``'s ladder, and its text."""

    topic: str
    rung: int
    text: str

    def render(self) -> str:
        """The hint as a terminal shows it, with the command for the next one."""
        return render(self.text, self.topic)


def first(t: Topic) -> Hint | None:
    """The hint a failed check of ``t`` shows: the ladder's first rung (None without one)."""
    return Hint(t.name, 1, t.hints[0]) if t.hints else None


def render(text: str, topic: str | None = None) -> str:
    """``Hint: TEXT``, then, given the topic, the line that says where more hints are."""
    line = f"Hint: {text}"
    return line if topic is None else f"{line}\nMore hints: {MORE.format(topic=topic)}"
