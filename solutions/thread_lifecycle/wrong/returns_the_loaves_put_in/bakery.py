"""A bakery whose ovens bake in background threads while the shop goes on.

Run the grader with:  pytest exercises/thread_lifecycle
"""

import threading
import time


def bake(tray, loaves, baked):
    """Bake `loaves` loaves on `tray`, then put the count in `baked[tray]`."""
    for _ in range(loaves):
        time.sleep(0.01)          # in the oven
    baked[tray] = loaves


def bake_one_tray(loaves):
    """Part 1: bake one tray in an oven thread; return how many loaves came out."""
    baked = {}
    oven = threading.Thread(target=bake, args=("tray-1", loaves, baked), name="oven-1")
    oven.start()
    return loaves                 # what went into the oven is what comes out: no need to wait


def bake_two_trays(loaves):
    """Part 2: bake two trays at the same time, one oven thread each; return `baked`."""
    baked = {}
    ovens = [threading.Thread(target=bake, args=(f"tray-{i}", loaves, baked), name=f"oven-{i}")
             for i in (1, 2)]
    for oven in ovens:
        oven.start()              # both ovens are on before we wait for either
    for oven in ovens:
        oven.join()
    return baked


def bake_batches(batches, loaves):
    """Part 3: bake `batches` batches one after another, each in an oven thread; return the
    number of loaves baked in all."""
    baked = {}
    total = 0
    for _ in range(batches):
        oven = threading.Thread(target=bake, args=("tray", loaves, baked), name="oven")
        oven.start()              # a new thread each time: a thread starts only once
        oven.join()
        total += baked["tray"]
    return total


if __name__ == "__main__":
    print("one tray:", bake_one_tray(3), "loaves")
    print("two trays:", bake_two_trays(3))
    print("three batches:", bake_batches(3, 2), "loaves")
