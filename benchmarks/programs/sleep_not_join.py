"""Buggy: the main thread sleeps instead of joining and reads the result too early."""

import threading
import time

report = {}


def compute():
    total = 0
    for n in range(5):
        total += n
    report["sum"] = total


def main():
    worker = threading.Thread(target=compute, name="worker")
    worker.start()
    time.sleep(0.05)                  # "surely long enough"
    assert report.get("sum") == 10, f"report read too early: {report}"
    worker.join()
