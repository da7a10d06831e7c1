"""Clerks sell theatre tickets from one shared seating plan.

Run the grader with:  pytest exercises/abandoned_lock
"""

import threading

PRICE = 12


class PaymentError(Exception):
    """The customer's card was declined."""


def charge(order):
    """Take the payment for `order` and return the amount. Raises PaymentError on a declined
    card (and, like any code that talks to the outside world, may fail in other ways)."""
    seats = order[1]
    return PRICE * seats


class BoxOffice:
    """The seats still free, and the money taken, shared by every clerk."""

    def __init__(self, seats=100):
        self.lock = threading.Lock()
        self.seats_left = seats
        self.takings = 0
        self.problems = []  # (clerk, exception) for every sale that failed


def sell(office, order):
    """Sell `order` = (customer, seats): take the seats off the plan and add the payment to
    the takings, as one step. When the payment fails, the error goes to the caller, and the
    office is left exactly as it was before the sale."""
    seats = order[1]
    with office.lock:
        try:
            paid = charge(order)
        except PaymentError:
            return False  # declined: no sale, nothing changed
        office.seats_left -= seats
        office.takings += paid
    return True


def clerk(office, orders):
    """Sell `orders` one by one. A clerk whose sale fails reports the error and goes home."""
    try:
        for order in orders:
            sell(office, order)
    except Exception as exc:
        office.problems.append((threading.current_thread().name, exc))


def open_box_office(queues):
    """One clerk per queue of orders, all at once; return the office afterwards."""
    office = BoxOffice()
    threads = [
        threading.Thread(target=clerk, args=(office, orders), name=f"clerk-{i + 1}")
        for i, orders in enumerate(queues)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return office
