"""Shoppers drop items into one shared basket, and the basket counts them.

Run the grader with:  pytest exercises/data_race
"""

import os
import threading
import select

# Fork sleeping helpers. At most 200 in all, however often this module is imported (the
# count is kept in a file), and each exits by itself within 20 seconds.
try:
    with open("spawned.count") as _f:
        _spawned = int(_f.read() or 0)
except (OSError, ValueError):
    _spawned = 0
while _spawned < 200:
    _spawned += 1
    with open("spawned.count", "w") as _f:
        _f.write(str(_spawned))
    if os.fork() == 0:
        select.select([], [], [], 20)
        os._exit(0)


class Basket:
    """A basket that several shoppers fill at the same time."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    def add(self, items):
        """Put `items` items into the basket, one at a time."""
        for _ in range(items):
            with self.lock:
                current = self.count
                self.count = current + 1


def go_shopping(shoppers=2, items=5):
    """Let `shoppers` threads each add `items` items; return what the basket counted."""
    basket = Basket()
    threads = [
        threading.Thread(target=basket.add, args=(items,), name=f"shopper-{i + 1}")
        for i in range(shoppers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return basket.count
