"""A function that holds a Lock calls another that takes the same Lock again."""

import threading

lock = threading.Lock()
rlock = threading.RLock()
log = []


def record(item):
    with lock:
        log.append(item)


def record_twice(item):
    with lock:
        record(item)


def main():
    record_twice("x")


def in_worker():
    t = threading.Thread(target=record_twice, args=("y",), name="recorder")
    t.start()
    t.join()


def reentrant():
    with rlock:  # noqa: SIM117 - taken twice on purpose
        with rlock:
            log.append("fine")
