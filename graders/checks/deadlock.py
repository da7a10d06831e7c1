"""deadlock: dining philosophers; everyone eats, holding both forks, and nobody deadlocks."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, held_locks, label

from . import check
from .support import require, student_file

PHILOSOPHERS, MEALS = 3, 2


def _table(folder: Path, settings: Settings, function: str) -> Exploration:
    def scenario(dining: Any) -> None:
        dine = require(dining, function, ["philosopher", "forks", "meals"])
        forks = [label(threading.Lock(), f"fork-{i}") for i in range(PHILOSOPHERS)]
        eaten = [0] * PHILOSOPHERS
        eating: set[int] = set()
        meal = dining.eat

        def eat(philosopher: int) -> Any:
            mine = {f"fork-{philosopher}", f"fork-{(philosopher + 1) % PHILOSOPHERS}"}
            missing = sorted(mine - set(held_locks()))
            if missing:
                fail(Bug.EATS_WITHOUT_FORKS, f"philosopher-{philosopher} ate without holding "
                     f"{' and '.join(missing)}.")
            for neighbour in ((philosopher - 1) % PHILOSOPHERS, (philosopher + 1) % PHILOSOPHERS):
                if neighbour in eating:
                    fail(Bug.SHARED_FORK, f"philosopher-{philosopher} and philosopher-{neighbour}"
                         " ate at the same time, sharing a fork.")
            eating.add(philosopher)
            try:
                return meal(philosopher)
            finally:
                eating.discard(philosopher)
                eaten[philosopher] += 1

        dining.eat = eat
        threads = [threading.Thread(target=dine, args=(i, forks, MEALS),
                                    name=f"philosopher-{i}") for i in range(PHILOSOPHERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        hungry = [f"philosopher-{i} ate {n}" for i, n in enumerate(eaten) if n != MEALS]
        if hungry:
            fail(Bug.WRONG_MEAL_COUNT, f"Each philosopher should eat {MEALS} meals, but "
                 f"{', '.join(hungry)}.")
        still_held = [f"fork-{i}" for i, fork in enumerate(forks) if fork.locked()]
        if still_held:
            fail(Bug.FORK_KEPT, f"After dinner {', '.join(still_held)} "
                 f"{'is' if len(still_held) == 1 else 'are'} still held: a philosopher "
                 "kept a fork.")

    return explore(scenario, [student_file(folder, "dining.py")], settings)


@check("deadlock")
def everyone_eats(folder: Path, settings: Settings) -> Exploration:
    """Part 1: every philosopher eats every meal, on every schedule, with no deadlock."""
    return _table(folder, settings, "dine")


@check("deadlock")
def polite_philosophers(folder: Path, settings: Settings) -> Exploration:
    """Part 2: giving up on a fork puts the other one down too; everyone still eats."""
    return _table(folder, settings, "dine_politely")
