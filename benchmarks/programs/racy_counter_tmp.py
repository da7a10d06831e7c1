"""Buggy: two tellers copy the total, add one and write it back (tmp = x; x = tmp + 1), unlocked."""

import threading

total = 0


def teller(rounds):
    global total
    for _ in range(rounds):
        tmp = total
        total = tmp + 1


def main():
    tellers = [threading.Thread(target=teller, args=(3,), name=f"teller-{i}") for i in range(2)]
    for t in tellers:
        t.start()
    for t in tellers:
        t.join()
    assert total == 6, f"Lost update: expected a total of 6, got {total}"
