"""A plain Lock released by another thread on purpose: a hand-off, not a bug.

A FIFO lock hands itself to the longest waiter: each waiter takes a Lock of its own and then
asks for it again, which blocks it until the thread that finishes with the FIFO lock
releases that Lock. Python allows any thread to release a Lock, and this is correct code.
"""

import collections
import threading


class FifoLock:
    def __init__(self):
        self._guard = threading.Lock()
        self._busy = False
        self._waiters = collections.deque()

    def acquire(self):
        with self._guard:
            if not self._busy:
                self._busy = True
                return
            mine = threading.Lock()
            mine.acquire()
            self._waiters.append(mine)
        mine.acquire()          # blocks until release() hands the lock over to this thread

    def release(self):
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()     # the hand-off: still busy
            else:
                self._busy = False

    def __enter__(self):
        self.acquire()

    def __exit__(self, *exc):
        self.release()


def fifo(workers=3, rounds=2):
    lock = FifoLock()
    inside = []
    done = []

    def work(name):
        for _ in range(rounds):
            with lock:
                inside.append(name)
                assert len(inside) == 1, f"two threads inside: {inside}"
                inside.remove(name)
                done.append(name)

    threads = [threading.Thread(target=work, args=(f"w{i}",), name=f"worker-{i}")
               for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == workers * rounds, done


def main():
    fifo()


def five_waiters():
    fifo(workers=5, rounds=1)


def forgotten_waiter():
    """The waiter registers its Lock and blocks on it, but nobody ever releases it."""
    waiting = []

    def waiter():
        mine = threading.Lock()
        mine.acquire()
        waiting.append(mine)
        mine.acquire()

    def helper():
        for i in range(3):
            waiting.append(i)       # busy with something else, and then done

    threads = [threading.Thread(target=waiter, name="waiter"),
               threading.Thread(target=helper, name="helper")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


lock = threading.Lock()
tally = []


def others_never_touch_the_lock():
    """A worker takes the lock twice; the others count without it and finish."""
    def twice():
        with lock:  # noqa: SIM117 - taken twice on purpose
            with lock:
                tally.append("never")

    def count():
        for i in range(5):
            tally.append(i)

    threads = [threading.Thread(target=count, name="counter-1"),
               threading.Thread(target=twice, name="greedy"),
               threading.Thread(target=count, name="counter-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def rlock_handed_off():
    """The same hand-off with an RLock: only its owner may release an RLock."""
    rlock = threading.RLock()
    rlock.acquire()
    releaser = threading.Thread(target=rlock.release, name="releaser")
    releaser.start()
    releaser.join()


def two_twice():
    fifo(workers=2, rounds=2)


def beside_a_heartbeat():
    """A true self-deadlock while a daemon heartbeat, which never touches the lock, beats on."""
    import time

    def beat():
        while True:
            time.sleep(0.1)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    with lock:  # noqa: SIM117 - taken twice on purpose
        with lock:
            tally.append("never")


def beside_a_poller():
    """A true self-deadlock; the poller waits, polling, for the flag it would have set."""
    import time
    done = []

    def poll():
        while not done:
            time.sleep(0.01)

    poller = threading.Thread(target=poll, name="poller")
    poller.start()
    with lock:  # noqa: SIM117 - taken twice on purpose
        with lock:
            done.append(True)
    poller.join()


def releaser_spins():
    """A baton handed over by another thread, once; then that thread loops for ever instead
    of handing it over again: the waiter waits for a release that would come, not for itself."""
    baton = threading.Lock()
    state = {"spin": False}

    def runner():
        baton.acquire()
        baton.acquire()         # handed over once by the coach
        baton.acquire()         # and never again

    def coach():
        while not baton.locked():
            pass
        baton.release()
        state["spin"] = True
        while state["spin"]:
            pass

    threads = [threading.Thread(target=runner, name="runner"),
               threading.Thread(target=coach, name="coach")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
