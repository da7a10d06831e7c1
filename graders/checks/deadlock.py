"""deadlock: dining philosophers; everyone eats, holding both forks, and nobody deadlocks.

Every run seats several tables one after another (2 to 5 philosophers, 1 to 3 meals each),
so no check rests on one fixed table:

- everyone_eats, polite_philosophers: whole tables dine at once, with dine() (part 1) or
  dine_politely() (part 2); every philosopher must eat every meal, on every schedule, with no
  deadlock (nor, in part 1, forks taken in a circular order).
- eats_with_both_forks, forks_back: each philosopher dines alone at a table of fresh forks,
  with both parts, so that no deadlock can hide what they test: every meal is eaten holding
  both neighbouring forks, and no fork is still taken when the philosopher is done.

A philosopher who finishes still holding a fork leaves the whole-table checks nothing to
watch (a neighbour would wait for it forever): they stop at once with one line that names
forks_back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, held_locks, label, slept_holding

from . import check
from .support import require, student_file

#: (philosophers, meals) of the tables seated one after another in every run.
TABLES = [(2, 3), (3, 2), (4, 1), (5, 2)]
#: The tables at which each philosopher in turn dines alone.
ALONE = [(2, 2), (3, 1), (4, 2), (5, 1)]
#: Schedules for the dining-alone checks: one thread at a time, so a few are enough.
ALONE_SCHEDULES = 10
PARTS = {"dine": "part 1, dine()", "dine_politely": "part 2, dine_politely()"}


def _forks(n: int) -> list[Any]:
    return [label(threading.Lock(), f"fork-{i}") for i in range(n)]


def _mine(philosopher: int, n: int) -> list[str]:
    return [f"fork-{philosopher}", f"fork-{(philosopher + 1) % n}"]


class _Dining:
    """The student's module with eat() watched: meals per philosopher, and what each held
    while eating."""

    def __init__(self, dining: Any) -> None:
        self.dining = dining
        self.real_eat = dining.eat
        self.eaten: list[int] = []
        self.without: list[tuple[int, list[str]]] = []   # (philosopher, forks not held)
        self.n = 0
        dining.eat = self.eat

    def eat(self, philosopher: int) -> Any:
        missing = [f for f in _mine(philosopher, self.n) if f not in held_locks()]
        if missing:
            self.without.append((philosopher, missing))
        try:
            return self.real_eat(philosopher)
        finally:
            if 0 <= philosopher < self.n:
                self.eaten[philosopher] += 1

    def seat(self, n: int) -> None:
        self.n, self.eaten, self.without = n, [0] * n, []


def _dinner(dining: _Dining, dine: Callable[..., Any], n: int, meals: int, part: str,
            seated: list[int]) -> list[Any]:
    """Seat philosophers ``seated`` of a table of ``n`` at once; return the table's forks."""
    forks = _forks(n)
    dining.seat(n)

    def philosopher(i: int) -> None:
        dine(i, forks, meals)
        held = held_locks()
        if held and len(seated) > 1:
            fail(Bug.FORK_KEPT, f"At a table of {n} ({part}), philosopher-{i} finished still "
                 f"holding {' and '.join(held)}, so its neighbours can never eat: see "
                 "forks_back, and fix that first.")

    threads = [threading.Thread(target=philosopher, args=(i,), name=f"philosopher-{i}")
               for i in seated]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return forks


def _whole_tables(folder: Path, settings: Settings, function: str,
                  pause_holding_one: bool = False) -> Exploration:
    """``function`` at every table; ``pause_holding_one``: a time.sleep() begun while
    holding exactly one fork fails the run (a polite philosopher puts it down first)."""
    part = PARTS[function]

    def scenario(module: Any) -> None:
        dine = require(module, function, ["philosopher", "forks", "meals"])
        dining = _Dining(module)
        for n, meals in TABLES:
            paused = len(slept_holding())
            _dinner(dining, dine, n, meals, part, list(range(n)))
            if pause_holding_one:
                for who, fork, held in slept_holding()[paused:]:
                    if held == 1:
                        fail(Bug.PAUSE_HOLDING_FORK,
                             f"At a table of {n} ({part}), {who} paused in time.sleep() "
                             f"while still holding {fork}: a philosopher who gives up puts "
                             "the fork it holds down first, so that a neighbour can use it "
                             "during the pause.")
            hungry = [f"philosopher-{i} ate {k}" for i, k in enumerate(dining.eaten)
                      if k != meals]
            if hungry:
                fail(Bug.WRONG_MEAL_COUNT, f"At a table of {n} ({part}), each philosopher "
                     f"should eat {meals} meal{'s' if meals > 1 else ''}, but "
                     f"{', '.join(hungry)}.")

    return explore(scenario, [student_file(folder, "dining.py")], settings)


def _alone(folder: Path, settings: Settings,
           after: Callable[[_Dining, list[Any], int, int, int, str], None]) -> Exploration:
    """Every philosopher of every table in ALONE dines alone, with both parts; ``after`` is
    called with (dining, forks, n, philosopher, meals, part) once each has finished."""

    def scenario(module: Any) -> None:
        dining = _Dining(module)
        for function, part in PARTS.items():
            dine = require(module, function, ["philosopher", "forks", "meals"])
            for n, meals in ALONE:
                for i in range(n):
                    forks = _dinner(dining, dine, n, meals, part, [i])
                    after(dining, forks, n, i, meals, part)

    settings = replace(settings, schedules=min(settings.schedules, ALONE_SCHEDULES))
    return explore(scenario, [student_file(folder, "dining.py")], settings)


@check("deadlock")
def everyone_eats(folder: Path, settings: Settings) -> Exploration:
    """Part 1: at tables of 2 to 5, every philosopher eats every meal, on every schedule,
    with no deadlock and no forks taken in a circular order."""
    return _whole_tables(folder, settings, "dine")


@check("deadlock")
def polite_philosophers(folder: Path, settings: Settings) -> Exploration:
    """Part 2: at tables of 2 to 5, a philosopher who gives up on a fork puts the other one
    down and pauses; every philosopher still eats every meal, on every schedule."""
    return _whole_tables(folder, settings, "dine_politely", pause_holding_one=True)


@check("deadlock")
def eats_with_both_forks(folder: Path, settings: Settings) -> Exploration:
    """Both parts: each philosopher, dining alone, holds both neighbouring forks at every
    meal."""

    def after(dining: _Dining, forks: list[Any], n: int, i: int, meals: int,
              part: str) -> None:
        if dining.without:
            who, missing = dining.without[0]
            fail(Bug.EATS_WITHOUT_FORKS, f"At a table of {n} ({part}), philosopher-{who} ate "
                 f"without holding {' and '.join(missing)}: a philosopher eats only while "
                 "holding both neighbouring forks.")

    return _alone(folder, settings, after)


@check("deadlock")
def forks_back(folder: Path, settings: Settings) -> Exploration:
    """Both parts: each philosopher, dining alone, has put every fork back when done."""

    def after(dining: _Dining, forks: list[Any], n: int, i: int, meals: int,
              part: str) -> None:
        kept = [f"fork-{k}" for k, fork in enumerate(forks) if fork.locked()]
        if kept:
            fail(Bug.FORK_KEPT, f"At a table of {n} ({part}), philosopher-{i} ate "
                 f"{meals} meal{'s' if meals > 1 else ''} alone, and afterwards "
                 f"{' and '.join(kept)} {'is' if len(kept) == 1 else 'are'} still taken: "
                 "every fork must go back on the table.")

    return _alone(folder, settings, after)
