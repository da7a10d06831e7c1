"""livelock: polite chefs put their tool back when the other one is taken, and try again.

Four requirements, one check each, each over kitchens drawn per schedule (two to four chefs,
one to three dishes each) from the schedule's seeded ``random``:

- ``everyone_cooks``: on fair schedules (the random walk) every chef cooks exactly its
  dishes and the kitchen finishes: no deadlock, no chef stuck for ever;
- ``chefs_in_lockstep``: run in lockstep (one step each, in turn), the schedule in which
  polite chefs who retry at once never get anywhere, they still all cook. When the chefs get
  stuck on fair schedules too, that is everyone_cooks's bug: this check then says so in one
  line instead of repeating its report;
- ``both_tools``: a chef cooks only while it holds both of its tools (so neighbours never
  cook at once);
- ``tools_put_back``: a chef that has finished holds no tool.

Each check looks at its own property only. A chef that leaves holding a tool has it put back
by the harness (in the chef's own thread, after its cook() returned) everywhere but in
tools_put_back, so that its neighbours are not stuck for a bug another check reports; a chef
that cooks without its tools is reported by both_tools only. both_tools and tools_put_back go
on past runs in which the chefs get stuck (:func:`support.past_stuck`); tools_put_back also
seats the chefs at tables of their own in half its runs, so that chefs who always get stuck
together still show how they leave their tools. The chefs start together behind a barrier
(on a real machine the first chef often finishes before the others begin, which hides the
bug).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, held_locks, label

from . import check
from .support import STUCK, past_stuck, rebind, require, student_file


def _kitchen(folder: Path, settings: Settings, chefs: tuple[int, ...],
             dishes: tuple[int, ...], *, count: bool = False, tools_held: bool = False,
             put_back: bool = False, apart: bool = False,
             seen: list[int] | None = None) -> Exploration:
    """Explore kitchens drawn from ``chefs`` x ``dishes``; check only what the flags ask:
    ``count`` each chef cooks exactly its dishes, ``tools_held`` it cooks holding both tools
    (and no neighbour cooks at the same time), ``put_back`` it leaves holding no tool.
    ``seen[0]`` counts, over all runs, the dishes cooked (with ``tools_held``) or the chefs
    that finished (with ``put_back``): how often the property was at stake. With ``apart``,
    half the runs give each chef a table of its own (the same cook(), nobody to wait for),
    so that chefs who get stuck together still show how they leave their tools."""
    seen = [0] if seen is None else seen

    def scenario(module: Any) -> None:
        cook = require(module, "cook", ["chef", "tools", "dishes"])
        meal = require(module, "prepare", ["chef"])
        rng = random.Random(random.getrandbits(32))
        n, quota = rng.choice(chefs), rng.choice(dishes)
        alone = apart and rng.random() < 0.5
        kitchen = (f"{n} chefs, {quota} dish{'es' if quota != 1 else ''} each"
                   f"{', each at a table of its own' if alone else ''}")
        tools = [label(threading.Lock(), f"tool-{i}") for i in range(n)]
        tables = [[label(threading.Lock(), f"tool-{i}") for i in range(n)] if alone else tools
                  for _chef in range(n)]
        names = {f"tool-{i}" for i in range(n)}
        cooked = [0] * n
        cooking: set[int] = set()
        first: list[tuple[str, str]] = []

        def problem(bug_class: str, message: str) -> None:
            # Remembered too: a student's `except Exception` cannot hide it from the end check.
            first.append((bug_class, message))
            fail(bug_class, message)

        def prepare(chef: int) -> Any:
            if not isinstance(chef, int) or not 0 <= chef < n:
                problem(Bug.WRONG_CHEF, f"prepare() was called with {chef!r}; it expects the "
                        f"chef's number (0 to {n - 1}).")
            if tools_held:
                seen[0] += 1
                mine = {f"tool-{chef}", f"tool-{(chef + 1) % n}"}
                missing = sorted(mine - set(held_locks()))
                if missing:
                    problem(Bug.COOKS_WITHOUT_TOOLS, f"chef-{chef} cooked without holding "
                            f"{' and '.join(missing)} ({kitchen}).")
                for neighbour in ((chef - 1) % n, (chef + 1) % n):
                    if neighbour != chef and neighbour in cooking:
                        problem(Bug.SHARED_TOOL, f"chef-{chef} and chef-{neighbour} cooked "
                                f"at the same time, sharing a tool ({kitchen}).")
            cooking.add(chef)
            try:
                return meal(chef)
            finally:
                cooking.discard(chef)
                cooked[chef] += 1

        rebind(module, prepare=prepare)
        gate = threading.Barrier(n)

        def chef_at_work(chef: int) -> None:
            gate.wait()      # everyone reaches for the tools at the same moment
            cook(chef, tables[chef], quota)
            kept = [t for t in held_locks() if t in names]
            seen[0] += put_back
            if kept and put_back:
                problem(Bug.TOOL_KEPT, f"chef-{chef} finished cooking still holding "
                        f"{' and '.join(kept)} ({kitchen}): a chef must put every tool "
                        "back.")
            for name in kept:   # put back for it: its neighbours are another check's matter
                tables[chef][int(name.rsplit("-", 1)[1])].release()

        threads = [threading.Thread(target=chef_at_work, args=(i,), name=f"chef-{i}")
                   for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if first:
            fail(*first[0])
        wrong = [f"chef-{i} cooked {c}" for i, c in enumerate(cooked) if c != quota]
        if count and wrong:
            fail(Bug.WRONG_DISH_COUNT, f"Each chef should cook {quota} dishes ({kitchen}), "
                 f"but {', '.join(wrong)}.")
        kept = sorted({f"tool-{i}" for table in tables for i, tool in enumerate(table)
                       if tool.locked()})
        if put_back and kept:
            fail(Bug.TOOL_KEPT, f"After cooking, {', '.join(kept)} "
                 f"{'is' if len(kept) == 1 else 'are'} still taken: a chef kept a tool "
                 f"({kitchen}).")

    return explore(scenario, [student_file(folder, "chefs.py")], settings)


#: The step budget of the checks that go on past stuck runs: a run that spends it is
#: stuck (everyone_cooks or chefs_in_lockstep reports that), and the sooner it is called
#: stuck, the sooner the search goes on.
SAFETY_STEPS = 4000


def _fair(settings: Settings, at_most: int | None = None) -> Settings:
    """The random walk; with ``at_most``, at most that many schedules (for a property every
    run shows at once) and a step budget of at most SAFETY_STEPS."""
    if at_most is None:
        return replace(settings, strategy="random")
    return replace(settings, strategy="random", schedules=min(settings.schedules, at_most),
                   max_steps=min(settings.max_steps, SAFETY_STEPS))


def _cannot_judge(what: str) -> Callable[[str], str]:
    return lambda bug_class: (
        f"Cannot judge {what}: the chefs got stuck ({bug_class}) before they were done, on "
        "this schedule and on the others tried. The check everyone_cooks shows why.")


@check("livelock")
def everyone_cooks(folder: Path, settings: Settings) -> Exploration:
    """Two to four chefs, one to three dishes each, on fair schedules: every chef cooks
    exactly its dishes, and nobody gets stuck (deadlock, a chef waiting for ever)."""
    return _kitchen(folder, _fair(settings), chefs=(2, 3, 4), dishes=(1, 2, 3), count=True)


@check("livelock")
def chefs_in_lockstep(folder: Path, settings: Settings) -> Exploration:
    """Two to four chefs run in lockstep (round-robin, a few steps each): they still all
    get to cook. When they get stuck on fair schedules as well, the bug is everyone_cooks's:
    this check then fails with one line that names it."""
    result = _kitchen(folder, replace(settings, strategy="lockstep"), chefs=(2, 3, 4),
                      dishes=(1, 2))
    f = result.failure
    if f is None or f.bug_class not in STUCK or settings.replay is not None:
        return result
    fair = _kitchen(folder, replace(_fair(settings), schedules=min(settings.schedules, 60),
                                    shrink=False, first=None), chefs=(2, 3, 4), dishes=(1, 2))
    if fair.failure is None or fair.failure.bug_class not in STUCK:
        return result       # stuck in lockstep only: the livelock this check is about
    line = (f"Cannot judge lockstep on its own: the chefs get stuck ({fair.failure.bug_class}) "
            "on fair schedules too, where nobody keeps in step. The check everyone_cooks "
            "shows why.")
    return replace(result, failure=replace(f, message=line, details="", interleaving=""))


@check("livelock")
def both_tools(folder: Path, settings: Settings) -> Exploration:
    """Two to four chefs: a chef cooks only while it holds both of its tools."""
    seen = [0]      # dishes cooked, over all runs
    return past_stuck(
        lambda s: _kitchen(folder, s, chefs=(2, 3, 4), dishes=(1, 2, 3), tools_held=True,
                           seen=seen),
        _fair(settings, 60), _cannot_judge("whether a chef cooks without its tools"),
        lambda: seen[0])


@check("livelock")
def tools_put_back(folder: Path, settings: Settings) -> Exploration:
    """Two to four chefs: a chef that has cooked its dishes holds no tool any more."""
    seen = [0]      # chefs that finished cooking, over all runs
    return past_stuck(
        lambda s: _kitchen(folder, s, chefs=(2, 3, 4), dishes=(1, 2, 3), put_back=True,
                           apart=True, seen=seen),
        _fair(settings, 60), _cannot_judge("whether every tool is put back"),
        lambda: seen[0])
