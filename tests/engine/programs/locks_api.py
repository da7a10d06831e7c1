"""Lock and RLock scenarios: each function returns what it saw, as plain data."""

import threading


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as 'Type: message'."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def holder(lock, taken, release):
    """Take ``lock``, say so, and keep it until ``release`` is set."""
    def body():
        with lock:
            taken.set()
            release.wait()
    t = threading.Thread(target=body, name="holder")
    t.start()
    taken.wait()
    return t


def lock_nonblocking():
    lock = threading.Lock()
    first = lock.acquire(blocking=False)
    second = lock.acquire(False)
    locked = lock.locked()
    lock.release()
    return [first, second, locked, lock.locked()]


def lock_timeout():
    lock = threading.Lock()
    taken, release = threading.Event(), threading.Event()
    t = holder(lock, taken, release)
    got = lock.acquire(timeout=0.02)
    release.set()
    t.join()
    after = lock.acquire(timeout=0.02)
    lock.release()
    return [got, after]


def lock_bad_arguments():
    lock = threading.Lock()
    return [
        outcome(lock.acquire, False, 1),
        outcome(lock.acquire, timeout=-2),
        outcome(lock.acquire, True, -0.5),
        lock.locked(),
    ]


def lock_release_unlocked():
    lock = threading.Lock()
    first = outcome(lock.release)
    lock.acquire()
    lock.release()
    return [first, outcome(lock.release)]


def lock_released_by_other_thread():
    """A plain Lock may be released by any thread (the stdlib allows it)."""
    lock = threading.Lock()
    lock.acquire()
    t = threading.Thread(target=lock.release)
    t.start()
    t.join()
    return lock.locked()


def lock_context_manager():
    lock = threading.Lock()
    with lock as entered:
        inside = lock.locked()
    return [entered, inside, lock.locked()]


def lock_mutual_exclusion():
    lock = threading.Lock()
    count = [0]

    def add():
        for _ in range(3):
            with lock:
                count[0] += 1

    ts = [threading.Thread(target=add) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return count[0]


def rlock_reentry():
    lock = threading.RLock()
    got = [lock.acquire(), lock.acquire(), lock.acquire(blocking=False)]
    with lock:
        got.append("nested")
    lock.release()
    lock.release()
    lock.release()
    got.append(outcome(lock.release))
    return got


def rlock_release_by_non_owner():
    lock = threading.RLock()
    seen = []
    lock.acquire()

    def other():
        seen.append(outcome(lock.release))
        seen.append(lock.acquire(blocking=False))
        seen.append(lock.acquire(timeout=0.01))

    t = threading.Thread(target=other)
    t.start()
    t.join()
    lock.release()
    return seen


def rlock_bad_arguments():
    lock = threading.RLock()
    return [outcome(lock.acquire, False, 1), outcome(lock.acquire, timeout=-2)]
