"""condition_variables: customers wait on a Shelf for bread; the check is the baker.

The check starts the customers itself (each calls ``shelf.buy()``), bakes its batches, and
closes the bakery either at once or only once every customer has bread. It reads the shelf
the customers used, and judges each requirement on its own:

- ``no_busy_waiting``: the baker lets two (virtual) seconds pass with the shelf empty
  and counts the steps each customer takes meanwhile (:func:`graders.engine.steps_taken`). A
  customer asleep in ``wait()`` takes none; one that has not reached its ``wait()`` yet takes
  a few; one that looks again and again, with or without a pause, takes hundreds. No
  spurious wake-ups here, so a correct waiter has no reason to move at all. A customer that
  pauses between looks with ``time.sleep()`` fails as soon as it goes back to sleep after a
  look, however long its pause: while one is asleep there, the shelf stays empty for up to
  :data:`QUIET_NAPPING` seconds (:func:`graders.engine.naps`).
- ``loaf_on_the_shelf``: the shelf's ``loaves`` is watched (a property put on the class
  before anyone runs): it may never go below zero, and no thread may write it from a count
  it read before another thread changed it (a change made outside the lock: lost update).
  Spurious wake-ups are on, so a customer that waits in an ``if`` takes a loaf that is not
  there even with nobody to beat it to it.
- ``everyone_served``: nobody waits for ever (the engine calls a run where everyone waits a
  deadlock), and a customer goes home without bread only once the bakery is closed and the
  shelf empty. Spurious wake-ups are on here too: a customer that takes a wake-up for bread
  and, finding none, goes home while the bakery is open, fails here. A
  ``wait(timeout=...)`` that runs out while every other thread waits too
  (:func:`graders.engine.timed_out_idle`) is a wake-up nobody was going to give: it fails
  here as well. Timed waits run out only then here (``Settings.timeouts_when_idle``): a
  customer left asleep by a ``notify()`` that woke another is not rescued by its timeout
  while the others still run.

The two safety checks go on past runs that get stuck (a lost wake-up: everyone_served
reports it), as in the starvation topic (:func:`support.past_stuck`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    LoadError,
    Settings,
    explore,
    fail,
    naps,
    steps_taken,
    timed_out_idle,
)

from . import check
from .support import StaleWrites, explore_cases, past_stuck, require, student_file

#: How long (virtual seconds) the shelf stays empty while no_busy_waiting counts steps: long
#: enough that a customer who looks every 0.2 s looks ten times (0.2 s let a look every
#: 0.05 s through), and free, since virtual time costs nothing.
QUIET = 2.0
#: The longest no_busy_waiting lets the shelf stay empty (virtual seconds) while a customer
#: is asleep in time.sleep(): it wakes, looks, and a nap it then begins is polling, however
#: long its pause.
QUIET_NAPPING = 30.0
#: How many times no_busy_waiting counts during QUIET: a customer that keeps looking is
#: reported as soon as it is over BUSY_STEPS (more if the schedule kept the baker from
#: running past QUIET), not after thousands of steps.
QUIET_LOOKS = 20
#: Steps a customer may take meanwhile: enough to reach its wait() if it had not yet, far
#: below a loop that keeps looking (hundreds, with or without a pause of a few ms).
BUSY_STEPS = 60
#: The step budget of loaf_on_the_shelf and everyone_served: a correct day takes a few
#: hundred steps; a busy-waiting customer that never lets the baker in is called stuck
#: sooner.
DAY_STEPS = 4000
#: How many times in a run wait() returns with no notify, where the checks ask for it.
SPURIOUS = 2


@dataclass(frozen=True)
class _Day:
    """One day at the bakery."""

    customers: int
    batches: tuple[int, ...]
    serve_first: bool     # close only once every customer has bread (else close at once)

    def __str__(self) -> str:
        total = sum(self.batches)
        bread = (" + ".join(map(str, self.batches)) + (" loaf" if total == 1 else " loaves")
                 if self.batches else "no bread")
        when = ("closed once everyone had bread" if self.serve_first
                else "closed right after baking")
        return f"{self.customers} customer{'s' if self.customers != 1 else ''}, {bread}, {when}"


def _who(thread: str) -> str:
    """A thread as the reports name it: the check's main thread is the baker."""
    return "the baker" if thread == "MainThread" else thread


