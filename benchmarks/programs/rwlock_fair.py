"""Correct: readers and a writer share a readerwriterlock RWLockFair; pairs stay consistent."""

import threading

from readerwriterlock import rwlock

lock = rwlock.RWLockFair()
pair = {"x": 0, "y": 0}
seen = []


def writer():
    for n in range(1, 3):
        with lock.gen_wlock():
            pair["x"] = n
            pair["y"] = n


def reader():
    with lock.gen_rlock():
        seen.append((pair["x"], pair["y"]))


def main():
    threads = [threading.Thread(target=writer, name="writer"),
               threading.Thread(target=reader, name="reader-0"),
               threading.Thread(target=reader, name="reader-1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(x == y for x, y in seen), f"a reader saw a half-written pair: {seen}"
    assert pair == {"x": 2, "y": 2}, f"final pair {pair}"
