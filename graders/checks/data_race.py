"""data_race: shoppers fill one basket; no update may be lost on any schedule."""

from __future__ import annotations

from pathlib import Path

from graders.engine import Exploration, Settings, explore, fail, threads_started

from . import check
from .support import require, student_file


def _shopping(folder: Path, settings: Settings, shoppers: int, items: int) -> Exploration:
    def scenario(shop: object) -> None:
        go_shopping = require(shop, "go_shopping", ["shoppers", "items"])
        counted = go_shopping(shoppers, items)
        started = threads_started()
        if len(started) < shoppers:
            fail("no threads", f"go_shopping({shoppers}, {items}) should start one thread per "
                 f"shopper; it started {len(started)}.")
        expected = shoppers * items
        if counted != expected:
            fail("lost update", f"Lost update: {shoppers} shoppers added {items} items each, "
                 f"so the basket should count {expected}; it counted {counted}.")

    return explore(scenario, [student_file(folder, "shop.py")], settings)


@check("data_race")
def no_lost_updates(folder: Path, settings: Settings) -> Exploration:
    """Two shoppers, three items each: the basket counts 6 on every schedule."""
    return _shopping(folder, settings, shoppers=2, items=3)


@check("data_race")
def many_shoppers(folder: Path, settings: Settings) -> Exploration:
    """Three shoppers, two items each: the basket counts 6 on every schedule."""
    return _shopping(folder, settings, shoppers=3, items=2)
