"""Correct: two shoppers add to one count while holding a shared Lock."""

import threading

count = 0
count_lock = threading.Lock()


def shop(n):
    global count
    for _ in range(n):
        with count_lock:
            count += 1


def main():
    threads = [threading.Thread(target=shop, args=(3,), name=f"shopper-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count == 6, f"Lost update: expected 6 items, counted {count}"
