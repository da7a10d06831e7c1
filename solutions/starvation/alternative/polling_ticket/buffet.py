"""Hungry diners at a buffet share one ladle to serve themselves from one pot.

Run the grader with:  pytest exercises/starvation
"""

import threading
import time


def serve(diner):
    """Ladle one portion onto `diner`'s plate (it takes a moment)."""
    time.sleep(0.01)


class Ladle:
    """A ticket counter whose diners look up at the display now and then."""

    def __init__(self):
        self._dispenser = threading.Lock()   # taking a number must be one step
        self._next_ticket = 0
        self._now_serving = 0

    def acquire(self):
        """Wait for the ladle, then hold it."""
        with self._dispenser:
            ticket = self._next_ticket
            self._next_ticket += 1
        while self._now_serving != ticket:
            time.sleep(0.001)

    def release(self):
        """Put the ladle back, for the diner whose turn is next."""
        self._now_serving += 1      # only the holder writes it: no lock needed

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
