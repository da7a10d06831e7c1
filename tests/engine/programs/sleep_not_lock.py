"""The main thread sleeps 'long enough' instead of waiting for the worker."""

import threading
import time

result = []


def compute():
    total = 0
    for i in range(3):
        total += i
    result.append(total)


def main():
    t = threading.Thread(target=compute, name="worker", daemon=True)
    t.start()
    time.sleep(1)
    assert result == [3], f"the worker had not finished after the sleep: {result}"


def fixed():
    t = threading.Thread(target=compute, name="worker")
    t.start()
    t.join()
    assert result == [3], result
