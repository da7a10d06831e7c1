"""Buggy: livelock: polite philosophers drop the left fork when the right is taken, forever."""

import threading
import time

SEATS = 2
forks = [threading.Lock() for _ in range(SEATS)]
meals = [0] * SEATS


def philosopher(i):
    left, right = forks[i], forks[(i + 1) % SEATS]
    while True:
        left.acquire()
        if right.acquire(blocking=False):
            meals[i] += 1
            right.release()
            left.release()
            return
        left.release()                # be polite: put the fork down, wait, try again
        time.sleep(0.001)


def main():
    diners = [threading.Thread(target=philosopher, args=(i,), name=f"philosopher-{i}")
              for i in range(SEATS)]
    for t in diners:
        t.start()
    for t in diners:
        t.join()
    assert meals == [1] * SEATS, f"meals {meals}"
