"""reentrant_lock: add_shelf() holds the catalogue's lock and calls add_book(), which takes it
again. No self-deadlock, every acquire released, only by its owner, exact counts, and a shelf
with its books recorded as one step no other librarian can split.

The witness is the catalogue's lock itself: the check wraps the lock the student's Catalogue
made, so it sees every acquire and release, by whom, and whether the lock is free. Each run
draws its librarians' work (how many librarians, shelves of how many books, loose books) from
``random``, which the engine seeds per run, so a replay draws the same work.

One bug, one check: each check judges only its own requirement.

- A librarian that ends its work still holding the lock fails locks_released; the other checks
  give the lock back on its behalf (from its own thread, as many times as it kept it), so the
  other librarians can go on and those checks judge the rest of the code.
- A self-deadlock fails no_self_deadlock; the other checks cannot watch anything once the
  first shelf hangs, so they fail with one line that says so instead of the same report.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    LoadError,
    Settings,
    explore,
    fail,
    held_locks,
    label,
    thread_name,
)

from . import check
from .support import require, student_file, verdict

LABEL = "catalogue.lock"
TITLES = ("Emma", "Dune", "Kim", "Beloved")

#: what each check watches for, besides a hang
HANG, KEPT, OWNER, COUNTS, ONE_STEP = "hang", "kept", "owner", "counts", "one step"
#: the hangs no_self_deadlock reports in full, and the other checks in one line
HANGS = {Bug.SELF_DEADLOCK: "a librarian hangs, waiting for a lock it holds itself,",
         Bug.DEADLOCK: "the librarians hang, each waiting for another,"}
#: how many short sleeps a librarian done with its work waits before giving back a kept lock
GIVE_BACK_ROUNDS = 20


def _method(module: Any, cls: Any, name: str, params: list[str]) -> None:
    """Check that ``cls.name`` takes ``params``; the LoadError names the student's file."""
    try:
        require(cls, name, ["self", *params])
    except LoadError as exc:
        raise LoadError(f"{module.__file__}, class {exc}") from None


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {'shelves' if word == 'shelf' else word + 's'}"


class _Job:
    """One librarian's work: shelves (lists of titles) and loose books, in its order."""

    def __init__(self, steps: list[tuple[str, Any]]) -> None:
        self.steps = steps

    @property
    def shelves(self) -> int:
        return sum(1 for kind, _ in self.steps if kind == "shelf")

    @property
    def books(self) -> int:
        return sum(len(arg) if kind == "shelf" else 1 for kind, arg in self.steps)


def _jobs(librarians: int, sizes: tuple[int, ...], loose: tuple[int, ...]) -> list[_Job]:
    """Work for each librarian: a shelf of each size in ``sizes``, ``loose`` books alone."""
    jobs = []
    for i in range(librarians):
        steps: list[tuple[str, Any]] = [
            ("shelf", [f"{TITLES[(i + b) % len(TITLES)]} {i + 1}.{s + 1}" for b in range(n)])
            for s, n in enumerate(sizes)]
        steps += [("book", f"Ulysses {i + 1}.{b + 1}") for b in range(random.choice(loose))]
        random.shuffle(steps)
        jobs.append(_Job(steps))
    return jobs


