"""abandoned_lock: a payment fails inside the box office's critical section.

Every run plays several box offices one after another (different numbers of clerks, queue
lengths, failing orders and kinds of error), so no check rests on one fixed case. Which
payment fails is fixed per office (the k-th call of charge() there, or a named customer's
order), so every schedule and every replay fails the same one. Each check asks one question:

- others_finish: a declined card in a busy office; do the other clerks still sell everything?
- lock_free_at_end: one clerk per office, any error; does the clerk go home holding no lock?
- error_reported: one clerk per office; does sell() raise that very error to the clerk?
- state_consistent: one clerk per office; are seats and takings those of the paid sales?
- sale_is_one_step: no payment fails; does an auditor, reading under office.lock, ever see
  seats taken without their money, and does every sale count in the end?

The single-clerk offices keep a lock left taken (others_finish's business) and lost updates
between clerks (sale_is_one_step's) from showing in the checks that do not test them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    LoadError,
    Settings,
    explore,
    fail,
    held_locks,
    label,
)

from . import check
from .support import past_stuck, rebind, require, student_file

PRICE = 12   # what the grader's charge() takes per seat
ALONE_SCHEDULES = 10   # schedules for the checks whose offices have one clerk each

Order = tuple[str, int]


@dataclass
class Office:
    """One box office of a scenario: its clerks' queues and which payment fails, how."""

    queues: list[list[Order]]
    fail_on: int = 0                   # the k-th charge() in this office fails (0: none)
    doomed: str = ""                   # or: this customer's payment fails
    error: str = "PaymentError"        # the class of the error raised

    def describe(self) -> str:
        clerks = len(self.queues)
        return f"{clerks} clerk{'s' if clerks > 1 else ''} selling {self.orders()} orders"

    def orders(self) -> int:
        return sum(len(q) for q in self.queues)


#: others_finish: a busy office, a declined card while every other clerk still has sales to
#: make (fail_on - 1 < every queue's length, so nobody else can be done yet).
BUSY = [
    Office([[("Ada", 2), ("Ben", 1)], [("Cleo", 3), ("Dev", 1)]], fail_on=1),
    Office([[("Eve", 1), ("Finn", 2), ("Gus", 1)], [("Hana", 2), ("Ivo", 1)],
            [("Jo", 4), ("Kai", 1)]], fail_on=2),
    Office([[("Lu", 1), ("Max", 2), ("Noor", 1)], [("Oz", 2), ("Pia", 1), ("Quin", 3)]],
           fail_on=3),
]

#: The single-clerk offices: the first, a middle and the last order fails, with a declined
#: card or with an error sell() cannot expect.
SINGLE = [
    Office([[("Ada", 2), ("Ben", 1), ("Cleo", 3)]], doomed="Ada"),
    Office([[("Dev", 1), ("Eve", 4), ("Finn", 2)]], doomed="Eve", error="ConnectionError"),
    Office([[("Gus", 3), ("Hana", 1)]], doomed="Hana", error="TimeoutError"),
    Office([[("Ivo", 5)]], doomed="Ivo"),
    Office([[("Jo", 2), ("Kai", 2), ("Lu", 1), ("Max", 3)]], doomed="Lu",
           error="ConnectionError"),
]

#: state_consistent, after SINGLE: a payment fails while another clerk sells, so that a
#: sale undone outside the lock, or undone to what was read before the lock was taken,
#: undoes the other clerk's sale too.
SHARED = [
    Office([[("Ada", 2), ("Ben", 1)], [("Cleo", 3), ("Dev", 1)]], doomed="Ada"),
    Office([[("Eve", 1), ("Finn", 2)], [("Gus", 3)]], doomed="Finn", error="ConnectionError"),
]

#: lock_free_at_end: errors the code cannot expect (a declined card is others_finish's).
UNEXPECTED = [o for o in SINGLE if o.error != "PaymentError"] + [
    Office([[("Noor", 2), ("Oz", 1)]], doomed="Noor", error="OSError"),
]

#: sale_is_one_step: nothing fails; two and three clerks, with an auditor.
CALM = [
    Office([[("Ada", 2), ("Ben", 1), ("Cleo", 3)], [("Dev", 1), ("Eve", 2)]]),
    Office([[("Finn", 1), ("Gus", 2)], [("Hana", 3), ("Ivo", 1)], [("Jo", 2), ("Kai", 4)]]),
]


