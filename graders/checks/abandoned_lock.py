"""abandoned_lock: a payment fails inside the box office's critical section.

Each check makes charge() raise on its k-th call (k fixed per check, so every schedule and
every replay fails the same payment; a PaymentError, or in one check an error the student's
code cannot expect) and then asks one question: do the other clerks still finish, is every
lock free once the clerks have gone home, does the error reach the clerk that made the sale,
and is the seating plan consistent with the payments that went through?
"""

from __future__ import annotations

import threading
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
    thread_name,
)

from . import check
from .support import require, student_file

QUEUES = {
    "clerk-1": [("Ada", 2), ("Ben", 1)],
    "clerk-2": [("Cleo", 3), ("Dev", 1)],
}
PAYMENTS = sum(len(q) for q in QUEUES.values())


def _box_office(folder: Path, settings: Settings, fail_on: int, *, unexpected: bool = False,
                lock_free: bool = False, reported: bool = False,
                consistent: bool = False) -> Exploration:
    """Run the clerks with payment number ``fail_on`` failing; check what is asked for."""

    def scenario(module: Any) -> None:
        clerk = require(module, "clerk", ["office", "orders"])
        require(module, "sell", ["office", "order"])
        real_charge = require(module, "charge", ["order"])
        office_class = require(module, "BoxOffice", [])
        payment_error = getattr(module, "PaymentError", None)
        if not (isinstance(payment_error, type) and issubclass(payment_error, Exception)):
            raise LoadError(f"{module.__file__}: the check expects the exception class "
                            "PaymentError of the starter (was it renamed or removed?).")
        office = office_class()
        for name in ("seats_left", "takings", "problems"):
            if not hasattr(office, name):
                raise LoadError(f"{module.__file__}: BoxOffice() should set self.{name} (the "
                                "check reads it); keep the attribute names of the starter.")
        if getattr(office, "lock", None) is not None:
            label(office.lock, "office.lock")
        seats_before, takings_before = office.seats_left, office.takings

        calls = [0]
        paid: list[tuple[Any, Any]] = []
        failed: list[tuple[Any, BaseException]] = []

        def faulty_charge(order: Any) -> Any:
            calls[0] += 1
            if calls[0] == fail_on:
                customer = order[0] if isinstance(order, tuple) and order else order
                if unexpected:
                    error: BaseException = ConnectionError(
                        "the card terminal lost its connection (the grader cut it)")
                else:
                    error = payment_error(f"{customer}'s card was declined (the grader "
                                          "declined it)")
                failed.append((order, error))
                raise error
            amount = real_charge(order)
            paid.append((order, amount))
            return amount

        module.charge = faulty_charge

        def run_clerk(orders: list[Any]) -> None:
            clerk(office, orders)
            if lock_free:
                held = held_locks()
                if held:
                    fail(Bug.LOCK_KEPT, f"{thread_name()} went home still holding {held[0]}: "
                         "the sale whose payment failed never released it, and any clerk "
                         "who needs it later waits forever.")

        threads = [threading.Thread(target=run_clerk, args=(list(orders),), name=name)
                   for name, orders in QUEUES.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        if reported and failed:
            _check_reported(office, failed[0])
        if consistent:
            _check_consistent(office, paid, failed, seats_before, takings_before)

    return explore(scenario, [student_file(folder, "box_office.py")], settings)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}({str(exc)!r})"


def _check_reported(office: Any, failure: tuple[Any, BaseException]) -> None:
    order, error = failure
    problems = list(office.problems)
    errors = [p[-1] if isinstance(p, tuple) and p else p for p in problems]
    if any(e is error for e in errors):
        return
    what = f"The payment for {order[0]}'s order failed with {_describe(error)}"
    if not errors:
        fail(Bug.ERROR_SWALLOWED, f"{what}, but office.problems is empty: the error never "
             "reached the clerk. sell() must let it go on to its caller (release the lock, "
             "but do not catch the error and carry on).")
    fail(Bug.ERROR_SWALLOWED, f"{what}, but office.problems holds "
         f"{', '.join(_describe(e) if isinstance(e, BaseException) else repr(e) for e in errors)}"
         " instead: another error replaced it on its way to the clerk.")


def _check_consistent(office: Any, paid: list[tuple[Any, Any]],
                      failed: list[tuple[Any, BaseException]], seats_before: Any,
                      takings_before: Any) -> None:
    seats = sum(order[1] for order, _ in paid)
    money = sum(amount for _, amount in paid)
    want = (seats_before - seats, takings_before + money)
    got = (office.seats_left, office.takings)
    if got == want:
        return
    failure = f"the payment for {failed[0][0][0]}'s order failed, and " if failed else ""
    fail(Bug.INCONSISTENT_STATE,
         f"The office is half-updated: {failure}the payments that went through were for "
         f"{seats} seats and {money} in all, so seats_left should be {want[0]} and takings "
         f"{want[1]}; they are {got[0]} and {got[1]}. A sale whose payment fails must leave "
         "no seats taken.")


@check("abandoned_lock")
def others_finish(folder: Path, settings: Settings) -> Exploration:
    """The very first payment fails; every other clerk still gets the lock and finishes."""
    return _box_office(folder, settings, fail_on=1)


@check("abandoned_lock")
def lock_free_at_end(folder: Path, settings: Settings) -> Exploration:
    """The last payment fails, with a ConnectionError this time; afterwards no clerk still
    holds a lock."""
    return _box_office(folder, settings, fail_on=PAYMENTS, unexpected=True, lock_free=True)


@check("abandoned_lock")
def error_reported(folder: Path, settings: Settings) -> Exploration:
    """The second payment fails; that very error reaches the clerk (office.problems)."""
    return _box_office(folder, settings, fail_on=2, reported=True)


@check("abandoned_lock")
def state_consistent(folder: Path, settings: Settings) -> Exploration:
    """The third payment fails; seats and takings match the payments that went through."""
    return _box_office(folder, settings, fail_on=3, consistent=True)
