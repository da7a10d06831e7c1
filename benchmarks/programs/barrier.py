"""Correct: three workers fill their part, meet at a threading.Barrier, then read all parts."""

import threading

PARTIES = 3
gate = threading.Barrier(PARTIES)
parts = [None] * PARTIES
sums = []


def worker(i):
    parts[i] = i + 1
    gate.wait()
    sums.append(sum(parts))


def main():
    workers = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}")
               for i in range(PARTIES)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sums == [6] * PARTIES, f"a worker passed the barrier early: {sums}"
