"""A bakery: the baker puts loaves on the shelf, customers wait for one and take it.

Run the grader with:  pytest exercises/condition_variables
"""

import threading


class Shelf:
    """The bakery's shelf. A customer who finds it empty waits for the next batch.

    TODO: a waiting customer keeps looking at the shelf, again and again, using the CPU while
    nothing changes (busy waiting). Let it sleep until it is woken instead: wait on a
    threading.Condition, and have bake() and close() wake the customers who wait.
    """

    def __init__(self):
        self.lock = threading.Lock()    # TODO: a Condition (it has a lock of its own)
        self.loaves = 0
        self.closed = False

    def bake(self, n):
        """Put `n` fresh loaves on the shelf."""
        with self.lock:
            self.loaves += n
            # TODO: wake the customers who wait for bread

    def close(self):
        """Close the bakery: no more loaves will come."""
        with self.lock:
            self.closed = True
            # TODO: wake the customers who wait, so that they can go home

    def buy(self):
        """Wait for a loaf and take it: True. False if the bakery closed and the shelf is
        empty."""
        while True:                     # TODO: busy waiting
            with self.lock:
                if self.loaves > 0:
                    self.loaves -= 1
                    return True
                if self.closed:
                    return False


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
