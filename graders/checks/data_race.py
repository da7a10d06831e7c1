"""data_race: shoppers fill one basket; no item may be lost on any schedule.

Each check runs go_shopping with several numbers of shoppers and items (one shopper, no
items, more shoppers than items each, ...) and judges only its own requirement:

- no_lost_updates: what the basket the shoppers filled counts once every shopper is done (a
  probe on ``Basket.add`` sees the baskets they really used and what they left in them),
  whatever go_shopping returns and however it waits;
- returns_the_count: that go_shopping returns the basket's count, after the shoppers are done,
  whether or not the basket lost items;
- many_shoppers (hidden): no_lost_updates' requirement with more shoppers than it tries, and
  with two shopping trips (two baskets) at once.

A count that is short on the schedule that interrupts nobody between a read and a write is a
miscount, not a lost update: the checks of the count try that schedule first.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, threads_started

from . import check
from .support import CountWatch, explore_cases, is_count, require, student_file

#: (shoppers, items each) for no_lost_updates
CASES = [(2, 3), (3, 2), (2, 1), (1, 3), (3, 0)]
#: (shoppers, items each) for returns_the_count
RETURN_CASES = [(2, 2), (3, 1), (1, 2)]
#: the hidden many_shoppers: (shoppers, items each) of each shopping trip, trips run at once
MANY_CASES = [((4, 2),), ((5, 1),), ((3, 3), (2, 1))]


class _Adds:
    """A probe on ``Basket.add``: every basket the shoppers used, how many calls of add
    started and ended on each, and its count right after the last call ended (what the
    shoppers left, whatever go_shopping writes there afterwards)."""

    def __init__(self, cls: Any, shoppers: int = 0, watch_count: bool = False) -> None:
        self.baskets: dict[int, list[Any]] = {}   # id -> [basket, started, ended, after]
        original = getattr(cls, "add", None) if isinstance(cls, type) else None
        #: who read and wrote the count, when asked (a property costs at every access): set
        #: only where add is watched
        self.count = CountWatch(cls if callable(original) and watch_count else None, "count",
                                lambda: shoppers - self.ended())
        if not callable(original):
            return
        baskets = self.baskets

        @functools.wraps(original)
        def watched(basket: Any, *args: Any, **kwargs: Any) -> Any:
            entry = baskets.setdefault(id(basket), [basket, 0, 0, None])
            entry[1] += 1
            try:
                return original(basket, *args, **kwargs)
            finally:
                entry[2] += 1
                entry[3] = getattr(basket, "count", None)

        cls.add = watched

    def ended(self) -> int:
        return sum(ended for _b, _s, ended, _a in self.baskets.values())

    def counts(self) -> list[Any]:
        """Each basket's count after its last add (now, if one is still under way)."""
        return [getattr(b, "count", None) if started > ended else after
                for b, started, ended, after in self.baskets.values()]


def _numbers(counts: list[Any], what: str, expected: int) -> list[Any]:
    """The baskets' counts, if they are numbers; [] when no basket has a count (the
    shoppers did not use Basket.add). Anything else is a wrong count."""
    if all(c is None for c in counts):
        return []
    odd = [c for c in counts if not is_count(c)]
    if odd:
        fail(Bug.WRONG_COUNT, f"{what}, so the basket should count {expected}; its count is "
             f"{odd[0]!r}, not a number.")
    return counts


def _items(n: int) -> str:
    return f"{n} item{'' if n == 1 else 's'}"


def _join_the_rest() -> None:
    """Wait for every thread the program left running: the basket is judged when all the
    shoppers are done, however go_shopping waited for them."""
    me = threading.current_thread()
    while others := [t for t in threading.enumerate()
                     if t is not me and not getattr(t, "daemon", False)]:
        for t in others:   # (threads they start are joined on the next pass)
            t.join()


#: judge(returned, probe, shoppers not done when go_shopping returned, shoppers, items,
#: one_by_one), called once every shopper is done
Judge = Callable[[Any, _Adds, int, int, int, bool], None]


