"""Shoppers drop items into one shared basket, and the basket counts them.

Run the grader with:  pytest exercises/data_race
"""

import threading


class Basket:
    """A basket that several shoppers fill at the same time."""

    def __init__(self):
        self.count = 0

    def add(self, items):
        """Put `items` items into the basket, one at a time."""
        for _ in range(items):
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
    return shoppers * items   # every shopper added `items`: no need to ask the basket
