"""Buggy: depth 4: two threads add each other's totals; only exact alternation overflows.

After SV-COMP's pthread ``fib_bench``: each thread adds the other's number to its own, after
some bookkeeping of different lengths. The limit is passed only when the five updates
strictly alternate (i, j, i, j, i), which needs four switches, each at one exact point, after
the shorter warm-up has been held back.
"""

import threading

i, j = 1, 1
work = {"i": 0, "j": 0}
WARMUP_J = 12


def bookkeeping(who, rounds):
    for k in range(rounds):
        work[who] += k


def grow_i():
    global i
    bookkeeping("i", 20)
    for _ in range(3):
        i += j


def grow_j():
    global j
    bookkeeping("j", WARMUP_J)
    for _ in range(2):
        j += i


def main():
    threads = [threading.Thread(target=grow_i, name="grow-i"),
               threading.Thread(target=grow_j, name="grow-j")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert i < 13, f"i reached {i} (j = {j}): the limit is 12"
