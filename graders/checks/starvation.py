"""starvation: diners share one ladle; it is never in two hands at once, no waiting diner is
passed over again and again, and everyone eats.

Each check tests one requirement and nothing else, over a buffet drawn for each schedule
(how many diners, how many portions, a pause or not between trips to the pot, ``with ladle``
or ``acquire()``/``release()``), so that one bug fails one check:

- ``one_at_the_ladle`` fails only when two diners hold the ladle at once;
- ``nobody_passed_over`` counts overtakes, and lets a ladle that admits two diners at once
  pass as long as nobody waits behind others again and again;
- ``everyone_eats`` is the liveness check: every diner eats, nobody waits for ever (deadlock,
  a wake-up that never comes, a busy loop that never lets the holder go on).

The buffet is drawn from ``random``, which the engine seeds for every schedule (and for
every replay), so a replay token rebuilds the same buffet. Both safety checks run under the
random walk, which is fair: a diner that waits for its turn in a busy loop does not keep the
others from going on there, so only everyone_eats, which tries every strategy, reports it.

A portion is taken from the pot in one step the program cannot split (the check's own code
has no scheduling point), so a ladle that lets two diners in does not also miscount the pot.
A run in which the diners get stuck breaks neither safety property by getting stuck: those
two checks go on past it (:func:`support.past_stuck`), and fail with one line that names
``everyone_eats`` only when the diners never even got the ladle.

Why the check counts overtakes itself instead of using the engine's starvation verdict
(``Settings.starvation_bound``): the engine counts, for every Lock, how often a thread that
waits for it is overtaken. A correct fair ladle is built from such locks (the lock inside a
Condition, the guard of a queue), held for a few steps only but contended by every diner at
once after a ``notify_all``; the engine's per-lock count for them reached 10 on correct
ticket locks, as high as for the unfair plain Lock. So the check watches the ladle itself:
it marks when a diner asks for it and when it gets it, and counts, for each waiting diner,
how often each other diner got the ladle first. A first-come-first-served ladle lets each
other diner go first at most once after the waiting one is in line; the bound leaves room
for the few steps between asking and getting in line. Like the engine's verdict, it is
judged only under the random walk, which is fair in the limit: an unfair strategy can keep a
diner from running at all, which says nothing about the ladle.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, LoadError, Settings, explore, fail, thread_name

from . import check
from .support import past_stuck, require, student_file

#: No other diner may take the ladle more than this many times while one diner waits.
BYPASS_BOUND = 3


@dataclass(frozen=True)
class _Buffet:
    """One buffet: drawn per schedule, from the schedule's seeded ``random``."""

    diners: int
    portions: int      # per diner: the pot holds diners * portions
    digest: bool       # a pause between trips to the pot
    use_with: bool     # ``with ladle:`` rather than acquire() and release()

    def __str__(self) -> str:
        how = "with ladle" if self.use_with else "acquire()/release()"
        pause = ", a pause between trips" if self.digest else ""
        return f"{self.diners} diners, {self.portions} portions each, {how}{pause}"


def _draw(diners: tuple[int, ...], portions: tuple[int, ...]) -> _Buffet:
    rng = random.Random(random.getrandbits(32))
    return _Buffet(rng.choice(diners), rng.choice(portions), rng.random() < 0.5,
                   rng.random() < 0.5)


class _Table:
    """What the check sees of one meal: who holds the ladle, who waits, who ate."""

    def __init__(self, buffet: _Buffet, exclusive: bool, bypass_bound: int | None,
                 seen: list[int]) -> None:
        self.buffet = buffet
        self.seen = seen       # across runs: how often the property was at stake
        self.exclusive = exclusive
        self.bound = bypass_bound
        self.pot = buffet.diners * buffet.portions
        self.plates = [0] * buffet.diners
        self.holders: list[str] = []
        self.waiting: dict[str, dict[str, int]] = {}   # waiting diner -> who went first, how often

    def asks(self, me: str) -> None:
        self.waiting[me] = {}

    def gets(self, me: str) -> None:
        if self.exclusive and self.holders:
            fail(Bug.TWO_AT_THE_LADLE, f"{me} got the ladle while {self.holders[0]} still "
                 f"held it: the Ladle let two diners in at once ({self.buffet}).")
        self.holders.append(me)
        self.waiting.pop(me, None)
        if self.bound is None:
            self.seen[0] += 1
            return
        self.seen[0] += bool(self.waiting)
        for other, first in self.waiting.items():
            first[me] = first.get(me, 0) + 1
            if first[me] > self.bound:
                others = ", ".join(f"{who} {n} time{'s' if n != 1 else ''}"
                                   for who, n in sorted(first.items()))
                fail(Bug.STARVATION,
                     f"Starvation: {other} waited for the ladle while other diners took it "
                     f"first ({others}; {self.buffet}). A fair ladle lets each diner go "
                     f"ahead of a waiting one at most once after it is in line; {me} went "
                     f"ahead {first[me]} times.")

    def take_portion(self, i: int) -> bool:
        """One portion from the pot onto plate ``i``, in one step; False when it is empty."""
        if self.pot == 0:
            return False
        self.pot -= 1
        self.plates[i] += 1
        return True

    def puts_back(self, me: str) -> None:
        if me in self.holders:
            self.holders.remove(me)


