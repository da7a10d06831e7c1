"""Correct: three philosophers always take the lower-numbered fork first, so no cycle can form."""

import threading

SEATS = 3
forks = [threading.Lock() for _ in range(SEATS)]
meals = [0] * SEATS


def philosopher(i):
    a, b = sorted((i, (i + 1) % SEATS))
    with forks[a], forks[b]:
        meals[i] += 1


def main():
    diners = [threading.Thread(target=philosopher, args=(i,), name=f"philosopher-{i}")
              for i in range(SEATS)]
    for t in diners:
        t.start()
    for t in diners:
        t.join()
    assert meals == [1] * SEATS, f"not everyone ate: {meals}"
