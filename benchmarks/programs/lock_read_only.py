"""Buggy: the lock covers only the read of the stock, not the write back."""

import threading

stock = 10
stock_lock = threading.Lock()


def picker(n):
    global stock
    for _ in range(n):
        with stock_lock:
            seen = stock
        stock = seen - 1


def main():
    pickers = [threading.Thread(target=picker, args=(2,), name=f"picker-{i}") for i in range(2)]
    for t in pickers:
        t.start()
    for t in pickers:
        t.join()
    assert stock == 6, f"Lost update: 4 items picked from 10, but the stock says {stock}"
