"""What can go wrong in a run, named once so reports, checks and grades agree on the words."""

from __future__ import annotations

from enum import StrEnum


class BugClass(StrEnum):
    """The engine's own verdicts. Checks may add their own classes as plain strings."""

    EXCEPTION = "exception"
    ASSERTION = "assertion"
    DEADLOCK = "deadlock"
    SELF_DEADLOCK = "self-deadlock"
    LIVELOCK = "livelock"
    CANNOT_EXIT = "cannot exit"
    STARVATION = "starvation"
    FOREIGN_RELEASE = "foreign-release"
    BLOCKED_OUTSIDE = "blocked-outside-engine"
    LOAD_ERROR = "load error"
    COLLECTIVE_MISMATCH = "collective mismatch"
    #: asyncio: a task's step let the clock pass (time.sleep in a coroutine)
    BLOCKING_CALL = "blocking call"
    #: asyncio: a coroutine was made and never awaited, so it never ran
    MISSING_AWAIT = "missing await"
    #: asyncio: a task ended with an exception nobody retrieved
    LOST_EXCEPTION = "lost exception"


class CheckFailed(AssertionError):
    """Raised by a check (through :func:`fail`) with the bug class it detected."""

    def __init__(self, bug_class: str, message: str) -> None:
        super().__init__(message)
        self.bug_class = str(bug_class)
        self.message = message


def fail(bug_class: str, message: str) -> None:
    """Stop the current run and report ``message`` under ``bug_class``."""
    raise CheckFailed(bug_class, message)


class LoadError(Exception):
    """The code under test could not be loaded: missing file, syntax error, missing name."""
