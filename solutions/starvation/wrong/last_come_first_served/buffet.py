"""Hungry diners at a buffet share one ladle to serve themselves from one pot.

Run the grader with:  pytest exercises/starvation
"""

import threading
import time


def serve(diner):
    """Ladle one portion onto `diner`'s plate (it takes a moment)."""
    time.sleep(0.01)


class Ladle:
    """The one ladle of the pot, handed to a waiting diner."""

    def __init__(self):
        self._guard = threading.Lock()
        self._line = []
        self._taken = False

    def acquire(self):
        """Wait for the ladle, then hold it."""
        with self._guard:
            if not self._taken:
                self._taken = True
                return
            my_turn = threading.Event()
            self._line.append(my_turn)
        my_turn.wait()

    def release(self):
        """Put the ladle back, for the diner whose turn is next."""
        with self._guard:
            if self._line:
                self._line.pop().set()      # the newest waiter, not the oldest
            else:
                self._taken = False

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
