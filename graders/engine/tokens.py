"""Replay tokens: one schedule, and the Python version it was made on.

A token reads ``py311:19.2-21.1-23.2``. Before the colon is the version that made it:
schedules depend on it, because the bytecode differs from version to version and a switch
at decision 19 falls on another instruction, or on none. After it is the schedule: the
switches (``DECISION.THREAD`` joined by ``-``; ``default`` when there are none) or, for a long
list, the seeded strategy that made the run (``random.1382913032``, ``pct.3.200.1729``),
read back by that strategy's class (:meth:`.strategies.Strategy.parse`). Every part is
letters, digits, ``.``, ``-``, ``_`` and ``:``, so a token needs no quoting in a shell.

Tokens printed before the version was part of them (``19.2-21.1-23.2``) are still read, as
made on an unknown version.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .strategies import REGISTRY, Replay, Strategy

#: The version this process runs, as reports print it.
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

#: Longer switch lists are replaced by the seeded strategy's own token.
SHORT = 24

_VERSION = re.compile(r"py([0-9])([0-9]+)")
_SWITCHES = re.compile(r"[0-9]+\.[0-9]+(-[0-9]+\.[0-9]+)*")
_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Token:
    """A parsed replay token."""

    schedule: str           # what comes after the version: switches or a strategy's token
    python: str | None      # "3.11"; None for an old token, which does not say

    def __str__(self) -> str:
        if self.python is None:
            return self.schedule
        major, minor = self.python.split(".")
        return f"py{major}{minor}:{self.schedule}"

    def strategy(self) -> Strategy:
        """A fresh strategy that replays the schedule."""
        return _schedule(self.schedule)

    @property
    def foreign(self) -> bool:
        """Made on another Python version than this one (an unknown version is not)."""
        return self.python is not None and self.python != PYTHON

    def version_note(self) -> str | None:
        """One line to show before replaying a token made on another version, else None."""
        if not self.foreign:
            return None
        return (f"Note: this schedule was made on Python {self.python} and is replayed on "
                f"{PYTHON}; schedules differ between versions, so it may not fail here.")

    def not_reproduced(self) -> str:
        """What a replay that did not fail says: why that can be, and what to try next."""
        made = f"Python {self.python}" if self.python else "an unknown Python version"
        head = f"This schedule did not fail here (made on {made}, replayed on {PYTHON}): "
        if self.foreign:
            return head + (f"schedules differ between Python versions. Replay it on Python "
                           f"{self.python}, or run without --replay to search this "
                           "version's schedules for the failure.")
        if self.python is None:
            return head + ("the token does not say which version made it, and schedules "
                           "differ between versions (or the code changed since it failed). "
                           "Replay it on the version that made it, or run without --replay "
                           "to search this version's schedules.")
        return head + ("the code under test changed since it failed, or the run that failed "
                       "had other settings. If you fixed the code, run without --replay to "
                       "check every schedule, not just this one.")

    def diverged(self) -> str:
        """The note for a replay that could not follow its switches: an option they name
        (a thread, a sleeper) was not there at that decision."""
        if self.foreign:
            return (f"Note: the replay could not follow this schedule exactly: it was made on "
                    f"Python {self.python}, whose bytecode differs.")
        if self.python is None:
            return ("Note: the replay could not follow this schedule exactly: the code "
                    "changed since it was recorded, or another Python version made it.")
        return ("Note: the code changed since this schedule was recorded, so the replay "
                "could not follow it exactly.")


def encode(deviations: Sequence[tuple[int, int]], strategy: Strategy | None = None) -> str:
    """The shortest exact replay token for a run made here: its switches, or its seeded
    strategy's token when there are more than SHORT switches."""
    seeded = strategy.token() if strategy is not None else None
    if seeded is not None and len(deviations) > SHORT:
        return str(Token(seeded, PYTHON))
    return str(Token(switches(deviations), PYTHON))


def switches(deviations: Sequence[tuple[int, int]]) -> str:
    """A schedule as its switches: 'DECISION.THREAD-...' ('default' when there are none)."""
    return "-".join(f"{d}.{t}" for d, t in deviations) or "default"


def decode(text: str) -> Token:
    """The token ``text`` names; ValueError for anything that is not a token."""
    text = text.strip()
    version, colon, schedule = text.rpartition(":")
    python = None
    if colon:
        m = _VERSION.fullmatch(version)
        if m is None:
            raise _not_a_token(text)
        python = f"{m.group(1)}.{m.group(2)}"
    token = Token(schedule, python)
    try:
        _schedule(schedule)
    except ValueError:
        raise _not_a_token(text) from None
    return token


def _schedule(schedule: str) -> Strategy:
    if schedule == "default":
        return Replay([])
    if _SWITCHES.fullmatch(schedule):
        return Replay([(int(d), int(t)) for d, t in (p.split(".") for p in schedule.split("-"))])
    name, *fields = schedule.split(".")
    cls = REGISTRY.get(name)
    if cls is None or not fields or not all(_NUMBER.fullmatch(f) for f in fields):
        raise ValueError(schedule)
    return cls.parse(fields)


def _not_a_token(text: str) -> ValueError:
    return ValueError(f"{text!r} is not a schedule token (expected what a report prints "
                      f"after 'Replay:', such as 'py311:12.1-40.0' or 'py311:pct.3.200.1729')")