def _watch_loaves(cls: Any) -> None:
    """Make ``cls.loaves`` a property that fails the run the moment it goes below zero, or
    the moment a thread writes it after reading it while another thread changed it in
    between (a read-modify-write outside the lock: one of the two changes is lost)."""
    writes = StaleWrites()

    def get(shelf: Any) -> Any:
        writes.read()
        return shelf.__dict__.get("loaves")

    def put(shelf: Any, value: Any) -> None:
        me = threading.current_thread().name
        if isinstance(value, int) and value < 0:
            fail(Bug.EMPTY_SHELF,
                 f"{me} took a loaf from an empty shelf (loaves went to {value}). It was "
                 "woken, and took a loaf without looking whether one was still there.")
        if (overwritten := writes.write()) is not None:
            fail(Bug.LOST_UPDATE,
                 f"{_who(me).capitalize()} set loaves to {value} from the count it had read "
                 f"before {_who(overwritten.name)} changed it: that change is lost, and the "
                 "shelf's count is wrong. Look at the shelf and change it only while holding "
                 "the lock of its Condition.")
        shelf.__dict__["loaves"] = value

    cls.loaves = property(get, put)


#: judge(shelf, who went home without bread and what the shelf held then, the day)
Judge = Callable[[Any, dict[str, tuple[bool, Any]], _Day], None]


def _bakery(folder: Path, settings: Settings, day: _Day, quiet: bool = False,
            watch: bool = False, home: bool = False,
            seen: list[int] | None = None) -> Exploration:
    """Explore one day: the customers start, the baker bakes (after a quiet second when
    ``quiet``) and closes. Judged: busy waiting (``quiet``), the shelf below zero
    (``watch``), a customer gone home early (``home``); ``seen[0]`` counts loaves taken."""

    def scenario(module: Any) -> None:
        make_shelf = require(module, "Shelf", [])
        if watch:
            _watch_loaves(make_shelf)
        shelf = make_shelf()
        for name in ("bake", "close", "buy"):
            if not callable(getattr(shelf, name, None)):
                raise LoadError(f"{module.__file__}: a Shelf should have a method {name}(); "
                                "keep bake(n), close() and buy().")
        if not isinstance(shelf.__dict__.get("loaves"), int) or not hasattr(shelf, "closed"):
            raise LoadError(f"{module.__file__}: a Shelf should keep `loaves` (a number) "
                            "and `closed`: keep those names.")

        def customer() -> None:
            if shelf.buy():
                if seen is not None:
                    seen[0] += 1
                return
            if not home:
                return
            # (no scheduling point between the return and here: this is the shelf as the
            # customer last saw it)
            if not shelf.closed or shelf.loaves:
                me = threading.current_thread().name
                state = "still open" if not shelf.closed else (
                    f"closed with {shelf.loaves} loaves on the shelf")
                fail(Bug.TURNED_AWAY,
                     f"{me} went home without bread while the bakery was {state} ({day}). "
                     "A customer goes home only once the bakery is closed and the shelf is "
                     "empty; being woken means: look again.")

        names = [f"customer-{i}" for i in range(day.customers)]
        threads = [threading.Thread(target=customer, name=n) for n in names]
        for t in threads:
            t.start()
        if quiet:
            time.sleep(0.05)              # the customers arrive and find the shelf empty
            before, began = steps_taken(), time.monotonic()
            napped = naps()
            elapsed = 0.0
            asleep = True
            # nothing changes; a look now and then, and on while a customer naps in sleep()
            while elapsed < QUIET or (asleep and elapsed < QUIET_NAPPING):
                time.sleep(QUIET / QUIET_LOOKS)
                # (by the clock: a schedule may keep this thread from running a while)
                elapsed = time.monotonic() - began
                after, now = steps_taken(), naps()
                asleep = any(now[n][1] for n in names if n in now)
                for n in names:
                    moved = after.get(n, 0) - before.get(n, 0)
                    if moved > BUSY_STEPS * max(1.0, elapsed / QUIET):
                        fail(Bug.BUSY_WAITING,
                             f"Busy waiting: {n} took {moved} steps in {elapsed:.2g} s in "
                             "which the shelf stayed empty and nobody called bake() or "
                             f"close() ({day}). A waiting customer should sleep until it is "
                             "woken.")
                    again = now.get(n, (0, False))[0] - napped.get(n, (0, False))[0]
                    if again:
                        fail(Bug.BUSY_WAITING,
                             f"Polling: {n} woke from time.sleep(), looked at the shelf and "
                             f"went back to sleep in {elapsed:.2g} s in which the shelf "
                             f"stayed empty and nobody called bake() or close() ({day}). A "
                             "pause between looks is still polling: a waiting customer "
                             "should sleep until it is woken.")
        for loaves in day.batches:
            shelf.bake(loaves)
        if day.serve_first:
            for t in threads:
                t.join()
        shelf.close()
        for t in threads:
            t.join()
        if home and (rescued := timed_out_idle()):
            fail(Bug.NOT_WOKEN,
                 f"Nobody woke {rescued[0]}: its wait(timeout=...) ran out while every other "
                 f"thread waited too, and only that let the day go on ({day}). Every batch "
                 "should wake the customers it can feed, and closing time every customer "
                 "still waiting.")

    return explore(scenario, [student_file(folder, "bakery.py")], settings)


