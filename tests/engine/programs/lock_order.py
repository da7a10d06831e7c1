"""Two threads take the same two locks in opposite orders."""

import threading

lock_a = threading.Lock()
lock_b = threading.Lock()
gate = threading.Lock()


def a_then_b():
    with lock_a, lock_b:
        pass


def b_then_a():
    with lock_b, lock_a:
        pass


def gated(first, second):
    with gate, first, second:
        pass


def serialized():
    """One thread finishes before the other starts, so no run can deadlock."""
    t1 = threading.Thread(target=a_then_b, name="forward")
    t1.start()
    t1.join()
    t2 = threading.Thread(target=b_then_a, name="backward")
    t2.start()
    t2.join()


def concurrent():
    threads = [threading.Thread(target=a_then_b, name="forward"),
               threading.Thread(target=b_then_a, name="backward")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def with_gate():
    """The same opposite orders, but under a common gate lock: no deadlock is possible."""
    threads = [threading.Thread(target=gated, args=(lock_a, lock_b), name="forward"),
               threading.Thread(target=gated, args=(lock_b, lock_a), name="backward")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
