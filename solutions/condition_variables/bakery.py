"""A bakery: the baker puts loaves on the shelf, customers wait for one and take it.

Run the grader with:  pytest exercises/condition_variables
"""

import threading


class Shelf:
    """The bakery's shelf. A customer who finds it empty sleeps until the shelf changes."""

    def __init__(self):
        self.cond = threading.Condition()   # "the shelf changed", and the lock of the shelf
        self.loaves = 0
        self.closed = False

    def bake(self, n):
        """Put `n` fresh loaves on the shelf."""
        with self.cond:
            self.loaves += n
            self.cond.notify_all()      # n loaves may be for n customers: wake them all

    def close(self):
        """Close the bakery: no more loaves will come."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()      # every waiting customer goes home

    def buy(self):
        """Wait for a loaf and take it: True. False if the bakery closed and the shelf is
        empty."""
        with self.cond:
            while self.loaves == 0 and not self.closed:
                self.cond.wait()        # look again when woken: the loaf may be gone
            if self.loaves == 0:
                return False
            self.loaves -= 1
            return True


def bakery(customers=3, batches=(1, 2)):
    """Customers buy while the baker bakes `batches`, then the bakery closes; return what
    each customer got."""
    shelf = Shelf()
    got = {}

    def customer(name):
        got[name] = shelf.buy()

    threads = [threading.Thread(target=customer, args=(f"customer-{i}",),
                                name=f"customer-{i}") for i in range(customers)]
    for thread in threads:
        thread.start()
    for n in batches:
        shelf.bake(n)
    shelf.close()
    for thread in threads:
        thread.join()
    return got


if __name__ == "__main__":
    print(bakery())
