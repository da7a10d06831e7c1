"""race_condition: customers buy the seats of one show at once; every access to the office
is locked, so only the order of the check and the booking can go wrong.

Each check lets two or three customers call ``buy(office, customer)`` on a ``TicketOffice``
the check made itself (zero to three seats: more customers than seats, as many, fewer), and
reads what the customers left in that office, not what ``buy`` claims:

- ``no_overbooking`` watches the office's ``sold`` list while the customers run (a list of
  the check's own, put in its place before anyone buys), so a seat sold one too many and
  given back a moment later is seen, and then checks that the seats left and the seats sold
  add up;
- ``sells_out``: once everyone is done, every seat is sold when enough customers came (a
  customer who gives up on a busy office leaves a seat unsold);
- ``honest_answers``: ``buy`` answered True exactly to the customers in ``sold``.

The list's ``append`` runs in the check's code, which has no scheduling point, so watching
it adds no switch the student's program would not have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, LoadError, Settings, explore, fail

from . import check
from .support import explore_cases, require, student_file

#: (seats, customers) for no_overbooking: the last seat wanted by two or three customers,
#: and two seats for two customers (both book: their updates of the seats left meet)
OVERBOOK_CASES = [(1, 2), (2, 2), (2, 3), (1, 3), (0, 2)]
#: (seats, customers) for sells_out and honest_answers: more customers than seats, as many,
#: fewer
OUTCOME_CASES = [(1, 2), (2, 2), (3, 2), (2, 3)]


def _seats(n: int) -> str:
    return f"{n} seat{'' if n == 1 else 's'}"


class _Sold(list[Any]):
    """The office's ``sold`` list, watched: a booking that makes it longer than the show
    has seats fails the run at once, in the thread that made it."""

    def __init__(self, items: Sequence[Any], seats: int) -> None:
        super().__init__(items)
        self.seats = seats

    def _grew(self) -> None:
        if len(self) > self.seats:
            fail(Bug.OVERBOOKING,
                 f"Overbooking: the show has {_seats(self.seats)}, and {len(self)} were sold "
                 f"({', '.join(map(str, self))}). Between a customer's look at the seats left "
                 "and its booking, another customer booked.")

    def append(self, item: Any) -> None:
        super().append(item)
        self._grew()

    def insert(self, index: Any, item: Any) -> None:
        super().insert(index, item)
        self._grew()

    def extend(self, items: Any) -> None:
        super().extend(items)
        self._grew()

    def __iadd__(self, items: Any) -> _Sold:
        super().extend(items)
        self._grew()
        return self


#: judge(office, answers by customer, seats, customers), once every customer is done
Judge = Callable[[Any, dict[str, Any], int, int], None]


def _box_office(folder: Path, settings: Settings, case: tuple[int, int], judge: Judge,
                watch: bool) -> Exploration:
    seats, customers = case

    def scenario(module: Any) -> None:
        make_office = require(module, "TicketOffice", ["seats"])
        buy = require(module, "buy", ["office", "customer"])
        office = make_office(seats)
        if not isinstance(getattr(office, "sold", None), list):
            raise LoadError(f"{module.__file__}: a TicketOffice should keep `sold`, the list "
                            "of the customers who got a seat (keep that name).")
        if watch:
            office.sold = _Sold(office.sold, seats)
        answers: dict[str, Any] = {}

        def customer(name: str) -> None:
            answers[name] = buy(office, name)

        threads = [threading.Thread(target=customer, args=(f"customer-{i}",),
                                    name=f"customer-{i}") for i in range(customers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        judge(office, answers, seats, customers)

    return explore(scenario, [student_file(folder, "tickets.py")], settings)


def _cases(folder: Path, settings: Settings, cases: Sequence[tuple[int, int]], judge: Judge,
           watch: bool = False) -> Exploration:
    """Each case with an equal share of the schedules: every bug here shows within the
    first few schedules of the case it needs, so a share keeps the check quick."""
    if settings.replay is None:
        settings = replace(settings, schedules=max(1, settings.schedules // len(cases)))
    return explore_cases(settings, cases,
                         lambda case, s: _box_office(folder, s, case, judge, watch))


def _judge_seats(office: Any, answers: dict[str, Any], seats: int, customers: int) -> None:
    sold = list(office.sold)
    left = office.available()
    if isinstance(left, int) and left < 0:
        fail(Bug.OVERBOOKING, f"Overbooking: the show has {_seats(seats)}, and once "
             f"{customers} customers were done available() said {left}.")
    twice = sorted({c for c in sold if sold.count(c) > 1})
    if twice:
        fail(Bug.MISCOUNT, f"{', '.join(map(str, twice))} got more than one seat (sold: "
             f"{sold}); each customer buys one ticket.")
    if left != seats - len(sold):
        fail(Bug.MISCOUNT, f"The show has {_seats(seats)}; {len(sold)} were sold and "
             f"available() says {left!r} are left: they should add up to {seats}.")


def _judge_sold_out(office: Any, answers: dict[str, Any], seats: int, customers: int) -> None:
    sold = set(office.sold)
    wanted = min(seats, customers)
    if len(sold) < wanted:
        away = [c for c in sorted(answers) if c not in sold]
        fail(Bug.TURNED_AWAY,
             f"{', '.join(away)} left without a ticket, yet only {len(sold)} of the "
             f"{_seats(seats)} {'was' if len(sold) == 1 else 'were'} sold ({customers} "
             "customers). A customer may be turned away only when the show is sold out: "
             "one who finds the office busy must wait for it.")


def _judge_answers(office: Any, answers: dict[str, Any], seats: int, customers: int) -> None:
    sold = set(office.sold)
    for name in sorted(answers):
        answer = answers[name]
        if bool(answer) != (name in sold):
            got = "got a seat" if name in sold else "got no seat"
            fail(Bug.WRONG_RESULT,
                 f"buy(office, {name!r}) returned {answer!r}, but {name} {got} (sold: "
                 f"{sorted(sold)}; {_seats(seats)}, {customers} customers). buy() must "
                 "return True when the customer got a seat and False when it did not.")


@check("race_condition")
def no_overbooking(folder: Path, settings: Settings) -> Exploration:
    """At no moment are more seats sold than the show has, and the seats left and sold add
    up once everyone is done."""
    return _cases(folder, settings, OVERBOOK_CASES, _judge_seats, watch=True)


@check("race_condition")
def sells_out(folder: Path, settings: Settings) -> Exploration:
    """Nobody is turned away while a seat is left: once everyone is done, every seat is sold
    (or every customer got one)."""
    return _cases(folder, settings, OUTCOME_CASES, _judge_sold_out)


@check("race_condition")
def honest_answers(folder: Path, settings: Settings) -> Exploration:
    """buy() returns True to exactly the customers who got a seat."""
    return _cases(folder, settings, OUTCOME_CASES, _judge_answers)
