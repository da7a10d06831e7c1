"""try_lock: clerks post ballots on one board. Every ballot is posted exactly once, under the
board's lock; no clerk waits for the busy lock while it still has ballots to read; and no
clerk releases the lock unless it acquired it.

The witness is the board's lock itself: the check puts a thin wrapper around the lock the
student's TallyBoard made, so it sees every acquire (blocking or not, by whom, how many
ballots that clerk still had to read) and every release.

Each run draws its boxes (two or three clerks, empty boxes, uneven boxes) from ``random``,
which the engine seeds per run, so a replay draws the same boxes.

One bug, one check: each check judges only its own requirement. A release by a clerk that
does not hold the lock fails only_taker_releases; the other two checks do not pass it on to
the lock (the clerk that holds it keeps it), so they judge the rest of the code as if that
release were not there.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    LoadError,
    Settings,
    draw_scenario,
    explore,
    fail,
    label,
    thread_name,
)

from . import check
from .support import rebind, require, student_file

LABEL = "board.lock"

#: ballots per clerk, one tuple per run (drawn at random): two or three clerks, uneven
#: boxes, an empty box
BOXES: tuple[tuple[int, ...], ...] = (
    (3, 3), (1, 4), (4, 1), (2, 2, 2), (0, 3), (3, 0, 2), (2, 1, 3), (5, 2),
)

COUNT, WAIT, RELEASE = "count", "wait", "release"


def _method(module: Any, cls: Any, name: str, params: list[str]) -> None:
    """Check that ``cls.name`` takes ``params``; the LoadError names the student's file."""
    try:
        require(cls, name, ["self", *params])
    except LoadError as exc:
        raise LoadError(f"{module.__file__}, class {exc}") from None


class _Watch:
    """What the clerks did in one run: ballots read, attempts that found the lock busy."""

    def __init__(self, boxes: dict[str, list[str]], mode: str) -> None:
        self.assigned = {name: len(box) for name, box in boxes.items()}
        self.read: Counter[str] = Counter()
        self.found_busy: set[str] = set()    # tried and failed, and has not read since
        self.mode = mode
        self.posted: list[str] = []
        self.first: tuple[str, str] | None = None

    def fail(self, bug_class: str, message: str) -> None:
        """Fail the run, and remember why: if the student's code catches the check's
        exception, the main thread reports it after the join."""
        if self.first is None:
            self.first = (bug_class, message)
        fail(bug_class, message)

    def remaining(self, name: str) -> int:
        return self.assigned.get(name, 0) - self.read[name]


class _WatchedLock:
    """The student's lock, as the clerks see it, with the check looking over its shoulder."""

    def __init__(self, inner: Any, watch: _Watch) -> None:
        self._inner = inner
        self._watch = watch
        self.owner: str | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = thread_name()
        watch = self._watch
        waits = bool(blocking) and timeout != 0
        left = watch.remaining(me)
        if watch.mode == WAIT and left > 0:
            if waits and self.owner not in (None, me):
                watch.fail(Bug.BLOCKS_ON_BUSY_LOCK,
                           f"{me} waited for {LABEL}, which {self.owner} held, although it "
                           f"still had {_ballots(left)} to read. Try the lock without waiting "
                           "(acquire(blocking=False)) and go on reading while it is busy.")
            if me in watch.found_busy:
                watch.fail(Bug.BLOCKS_ON_BUSY_LOCK,
                           f"{me} found {LABEL} busy and tried it again straight away, "
                           "without reading a ballot in between, although it still had "
                           f"{_ballots(left)} to read. Trying over and over is waiting too: "
                           "read the next ballot first.")
        got = self._inner.acquire(blocking, timeout)
        if got:
            self.owner = me
            watch.found_busy.discard(me)
        else:
            watch.found_busy.add(me)
        return bool(got)

    def release(self) -> None:
        me = thread_name()
        if self.owner != me:
            if self._watch.mode != RELEASE:
                return   # not this check's requirement: the holder keeps the lock
            holder = f"{self.owner} held" if self.owner else "nobody held"
            self._watch.fail(Bug.FOREIGN_RELEASE,
                             f"{me} released {LABEL}, which {holder}: a clerk may release the "
                             "lock only after an acquire that returned True.")
        self._inner.release()
        self.owner = None

    def locked(self) -> bool:
        return bool(self._inner.locked())

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<{LABEL}: {self._inner!r}>"


