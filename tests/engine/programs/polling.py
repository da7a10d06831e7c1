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
