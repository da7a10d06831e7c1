"""asyncio: a box office sells each seat once, lets other sales go on while a bank answers,
charges only the buyers it gives a seat to (before telling them so), and lets a declined
payment reach the caller with the seat free again.

The scenario is a coroutine: the engine runs it on its controlled event loop, where the
strategy picks which ready task runs next at every ``await`` that yields, and time is
virtual. The check replaces ``charge`` with a bank of its own, which remembers who paid,
declines the cards the check chose, and takes a moment of virtual time. The buyers are tasks
of the check, in groups: a group comes once the one before has been served, so a seat a
declined payment kept shows in the next group.

Whether sales go on while a bank answers is judged on every schedule: the bank of that check
keeps each payment waiting until a second one has started, or for PATIENCE ticks of virtual
time. A sale that can go on runs long before then (time passes only when no task can run),
so a second payment that never started is a sale that waited for the first.

The engine's own asyncio verdicts show the other mistakes the README warns of: a coroutine
never awaited (``missing await``), a blocking call in a coroutine (``blocking call``), a
``threading.Lock`` held across an ``await`` (``deadlock``). Only ``loop_never_blocked``
reports them, so that one slip costs one check. The other checks go on past runs stuck on
them (:func:`support.past_stuck`): each first explores days that such a program can finish
(buyers one at a time, or a group that finds the seats gone), then the rest, and passes when
its property held in the runs that got to the end. Their bank keeps the coroutines that
``charge`` made, so that one never awaited does not stop the run: a buyer who got a seat
without the bank ever being asked fails ``paid_for_seat`` (a real sale without payment), and a
check that needed the bank to answer says so in one line naming ``loop_never_blocked``.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    CheckFailed,
    Exploration,
    LoadError,
    Settings,
    draw_scenario,
    explore,
    fail,
)

from . import check
from .support import STUCK, explore_cases, numbered, past_stuck, rebind, require, student_file

#: Ticks of 0.01 s a bank keeps a payment waiting for a second one to start.
PATIENCE = 100

#: The verdicts of a loop that never gets on: ``loop_never_blocked`` reports them, the other
#: checks go on past them.
BLOCKED = STUCK | {"blocking call", "missing await"}


@dataclass(frozen=True)
class _Day:
    """One day at the box office: its seats and the groups of buyers, True for a buyer
    whose card is declined."""

    seats: int
    groups: tuple[tuple[bool, ...], ...]

    def __str__(self) -> str:
        buyers = " then ".join(
            f"{len(g)} buyer{'s' * (len(g) != 1)}"
            + (f" ({sum(g)} declined)" if any(g) else "") for g in self.groups)
        return f"{self.seats} seat{'s' * (self.seats != 1)}; {buyers}"

    def buyers(self) -> list[tuple[int, int, bool]]:
        """(group, buyer, declined) for every buyer of the day, numbered across groups."""
        return numbered(self.groups)


class _Bank:
    """The grader's ``charge``: who is paying now, the most at once, who paid."""

    def __init__(self, day: _Day, declined_class: type[Exception]) -> None:
        self.declined = {b for _g, b, bad in day.buyers() if bad}
        self.declined_class = declined_class
        self.paying: set[int] = set()
        self.most = 0
        self.paid: set[int] = set()
        self.refused: set[int] = set()     # the buyers whose card it declined
        self.wait_for_second = False
        self.calls: list[tuple[int, Coroutine[Any, Any, None]]] = []
        self.tasks: list[asyncio.Task[None]] = []

    def retrieve(self) -> None:
        """Take the exceptions of payments run as tasks of their own, so that one nobody
        awaited is judged by the checks of what it breaks (the sale, the decline), not
        reported as the engine's ``lost exception``."""
        for task in self.tasks:
            if task.done() and not task.cancelled():
                task.exception()

    def call(self, buyer: int) -> Coroutine[Any, Any, None]:
        """``charge`` for the checks that go on past a coroutine never awaited: the bank
        keeps it, so Python does not warn (the engine's ``missing await``) until
        :meth:`close`."""
        coro = self.charge(buyer)
        self.calls.append((buyer, coro))
        return coro

    def never_awaited(self, buyer: int | None = None) -> list[int]:
        """The buyers (or ``buyer``) whose charge() was made and never started, by an await
        or by a task."""
        tasks = {id(t.get_coro()) for t in asyncio.all_tasks()}
        return [b for b, coro in self.calls
                if (buyer is None or b == buyer) and id(coro) not in tasks
                and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED]

    def close(self) -> None:
        """Close the coroutines never started, without Python's warning."""
        for _b, coro in self.calls:
            if inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()

    async def charge(self, buyer: int) -> None:
        task = asyncio.current_task()
        if task is not None and getattr(task.get_coro(), "cr_code", None) is _CHARGE:
            self.tasks.append(task)     # sell() made a task of the payment itself
        self.paying.add(buyer)
        self.most = max(self.most, len(self.paying))
        try:
            ticks = 0
            await asyncio.sleep(0.01)
            while self.wait_for_second and self.most < 2 and ticks < PATIENCE:
                await asyncio.sleep(0.01)
                ticks += 1
            if buyer in self.declined:
                self.refused.add(buyer)
                raise self.declined_class(f"buyer {buyer}: card declined (the grader's bank)")
            self.paid.add(buyer)
        finally:
            self.paying.discard(buyer)


