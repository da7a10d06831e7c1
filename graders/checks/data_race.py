"""data_race: shoppers fill one basket; no update may be lost on any schedule.

The check does not take go_shopping's word for the count: a probe on ``Basket.add`` (see
``support.SharedState``) sees the basket the shoppers really filled and what they left in
it. A program whose shoppers do not use ``Basket.add`` is judged on its returned count alone.
"""

from __future__ import annotations

from pathlib import Path

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, threads_started

from . import check
from .support import SharedState, require, student_file


def _shopping(folder: Path, settings: Settings, shoppers: int, items: int) -> Exploration:
    def scenario(shop: object) -> None:
        go_shopping = require(shop, "go_shopping", ["shoppers", "items"])
        baskets = SharedState(getattr(shop, "Basket", None), "add", "count")
        counted = go_shopping(shoppers, items)
        started = threads_started()
        if len(started) < shoppers:
            fail(Bug.NO_THREADS, f"go_shopping({shoppers}, {items}) should start one thread per "
                 f"shopper; it started {len(started)}.")
        expected = shoppers * items
        lost = (f"Lost update: {shoppers} shoppers added {items} items each, so the basket "
                f"should count {expected}")
        if counted != expected:
            fail(Bug.LOST_UPDATE, f"{lost}; it counted {counted}.")
        counts = baskets.left()
        if counts is not None and sum(counts) != expected:
            what = (f"the basket its shoppers filled counted {counts[0]}" if len(counts) == 1
                    else f"the {len(counts)} baskets its shoppers filled counted "
                    f"{' + '.join(map(str, counts))} = {sum(counts)}")
            fail(Bug.LOST_UPDATE, f"{lost}. go_shopping({shoppers}, {items}) returned "
                 f"{counted}, but {what}: the answer must be what the basket counted, and "
                 "the basket must not lose an item.")

    return explore(scenario, [student_file(folder, "shop.py")], settings)


@check("data_race")
def no_lost_updates(folder: Path, settings: Settings) -> Exploration:
    """Two shoppers, three items each: the basket the shoppers filled counts 6 on every
    schedule, and go_shopping returns that count."""
    return _shopping(folder, settings, shoppers=2, items=3)


@check("data_race")
def many_shoppers(folder: Path, settings: Settings) -> Exploration:
    """Three shoppers, two items each: the basket the shoppers filled counts 6 on every
    schedule, and go_shopping returns that count."""
    return _shopping(folder, settings, shoppers=3, items=2)
