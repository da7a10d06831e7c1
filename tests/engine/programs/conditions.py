"""Condition scenarios: each function returns what it saw, as plain data."""

import threading


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as 'Type: message'."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def errors_without_lock():
    cond = threading.Condition()
    return [
        outcome(cond.wait),
        outcome(cond.wait, 0.01),
        outcome(cond.notify),
        outcome(cond.notify_all),
        outcome(cond.wait_for, lambda: False, 0.01),
        outcome(cond.wait_for, lambda: "already"),
    ]


def errors_with_plain_lock():
    cond = threading.Condition(threading.Lock())
    return [outcome(cond.wait, 0.01), outcome(cond.notify)]


def wait_timeout_nobody_notifies():
    cond = threading.Condition()
    with cond:
        first = cond.wait(timeout=0.01)
        zero = cond.wait(0)
    return [first, zero]


def wait_notified():
    cond = threading.Condition()
    ready = []
    results = []

    def waiter():
        with cond:
            ready.append(True)
            results.append(cond.wait())

    t = threading.Thread(target=waiter)
    t.start()
    with cond:
        while not ready:
            cond.wait(0.01)
        cond.notify()
    t.join()
    return results


def wait_for_predicate():
    cond = threading.Condition(threading.Lock())
    items = []

    def producer():
        for i in range(3):
            with cond:
                items.append(i)
                cond.notify()

    t = threading.Thread(target=producer)
    t.start()
    with cond:
        got = cond.wait_for(lambda: len(items) == 3)
    t.join()
    with cond:
        timed_out = cond.wait_for(lambda: len(items) == 4, timeout=0.01)
        already = cond.wait_for(lambda: items[-1], timeout=0.01)
    return [got, timed_out, already, items]


def notify_all_wakes_everyone():
    cond = threading.Condition()
    waiting = [0]
    go = [False]
    woke = []

    def waiter(i):
        with cond:
            waiting[0] += 1
            cond.notify_all()
            while not go[0]:
                cond.wait()
            woke.append(i)

    ts = [threading.Thread(target=waiter, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    with cond:
        cond.wait_for(lambda: waiting[0] == 3)
        go[0] = True
        cond.notify_all()
    for t in ts:
        t.join()
    return sorted(woke)


def notify_n():
    """notify(2) wakes at most two of three waiters; the third needs another notify."""
    cond = threading.Condition()
    waiting = [0]
    tickets = [0]
    served = []

    def waiter(i):
        with cond:
            waiting[0] += 1
            cond.notify_all()
            while tickets[0] == 0:
                cond.wait()
            tickets[0] -= 1
            served.append(i)
            cond.notify_all()

    ts = [threading.Thread(target=waiter, args=(i,)) for i in range(3)]
    for t in ts:
        t.start()
    with cond:
        cond.wait_for(lambda: waiting[0] == 3)
        tickets[0] = 2
        cond.notify(2)
    with cond:
        cond.wait_for(lambda: len(served) == 2)
        first_round = len(served)
        tickets[0] = 1
        cond.notify()
    for t in ts:
        t.join()
    return [first_round, sorted(served)]


def rlock_condition_keeps_depth():
    """wait() on an RLock-based condition releases every level and restores them all."""
    lock = threading.RLock()
    cond = threading.Condition(lock)
    seen = []

    def other():
        with cond:
            seen.append("other took the lock")
            cond.notify()

    lock.acquire()
    lock.acquire()
    t = threading.Thread(target=other)
    t.start()
    while not seen:
        cond.wait()
    lock.release()
    lock.release()
    third = outcome(lock.release)
    t.join()
    return [seen, third]
