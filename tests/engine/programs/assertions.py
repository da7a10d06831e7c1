"""The program's own assert statements, in the main thread and in a worker."""

import threading

stock = {"apples": 2}


def bare():
    x = len(stock) + 1
    assert x == 3


def with_message():
    total = sum(stock.values())
    assert total == 3, f"expected 3 items, counted {total}"


def in_worker():
    t = threading.Thread(target=with_message, name="auditor")
    t.start()
    t.join()


def raised_by_hand():
    raise AssertionError("not an assert statement")


def fine():
    return sum(stock.values())
