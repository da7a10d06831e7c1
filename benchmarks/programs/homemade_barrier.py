"""Buggy: a home-made barrier counts arrivals unlocked and sleeps until all came; one is lost."""

import threading
import time

PARTIES = 2
arrived = 0
parts = [None] * PARTIES


def worker(i):
    global arrived
    parts[i] = i * 10
    arrived += 1                      # unlocked read-modify-write
    while arrived < PARTIES:          # busy wait with a short sleep
        time.sleep(0.001)
    assert None not in parts, f"worker {i} passed the barrier early: {parts}"


def main():
    workers = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}")
               for i in range(PARTIES)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert arrived == PARTIES, f"only {arrived} of {PARTIES} arrivals were counted"