_CHARGE = _Bank.charge.__code__

#: What a check judges once a day is over: the day, the bank, each buyer's outcome (what
#: sell() returned, or the exception it raised) and the PaymentDeclined class.
_After = Callable[[_Day, _Bank, dict[int, object], type[Exception]], None]


def _explore_days(folder: Path, settings: Settings, days: tuple[_Day, ...], after: _After,
                  wait_for_second: bool = False, judge_paid: bool = False,
                  keep_calls: bool = True) -> Exploration:
    """Explore days drawn from ``days``: every buyer of a group buys at once, a group after
    the one before has been served; ``after`` judges the day at its end. A buyer whose card
    is not declined and whose sell() raises fails the check at once, as does (with
    ``judge_paid``) a sell() that returns True before the buyer paid. Without
    ``keep_calls``, a charge() never awaited is the engine's ``missing await``."""
    banks: list[_Bank] = []

    async def scenario(module: Any) -> None:
        make = require(module, "BoxOffice", ["seats"])
        require(module, "charge", ["buyer"])
        declined_class = getattr(module, "PaymentDeclined", None)
        if not (isinstance(declined_class, type) and issubclass(declined_class, Exception)):
            raise LoadError(f"{module.__file__}: the check expects the exception class "
                            "PaymentDeclined; keep it as the kit gave it.")
        day = draw_scenario(lambda: random.Random(random.getrandbits(32)).choice(days))
        bank = _Bank(day, declined_class)
        bank.wait_for_second = wait_for_second
        banks.append(bank)
        rebind(module, charge=bank.call if keep_calls else bank.charge)
        office = make(day.seats)
        if not inspect.iscoroutinefunction(getattr(office, "sell", None)):
            raise LoadError(f"{module.__file__}: BoxOffice should have a coroutine method "
                            "`async def sell(self, buyer)`; keep it.")
        outcomes: dict[int, object] = {}

        async def buy(buyer: int) -> None:
            try:
                got: object = await office.sell(buyer)
            except CheckFailed:
                raise
            except Exception as exc:     # judged below: the decline, or something else
                outcomes[buyer] = exc
                if buyer not in bank.declined:
                    fail(Bug.EXCEPTION, f"sell({buyer}) raised {type(exc).__name__}: {exc} "
                         f"for a buyer whose card was fine ({day}).")
                return
            outcomes[buyer] = got
            if judge_paid and got is True and bank.never_awaited(buyer):
                fail(Bug.TICKET_BEFORE_PAYMENT,
                     f"sell({buyer}) returned True, but charge({buyer}) was never awaited "
                     f"({day}): the bank was never asked, and the buyer got a seat without "
                     "paying for it.")
            if judge_paid and got is True and buyer not in bank.paid:
                fail(Bug.TICKET_BEFORE_PAYMENT,
                     f"sell({buyer}) returned True before the buyer's bank had answered "
                     f"({day}): the buyer got a seat without paying for it.")

        for _g, group in enumerate(day.groups):
            first = len(outcomes)
            await asyncio.gather(*(buy(first + i) for i in range(len(group))))
        for _tick in range(PATIENCE):    # the day ends once every bank has answered
            if not bank.paying:
                break
            await asyncio.sleep(0.01)
        bank.retrieve()
        after(day, bank, outcomes, declined_class)

    try:
        return explore(scenario, [student_file(folder, "box_office.py")], settings)
    finally:
        for bank in banks:
            bank.close()


