"""Philosophers around a round table share one fork between each pair of neighbours.

Philosopher i needs fork i (on the left) and fork i + 1 (on the right, wrapping round) to
eat. Run the grader with:  pytest exercises/deadlock
"""

import random
import threading
import time


def eat(philosopher):
    """Eat one meal. (The grader watches who eats, and with which forks.)"""


def dine(philosopher, forks, meals):
    """Part 1: eat `meals` meals, each time holding both neighbouring forks."""
    left = philosopher
    right = (philosopher + 1) % len(forks)
    first, second = sorted((left, right))
    for _ in range(meals):
        with forks[first]:
            with forks[second]:
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
            left.release()
            time.sleep(random.uniform(0.01, 0.05))


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
