"""Buggy: one Condition, notify() not notify_all(): a consumer wakes a consumer; all wait.

A one-slot buffer shared by one producer and two consumers through a single Condition, with
correct ``while`` loops. A consumer that empties the slot notifies one waiter, which may be
the other consumer instead of the producer: it finds the slot empty and waits again, and
now all three wait (the textbook reason to use notify_all with one condition variable).
"""

import threading

slot = []
cond = threading.Condition()
eaten = []
ITEMS = 6


def producer():
    for n in range(ITEMS):
        with cond:
            while slot:
                cond.wait()
            slot.append(n)
            cond.notify()             # should be: notify_all()


def consumer():
    for _ in range(ITEMS // 2):
        with cond:
            while not slot:
                cond.wait()
            eaten.append(slot.pop())
            cond.notify()             # should be: notify_all()


def main():
    threads = [threading.Thread(target=producer, name="producer"),
               threading.Thread(target=consumer, name="consumer-0"),
               threading.Thread(target=consumer, name="consumer-1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(eaten) == list(range(ITEMS)), f"eaten {eaten}"
