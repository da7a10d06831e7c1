"""livelock: polite chefs put their tool back when the other one is taken, and try again.

Every chef must cook every dish, holding both of its tools, within the step budget. The
chefs start together behind a barrier (on a real machine the first chef often finishes
before the others begin, which hides the bug) and one check runs them in lockstep, the
schedule in which polite chefs who retry at once never get anywhere.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, held_locks, label

from . import check
from .support import require, student_file


def _kitchen(folder: Path, settings: Settings, chefs: int, dishes: int) -> Exploration:
    def scenario(module: Any) -> None:
        cook = require(module, "cook", ["chef", "tools", "dishes"])
        meal = require(module, "prepare", ["chef"])
        tools = [label(threading.Lock(), f"tool-{i}") for i in range(chefs)]
        cooked = [0] * chefs
        cooking: set[int] = set()
        first: list[tuple[str, str]] = []

        def problem(bug_class: str, message: str) -> None:
            # Remembered too: a student's `except Exception` cannot hide it from the end check.
            first.append((bug_class, message))
            fail(bug_class, message)

        def prepare(chef: int) -> Any:
            if not isinstance(chef, int) or not 0 <= chef < chefs:
                problem(Bug.WRONG_CHEF, f"prepare() was called with {chef!r}; it expects the "
                        f"chef's number (0 to {chefs - 1}).")
            mine = {f"tool-{chef}", f"tool-{(chef + 1) % chefs}"}
            missing = sorted(mine - set(held_locks()))
            if missing:
                problem(Bug.COOKS_WITHOUT_TOOLS, f"chef-{chef} cooked without holding "
                        f"{' and '.join(missing)}.")
            for neighbour in ((chef - 1) % chefs, (chef + 1) % chefs):
                if neighbour != chef and neighbour in cooking:
                    problem(Bug.SHARED_TOOL, f"chef-{chef} and chef-{neighbour} cooked at "
                            "the same time, sharing a tool.")
            cooking.add(chef)
            try:
                return meal(chef)
            finally:
                cooking.discard(chef)
                cooked[chef] += 1

        module.prepare = prepare
        gate = threading.Barrier(chefs)

        def chef_at_work(chef: int) -> None:
            gate.wait()      # everyone reaches for the tools at the same moment
            cook(chef, tools, dishes)

        threads = [threading.Thread(target=chef_at_work, args=(i,), name=f"chef-{i}")
                   for i in range(chefs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if first:
            fail(*first[0])
        wrong = [f"chef-{i} cooked {n}" for i, n in enumerate(cooked) if n != dishes]
        if wrong:
            fail(Bug.WRONG_DISH_COUNT, f"Each chef should cook {dishes} dishes, but "
                 f"{', '.join(wrong)}.")
        kept = [f"tool-{i}" for i, tool in enumerate(tools) if tool.locked()]
        if kept:
            fail(Bug.TOOL_KEPT, f"After cooking, {', '.join(kept)} "
                 f"{'is' if len(kept) == 1 else 'are'} still taken: a chef kept a tool.")

    return explore(scenario, [student_file(folder, "chefs.py")], settings)


@check("livelock")
def everyone_cooks(folder: Path, settings: Settings) -> Exploration:
    """Two chefs, two dishes each: everyone cooks, on every schedule, within the budget."""
    return _kitchen(folder, settings, chefs=2, dishes=2)


@check("livelock")
def chefs_in_lockstep(folder: Path, settings: Settings) -> Exploration:
    """Three chefs run in lockstep (round-robin, one step each): they still make progress."""
    return _kitchen(folder, replace(settings, strategy="lockstep"), chefs=3, dishes=1)
