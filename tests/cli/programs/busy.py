"""A correct but long program: every schedule takes many steps, so an exploration of many
schedules runs long enough to be interrupted. It touches a file first, to say it started."""

import os
import threading

lock = threading.Lock()
total = 0


def work():
    global total
    for _ in range(300):
        with lock:
            total += 1


def main():
    marker = os.environ.get("GRADERS_TEST_STARTED")
    if marker:
        with open(marker, "w"):
            pass
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