def _cannot_judge(what: str) -> Callable[[str], str]:
    return lambda bug_class: (
        f"Cannot judge {what}: no sale got that far ({bug_class}) on this schedule or on "
        "the others tried. The check loop_never_blocked shows why.")


def _past_blocked(folder: Path, settings: Settings, cases: tuple[tuple[_Day, ...], ...],
                  after: _After, what: str, seen: list[int], **kw: bool) -> Exploration:
    """Each tuple of days in turn, going on past runs the loop never got on with; the check
    passes when its property held in the runs that ended (``seen[0]`` counts those that
    showed it at work), or says in one line that it could not judge ``what``.

    The days before the last tuple are those a program that blocks the loop can still
    finish: they are explored first, with a quarter of the schedules, so that the evidence
    they give does not depend on which days the other runs drew."""
    first = settings if settings.replay is not None else replace(
        settings, schedules=max(1, settings.schedules // 4))
    return explore_cases(
        settings, cases,
        lambda days, s: past_stuck(
            lambda s2: _explore_days(folder, s2, days, after, **kw),
            s if days is cases[-1] else first,
            _cannot_judge(what), lambda: seen[0], stuck=BLOCKED))


def _not_awaited(bank: _Bank, what: str) -> None:
    """Fail in one line when the bank was never asked: a charge() never awaited, which
    loop_never_blocked reports, leaves nothing for this check to see."""
    missed = bank.never_awaited()
    if missed:
        fail(Bug.MISSING_AWAIT,
             f"Cannot judge {what}: charge({missed[0]}) was never awaited, so the bank was "
             "never asked. The check loop_never_blocked shows why.")


def _sold(outcomes: dict[int, object]) -> list[int]:
    return sorted(b for b, got in outcomes.items() if got is True)


def _buyers(names: list[int]) -> str:
    return ", ".join(f"buyer {b}" for b in names)


D = _Day
OK, NO = False, True


@check("asyncio")
def never_sold_twice(folder: Path, settings: Settings) -> Exploration:
    """With more buyers than seats, exactly ``seats`` of them get one."""

    seen = [0]      # days judged to the end

    def after(day: _Day, bank: _Bank, outcomes: dict[int, object], declined: Any) -> None:
        seen[0] += 1
        sold = _sold(outcomes)
        if len(sold) > day.seats:
            fail(Bug.DOUBLE_BOOKING,
                 f"{len(sold)} tickets sold for {day.seats} seat{'s' * (day.seats != 1)}: "
                 f"sell() returned True to {_buyers(sold)} ({day}).")
        wanted = min(day.seats, len(outcomes))
        if len(sold) < wanted:
            fail(Bug.MISCOUNT,
                 f"Only {len(sold)} of {day.seats} seats were sold, although "
                 f"{len(outcomes)} buyers whose cards were fine wanted one ({day}).")

    return _past_blocked(folder, settings, (
        (D(1, ((OK,), (OK, OK))), D(2, ((OK,), (OK,), (OK, OK)))),
        (D(1, ((OK, OK),)), D(1, ((OK, OK, OK),)), D(2, ((OK, OK, OK),)),
         D(3, ((OK, OK, OK, OK),)))), after, "whether a seat is sold twice", seen)


@check("asyncio")
def sales_go_on_while_paying(folder: Path, settings: Settings) -> Exploration:
    """While one buyer's bank answers, another sale can go on and reach its payment."""

    seen = [0]      # days with two payments under way at once

    def after(day: _Day, bank: _Bank, outcomes: dict[int, object], declined: Any) -> None:
        if bank.most >= 2:
            seen[0] += 1
            return
        _not_awaited(bank, "whether sales go on while a bank answers")
        fail(Bug.ONE_AT_A_TIME,
             f"{len(outcomes)} buyers bought at once at a box office with {day.seats} "
             "free seats, but no two payments were ever under way together, although "
             "the bank kept each payment waiting until a second one had started (or a "
             "good while had passed): each sale waited for the one before.")

    return _past_blocked(folder, settings, ((D(2, ((OK, OK),)), D(3, ((OK, OK, OK),))),),
                         after, "whether sales go on while a bank answers", seen,
                         wait_for_second=True)


@check("asyncio")
def paid_for_seat(folder: Path, settings: Settings) -> Exploration:
    """sell() charges only a buyer it gives a seat to, and says so once they have paid."""

    seen = [0]      # days judged to the end

    def after(day: _Day, bank: _Bank, outcomes: dict[int, object], declined: Any) -> None:
        seen[0] += 1
        for buyer in sorted(bank.paid):
            if outcomes.get(buyer) is not True:
                fail(Bug.CHARGED_FOR_NOTHING,
                     f"Buyer {buyer} paid, but sell({buyer}) returned "
                     f"{outcomes.get(buyer)!r} ({day}): a buyer was charged for a seat "
                     "they did not get.")

    return _past_blocked(folder, settings, (
        (D(1, ((OK,), (OK,))), D(2, ((OK,), (OK,), (OK,)))),
        (D(1, ((OK, OK),)), D(2, ((OK, OK, OK),)))),
        after, "whether a buyer pays for a seat", seen, judge_paid=True)


@check("asyncio")
def decline_reaches_caller(folder: Path, settings: Settings) -> Exploration:
    """A declined payment is raised by sell(), and the seat is free again afterwards."""

    seen = [0]      # days with a declined payment, judged to the end

    def after(day: _Day, bank: _Bank, outcomes: dict[int, object], declined: Any) -> None:
        _not_awaited(bank, "whether a declined payment reaches the caller")
        seen[0] += bool(bank.refused)
        for buyer in sorted(bank.refused):      # (a buyer turned away was never charged)
            got = outcomes.get(buyer)
            if not isinstance(got, BaseException):
                fail(Bug.ERROR_SWALLOWED,
                     f"Buyer {buyer}'s card was declined and charge() raised "
                     f"PaymentDeclined, but sell({buyer}) returned {got!r} ({day}): the "
                     "buyer never learns that the payment failed.")
            if not isinstance(got, declined):
                fail(Bug.EXCEPTION,
                     f"Buyer {buyer}'s card was declined, and sell({buyer}) raised "
                     f"{type(got).__name__}: {got} instead of the PaymentDeclined from "
                     f"charge() ({day}).")
        sold = _sold(outcomes)
        fine = len(outcomes) - len(bank.declined)
        if len(sold) < min(day.seats, fine):
            fail(Bug.SEAT_LOST,
                 f"After a declined payment, only {len(sold)} of {day.seats} "
                 f"seat{'s' * (day.seats != 1)} could be sold to {fine} buyers whose cards "
                 f"were fine ({day}): a declined buyer's seat did not come back.")

    return _past_blocked(folder, settings, (
        (D(1, ((NO,), (OK,))), D(2, ((NO,), (OK,), (OK,)))),
        (D(2, ((NO, OK), (OK,))), D(1, ((NO, NO), (OK, OK))), D(2, ((NO, NO), (OK, OK))))),
        after, "whether a declined payment reaches the caller", seen)


@check("asyncio")
def loop_never_blocked(folder: Path, settings: Settings) -> Exploration:
    """sell() never holds up the event loop: no blocking call, no threading lock held across
    an await, no coroutine left unawaited (the engine's own verdicts)."""

    def after(day: _Day, bank: _Bank, outcomes: dict[int, object], declined: Any) -> None:
        """Nothing more to judge: the engine stopped a run that blocked the loop."""

    return _explore_days(folder, settings, (
        D(1, ((OK, OK),)), D(2, ((OK, OK, OK),)), D(2, ((OK,), (OK, OK, OK))),
        D(1, ((NO,), (OK,))), D(2, ((NO, OK), (OK,)))), after, keep_calls=False)
