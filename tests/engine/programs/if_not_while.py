"""Consumers check 'if' instead of 'while' before Condition.wait."""

import threading

items = []
cond = threading.Condition()
taken = []


def consume_if():
    with cond:
        if not items:
            cond.wait()
        taken.append(items.pop())


def consume_while():
    with cond:
        while not items:
            cond.wait()
        taken.append(items.pop())


def produce():
    for i in range(2):
        with cond:
            items.append(i)
            cond.notify_all()


def run(consumer):
    threads = [threading.Thread(target=consumer, name=f"consumer-{i}") for i in range(2)]
    threads.append(threading.Thread(target=produce, name="producer"))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == [0, 1], taken


def main():
    run(consume_if)


def fixed():
    run(consume_while)