class _Watch:
    """The catalogue's lock as the librarians see it, with the check looking over its
    shoulder: who holds it how many times, and what the catalogue says when it is free."""

    def __init__(self, inner: Any, catalogue: Any, mode: str, per_shelf: int | None) -> None:
        self._inner = inner
        self._catalogue = catalogue
        self._mode = mode
        self._per_shelf = per_shelf
        self.holds: Counter[str] = Counter()
        self.waiting: set[str] = set()    # inside an acquire of this lock
        self.first: tuple[str, str] | None = None

    def fail(self, bug_class: str, message: str) -> None:
        """Fail the run, and remember why: a ``with`` block unwinding from the failure calls
        release() again, which then repeats the failure instead of touching the lock."""
        if self.first is None:
            self.first = (bug_class, message)
        fail(bug_class, message)

    # ---- the lock's interface
    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        me = thread_name()
        if self.first is not None:
            fail(*self.first)
        fresh = self.holds[me] == 0
        self.waiting.add(me)
        try:
            got = self._inner.acquire(*args, **kwargs)
        finally:
            self.waiting.discard(me)
        if got:
            self.holds[me] += 1
            if fresh and self._mode == ONE_STEP:
                self._consistent(f"{me} took {LABEL}", f"{me} sees a shelf without all its "
                                 "books")
        return got

    def release(self) -> None:
        me = thread_name()
        if self.first is not None:
            fail(*self.first)
        if self.holds[me] == 0:
            holders = [name for name, n in self.holds.items() if n > 0]
            if self._mode == OWNER:
                held = f"which {holders[0]} held" if holders else "which nobody held"
                self.fail(Bug.FOREIGN_RELEASE,
                          f"{me} released {LABEL}, {held}: only the librarian that took a lock "
                          "may release it, or a third librarian walks into the holder's "
                          "critical section.")
            self._inner.release()
            if holders:
                self.holds[holders[0]] -= 1
            return
        self._inner.release()
        self.holds[me] -= 1
        if self._mode == ONE_STEP and not +self.holds:
            self._consistent(f"{me} released {LABEL}, leaving it free",
                             "another librarian could take the lock right then and see a "
                             "shelf without its books")

    def __enter__(self) -> Any:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __repr__(self) -> str:
        return f"<{LABEL}: {self._inner!r}>"

    # ---- the check's questions
    def _consistent(self, moment: str, so: str) -> None:
        per_shelf = self._per_shelf
        shelves = getattr(self._catalogue, "shelves", None)
        books = getattr(self._catalogue, "books", None)
        if per_shelf is None or not isinstance(shelves, int) or not isinstance(books, int):
            return
        if books != per_shelf * shelves:
            self.fail(Bug.INCONSISTENT_STATE,
                      f"{moment} while the catalogue counted {_plural(shelves, 'shelf')} and "
                      f"{_plural(books, 'book')}, although every shelf holds "
                      f"{_plural(per_shelf, 'book')}: {so}. A shelf and all its books must be "
                      "recorded in one step, while the lock stays held.")

    def give_back(self, others: list[threading.Thread]) -> None:
        """For a librarian done with its work: release what it still holds, once every other
        librarian has ended or waits for this lock (so a design where another thread
        releases it later still does), or after a while."""
        me = thread_name()
        for _ in range(GIVE_BACK_ROUNDS):
            if not self.holds[me]:
                return
            if all(not t.is_alive() or t.name in self.waiting for t in others):
                break
            time.sleep(0.001)
        for _ in range(self.holds[me]):
            self._inner.release()
        self.holds[me] = 0