def _error(office: Office, payment_error: type[Exception], customer: str) -> BaseException:
    if office.error == "PaymentError":
        return payment_error(f"{customer}'s card was declined (the grader declined it)")
    if office.error == "ConnectionError":
        return ConnectionError("the card terminal lost its connection (the grader cut it)")
    if office.error == "TimeoutError":
        return TimeoutError("the bank did not answer in time (the grader made it wait)")
    return OSError("the card reader broke down (the grader broke it)")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}({str(exc)!r})"


@dataclass
class Sale:
    """One call of sell() as the grader saw it."""

    clerk: str
    order: Any
    failed_with: BaseException | None = None   # the error the grader's charge() raised
    raised: BaseException | None = None        # what sell() raised, if anything
    returned: bool = False


@dataclass
class Played:
    """What happened in one office."""

    office: Any
    plan: Office
    seats_before: int
    takings_before: Any
    clerks: list[str]
    paid: list[tuple[str, Any, int]] = field(default_factory=list)  # (clerk, order, amount)
    sales: list[Sale] = field(default_factory=list)
    failure: tuple[str, Any, BaseException] | None = None           # (clerk, order, error)
    kept: dict[str, list[str]] = field(default_factory=dict)       # clerk -> locks held at end


class _BoxOffices:
    """The student's module, with charge() and sell() watched, playing offices in turn."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.clerk = require(module, "clerk", ["office", "orders"])
        self.sell = require(module, "sell", ["office", "order"])
        require(module, "charge", ["order"])
        self.office_class = require(module, "BoxOffice", [])
        payment_error = getattr(module, "PaymentError", None)
        if not (isinstance(payment_error, type) and issubclass(payment_error, Exception)):
            raise LoadError(f"{module.__file__}: the check expects the exception class "
                            "PaymentError of the starter (was it renamed or removed?).")
        self.payment_error = payment_error
        self.current: Played | None = None
        self.calls = 0
        self.selling: dict[str, Sale] = {}     # thread name -> the sale it is making
        self.next_clerk = 1
        rebind(module, charge=self._charge, sell=self._sell)

    def _charge(self, order: Any) -> Any:
        played = self.current
        assert played is not None
        name = threading.current_thread().name
        self.calls += 1
        customer = order[0] if isinstance(order, tuple) and order else order
        seats = order[1] if isinstance(order, tuple) and len(order) > 1 else 0
        plan = played.plan
        if self.calls == plan.fail_on or (plan.doomed and customer == plan.doomed):
            error = _error(plan, self.payment_error, customer)
            played.failure = (name, order, error)
            sale = self.selling.get(name)
            if sale is not None:
                sale.failed_with = error
            raise error
        amount = PRICE * seats
        played.paid.append((name, order, amount))
        return amount

    def _sell(self, office: Any, order: Any) -> Any:
        name = threading.current_thread().name
        sale = Sale(name, order)
        played = self.current
        if played is not None:
            played.sales.append(sale)
        outer = self.selling.get(name)
        self.selling[name] = sale
        try:
            result = self.sell(office, order)
        except BaseException as exc:
            sale.raised = exc
            raise
        finally:
            if outer is None:
                self.selling.pop(name, None)
            else:
                self.selling[name] = outer
        sale.returned = True
        return result

    def play(self, plan: Office, *, auditor: Callable[[Played], None] | None = None,
             ) -> Played:
        """Open a fresh office, run its clerks (and an auditor) at once, wait for them."""
        office = self.office_class()
        for name in ("seats_left", "takings", "problems"):
            if not hasattr(office, name):
                raise LoadError(f"{self.module.__file__}: BoxOffice() should set self.{name} "
                                "(the check reads it); keep the attribute names of the "
                                "starter.")
        if getattr(office, "lock", None) is not None:
            label(office.lock, "office.lock")
        names = [f"clerk-{self.next_clerk + i}" for i in range(len(plan.queues))]
        self.next_clerk += len(names)
        played = Played(office, plan, office.seats_left, office.takings, names)
        self.current, self.calls = played, 0

        def run_clerk(orders: list[Order]) -> None:
            self.clerk(office, orders)
            held = held_locks()
            if held:
                played.kept[threading.current_thread().name] = held

        threads = [threading.Thread(target=run_clerk, args=(list(q),), name=n)
                   for n, q in zip(names, plan.queues, strict=True)]
        if auditor is not None:
            threads.append(threading.Thread(target=auditor, args=(played,), name="auditor"))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.current = None
        return played


def _explore(folder: Path, settings: Settings, body: Callable[[_BoxOffices], None], *,
             alone: bool = False) -> Exploration:
    """Explore ``body``; ``alone``: every office has one clerk, so the schedules differ only in
    how independent offices interleave, and a few of them are enough."""

    def scenario(module: Any) -> None:
        body(_BoxOffices(module))

    if alone:
        settings = replace(settings, schedules=min(settings.schedules, ALONE_SCHEDULES))
    return explore(scenario, [student_file(folder, "box_office.py")], settings)


def _failed_sale(played: Played) -> str:
    assert played.failure is not None
    clerk, order, error = played.failure
    return (f"In an office with {played.plan.describe()}, the payment for {order[0]}'s order "
            f"({clerk}) failed with {_describe(error)}")


@check("abandoned_lock")
def others_finish(folder: Path, settings: Settings) -> Exploration:
    """A card is declined while the other clerks still have sales to make (2 and 3 clerks,
    the 1st, 2nd or 3rd payment); every other clerk must sell all its orders."""

    def body(offices: _BoxOffices) -> None:
        for plan in BUSY:
            played = offices.play(plan)
            failing = played.failure[0] if played.failure else None
            for name, queue in zip(played.clerks, plan.queues, strict=True):
                if name == failing:
                    continue
                mine = [s for s in played.sales if s.clerk == name]
                sold = [s for s in mine if s.returned]
                if len(sold) < len(queue):
                    broke = next((s for s in mine if s.raised is not None), None)
                    why = (f" (its sale of {broke.order[0]}'s order raised "
                           f"{_describe(broke.raised)})" if broke and broke.raised else "")
                    fail(Bug.EXCEPTION if why else Bug.LOCK_KEPT,
                         f"{_failed_sale(played)}, and {name} sold only {len(sold)} of its "
                         f"{len(queue)} orders{why}: the other clerks must go on selling.")

    return _explore(folder, settings, body)


@check("abandoned_lock")
def lock_free_at_end(folder: Path, settings: Settings) -> Exploration:
    """One clerk per office; a payment fails with an error sell() cannot expect (a lost
    connection, a timeout, a broken reader) at the first, a middle or the last order; the
    clerk must go home holding no lock."""

    def body(offices: _BoxOffices) -> None:
        for plan in UNEXPECTED:
            played = offices.play(plan)
            for name, held in played.kept.items():
                what = f"{_failed_sale(played)}, and " if played.failure else ""
                fail(Bug.LOCK_KEPT, f"{what}{name} went home still holding {held[0]}: "
                     "nobody can ever take it again. Release the lock on every way out of "
                     "sell(), whatever the error.")

    return _explore(folder, settings, body, alone=True)


@check("abandoned_lock")
def error_reported(folder: Path, settings: Settings) -> Exploration:
    """One clerk per office; the first, a middle or the last payment fails (a declined card
    or another error); sell() must raise that very error to the clerk, who records it in
    office.problems and sells nothing more."""

    def body(offices: _BoxOffices) -> None:
        for plan in SINGLE:
            played = offices.play(plan)
            if played.failure is None:
                continue
            _check_reported(played)

    return _explore(folder, settings, body, alone=True)


def _check_reported(played: Played) -> None:
    clerk, _order, error = played.failure or ("", None, None)
    assert error is not None
    what = _failed_sale(played)
    sale = next((s for s in played.sales if s.failed_with is error), None)
    if sale is not None and sale.returned:
        fail(Bug.ERROR_SWALLOWED, f"{what}, but sell() returned normally: the error never "
             "reached the clerk. Let it go on to the caller (release the lock, but do not "
             "catch the error and carry on).")
    if sale is not None and sale.raised is not error:
        got = _describe(sale.raised) if sale.raised is not None else "nothing"
        fail(Bug.ERROR_SWALLOWED, f"{what}, but sell() raised {got} instead: another error "
             "replaced it on its way to the clerk.")
    later = [s for s in played.sales[played.sales.index(sale) + 1:] if s.clerk == clerk] \
        if sale is not None else []
    if later:
        fail(Bug.ERROR_SWALLOWED, f"{what}, and {clerk} went on to sell {later[0].order[0]}'s "
             "order: the error was caught on its way and the clerk carried on.")
    errors = [p[-1] if isinstance(p, tuple) and p else p for p in played.office.problems]
    if not any(e is error for e in errors):
        held = ", ".join(_describe(e) if isinstance(e, BaseException) else repr(e)
                         for e in errors)
        fail(Bug.ERROR_SWALLOWED, f"{what}, but office.problems holds {held or 'nothing'}: "
             "the error never reached the clerk.")


@check("abandoned_lock")
def state_consistent(folder: Path, settings: Settings) -> Exploration:
    """One clerk per office; the first, a middle or the last payment fails, with a declined
    card or another error; seats_left and takings must be those of the payments that went
    through. Then offices where a payment fails while another clerk sells (runs that get
    stuck are others_finish's and lock_free_at_end's to judge)."""
    seen = [0]      # shared offices judged to the end

    def body_for(plans: list[Office]) -> Callable[[_BoxOffices], None]:
        return lambda offices: body(offices, plans)

    def body(offices: _BoxOffices, plans: list[Office]) -> None:
        for plan in plans:
            played = offices.play(plan)
            seen[0] += len(plan.queues) > 1
            seats = sum(order[1] for _, order, _ in played.paid)
            money = sum(amount for _, _, amount in played.paid)
            want = (played.seats_before - seats, played.takings_before + money)
            got = (played.office.seats_left, played.office.takings)
            if got == want:
                continue
            what = _failed_sale(played) if played.failure else (
                f"In an office with {plan.describe()}")
            fail(Bug.INCONSISTENT_STATE,
                 f"The office is half-updated. {what}; the payments that went through were "
                 f"for {seats} seats and {money} in all, so seats_left should be {want[0]} and "
                 f"takings {want[1]}; they are {got[0]} and {got[1]}. A sale whose payment "
                 "fails must leave the office as if it had never been tried.")

    alone = _explore(folder, settings, body_for(SINGLE), alone=True)
    if not alone.ok:
        return alone
    return past_stuck(
        lambda s: _explore(folder, s, body_for(SHARED)), settings,
        lambda bug_class: (f"Cannot judge whether a failed sale leaves the office as it was "
                           f"while another clerk sells: the clerks got stuck ({bug_class}) "
                           "on this schedule and on the others tried. The checks "
                           "others_finish and lock_free_at_end show why."),
        lambda: seen[0])


@check("abandoned_lock")
def sale_is_one_step(folder: Path, settings: Settings) -> Exploration:
    """No payment fails; two or three clerks sell while an auditor reads the office under
    office.lock: it must never see seats taken without their money, and in the end every
    sale must count."""

    def auditor(played: Played) -> None:
        office = played.office
        lock = office.lock
        for _ in range(2 * played.plan.orders()):
            with lock:
                seats = played.seats_before - office.seats_left
                money = office.takings - played.takings_before
            if money != PRICE * seats:
                fail(Bug.INCONSISTENT_STATE,
                     f"In an office with {played.plan.describe()}, an auditor who took "
                     f"office.lock found {seats} seats taken and {money} in the takings "
                     f"(each seat costs {PRICE}): a sale was half-done while the lock was "
                     "free. Take the seats and add the money as one step, under the lock.")

    def body(offices: _BoxOffices) -> None:
        if not hasattr(getattr(offices.office_class(), "lock", None), "acquire"):
            raise LoadError("box_office.py: BoxOffice() should keep its lock in self.lock (the "
                            "check's auditor takes it); keep the names of the starter.")
        for plan in CALM:
            played = offices.play(plan, auditor=auditor)
            seats = sum(order[1] for q in plan.queues for order in q)
            want = (played.seats_before - seats, played.takings_before + PRICE * seats)
            got = (played.office.seats_left, played.office.takings)
            if got != want:
                fail(Bug.LOST_UPDATE,
                     f"In an office with {plan.describe()}, every payment went through, for "
                     f"{seats} seats and {PRICE * seats} in all, so seats_left should be "
                     f"{want[0]} and takings {want[1]}; they are {got[0]} and {got[1]}: "
                     "clerks overwrote each other's changes. Take the seats and add the "
                     "money as one step, under the lock.")

    return _explore(folder, settings, body)
