"""Programs that leave a mess behind: the engine must still end every run promptly."""

import threading
import time

log = []


def nested(depth):
    log.append(depth)
    if depth < 3:
        children = [threading.Thread(target=nested, args=(depth + 1,)) for _ in range(2)]
        for c in children:
            c.start()
        for c in children:
            c.join()


def threads_start_threads():
    nested(0)
    assert len(log) == 15, log


def forever():
    while True:
        time.sleep(1)


def spin_forever():
    while True:
        log.append(1)
        log.pop()


def daemons_left_running():
    threading.Thread(target=forever, name="sleeper", daemon=True).start()
    threading.Thread(target=spin_forever, name="spinner", daemon=True).start()
    ev = threading.Event()
    threading.Thread(target=ev.wait, name="waiter", daemon=True).start()


def work():
    for _ in range(3):
        log.append(threading.current_thread().name)


def never_joined():
    for i in range(3):
        threading.Thread(target=work, name=f"loose-{i}").start()


def huge_sleeps():
    t = threading.Thread(target=time.sleep, args=(10**9,), name="napper")
    t.start()
    time.sleep(10**9)
    t.join()


def unfinished_executor():
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=2)
    for _ in range(3):
        pool.submit(work)
