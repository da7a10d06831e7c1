"""starvation: diners share one ladle; no waiting diner is passed over again and again, and
everyone eats.

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

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, LoadError, Settings, explore, fail, thread_name

from . import check
from .support import require, student_file

#: No other diner may take the ladle more than this many times while one diner waits.
BYPASS_BOUND = 3


class _Table:
    """What the check sees of one meal: who holds the ladle, who waits, who ate."""

    def __init__(self, diners: int, portions: int, bypass_bound: int | None) -> None:
        self.bound = bypass_bound
        self.pot = diners * portions
        self.plates = [0] * diners
        self.holder: str | None = None
        self.waiting: dict[str, dict[str, int]] = {}   # waiting diner -> who went first, how often

    def asks(self, me: str) -> None:
        self.waiting[me] = {}

    def gets(self, me: str) -> None:
        if self.holder is not None:
            fail(Bug.TWO_AT_THE_LADLE, f"{me} got the ladle while {self.holder} still held it: "
                 "the Ladle let two diners in at once.")
        self.holder = me
        self.waiting.pop(me, None)
        if self.bound is None:
            return
        for other, first in self.waiting.items():
            first[me] = first.get(me, 0) + 1
            if first[me] > self.bound:
                others = ", ".join(f"{who} {n} time{'s' if n != 1 else ''}"
                                   for who, n in sorted(first.items()))
                fail(Bug.STARVATION,
                     f"Starvation: {other} waited for the ladle while other diners took it "
                     f"first ({others}). A fair ladle lets each diner go ahead of a waiting "
                     f"one at most once after it is in line; {me} went ahead "
                     f"{first[me]} times.")

    def puts_back(self, me: str) -> None:
        self.holder = None


def _buffet(folder: Path, settings: Settings, diners: int, portions: int,
            digest: bool, use_with: bool, bypass_bound: int | None) -> Exploration:
    """Explore ``diners`` threads eating ``portions`` each from one pot with the student's
    Ladle, behind a start gate; ``digest`` adds a pause between trips to the pot."""

    def scenario(buffet: Any) -> None:
        make_ladle = require(buffet, "Ladle", [])
        serve = require(buffet, "serve", ["diner"])
        ladle = make_ladle()
        for method in ("acquire", "release") + (("__enter__", "__exit__") if use_with else ()):
            if not callable(getattr(ladle, method, None)):
                raise LoadError(f"{buffet.__file__}: Ladle should have a method {method}(); "
                                "keep acquire(), release(), __enter__() and __exit__().")
        table = _Table(diners, portions, bypass_bound)
        gate = threading.Barrier(diners)   # the start gate: nobody eats before all sit down

        def one_portion(me: str, i: int) -> bool:
            table.gets(me)
            try:
                if table.pot == 0:
                    return False
                serve(i)
                table.pot -= 1
                table.plates[i] += 1
                return True
            finally:
                table.puts_back(me)

        def dine(i: int) -> None:
            me = thread_name()
            gate.wait()
            while True:
                table.asks(me)
                if use_with:
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
                if digest:
                    time.sleep(0.005)      # a bite between trips to the pot

        threads = [threading.Thread(target=dine, args=(i,), name=f"diner-{i}")
                   for i in range(diners)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        served = sum(table.plates)
        if served != diners * portions:
            fail(Bug.WRONG_PORTIONS, f"The pot held {diners * portions} portions and "
                 f"{served} were served.")
        hungry = [f"diner-{i}" for i, n in enumerate(table.plates) if n == 0]
        if hungry:
            fail(Bug.NEVER_ATE, f"{', '.join(hungry)} never ate although the pot held "
                 f"{portions} portions per diner: the others ate "
                 f"{', '.join(str(n) for n in table.plates if n)} portions. A diner "
                 "that waits in line must be served before anyone comes back for more.")

    return explore(scenario, [student_file(folder, "buffet.py")], settings)


@check("starvation")
def nobody_passed_over(folder: Path, settings: Settings) -> Exploration:
    """Four diners, three portions each: no other diner takes the ladle more than
    BYPASS_BOUND times while one waits (judged under the fair random walk)."""
    fair = replace(settings, strategy="random")
    return _buffet(folder, fair, diners=4, portions=3, digest=True, use_with=False,
                   bypass_bound=BYPASS_BOUND)


@check("starvation")
def everyone_eats(folder: Path, settings: Settings) -> Exploration:
    """Three diners and food for three portions each: every diner eats at least once, on
    every schedule (including those where one diner runs as long as it can)."""
    return _buffet(folder, settings, diners=3, portions=3, digest=False, use_with=True,
                   bypass_bound=None)
