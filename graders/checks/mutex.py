"""mutex: the tally is exact, the lock is never held during slow work, cooks overlap.

Each check runs the kitchen with several numbers of cooks and dishes (one cook, no dishes,
more cooks than dishes, ...) and judges only its own
requirement: a kitchen that loses a dish still passes the checks of the critical section's
length and of overlap, and a slow but exact kitchen passes the tally's check.

The tally is read from the kitchen the cooks really worked in (a probe on ``Kitchen.cook``)
as well as from what run_kitchen returns.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    Settings,
    explore,
    fail,
    held_locks,
    most_asleep,
    slept_holding,
    thread_name,
)

from . import check
from .support import (
    CountWatch,
    explore_cases,
    is_count,
    never_seen,
    passed,
    rebind,
    require,
    student_file,
)

#: (cooks, dishes each): the cases every check runs, each over the full number of schedules
#: (a tenth of them for the small cases)
CASES = [(2, 2), (3, 1), (2, 3), (1, 2), (2, 0)]


class _Shifts:
    """A probe on ``Kitchen.cook``: every kitchen the cooks worked in, how many shifts (calls
    of cook) started and ended in each, and its tally right after the last shift ended (what
    the cooks left, whatever run_kitchen writes there afterwards)."""

    def __init__(self, cls: Any, cooks: int, watch_tally: bool = False) -> None:
        self.kitchens: dict[int, list[Any]] = {}   # id -> [kitchen, started, ended, after]
        original = getattr(cls, "cook", None) if isinstance(cls, type) else None
        #: who read and wrote the tally, when asked (a property costs at every access): set
        #: only where cook is watched
        self.tally = CountWatch(cls if callable(original) and watch_tally else None, "served",
                                lambda: cooks - self.ended())
        if not callable(original):
            return
        kitchens = self.kitchens

        @functools.wraps(original)
        def watched(kitchen: Any, *args: Any, **kwargs: Any) -> Any:
            entry = kitchens.setdefault(id(kitchen), [kitchen, 0, 0, None])
            entry[1] += 1
            try:
                return original(kitchen, *args, **kwargs)
            finally:
                entry[2] += 1
                entry[3] = getattr(kitchen, "served", None)

        cls.cook = watched

    def ended(self) -> int:
        """Shifts ended so far."""
        return sum(ended for _k, _s, ended, _a in self.kitchens.values())

    def tallies(self) -> list[Any]:
        """Each kitchen's tally after its last shift (now, if one is still under way)."""
        return [getattr(k, "served", None) if started > ended else after
                for k, started, ended, after in self.kitchens.values()]


def _join_the_rest() -> None:
    """Wait for every thread the program left running, so that the tally is judged when
    all the cooks are done, however run_kitchen waited for them."""
    me = threading.current_thread()
    while others := [t for t in threading.enumerate()
                     if t is not me and not getattr(t, "daemon", False)]:
        for t in others:   # (threads they start are joined on the next pass)
            t.join()


