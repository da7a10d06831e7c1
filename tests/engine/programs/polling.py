"""Correct programs that poll: they wait with sleeps or timeouts in a loop."""

import queue
import threading
import time

done = False
results = queue.Queue()


def finish():
    global done
    done = True


def sleep_until_done():
    t = threading.Thread(target=finish, name="finisher")
    t.start()
    while not done:
        time.sleep(0.01)
    t.join()


def produce():
    for i in range(3):
        results.put(i)


def get_with_timeouts():
    t = threading.Thread(target=produce, name="producer")
    t.start()
    got = []
    while len(got) < 3:
        try:
            item = results.get(timeout=0.05)
        except queue.Empty:
            continue
        got.append(item)
    t.join()
    assert got == [0, 1, 2], got


spinning = True


def spin_while_flag():
    while spinning:
        pass


def main_sleeps_while_others_spin():
    """Issue 13: two threads spin on a flag while main sleeps 3 s, then clears it."""
    global spinning
    threads = [threading.Thread(target=spin_while_flag, name=f"spinner-{i}") for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(3)
    spinning = False
    for t in threads:
        t.join()
