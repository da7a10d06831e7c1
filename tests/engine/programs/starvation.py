"""A greedy thread lets go of a lock and takes it straight back; a modest one also wants it."""

import threading

lock = threading.Lock()
served = []


def greedy():
    take, give = lock.acquire, lock.release
    take()
    for _ in range(100):
        give()
        take()
    give()


def modest():
    for i in range(10):
        with lock:
            served.append(i)


def main():
    threads = [threading.Thread(target=greedy, name="greedy"),
               threading.Thread(target=modest, name="modest")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(served) == 10
