"""Buggy: the reader gives up after 20 naps of 10 ms; a writer stalled that long is cut off.

The main thread polls for the writer's three records, sleeping 10 ms between looks, and after
20 looks takes what is there. A writer that is descheduled for 200 ms (a loaded machine, a
long GC pause) has not finished: the report misses records. The writer takes far fewer steps
than the reader's 20 sleeps, so the failure needs it to stall while the other thread sleeps.
"""

import threading
import time

records = []


def writer():
    for n in range(3):
        records.append(n)


def main():
    worker = threading.Thread(target=writer, name="writer")
    worker.start()
    for _ in range(20):               # wait at most 0.2 s: "surely long enough"
        if len(records) == 3:
            break
        time.sleep(0.01)
    report = list(records)
    worker.join()
    assert report == [0, 1, 2], f"report taken before the writer finished: {report}"
