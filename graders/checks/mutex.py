"""mutex: the tally is exact, the lock is never held during slow work, cooks overlap.

The tally is read from the kitchen the cooks really worked in (a probe on ``Kitchen.cook``,
see ``support.SharedState``) as well as from what run_kitchen returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, held_locks, thread_name

from . import check
from .support import SharedState, never_seen, require, student_file

COOKS, DISHES = 2, 2


def _kitchen(folder: Path, settings: Settings, probe: Any = None) -> Exploration:
    def scenario(kitchen: Any) -> None:
        run_kitchen = require(kitchen, "run_kitchen", ["cooks", "dishes"])
        require(kitchen, "prepare_dish", ["cook"])
        if probe is not None:
            kitchen.prepare_dish = probe(kitchen.prepare_dish)
        kitchens = SharedState(getattr(kitchen, "Kitchen", None), "cook", "served")
        served = run_kitchen(COOKS, DISHES)
        expected = COOKS * DISHES
        lost = (f"Lost update: {COOKS} cooks served {DISHES} dishes each, so the tally should "
                f"be {expected}")
        if served != expected:
            fail(Bug.LOST_UPDATE, f"{lost}; it is {served}.")
        tallies = kitchens.left()
        if tallies is not None and sum(tallies) != expected:
            what = (f"the tally of the kitchen its cooks worked in was {tallies[0]}"
                    if len(tallies) == 1 else f"the tallies of the {len(tallies)} kitchens its "
                    f"cooks worked in were {' + '.join(map(str, tallies))} = {sum(tallies)}")
            fail(Bug.LOST_UPDATE, f"{lost}. run_kitchen({COOKS}, {DISHES}) returned {served}, "
                 f"but {what}: the answer must be the kitchen's tally, and the tally must "
                 "not lose a dish.")

    return explore(scenario, [student_file(folder, "kitchen.py")], settings)


@check("mutex")
def exact_tally(folder: Path, settings: Settings) -> Exploration:
    """The tally of dishes served is exact on every schedule: in the kitchen the cooks worked
    in, and as run_kitchen returns it."""
    return _kitchen(folder, settings)


@check("mutex")
def short_critical_section(folder: Path, settings: Settings) -> Exploration:
    """No cook prepares a dish while holding a lock."""

    def probe(prepare: Any) -> Any:
        def watched(cook: Any) -> Any:
            held = held_locks()
            if held:
                fail(Bug.SLOW_WORK_UNDER_LOCK,
                     f"{thread_name()} prepared a dish while holding {held[0]}, so every "
                     "other cook had to wait for the whole dish. Only the update of the "
                     "tally needs the lock.")
            return prepare(cook)
        return watched

    return _kitchen(folder, settings, probe)


@check("mutex")
def cooks_overlap(folder: Path, settings: Settings) -> Exploration:
    """In some schedule two cooks prepare dishes at the same time."""
    inside = [0]
    most = [0]

    def probe(prepare: Any) -> Any:
        inside[0] = 0

        def watched(cook: Any) -> Any:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            try:
                return prepare(cook)
            finally:
                inside[0] -= 1
        return watched

    result = _kitchen(folder, settings, probe)
    if most[0] >= 2:
        return result
    return never_seen(
        result, Bug.NO_OVERLAP,
        f"The cooks never prepared dishes at the same time in {result.schedules_run} "
        "schedules: something still makes them take turns for the whole dish.",
        "A mutex should protect only the shared tally; the slow work can run in parallel.")
