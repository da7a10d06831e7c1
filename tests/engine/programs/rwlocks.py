"""readerwriterlock programs: correct ones for each lock kind, and one that skips the lock."""

import threading

from readerwriterlock import rwlock


def exercise(kind, writer_uses_lock=True):
    lock = getattr(rwlock, kind)()
    pair = {"x": 0, "y": 0}
    seen = []

    def writer():
        for n in range(1, 3):
            if writer_uses_lock:
                with lock.gen_wlock():
                    pair["x"] = n
                    pair["y"] = n
            else:
                pair["x"] = n
                pair["y"] = n

    def reader():
        with lock.gen_rlock():
            seen.append((pair["x"], pair["y"]))

    def timed_reader():
        r = lock.gen_rlock()
        if r.acquire(blocking=True, timeout=5):
            try:
                seen.append((pair["x"], pair["y"]))
            finally:
                r.release()

    threads = [threading.Thread(target=writer, name="writer"),
               threading.Thread(target=reader, name="reader-0"),
               threading.Thread(target=reader, name="reader-1"),
               threading.Thread(target=timed_reader, name="reader-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(x == y for x, y in seen), f"a reader saw a half-written pair: {seen}"
    assert pair == {"x": 2, "y": 2}, f"final pair {pair}"


def read_preferring():
    exercise("RWLockRead")


def write_preferring():
    exercise("RWLockWrite")


def fair():
    exercise("RWLockFair")


def writer_skips_lock():
    exercise("RWLockFair", writer_uses_lock=False)


def downgrade():
    lock = rwlock.RWLockFairD()
    value = [0]

    def writer():
        w = lock.gen_wlock()
        w.acquire()
        value[0] += 1
        r = w.downgrade()
        assert value[0] >= 1
        r.release()

    ts = [threading.Thread(target=writer) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert value[0] == 2, value