def _ballots(n: int) -> str:
    return f"{n} ballot{'s' if n != 1 else ''}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _key(ballot: Any) -> Any:
    """A posted ballot as the tally counts it (something unhashable by its repr)."""
    try:
        hash(ballot)
    except TypeError:
        return repr(ballot)
    return ballot


def _count(folder: Path, settings: Settings, mode: str) -> Exploration:
    def scenario(module: Any) -> None:
        sizes = draw_scenario(lambda: random.choice(BOXES))
        boxes = {f"clerk-{c + 1}": [f"{chr(ord('A') + c)}{b + 1}" for b in range(n)]
                 for c, n in enumerate(sizes)}
        clerk = require(module, "clerk", ["board", "box"])
        board_class = require(module, "TallyBoard", [])
        _method(module, board_class, "post", ["ballots"])
        read_ballot = require(module, "read_ballot", ["ballot"])
        watch = _Watch(boxes, mode)
        board = board_class()
        inner = getattr(board, "lock", None)
        if inner is None or not callable(getattr(inner, "acquire", None)):
            raise LoadError(f"{module.__file__}: TallyBoard() should keep its lock in "
                            "self.lock (the check watches that lock); keep the starter's name.")
        label(inner, LABEL)
        lock = _WatchedLock(inner, watch)
        board.lock = lock
        post = board.post

        def watched_post(posted: Any) -> Any:
            me = thread_name()
            if mode == COUNT and lock.owner != me:
                watch.fail(Bug.POST_WITHOUT_LOCK,
                           f"{me} posted on the board without holding {LABEL}, so two clerks "
                           "could write on it at once.")
            watch.posted.extend(_key(b) for b in list(posted))
            return post(posted)

        def watched_read(ballot: Any) -> Any:
            watch.read[thread_name()] += 1
            watch.found_busy.discard(thread_name())
            return read_ballot(ballot)

        board.post = watched_post
        rebind(module, read_ballot=watched_read)
        threads = [threading.Thread(target=clerk, args=(board, list(box)), name=name)
                   for name, box in boxes.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if watch.first is not None:
            fail(*watch.first)
        if mode != COUNT:
            return
        expected = Counter(b for box in boxes.values() for b in box)
        got = Counter(watch.posted)
        missing = sorted((expected - got).elements())
        extra = sorted(map(str, (got - expected).elements()))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"{', '.join(missing)} {_was(len(missing))} never posted")
            if extra:
                parts.append(f"{', '.join(extra)} {_was(len(extra))} posted more than once")
            had = [f"{name} had {_ballots(len(box))}" for name, box in boxes.items()]
            fail(Bug.MISCOUNT, f"{', '.join(had[:-1])} and {had[-1]}; each ballot should be "
                 f"posted exactly once, but {' and '.join(parts)}.")

    return explore(scenario, [student_file(folder, "tally.py")], settings)


@check("try_lock")
def every_ballot_once(folder: Path, settings: Settings) -> Exploration:
    """Every ballot is posted exactly once, by a clerk holding the lock (2-3 clerks, uneven
    and empty boxes)."""
    return _count(folder, settings, COUNT)


@check("try_lock")
def never_waits_while_busy(folder: Path, settings: Settings) -> Exploration:
    """No clerk waits for the busy lock, or retries it without reading in between, while it
    still has ballots to read."""
    return _count(folder, settings, WAIT)


@check("try_lock")
def only_taker_releases(folder: Path, settings: Settings) -> Exploration:
    """No clerk releases the lock unless its own acquire returned True."""
    return _count(folder, settings, RELEASE)
