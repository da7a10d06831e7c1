"""Philosophers around a round table share one fork between each pair of neighbours.

Philosopher i needs fork i (on the left) and fork i + 1 (on the right, wrapping round) to
eat. Run the grader with:  pytest exercises/deadlock
"""

import random  # noqa: F401 - for part 2's random pause
import threading
import time  # noqa: F401 - for part 2's random pause


def eat(philosopher):
    """Eat one meal. (The grader watches who eats, and with which forks.)"""


def dine(philosopher, forks, meals):
    """Part 1: eat `meals` meals, each time holding both neighbouring forks."""
    left = philosopher
    right = (philosopher + 1) % len(forks)
    for _ in range(meals):
        # TODO: when every philosopher picks up the left fork first, each can end up holding
        # one fork and waiting for the other forever. Pick up the two forks in one global
        # order instead: the lower-numbered fork first.
        with forks[left]:
            with forks[right]:
                eat(philosopher)


def dine_politely(philosopher, forks, meals):
    """Part 2: the same meals, but give up on a fork that does not come within 0.1 s."""
    left = forks[philosopher]
    right = forks[(philosopher + 1) % len(forks)]
    eaten = 0
    while eaten < meals:
        left.acquire()
        if right.acquire(timeout=0.1):
            eat(philosopher)
            eaten += 1
            right.release()
            left.release()
        else:
            # TODO: the right fork did not come in time. Put the left fork down as well, and
            # pause for a random moment (say 10-50 ms) before trying again, so that
            # neighbours do not retry in lockstep.
            pass


def dinner(philosophers=5, meals=3, dine=dine):
    """Seat the philosophers and let them eat (run this file to try it on real threads)."""
    forks = [threading.Lock() for _ in range(philosophers)]
    threads = [
        threading.Thread(target=dine, args=(i, forks, meals), name=f"philosopher-{i}")
        for i in range(philosophers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    dinner()
    dinner(dine=dine_politely)
    print("Everyone ate this time; the grader tries many more schedules.")
