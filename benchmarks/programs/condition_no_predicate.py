"""Buggy: lost wakeup: Condition.wait() with no flag misses a notify sent before the wait."""

import threading

cond = threading.Condition()
result = []


def waiter():
    with cond:
        cond.wait()                   # no predicate: waits even if the news already came
        result.append("woke")


def notifier():
    with cond:
        result.append("news")
        cond.notify()


def main():
    threads = [threading.Thread(target=waiter, name="waiter"),
               threading.Thread(target=notifier, name="notifier")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert result == ["news", "woke"], f"result {result}"
