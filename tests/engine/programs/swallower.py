"""Threads whose bare 'except:' would also catch the engine's way of ending them."""

import threading
import time

ticks = []


def stubborn():
    while True:
        try:
            time.sleep(1)
            ticks.append(1)
        except:  # noqa: E722 - the point of this program
            ticks.append("swallowed")


def daemon_at_exit():
    threading.Thread(target=stubborn, name="stubborn", daemon=True).start()
    while len(ticks) < 3:
        time.sleep(0.5)


def worker_outlives_a_failure():
    threading.Thread(target=stubborn, name="stubborn", daemon=True).start()
    while len(ticks) < 2:
        time.sleep(0.5)
    raise AssertionError("the main thread fails while 'stubborn' keeps catching everything")
