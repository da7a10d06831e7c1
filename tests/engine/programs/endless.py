"""Loops that never end: a spin on a flag nobody sets, and two polite threads."""

import threading
import time

flag = False
lock_a = threading.Lock()
lock_b = threading.Lock()


def spin():
    while not flag:
        pass


def main():
    t = threading.Thread(target=spin, name="spinner")
    t.start()
    t.join()


def polite(first, second):
    """Takes ``first``, tries ``second``, and backs off if it is busy: forever, in step."""
    while True:
        with first:
            if second.acquire(blocking=False):
                second.release()
                return
        time.sleep(0)


def courteous():
    threads = [threading.Thread(target=polite, args=(lock_a, lock_b), name="left"),
               threading.Thread(target=polite, args=(lock_b, lock_a), name="right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main_spins():
    while True:
        pass
