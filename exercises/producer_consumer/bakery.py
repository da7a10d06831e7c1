"""Bakers put fresh loaves on a rack; packers take them off and pack them.

Run the grader with:  pytest exercises/producer_consumer
"""

import queue
import threading
import time

STOP = None   # the message that tells a packer there is no more bread to come


def bake(baker, number):
    """Bake loaf `number` of `baker` (it takes a moment) and return it."""
    time.sleep(0.002)
    return f"loaf {number} of baker {baker}"


def pack(packer, loaf):
    """Pack `loaf` in a bag (it takes a little longer than baking)."""
    time.sleep(0.003)


def baker(rack, me, loaves):
    """Bake `loaves` loaves, putting each on the rack as soon as it is out of the oven."""
    for number in range(loaves):
        rack.put(bake(me, number))


def packer(rack, me):
    """Take loaves off the rack and pack them, until told that no more will come."""
    while True:
        loaf = rack.get()
        if loaf is STOP:
            return
        pack(me, loaf)


def run_bakery(bakers, packers, loaves, rack_size):
    """`bakers` threads bake `loaves` loaves each onto a rack with room for `rack_size`
    loaves; `packers` threads pack them. Return once every loaf is packed and every thread
    has stopped."""
    # TODO: the rack has room for rack_size loaves only: a baker with a loaf for a full
    # rack must wait until a packer has taken one off.
    rack = queue.Queue()
    baking = [threading.Thread(target=baker, args=(rack, i, loaves), name=f"baker-{i}")
              for i in range(bakers)]
    packing = [threading.Thread(target=packer, args=(rack, i), name=f"packer-{i}")
               for i in range(packers)]
    for thread in baking + packing:
        thread.start()
    for thread in baking:
        thread.join()
    # TODO: every packer must learn that no more bread will come, and only once all of it
    # is on the rack.
    rack.put(STOP)
    for thread in packing:
        thread.join()


if __name__ == "__main__":
    # The bakery runs in a daemon thread, so its own threads are daemons too: a bakery that
    # never closes cannot keep this demonstration from ending.
    day = threading.Thread(target=run_bakery, args=(3, 2, 20, 4), daemon=True)
    start = time.perf_counter()
    day.start()
    day.join(timeout=5)
    if day.is_alive():
        print("After 5 s the bakery has still not closed: a packer waits for bread that "
              "will never come.")
    else:
        print(f"60 loaves baked and packed in {time.perf_counter() - start:.2f} s.")
