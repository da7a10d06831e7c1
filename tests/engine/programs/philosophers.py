"""Three philosophers each take their left fork, then their right one."""

import threading

forks = [threading.Lock() for _ in range(3)]


def dine(i, ordered):
    first, second = i, (i + 1) % 3
    if ordered and first > second:
        first, second = second, first
    with forks[first], forks[second]:
        pass


def main():
    threads = [threading.Thread(target=dine, args=(i, False), name=f"philosopher-{i}")
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def ordered():
    threads = [threading.Thread(target=dine, args=(i, True), name=f"philosopher-{i}")
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