def _library(folder: Path, settings: Settings, mode: str) -> Exploration:
    def scenario(module: Any) -> None:
        catalogue_class = require(module, "Catalogue", [])
        _method(module, catalogue_class, "add_book", ["title"])
        _method(module, catalogue_class, "add_shelf", ["titles"])
        if mode == HANG:
            librarians = random.choice([1, 1, 2, 3])
            sizes, loose = random.choice([(2,), (1, 3), (3,), (2, 1)]), (0, 1)
        elif mode == ONE_STEP:
            per_shelf = random.choice([1, 2, 3])
            librarians = random.choice([1, 2, 2, 3])
            sizes, loose = (per_shelf,) * random.choice([1, 2]), (0,)
        else:
            librarians = 1 if mode == KEPT and random.random() < 0.25 else random.choice([2, 3])
            sizes = random.choice([(2,), (1, 2), (3,), (0, 2), (2, 2)])
            loose = (0, 1, 2)
        jobs = _jobs(librarians, sizes, loose)
        catalogue = catalogue_class()
        for name in ("shelves", "books"):
            if not hasattr(catalogue, name):
                raise LoadError(f"{module.__file__}: Catalogue() should set self.{name} (the "
                                "check reads it); keep the attribute names of the starter.")
        inner = getattr(catalogue, "lock", None)
        if inner is None or not callable(getattr(inner, "acquire", None)):
            raise LoadError(f"{module.__file__}: Catalogue() should keep its lock in self.lock "
                            "(the check watches that lock); keep the starter's name.")
        label(inner, LABEL)
        watch = _Watch(inner, catalogue, mode, sizes[0] if mode == ONE_STEP else None)
        catalogue.lock = watch

        def work(job: _Job) -> None:
            for kind, arg in job.steps:
                if kind == "shelf":
                    catalogue.add_shelf(list(arg))
                else:
                    catalogue.add_book(arg)
            me = thread_name()
            if mode == KEPT:
                if watch.holds[me] or held_locks():
                    name = LABEL if watch.holds[me] else held_locks()[0]
                    times = (f", {_plural(watch.holds[me], 'acquire')} more than it released"
                             if watch.holds[me] else "")
                    fail(Bug.LOCK_KEPT, f"{me} finished its work still holding {name}{times}, "
                         "so no other librarian could ever take it. Release a lock as many "
                         "times as you acquired it.")
            else:
                watch.give_back([t for t in threads if t.name != me])

        threads = [threading.Thread(target=work, args=(job,), name=f"librarian-{i + 1}")
                   for i, job in enumerate(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if watch.first is not None:
            fail(*watch.first)
        if mode != COUNTS:
            return
        expected = (sum(j.shelves for j in jobs), sum(j.books for j in jobs))
        got = (catalogue.shelves, catalogue.books)
        if got != expected:
            fail(Bug.LOST_UPDATE,
                 f"Lost update: {librarians} librarians shelved {_plural(expected[0], 'shelf')} "
                 f"and {_plural(expected[1], 'book')} between them (loose books included), but "
                 f"the catalogue says {_plural(got[0], 'shelf')} and {_plural(got[1], 'book')}.")

    # No lock-order guesses: a hang is judged by no_self_deadlock on the runs themselves (a
    # home-made reentrant lock may take two locks in both orders and still never hang).
    result = explore(scenario, [student_file(folder, "catalogue.py")],
                     replace(settings, lock_order=False))
    failure = result.failure
    if mode != HANG and failure is not None and failure.bug_class in HANGS:
        return verdict(settings, failure.bug_class,
                       f"Not checked: {HANGS[failure.bug_class]} before this could be watched; "
                       "make no_self_deadlock pass first.", runs=result.schedules_run)
    return result


@check("reentrant_lock")
def no_self_deadlock(folder: Path, settings: Settings) -> Exploration:
    """No librarian hangs, alone or beside others: add_shelf() calls add_book() and goes on."""
    return _library(folder, settings, HANG)


@check("reentrant_lock")
def locks_released(folder: Path, settings: Settings) -> Exploration:
    """A librarian holds no lock once its work is done: every acquire was released."""
    return _library(folder, settings, KEPT)


@check("reentrant_lock")
def only_owner_releases(folder: Path, settings: Settings) -> Exploration:
    """No thread ever releases a lock that another thread holds."""
    return _library(folder, replace(settings, strict_locks=True), OWNER)


@check("reentrant_lock")
def exact_counts(folder: Path, settings: Settings) -> Exploration:
    """Two or three librarians: the catalogue counts every shelf and every book."""
    return _library(folder, settings, COUNTS)


@check("reentrant_lock")
def shelf_is_one_step(folder: Path, settings: Settings) -> Exploration:
    """Whenever the lock is free, or a librarian has just taken it, every shelf counted has
    all its books counted too."""
    return _library(folder, settings, ONE_STEP)