def _shopping(folder: Path, settings: Settings, case: tuple[int, int], judge: Judge,
              one_by_one: bool = False, watch_count: bool = False) -> Exploration:
    """go_shopping on one case, judged once every shopper is done. Who read the count when
    is watched on the schedule that switches only where one must wait, and where
    ``watch_count`` asks (the judgments that read it: a property costs at every access)."""
    shoppers, items = case
    if (shoppers < 2 or items == 0) and settings.replay is None:
        # little to interleave: a tenth of the schedules
        settings = replace(settings, schedules=max(1, settings.schedules // 10))

    def scenario(shop: Any) -> None:
        go_shopping = require(shop, "go_shopping", ["shoppers", "items"])
        adds = _Adds(getattr(shop, "Basket", None), shoppers,
                     watch_count=one_by_one or watch_count)
        counted = go_shopping(shoppers, items)
        busy = max(0, shoppers - adds.ended())
        _join_the_rest()
        judge(counted, adds, busy, shoppers, items, one_by_one)

    return explore(scenario, [student_file(folder, "shop.py")], settings)


def _count_checked(folder: Path, settings: Settings, cases: Sequence[tuple[int, int]],
                   judge: Judge) -> Exploration:
    """First one schedule per case that switches threads only where one must wait (a short
    count there is a miscount), then every schedule."""
    if settings.replay is None:
        once = replace(settings, schedules=1, strategy="sequential", first=None)
        result = explore_cases(once, cases, lambda case, s: _shopping(
            folder, s, case, judge, one_by_one=True))
        if not result.ok:
            return result
    return explore_cases(settings, cases, lambda case, s: _shopping(folder, s, case, judge))


def _judge_basket(counted: Any, adds: _Adds, busy: int, shoppers: int, items: int,
                  one_by_one: bool) -> None:
    started = threads_started()
    if len(started) < shoppers:
        fail(Bug.NO_THREADS, f"go_shopping({shoppers}, {items}) should start one thread per "
             f"shopper; it started {len(started)}, so no basket was filled at once.")
    expected = shoppers * items
    what = f"{shoppers} shopper{'s' if shoppers != 1 else ''} added {_items(items)} each"
    counts = _numbers(adds.counts(), what, expected)
    if not counts:
        count = counted    # the shoppers did not use Basket.add: judge the answer alone
        if not is_count(count):
            fail(Bug.WRONG_COUNT, f"go_shopping({shoppers}, {items}) returned {count!r} "
                 f"and no shopper called Basket.add: it should return the count, {expected}.")
    else:
        count = sum(counts)
        if len(counts) > 1:
            what += f" (into {len(counts)} baskets: {' + '.join(map(str, counts))})"
    if count == expected:
        return
    if count < expected and (not one_by_one or adds.count.stale_write):
        fail(Bug.LOST_UPDATE,
             f"Lost update: {what}, so the basket should count {expected}; it counted "
             f"{count}. Two shoppers read the same count and both wrote back one more, so an "
             "item was lost.")
    why = ("even though no shopper was ever interrupted between reading and writing the "
           "count: add() does not add one for every item" if one_by_one else
           "so some items were counted more than once")
    fail(Bug.WRONG_COUNT,
         f"{what}, so the basket should count {expected}; it counted {count}, {why}.")


def _judge_return(counted: Any, adds: _Adds, busy: int, shoppers: int, items: int,
                  one_by_one: bool) -> None:
    call = f"go_shopping({shoppers}, {items})"
    if not is_count(counted):
        fail(Bug.WRONG_COUNT, f"{call} returned {counted!r}: it should return the number "
             "the basket counted.")
    counts = [c for c in adds.counts() if is_count(c)]
    if not counts:
        if counted != shoppers * items:
            fail(Bug.WRONG_COUNT, f"{call} returned {counted}, and no shopper called "
                 f"Basket.add: it should return the basket's count, {shoppers * items}.")
        return
    total = sum(counts)
    if counted != total and busy:
        fail(Bug.READ_TOO_EARLY,
             f"{call} returned {counted} while {busy} of its {shoppers} shoppers "
             f"{'was' if busy == 1 else 'were'} still adding items; the basket ended at "
             f"{total}: go_shopping must wait for every shopper before it reads the count.")
    if counted != total and (early := adds.count.read_while_busy(counted)):
        fail(Bug.READ_TOO_EARLY,
             f"{call} returned {counted}, the count it read while {early} of its {shoppers} "
             f"shoppers {'was' if early == 1 else 'were'} still adding items; the basket "
             f"ended at {total}: go_shopping must wait for every shopper before it reads "
             "the count.")
    if counted != total:
        fail(Bug.WRONG_COUNT,
             f"{call} returned {counted}, but the basket its shoppers filled counted "
             f"{total}: it must return what the basket counted.")


@check("data_race")
def no_lost_updates(folder: Path, settings: Settings) -> Exploration:
    """For any number of shoppers and items, the basket the shoppers filled counts every
    item on every schedule (what go_shopping returns is returns_the_count's business)."""
    return _count_checked(folder, settings, CASES, _judge_basket)


@check("data_race")
def returns_the_count(folder: Path, settings: Settings) -> Exploration:
    """go_shopping returns what the basket counted, after every shopper is done (a basket
    that lost items is no_lost_updates' business)."""
    return explore_cases(settings, RETURN_CASES, lambda case, s: _shopping(
        folder, s, case, _judge_return, watch_count=True))


def _trips(folder: Path, settings: Settings, trips: tuple[tuple[int, int], ...],
           one_by_one: bool) -> Exploration:
    """go_shopping for each trip, in a thread of its own when there are several."""
    if len(trips) == 1:
        return _shopping(folder, settings, trips[0], _judge_basket, one_by_one)

    def scenario(shop: Any) -> None:
        go_shopping = require(shop, "go_shopping", ["shoppers", "items"])
        adds = _Adds(getattr(shop, "Basket", None))
        trip_threads = [threading.Thread(target=go_shopping, args=trip, name=f"trip-{i + 1}")
                        for i, trip in enumerate(trips)]
        for t in trip_threads:
            t.start()
        _join_the_rest()
        expected = sum(shoppers * items for shoppers, items in trips)
        counts = _numbers(adds.counts(), f"{len(trips)} shopping trips at once", expected)
        if not counts:
            return   # the shoppers did not use Basket.add: nothing to see here
        total = sum(counts)
        if total == expected:
            return
        what = (" and ".join(f"{s} shoppers added {_items(i)} each" for s, i in trips)
                + f" on {len(trips)} shopping trips at once, so their baskets should count "
                f"{expected} in all; they counted {' + '.join(map(str, counts))} = {total}")
        if total < expected and not one_by_one:
            fail(Bug.LOST_UPDATE, f"Lost update: {what}. Two shoppers read the same count and "
                 "both wrote back one more, so an item was lost.")
        if total > expected and len(counts) > 1:
            fail(Bug.WRONG_COUNT, f"{what}: more than was added to them in all, as if the "
                 "baskets shared one count. Each basket counts only its own items.")
        fail(Bug.WRONG_COUNT, f"{what}, even though no shopper was interrupted between "
             "reading and writing a count." if one_by_one else f"{what}.")

    return explore(scenario, [student_file(folder, "shop.py")], settings)


@check("data_race")
def many_shoppers(folder: Path, settings: Settings) -> Exploration:
    """no_lost_updates' requirement with more shoppers (four, five) than it tries, and with
    two shopping trips (two baskets) at once."""
    if settings.replay is None:
        once = replace(settings, schedules=1, strategy="sequential", first=None)
        result = explore_cases(once, MANY_CASES, lambda trips, s: _trips(
            folder, s, trips, True))
        if not result.ok:
            return result
    return explore_cases(settings, MANY_CASES, lambda trips, s: _trips(
        folder, s, trips, False))
