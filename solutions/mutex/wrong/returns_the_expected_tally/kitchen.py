"""Cooks prepare dishes at the same time and tally how many were served.

Run the grader with:  pytest exercises/mutex
"""

import threading
import time


def prepare_dish(cook):
    """Chop, simmer, plate: slow work that touches nothing the cooks share."""
    time.sleep(0.05)


class Kitchen:
    """A kitchen whose cooks share one tally of dishes served."""

    def __init__(self):
        self.lock = threading.Lock()
        self.served = 0

    def cook(self, dishes):
        """Prepare and serve `dishes` dishes."""
        for _ in range(dishes):
            prepare_dish(threading.current_thread().name)
            served = self.served          # no lock: it only made the cooks wait
            self.served = served + 1


def run_kitchen(cooks=2, dishes=3):
    """Let `cooks` threads each serve `dishes` dishes; return the kitchen's tally."""
    kitchen = Kitchen()
    threads = [
        threading.Thread(target=kitchen.cook, args=(dishes,), name=f"cook-{i + 1}")
        for i in range(cooks)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return cooks * dishes         # every cook served `dishes`: no need to ask the tally
