"""reentrant_lock: add_shelf() holds the catalogue's lock and calls add_book(), which takes it
again. No self-deadlock, every acquire released, only by its owner, and exact counts."""

from __future__ import annotations

import threading
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
from .support import require, student_file

SHELF = ("Emma", "Dune")
LOOSE = "Ulysses"


def _method(module: Any, cls: Any, name: str, params: list[str]) -> None:
    """Check that ``cls.name`` takes ``params``; the LoadError names the student's file."""
    try:
        require(cls, name, ["self", *params])
    except LoadError as exc:
        raise LoadError(f"{module.__file__}, class {exc}") from None


def _library(folder: Path, settings: Settings, librarians: int, *, counts: bool = True,
             end_probe: bool = False) -> Exploration:
    """Each librarian shelves SHELF with add_shelf(), then adds LOOSE with add_book()."""

    def scenario(module: Any) -> None:
        catalogue_class = require(module, "Catalogue", [])
        _method(module, catalogue_class, "add_book", ["title"])
        _method(module, catalogue_class, "add_shelf", ["titles"])
        catalogue = catalogue_class()
        for name in ("shelves", "books"):
            if not hasattr(catalogue, name):
                raise LoadError(f"{module.__file__}: Catalogue() should set self.{name} (the "
                                "check reads it); keep the attribute names of the starter.")
        lock = getattr(catalogue, "lock", None)
        if lock is not None:
            label(lock, "catalogue.lock")

        def work() -> None:
            catalogue.add_shelf(list(SHELF))
            catalogue.add_book(LOOSE)
            if end_probe:
                held = held_locks()
                if held:
                    fail(Bug.LOCK_KEPT, f"{thread_name()} finished its work still holding "
                         f"{held[0]}: the lock was acquired more times than it was released, "
                         "so no other librarian could ever take it.")

        threads = [threading.Thread(target=work, name=f"librarian-{i + 1}")
                   for i in range(librarians)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if not counts:
            return
        expected = (librarians, librarians * (len(SHELF) + 1))
        got = (catalogue.shelves, catalogue.books)
        if got != expected:
            who = "one librarian" if librarians == 1 else f"{librarians} librarians"
            fail(Bug.WRONG_COUNT if librarians == 1 else Bug.LOST_UPDATE,
                 f"{'Wrong count' if librarians == 1 else 'Lost update'}: {who} each shelved "
                 f"{len(SHELF)} books and added 1 more, so the catalogue should say "
                 f"{expected[0]} shelves and {expected[1]} books; it says {got[0]} shelves "
                 f"and {got[1]} books.")

    return explore(scenario, [student_file(folder, "catalogue.py")], settings)


@check("reentrant_lock")
def no_self_deadlock(folder: Path, settings: Settings) -> Exploration:
    """One librarian: add_shelf() calls add_book() while holding the lock, and goes on."""
    return _library(folder, settings, librarians=1)


@check("reentrant_lock")
def locks_released(folder: Path, settings: Settings) -> Exploration:
    """A librarian holds no lock once its work is done: every acquire was released."""
    return _library(folder, settings, librarians=1, end_probe=True)


@check("reentrant_lock")
def only_owner_releases(folder: Path, settings: Settings) -> Exploration:
    """Two librarians: no thread ever releases a lock that another thread holds."""
    return _library(folder, replace(settings, strict_locks=True), librarians=2, counts=False)


@check("reentrant_lock")
def exact_counts(folder: Path, settings: Settings) -> Exploration:
    """Two librarians: the catalogue counts every shelf and every book, on every schedule."""
    return _library(folder, settings, librarians=2)
