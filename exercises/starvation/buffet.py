"""Hungry diners at a buffet share one ladle to serve themselves from one pot.

Run the grader with:  pytest exercises/starvation
"""

import threading
import time


def serve(diner):
    """Ladle one portion onto `diner`'s plate (it takes a moment)."""
    time.sleep(0.01)


class Ladle:
    """The one ladle of the pot: one diner at a time may hold it.

    TODO: a plain Lock lets whoever happens to grab it first go next, so a diner can wait
    while the others serve themselves again and again. Make the ladle fair: diners must get
    it in the order in which they asked for it (first come, first served). Keep the methods
    acquire(), release(), __enter__() and __exit__().
    """

    def __init__(self):
        # TODO: remember who is waiting, and in which order (a ticket counter, or a queue).
        self._lock = threading.Lock()

    def acquire(self):
        """Wait for the ladle, then hold it."""
        # TODO: wait for your turn, not merely until the ladle is free.
        self._lock.acquire()

    def release(self):
        """Put the ladle back, for the diner whose turn is next."""
        # TODO: hand the ladle to the diner who has waited longest.
        self._lock.release()

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
