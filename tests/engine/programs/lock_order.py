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


room = threading.Lock()
count_lock = threading.Lock()
readers = [0]


def read():
    """The room's lock, taken by the first reader in for all readers and given back by the
    last one out: under count_lock on the way in and on the way out, yet no cycle can close
    (a reader that waits for the room holds count_lock only while no reader is inside)."""
    with count_lock:
        readers[0] += 1
        if readers[0] == 1:
            room.acquire()
    with count_lock:
        readers[0] -= 1
        if readers[0] == 0:
            room.release()


def write():
    with room:
        pass


def readers_share_a_room():
    """Two readers and a writer: in a run where one reader is first in and last out, its
    locks look taken in a cycle with the other's; in another, the last one out releases
    the lock the first one took."""
    threads = [threading.Thread(target=read, name=f"reader-{i}") for i in range(2)]
    threads.append(threading.Thread(target=write, name="writer"))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