def _buffet(folder: Path, settings: Settings, diners: tuple[int, ...],
            portions: tuple[int, ...], exclusive: bool, bypass_bound: int | None,
            everyone_eats: bool, seen: list[int] | None = None) -> Exploration:
    """Explore buffets drawn from ``diners`` x ``portions`` with the student's Ladle, behind
    a start gate, checking what the flags ask for and nothing else; ``seen[0]`` counts, over
    all runs, the steps at which the property checked was at stake."""
    seen = [0] if seen is None else seen

    def scenario(module: Any) -> None:
        make_ladle = require(module, "Ladle", [])
        serve = require(module, "serve", ["diner"])
        buffet = _draw(diners, portions)
        ladle = make_ladle()
        for method in ("acquire", "release", "__enter__", "__exit__"):
            if not callable(getattr(ladle, method, None)):
                raise LoadError(f"{module.__file__}: Ladle should have a method {method}(); "
                                "keep acquire(), release(), __enter__() and __exit__().")
        table = _Table(buffet, exclusive, bypass_bound, seen)
        gate = threading.Barrier(buffet.diners)   # nobody eats before all sit down

        def one_portion(me: str, i: int) -> bool:
            table.gets(me)
            try:
                if not table.take_portion(i):
                    return False
                serve(i)
                return True
            finally:
                table.puts_back(me)

        def dine(i: int) -> None:
            me = thread_name()
            gate.wait()
            while True:
                table.asks(me)
                if buffet.use_with:
                    with ladle:
                        more = one_portion(me, i)
                else:
                    ladle.acquire()
                    try:
                        more = one_portion(me, i)
                    finally:
                        ladle.release()
                if not more:
                    return
                if buffet.digest:
                    time.sleep(0.005)      # a bite between trips to the pot

        threads = [threading.Thread(target=dine, args=(i,), name=f"diner-{i}")
                   for i in range(buffet.diners)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        hungry = [f"diner-{i}" for i, n in enumerate(table.plates) if n == 0]
        if everyone_eats and hungry:
            fail(Bug.NEVER_ATE, f"{', '.join(hungry)} never ate although the pot held "
                 f"{buffet.portions} portions per diner ({buffet}): the others ate "
                 f"{', '.join(str(n) for n in table.plates if n)} portions. A diner "
                 "that waits in line must be served before anyone comes back for more.")

    return explore(scenario, [student_file(folder, "buffet.py")], settings)


#: The step budget of the two safety checks: a run that spends it is stuck (everyone_eats
#: reports that), and the sooner it is called stuck, the sooner the search goes on.
SAFETY_STEPS = 4000


def _safety(settings: Settings, **changes: Any) -> Settings:
    """The fair random walk, with a step budget of at most SAFETY_STEPS."""
    return replace(settings, strategy="random", max_steps=min(settings.max_steps, SAFETY_STEPS),
                   **changes)


def _cannot_judge(what: str) -> Callable[[str], str]:
    return lambda bug_class: (
        f"Cannot judge {what}: the diners got stuck ({bug_class}) before the pot was empty, "
        "on this schedule and on the others tried. The check everyone_eats shows why.")


@check("starvation")
def one_at_the_ladle(folder: Path, settings: Settings) -> Exploration:
    """Two to five diners: the ladle is never in two hands at once."""
    seen = [0]      # diners who got the ladle, over all runs
    return past_stuck(
        lambda s: _buffet(folder, s, diners=(2, 3, 4, 5), portions=(1, 2), exclusive=True,
                          bypass_bound=None, everyone_eats=False, seen=seen),
        _safety(settings, schedules=min(settings.schedules, 120)),
        _cannot_judge("whether the ladle is ever in two hands"), lambda: seen[0])


@check("starvation")
def nobody_passed_over(folder: Path, settings: Settings) -> Exploration:
    """Three to five diners: no other diner takes the ladle more than BYPASS_BOUND times
    while one waits (judged under the fair random walk)."""
    seen = [0]      # diners who got the ladle while another waited, over all runs
    return past_stuck(
        lambda s: _buffet(folder, s, diners=(3, 4, 5), portions=(2, 3), exclusive=False,
                          bypass_bound=BYPASS_BOUND, everyone_eats=False, seen=seen),
        _safety(settings),
        _cannot_judge("whether a waiting diner is passed over"), lambda: seen[0])


@check("starvation")
def everyone_eats(folder: Path, settings: Settings) -> Exploration:
    """Two to four diners and food for all: every diner eats at least once and nobody waits
    for ever, on every schedule (including those where one diner runs as long as it can).

    With no stalls (``Settings.stalls``): a diner stalled before it gets in line may see the
    pot emptied by the others, which is the machine's doing, not the ladle's."""
    return _buffet(folder, replace(settings, stalls=False), diners=(2, 3, 4), portions=(3, 4),
                   exclusive=False,
                   bypass_bound=None, everyone_eats=True)
