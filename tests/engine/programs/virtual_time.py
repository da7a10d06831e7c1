"""Scenarios about time: sleeps and clocks are virtual while the engine explores."""

import threading
import time


def huge_sleep():
    time.sleep(10**9)
    return "woke"


def monotonic_advances_by_sleep():
    m0, t0, p0 = time.monotonic(), time.time(), time.perf_counter()
    n0 = time.monotonic_ns()
    time.sleep(5)
    m1, t1, p1 = time.monotonic(), time.time(), time.perf_counter()
    n1 = time.monotonic_ns()
    time.sleep(0)
    time.sleep(0.25)
    m2 = time.monotonic()
    return [m1 - m0, t1 - t0, p1 - p0, n1 - n0, m2 - m1, time.monotonic() - m2]


def negative_sleep():
    try:
        time.sleep(-1)
    except ValueError as exc:
        return str(exc)
    return "no error"


def sleeping_threads_wake_in_order():
    woke = []

    def sleeper(secs):
        time.sleep(secs)
        woke.append(secs)

    ts = [threading.Thread(target=sleeper, args=(s,)) for s in (3, 1, 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return woke


def timeouts_cost_virtual_time():
    lock = threading.Lock()
    lock.acquire()
    start = time.monotonic()
    got = lock.acquire(timeout=30)
    waited = time.monotonic() - start
    ev = threading.Event()
    ev.wait(100)
    return [got, waited, time.monotonic() - start]


def long_sleeps_in_threads():
    def nap():
        for _ in range(3):
            time.sleep(10**6)

    ts = [threading.Thread(target=nap) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return "done"


records = []


def _write_three():
    for n in range(3):
        records.append(n)


def gives_up_after_twenty_naps():
    """A writer stalled while the reader completes 20 sleeps: the reader gives up early."""
    worker = threading.Thread(target=_write_three, name="writer")
    worker.start()
    for _ in range(20):
        if len(records) == 3:
            break
        time.sleep(0.01)
    report = list(records)
    worker.join()
    assert report == [0, 1, 2], f"report taken before the writer finished: {report}"


flag = False


def _raise_flag():
    global flag
    flag = True


def spins_on_a_worker_with_nobody_asleep():
    """Correct: main spins until the worker sets a flag. Nobody sleeps, so a stall of the
    worker cannot be measured in sleeps: it must still end."""
    worker = threading.Thread(target=_raise_flag, name="worker")
    worker.start()
    while not flag:
        pass
    worker.join()


def waits_for_the_worker_to_finish_after_a_nap():
    """Correct: main naps, then joins: however long the worker stalls, it is waited for."""
    worker = threading.Thread(target=_write_three, name="writer")
    worker.start()
    time.sleep(0.05)
    worker.join()
    assert records == [0, 1, 2], records


def joins_in_short_slices():
    """Correct: main gives the worker 1 s to finish, in short joins (as a check may). A
    stalled worker is being waited for: its stall ends, and each join expires only after it
    had its chance to run."""
    worker = threading.Thread(target=_write_three, name="writer")
    worker.start()
    start = time.monotonic()
    while worker.is_alive() and time.monotonic() < start + 1.0:
        worker.join(0.05)
    assert not worker.is_alive(), "the writer was still running 1 s later"


def barrier_timeout_against_a_sleeper():
    """A party that waits at a barrier with a timeout gives up (and breaks it for the other)
    when the other comes later than that, in virtual time; not when it comes sooner."""
    seen = []
    for late in (60, 10):
        barrier = threading.Barrier(2)
        start = time.monotonic()

        def slow(late=late, barrier=barrier, start=start):
            time.sleep(late)
            try:
                barrier.wait()
                seen.append(f"slow passed at {time.monotonic() - start:g}")
            except threading.BrokenBarrierError:
                seen.append(f"slow found it broken at {time.monotonic() - start:g}")

        t = threading.Thread(target=slow)
        t.start()
        try:
            barrier.wait(timeout=30)
            seen.append(f"waiter passed at {time.monotonic() - start:g}")
        except threading.BrokenBarrierError:
            seen.append(f"waiter gave up at {time.monotonic() - start:g}")
        t.join()
    return sorted(seen[:2]) + sorted(seen[2:])


def clocks_across(change):
    """Each clock's reading over a second's sleep and then ``change()``."""
    t0, p0, m0, n0 = time.time(), time.perf_counter(), time.monotonic(), time.time_ns()
    time.sleep(1)
    change()
    return [time.time() - t0, time.perf_counter() - p0, time.monotonic() - m0,
            time.time_ns() - n0]
