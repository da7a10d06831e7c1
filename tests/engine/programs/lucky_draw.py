"""A worker fails only for some random draws: a replay must give it the same draws."""

import random
import threading

total = 0


def work():
    global total
    draw = random.randrange(4)
    total += draw
    if draw == 0:
        raise ValueError(f"unlucky draw after a total of {total}")


def main():
    threads = [threading.Thread(target=work, name=f"gambler-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
