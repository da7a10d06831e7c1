"""A ticket office that sells the seats of one show to customers who all buy at once.

Run the grader with:  pytest exercises/race_condition
"""

import threading


class TicketOffice:
    """The seats of one show. Every method takes the office's lock, so no two customers
    ever read or write `_left` or `sold` at the same time: there is no data race here."""

    def __init__(self, seats):
        self.lock = threading.Lock()
        self._left = seats
        self.sold = []          # the customers who got a seat, in the order they got it

    def available(self):
        """How many seats are left."""
        with self.lock:
            return self._left

    def book(self, customer):
        """Give `customer` a seat."""
        with self.lock:
            self._left -= 1
            self.sold.append(customer)


def buy(office, customer):
    """One customer buys one ticket: True if they got a seat, False if the show is sold out.

    TODO: the check (available()) and the booking (book()) are two separate steps. Another
    customer can book the last seat between them, and then the show is overbooked. Make
    checking and booking one step that no other customer can split.
    """
    if office.available() > 0:
        office.book(customer)
        return True
    return False


def box_office(seats=1, customers=2):
    """Let `customers` threads buy at once; return who got a seat and how many are left."""
    office = TicketOffice(seats)
    threads = [threading.Thread(target=buy, args=(office, f"customer-{i}"),
                                name=f"customer-{i}") for i in range(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return office.sold, office.available()


if __name__ == "__main__":
    sold, left = box_office(seats=1, customers=20)
    print(f"1 seat, 20 customers: {len(sold)} sold, {left} left.")
