"""Buggy: `if` instead of `while` around Condition.wait: a consumer pops from an empty list."""

import threading

items = []
ready = threading.Condition()
taken = []


def consumer():
    with ready:
        if not items:                 # should be: while not items
            ready.wait()
        taken.append(items.pop(0))


def producer():
    for n in range(2):
        with ready:
            items.append(n)
            ready.notify()


def main():
    threads = [threading.Thread(target=consumer, name="consumer-0"),
               threading.Thread(target=consumer, name="consumer-1"),
               threading.Thread(target=producer, name="producer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == [0, 1], f"consumers took {taken}"
