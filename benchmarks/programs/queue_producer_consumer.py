"""Correct: a producer and two consumers share a queue.Queue, with one stop marker per consumer."""

import queue
import threading

jobs = queue.Queue(maxsize=2)
done = []


def producer():
    for n in range(4):
        jobs.put(n)
    for _ in range(2):
        jobs.put(None)


def consumer():
    while True:
        item = jobs.get()
        if item is None:
            return
        done.append(item)


def main():
    threads = [threading.Thread(target=producer, name="producer"),
               threading.Thread(target=consumer, name="consumer-0"),
               threading.Thread(target=consumer, name="consumer-1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == [0, 1, 2, 3], f"consumed {done}"
