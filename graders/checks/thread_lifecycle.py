"""thread_lifecycle: start() and not run(), join() before reading, a new thread per start.

A probe around the bakery's ``bake`` sees which thread bakes each tray, how many trays are
in ovens at once, and the ``baked`` dict each oven fills: the loaves a function returns must
have come out of the ovens (be in those dicts) when it returns, not merely be the right
number. A program that never calls ``bake`` gives nothing to observe and is judged on its
answer alone. The engine's portfolio begins with the sequential schedule, in which the
calling thread runs until it blocks, so an oven thread runs last there: a result read before
``join()`` is caught on the first schedule.

Every run calls each part several times, with different loaves and batches (``ONE_TRAY``,
``TWO_TRAYS``, ``BATCHES``), one call after another: an answer that is right for one size
only, or a wait that is long enough for a small tray only, does not pass.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, thread_name, threads_started

from . import check
from .support import never_seen, rebind, require, student_file

#: The calls each run makes, in this order: bake_one_tray(loaves), bake_two_trays(loaves),
#: bake_batches(batches, loaves).
ONE_TRAY = (3, 1, 4)
TWO_TRAYS = (2, 1, 3)
BATCHES = ((3, 1), (1, 2), (4, 2))


class _Ovens:
    """Which thread baked what, the trays ovens began to bake (with the loaves and the dict
    each fills) in this run, and the most trays seen in ovens at once (over all runs)."""

    def __init__(self) -> None:
        self.most_at_once = 0
        self.inside: list[str] = []
        self.bakers: list[str] = []
        self.begun: list[tuple[Any, Any, Any]] = []
        self.overlap: tuple[str, str] | None = None   # (the baker, one already inside)

    def call(self) -> None:
        """Forget what earlier calls baked: the next call is judged on its own ovens."""
        self.bakers = []
        self.begun = []
        self.overlap = None

    def watch(self, bakery: Any) -> None:
        self.inside = []
        self.call()
        bake = require(bakery, "bake", ["tray", "loaves", "baked"])

        def watched(tray: Any, loaves: Any, baked: Any) -> Any:
            me = thread_name()
            if me == "MainThread":
                fail(Bug.NOT_A_THREAD,
                     f"{tray} was baked by MainThread, the thread that asked for it, not by an "
                     "oven thread: calling run() runs the thread's target right there, like "
                     "any function call. start() makes the new thread, which then calls run().")
            self.bakers.append(me)
            self.begun.append((tray, loaves, baked))
            if self.inside and self.overlap is None:
                self.overlap = (me, self.inside[0])
            self.inside.append(me)
            self.most_at_once = max(self.most_at_once, len(self.inside))
            try:
                return bake(tray, loaves, baked)
            finally:
                self.inside.remove(me)

        rebind(bakery, bake=watched)

    def came_out(self) -> list[tuple[Any, Any]]:
        """(tray, loaves) of every tray an oven has put in its ``baked`` dict by now."""
        return [(tray, loaves) for tray, loaves, baked in self.begun
                if not isinstance(baked, dict) or tray in baked]


def _came_out(ovens: _Ovens, out: list[tuple[Any, Any]], call: str, answer: Any,
              loaves: int) -> None:
    """Fail when ``call`` returned ``answer``, worth ``loaves`` loaves, while fewer had come
    out of the ovens (``out``, taken as it returned) and the program does bake with bake()."""
    done = [n for _, n in out]
    if not all(isinstance(n, int) for n in done) or sum(done) >= loaves:
        return
    me = threading.current_thread()
    for t in threading.enumerate():    # let the ovens finish: does the program use bake()?
        if t is not me and not t.daemon:
            t.join()
    if not ovens.bakers:
        return
    what = ", ".join(f"{tray} ({n} loaves)" for tray, n in out) if out else "nothing"
    fail(Bug.READ_TOO_EARLY, f"{call} returned {answer!r}, but when it returned, {what} had come "
         "out of the ovens: the answer did not come from what the oven threads baked. Wait "
         "for every oven with join(), then read what it baked.")


def _explore(folder: Path, settings: Settings, scenario: Any) -> Exploration:
    return explore(scenario, [student_file(folder, "bakery.py")], settings)


@check("thread_lifecycle")
def result_after_join(folder: Path, settings: Settings) -> Exploration:
    """Part 1: bake_one_tray(n) returns n on every schedule (n = 3, 1, 4), the oven being a
    thread."""
    ovens = _Ovens()

    def scenario(bakery: Any) -> None:
        bake_one_tray = require(bakery, "bake_one_tray", ["loaves"])
        ovens.watch(bakery)
        for loaves in ONE_TRAY:
            ovens.call()
            before = len(threads_started())
            got = bake_one_tray(loaves)
            out = ovens.came_out()         # at the moment it returned
            call = f"bake_one_tray({loaves})"
            if len(threads_started()) == before:
                fail(Bug.NOT_A_THREAD, f"{call} started no thread: the oven should bake in "
                     "a thread of its own (call start() on it).")
            if got != loaves:
                fail(Bug.READ_TOO_EARLY, f"{call} returned {got!r}: it looked at the tray "
                     "before the oven thread had finished baking. start() only asks for the "
                     "thread to run some time soon; join() waits until it has ended.")
            _came_out(ovens, out, call, got, loaves)

    return _explore(folder, settings, scenario)


@check("thread_lifecycle")
def trays_bake_together(folder: Path, settings: Settings) -> Exploration:
    """Part 2: two trays (of 2, 1, then 3 loaves), each baked by its own oven thread, both
    done when the function returns, and in some schedule both in the ovens at the same
    time."""
    ovens = _Ovens()

    def scenario(bakery: Any) -> None:
        bake_two_trays = require(bakery, "bake_two_trays", ["loaves"])
        ovens.watch(bakery)
        for loaves in TWO_TRAYS:
            ovens.call()
            before = len(threads_started())
            baked = bake_two_trays(loaves)
            out = ovens.came_out()         # at the moment it returned
            call = f"bake_two_trays({loaves})"
            started = len(threads_started()) - before
            if started < 2:
                fail(Bug.NOT_A_THREAD, f"{call} started {started} thread"
                     f"{'' if started == 1 else 's'}; each tray needs an oven thread of its "
                     "own (call start() on each).")
            expected = {"tray-1": loaves, "tray-2": loaves}
            if not isinstance(baked, dict) or dict(baked) != expected:
                fail(Bug.READ_TOO_EARLY, f"{call} returned {baked!r}, not {expected}: it "
                     "returned before both ovens had finished. Wait for every oven with "
                     "join() before you return.")
            _came_out(ovens, out, call, baked, sum(expected.values()))

    result = _explore(folder, settings, scenario)
    if ovens.most_at_once >= 2:
        return result
    return never_seen(
        result, Bug.NO_OVERLAP,
        f"The two trays were never in the ovens at the same time {result.searched()}: each "
        "oven was waited for before the next one started.",
        "Start every oven first, then join them all: a join() right after each start() makes "
        "the threads take turns.")


@check("thread_lifecycle")
def new_thread_per_batch(folder: Path, settings: Settings) -> Exploration:
    """Part 3: bake_batches(3, 1), (1, 2), (4, 2): each batch in an oven thread that is
    started once, one batch after another, and every loaf counted."""
    ovens = _Ovens()

    def scenario(bakery: Any) -> None:
        bake_batches = require(bakery, "bake_batches", ["batches", "loaves"])
        ovens.watch(bakery)
        for batches, loaves in BATCHES:
            ovens.call()
            total = bake_batches(batches, loaves)
            out = ovens.came_out()         # at the moment it returned
            call = f"bake_batches({batches}, {loaves})"
            if ovens.overlap is not None:
                baker, inside = ovens.overlap
                fail(Bug.WRONG_BATCHES, f"In {call}, {baker} began a batch while {inside} "
                     "was still baking one: the batches go into the oven one after another. "
                     "Wait for a batch's oven thread to end before you start the next one.")
            if len(ovens.bakers) != batches:
                fail(Bug.WRONG_BATCHES, f"{call} baked {len(ovens.bakers)} batches instead "
                     f"of {batches}.")
            if total != batches * loaves:
                fail(Bug.READ_TOO_EARLY, f"{call} returned {total!r} instead of "
                     f"{batches * loaves}: it counted a batch before its oven thread had "
                     "finished.")
            _came_out(ovens, out, call, total, batches * loaves)

    return _explore(folder, settings, scenario)
