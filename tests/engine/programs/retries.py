"""Loops that come back to the same lines again and again, and still finish: none of them
is a livelock, however their threads are scheduled. And one that is."""

import itertools
import random
import threading
import time

forks = [threading.Lock(), threading.Lock()]


def polite(i):
    """Takes its left fork, and puts it down again if the right one is taken: forever."""
    left, right = forks[i], forks[1 - i]
    while True:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(0.001)


def two(target, *args):
    threads = [threading.Thread(target=target, args=(i, *args), name=f"diner-{i}")
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def polite_forever():
    two(polite)


def polite_but_gives_up(i):
    """As polite, but gives up after 30 tries: the count is in a for loop's iterator only."""
    left, right = forks[i], forks[1 - i]
    for _ in [None] * 30:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(0.001)


def bounded_by_a_for_loop():
    two(polite_but_gives_up)


def polite_random_backoff(i):
    left, right = forks[i], forks[1 - i]
    while True:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(random.random() / 100)


def random_backoff():
    two(polite_random_backoff)


tries = [0, 0]


def polite_counting(i, limit):
    """Gives up after ``limit`` tries, counted in a shared list."""
    left, right = forks[i], forks[1 - i]
    while tries[i] < limit:
        tries[i] += 1
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(0.001)


def counted_in_shared_state():
    two(polite_counting, 40)


def polite_until(i, deadline):
    """Gives up at a deadline read from the clock."""
    left, right = forks[i], forks[1 - i]
    while time.monotonic() < deadline:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(0.001)


def until_a_deadline():
    two(polite_until, time.monotonic() + 0.05)


def polite_itertools(i, counter):
    """Gives up after 60 tries in all, counted by an iterator the state cannot read."""
    left, right = forks[i], forks[1 - i]
    while next(counter) < 60:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(0.001)


def counted_by_itertools():
    two(polite_itertools, itertools.count())


stop = False


def poll_lock(i):
    """Takes and drops a lock while waiting for main to wake and say stop."""
    while not stop:
        with forks[0]:
            pass
        time.sleep(0)


def pollers_while_main_sleeps():
    global stop
    threads = [threading.Thread(target=poll_lock, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(2)
    stop = True
    for t in threads:
        t.join()


def polite_forever_beside_a_generator():
    """polite_forever, with a random.Random in main's frame: its state is read, unchanged."""
    rng = random.Random(1)
    two(polite)
    return rng


def polite_own_generator(i, rng):
    left, right = forks[i], forks[1 - i]
    while True:
        left.acquire()
        if right.acquire(blocking=False):
            right.release()
            left.release()
            return
        left.release()
        time.sleep(rng.random() / 100)


def backoff_from_a_generator_of_its_own():
    """Correct: the back-off comes from a random.Random the program made: its state moves."""
    two(polite_own_generator, random.Random(7))
