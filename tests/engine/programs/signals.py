"""Semaphore, BoundedSemaphore, Event and Barrier scenarios, returning what they saw."""

import threading


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as 'Type: message'."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def semaphore_counts():
    sem = threading.Semaphore(2)
    got = [sem.acquire(), sem.acquire(blocking=False), sem.acquire(blocking=False),
           sem.acquire(timeout=0.01)]
    sem.release(2)
    got += [sem.acquire(False), sem.acquire(False), sem.acquire(False)]
    return got


def semaphore_bad_arguments():
    sem = threading.Semaphore(0)
    return [outcome(threading.Semaphore, -1), outcome(sem.acquire, False, 1),
            outcome(sem.release, 0), outcome(sem.acquire, timeout=0)]


def semaphore_limits_concurrency():
    sem = threading.Semaphore(2)
    lock = threading.Lock()
    inside = [0]
    most = [0]

    def worker():
        with sem:
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            with lock:
                inside[0] -= 1

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [most[0] <= 2, inside[0]]


def semaphore_wakes_waiter():
    sem = threading.Semaphore(0)
    got = []
    t = threading.Thread(target=lambda: got.append(sem.acquire()))
    t.start()
    sem.release()
    t.join()
    return got


def bounded_semaphore_too_many():
    sem = threading.BoundedSemaphore(2)
    sem.acquire()
    sem.release()
    return [outcome(sem.release), outcome(sem.release, 2)]


def event_basics():
    ev = threading.Event()
    got = [ev.is_set(), ev.wait(0.01), ev.wait(0)]
    ev.set()
    got += [ev.is_set(), ev.wait(), ev.wait(0.01)]
    ev.clear()
    got += [ev.is_set(), ev.wait(0.01)]
    return got


def event_wakes_all_waiters():
    ev = threading.Event()
    results = []
    lock = threading.Lock()

    def waiter():
        r = ev.wait()
        with lock:
            results.append(r)

    ts = [threading.Thread(target=waiter) for _ in range(3)]
    for t in ts:
        t.start()
    ev.set()
    for t in ts:
        t.join()
    return results


def barrier_indices_and_action():
    actions = []
    barrier = threading.Barrier(3, action=lambda: actions.append("tripped"))
    indices = []
    lock = threading.Lock()

    def party():
        for _ in range(2):
            i = barrier.wait()
            with lock:
                indices.append(i)

    ts = [threading.Thread(target=party) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [sorted(indices), actions, barrier.parties, barrier.n_waiting, barrier.broken]


def barrier_abort():
    barrier = threading.Barrier(3)
    errors = []
    lock = threading.Lock()

    def party():
        try:
            barrier.wait()
        except threading.BrokenBarrierError as exc:
            with lock:
                errors.append(type(exc).__name__)

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    while barrier.n_waiting < 2:
        threading.Event().wait(0.001)
    barrier.abort()
    for t in ts:
        t.join()
    late = outcome(barrier.wait)
    return [errors, barrier.broken, late]


def barrier_timeout_breaks():
    barrier = threading.Barrier(2)
    first = outcome(barrier.wait, 0.01)
    broken = barrier.broken
    barrier.reset()
    return [first, broken, barrier.broken]


def barrier_action_raises():
    def action():
        raise ValueError("action failed")

    barrier = threading.Barrier(2, action=action)
    seen = []
    lock = threading.Lock()

    def party():
        r = outcome(barrier.wait)
        with lock:
            seen.append(r)

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [sorted(seen), barrier.broken]


def event_pulse_wakes_waiter():
    """set() then clear() at once: a thread already waiting still returns True."""
    import time

    ev = threading.Event()
    got = []
    t = threading.Thread(target=lambda: got.append(ev.wait()))
    t.start()
    time.sleep(0.05)      # the waiter is parked in wait() by now (no other thread runs)
    ev.set()
    ev.clear()
    t.join()
    return got


def barrier_reset_while_waiting():
    barrier = threading.Barrier(3)
    errors = []
    lock = threading.Lock()

    def party():
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            with lock:
                errors.append("broken")

    ts = [threading.Thread(target=party) for _ in range(2)]
    for t in ts:
        t.start()
    while barrier.n_waiting < 2:
        threading.Event().wait(0.001)
    barrier.reset()
    for t in ts:
        t.join()
    return [errors, barrier.broken, barrier.n_waiting]
