"""Hungry diners at a buffet share one ladle to serve themselves from one pot.

Run the grader with:  pytest exercises/starvation
"""

import threading
import time


def serve(diner):
    """Ladle one portion onto `diner`'s plate (it takes a moment)."""
    time.sleep(0.01)


class Ladle:
    """The one ladle of the pot: one diner at a time may hold it, in the order they asked.

    A ticket counter, as at a deli counter: each diner takes the next number and waits until
    that number is called.
    """

    def __init__(self):
        self._turns = threading.Condition()
        self._next_ticket = 0      # the number the next diner to ask will get
        self._now_serving = 0      # the number whose turn it is

    def acquire(self):
        """Wait for the ladle, then hold it."""
        with self._turns:
            ticket = self._next_ticket
            self._next_ticket += 1
            while ticket != self._now_serving:
                self._turns.wait()

    def release(self):
        """Put the ladle back, for the diner whose turn is next."""
        with self._turns:
            self._now_serving += 1
            self._turns.notify_all()   # everyone looks: only the next number goes on

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def buffet(diners=40, portions=200):
    """Let `diners` threads serve themselves until `portions` are gone; return the plates."""
    ladle = Ladle()
    pot = [portions]
    plates = [0] * diners
    gate = threading.Barrier(diners)   # everyone sits down before anyone eats

    def dine(diner):
        gate.wait()
        while True:
            with ladle:
                if pot[0] == 0:
                    return
                serve(diner)
                pot[0] -= 1
                plates[diner] += 1

    threads = [threading.Thread(target=dine, args=(i,), name=f"diner-{i}")
               for i in range(diners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return plates


if __name__ == "__main__":
    plates = buffet()
    print(f"Portions per diner: fewest {min(plates)}, most {max(plates)} "
          f"({sum(1 for p in plates if p == 0)} of {len(plates)} diners never ate).")
