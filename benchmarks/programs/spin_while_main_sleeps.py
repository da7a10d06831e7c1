"""Correct: two threads spin on a flag while main sleeps 3 s, then clears it and joins them.

The spinners are always runnable and main's sleep must still end: a schedule that never lets
the clock pass is not a livelock of the program (issue 13: lockstep once called it one).
"""

import threading
import time

spinning = True


def spin():
    while spinning:
        pass


def main():
    global spinning
    spinners = [threading.Thread(target=spin, name=f"spinner-{i}") for i in range(2)]
    for t in spinners:
        t.start()
    time.sleep(3)
    spinning = False
    for t in spinners:
        t.join()
