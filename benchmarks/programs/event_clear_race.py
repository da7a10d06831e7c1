"""Buggy: lost wakeup: the consumer clears the Event after draining, wiping out a later set()."""

import threading

ready = threading.Event()
slot = []
got = []


def producer():
    for n in range(2):
        slot.append(n)
        ready.set()


def consumer():
    while len(got) < 2:
        ready.wait()
        while slot:
            got.append(slot.pop(0))
        ready.clear()                 # a set() after the drain and before this line is lost


def main():
    threads = [threading.Thread(target=consumer, name="consumer"),
               threading.Thread(target=producer, name="producer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [0, 1], f"consumer got {got}"
