"""Buggy: a readerwriterlock cache checks for a key under the read lock, inserts it later."""

import threading

from readerwriterlock import rwlock

lock = rwlock.RWLockFair()
cache = {}
builds = []


def get(key):
    with lock.gen_rlock():
        present = key in cache
    if not present:                   # decided outside any lock
        with lock.gen_wlock():
            builds.append(key)
            cache[key] = key.upper()
    with lock.gen_rlock():
        return cache[key]


def main():
    users = [threading.Thread(target=get, args=("home",), name=f"user-{i}") for i in range(2)]
    for t in users:
        t.start()
    for t in users:
        t.join()
    assert builds == ["home"], f"the page was built {len(builds)} times"