def _share(settings: Settings, cases: int) -> Settings:
    """An equal share of the schedules per case (a replay tries its token on each)."""
    if settings.replay is not None:
        return settings
    return replace(settings, schedules=max(1, settings.schedules // cases))


def _cannot_judge(what: str) -> Callable[[str], str]:
    return lambda bug_class: (
        f"Cannot judge {what}: the customers got stuck ({bug_class}) on this schedule and on "
        "the others tried. The check everyone_served shows why.")


#: The schedules of no_busy_waiting, in all: a customer that keeps looking does it on
#: every schedule (the first, where nobody is interrupted, shows it at once).
QUIET_SCHEDULES = 40
#: The days of no_busy_waiting: one customer, or two, who wait before any bread comes.
QUIET_DAYS = [_Day(1, (1,), False), _Day(2, (2,), True)]


@check("condition_variables")
def no_busy_waiting(folder: Path, settings: Settings) -> Exploration:
    """While the shelf stays empty for QUIET seconds, no waiting customer takes more than
    BUSY_STEPS steps."""
    seen = [0]
    quick = replace(settings, schedules=min(settings.schedules, QUIET_SCHEDULES))
    return explore_cases(_share(quick, len(QUIET_DAYS)), QUIET_DAYS, lambda day, s: past_stuck(
        lambda s2: _bakery(folder, s2, day, quiet=True, seen=seen), s,
        _cannot_judge("whether the customers wait without using the CPU"), lambda: seen[0]))


#: The days of loaf_on_the_shelf: customers woken for no reason, or beaten to the loaf.
SHELF_DAYS = [_Day(1, (1,), True), _Day(2, (1, 1), True), _Day(3, (2,), False)]


@check("condition_variables")
def loaf_on_the_shelf(folder: Path, settings: Settings) -> Exploration:
    """The shelf never goes below zero, with spurious wake-ups and customers who come late."""
    seen = [0]
    spurious = replace(settings, spurious_wakeups=SPURIOUS,
                       max_steps=min(settings.max_steps, DAY_STEPS))
    return explore_cases(_share(spurious, len(SHELF_DAYS)), SHELF_DAYS, lambda day, s: past_stuck(
        lambda s2: _bakery(folder, s2, day, watch=True, seen=seen), s,
        _cannot_judge("whether a customer takes a loaf that is not there"), lambda: seen[0]))


#: The days of everyone_served: batches for several customers, closing with customers still
#: waiting, no bread at all.
SERVED_DAYS = [_Day(3, (1, 2), True), _Day(3, (1,), False), _Day(3, (), False),
               _Day(1, (1,), True)]


@check("condition_variables")
def everyone_served(folder: Path, settings: Settings) -> Exploration:
    """Nobody waits for ever, and nobody goes home without bread before closing time."""
    spurious = replace(settings, spurious_wakeups=SPURIOUS, timeouts_when_idle=True,
                       max_steps=min(settings.max_steps, DAY_STEPS))
    return explore_cases(_share(spurious, len(SERVED_DAYS)), SERVED_DAYS,
                         lambda day, s: _bakery(folder, s, day, home=True))
