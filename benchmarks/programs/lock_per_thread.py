"""Buggy: each worker makes its own Lock, so the locks exclude nobody and updates are lost."""

import threading

hits = {"page": 0}


def visitor(rounds):
    guard = threading.Lock()          # a new lock per thread: protects nothing
    for _ in range(rounds):
        with guard:
            hits["page"] += 1


def main():
    visitors = [threading.Thread(target=visitor, args=(3,), name=f"visitor-{i}")
                for i in range(2)]
    for t in visitors:
        t.start()
    for t in visitors:
        t.join()
    assert hits["page"] == 6, f"Lost update: expected 6 hits, counted {hits['page']}"