def _kitchen(folder: Path, settings: Settings, case: tuple[int, int], probe: Any = None,
             judge_tally: bool = False, one_by_one: bool = False,
             after: Callable[[], None] | None = None) -> Exploration:
    cooks, dishes = case
    if (cooks < 2 or dishes == 0) and settings.replay is None:
        # little to interleave (the main thread and one cook, or cooks with nothing to do)
        settings = replace(settings, schedules=max(1, settings.schedules // 10))

    def scenario(kitchen: Any) -> None:
        run_kitchen = require(kitchen, "run_kitchen", ["cooks", "dishes"])
        prepare_dish = require(kitchen, "prepare_dish", ["cook"])
        if probe is not None:
            rebind(kitchen, prepare_dish=probe(prepare_dish))
        shifts = _Shifts(getattr(kitchen, "Kitchen", None), cooks, watch_tally=judge_tally)
        served = run_kitchen(cooks, dishes)
        if after is not None:
            _join_the_rest()
            after()
        if judge_tally:
            busy = max(0, cooks - shifts.ended())   # cooks not done when it returned
            _join_the_rest()
            _judge_tally(shifts, served, busy, cooks, dishes, one_by_one)

    return explore(scenario, [student_file(folder, "kitchen.py")], settings)


def _judge_tally(shifts: _Shifts, served: Any, busy: int, cooks: int, dishes: int,
                 one_by_one: bool) -> None:
    """``served`` is what run_kitchen returned, ``busy`` how many shifts were still under
    way then; every cook is done now."""
    expected = cooks * dishes
    call = f"run_kitchen({cooks}, {dishes})"
    tallies = shifts.tallies()
    if not is_count(served):
        fail(Bug.WRONG_DISH_COUNT, f"{call} returned {served!r}: it should return the "
             f"kitchen's tally, the number of dishes served ({expected}).")
    if any(t is not None for t in tallies):
        odd = [t for t in tallies if not is_count(t)]
        if odd:
            fail(Bug.WRONG_DISH_COUNT, f"{cooks} cooks served {dishes} dishes each, so the "
                 f"tally should be {expected}; the kitchen's tally is {odd[0]!r}, not a "
                 "number.")
    else:
        if served != expected:   # the cooks did not use Kitchen.cook: judge the answer alone
            fail(Bug.LOST_UPDATE if served < expected else Bug.WRONG_DISH_COUNT,
                 f"{cooks} cooks served {dishes} dishes each, so the tally should be "
                 f"{expected}; {call} returned {served}.")
        return
    total = sum(tallies)
    where = (f"the tally of the kitchen its cooks worked in is {total}" if len(tallies) == 1
             else f"the tallies of the {len(tallies)} kitchens its cooks worked in add up "
             f"to {' + '.join(map(str, tallies))} = {total}")
    if total < expected and one_by_one and not shifts.tally.stale_write:
        fail(Bug.WRONG_DISH_COUNT,
             f"{cooks} cooks served {dishes} dishes each, so the tally should be {expected}, "
             f"but {where}, even though no cook ever wrote the tally from a count another "
             "cook had changed since it read it: the tally does not add one for every dish "
             "served.")
    if total < expected:
        fail(Bug.LOST_UPDATE,
             f"Lost update: {cooks} cooks served {dishes} dishes each, so the tally should be "
             f"{expected}, but {where}. Two cooks read the same tally and both wrote back "
             "one more, so one dish was not counted.")
    if total > expected:
        fail(Bug.WRONG_DISH_COUNT,
             f"{cooks} cooks served {dishes} dishes each, so the tally should be {expected}, "
             f"but {where}: some dishes were counted more than once.")
    if served != total and busy:
        fail(Bug.READ_TOO_EARLY,
             f"{call} returned {served} while {busy} cook{' was' if busy == 1 else 's were'} "
             f"still cooking; the tally ended at {total}: it must wait for every cook "
             "before it reads the tally.")
    if served != total and (early := shifts.tally.read_while_busy(served)):
        fail(Bug.READ_TOO_EARLY,
             f"{call} returned {served}, the tally it read while {early} cook"
             f"{' was' if early == 1 else 's were'} still cooking; the tally ended at {total}: "
             "it must wait for every cook before it reads the tally.")
    if served != total:
        fail(Bug.WRONG_DISH_COUNT,
             f"{call} returned {served}, but {where}: it must return the kitchen's tally.")


@check("mutex")
def exact_tally(folder: Path, settings: Settings) -> Exploration:
    """The tally is exact on every schedule, for any number of cooks and dishes: in the
    kitchen the cooks worked in, and as run_kitchen returns it once every cook is done.

    First one schedule per case that switches cooks only where one must wait: a tally short
    there counts wrong, it did not lose an update, unless a cook wrote back a tally another
    cook had changed since it read it (it waited, in a sleep, between its read and its
    write)."""
    if settings.replay is None:
        once = replace(settings, schedules=1, strategy="sequential", first=None)
        result = explore_cases(once, CASES, lambda case, s: _kitchen(
            folder, s, case, judge_tally=True, one_by_one=True))
        if not result.ok:
            return result
    return explore_cases(settings, CASES, lambda case, s: _kitchen(
        folder, s, case, judge_tally=True))


@check("mutex")
def short_critical_section(folder: Path, settings: Settings) -> Exploration:
    """No cook prepares a dish while holding a lock (the tally is exact_tally's business)."""

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

    def slow_work_elsewhere() -> None:
        """The same, for a dish prepared by other code than prepare_dish (a helper, a
        lambda, a method): the slow work is a time.sleep(), wherever it is."""
        for cook, lock, _n in slept_holding():
            fail(Bug.SLOW_WORK_UNDER_LOCK,
                 f"{cook} paused in time.sleep() while holding {lock}: slow work under the "
                 "lock, so every other cook had to wait for it. Only the update of the "
                 "tally needs the lock.")

    return explore_cases(settings, CASES, lambda case, s: _kitchen(
        folder, s, case, probe, after=slow_work_elsewhere))


@check("mutex")
def cooks_overlap(folder: Path, settings: Settings) -> Exploration:
    """In some schedule two cooks prepare dishes at the same time (the tally is
    exact_tally's business)."""
    inside = [0]
    most = [0]
    locked = [""]   # a lock some cook held while preparing, if any did

    def probe(prepare: Any) -> Any:
        inside[0] = 0

        def watched(cook: Any) -> Any:
            held = held_locks()
            if held and not locked[0]:
                locked[0] = held[0]
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            try:
                return prepare(cook)
            finally:
                inside[0] -= 1
        return watched

    def asleep_together() -> None:
        """Two cooks in their slow work at once, whatever function it is in."""
        most[0] = max(most[0], most_asleep())

    def run_case(case: tuple[int, int], s: Settings) -> Exploration:
        if most[0] >= 2:   # already seen: the other cases have nothing to add
            return passed(s, 0)
        return _kitchen(folder, s, case, probe, after=asleep_together)

    busy = [case for case in CASES if case[0] >= 2 and case[1] >= 1]
    # A witness shows up in the first schedules when it can at all (any schedule that lets a
    # cook wait in prepare_dish while another starts one): a quarter of them is plenty.
    fewer = settings if settings.replay is not None else replace(
        settings, schedules=max(1, settings.schedules // 4))
    result = explore_cases(fewer, busy, run_case)
    if most[0] >= 2:
        return result
    if locked[0]:
        return never_seen(
            result, Bug.SLOW_WORK_UNDER_LOCK,
            f"The cooks never prepared dishes at the same time, because a cook prepares "
            f"while holding {locked[0]}: fix short_critical_section first.")
    return never_seen(
        result, Bug.NO_OVERLAP,
        f"The cooks never prepared dishes at the same time {result.searched()}, and no "
        "cook held a lock while preparing: something else makes them take "
        "turns for the whole dish (are they all started before run_kitchen waits for any?).",
        "A mutex should protect only the shared tally; the slow work can run in parallel.")
