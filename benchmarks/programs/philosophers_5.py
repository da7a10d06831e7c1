"""Buggy: five dining philosophers each take the left fork, then the right: deadlock."""

import threading

SEATS = 5
forks = [threading.Lock() for _ in range(SEATS)]
meals = [0] * SEATS


def philosopher(i):
    left, right = forks[i], forks[(i + 1) % SEATS]
    with left, right:                 # left first, then right
        meals[i] += 1


def main():
    diners = [threading.Thread(target=philosopher, args=(i,), name=f"philosopher-{i}")
              for i in range(SEATS)]
    for t in diners:
        t.start()
    for t in diners:
        t.join()
    assert meals == [1] * SEATS, f"not everyone ate: {meals}"
