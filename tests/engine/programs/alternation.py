"""Buggy only when two threads take strict turns: a bug five switches deep.

Each player first does chores of its own (a different number each), then writes its name
to the shared ``trail`` three times. The assertion fails only if the six writes alternate
exactly (``ababab`` or ``bababa``): the player with fewer chores must be held back until the
other is done with its chores, and then each write must be seen by the other player before
its next one. A random switch lands on all five points only rarely; handing the CPU over
right after each shared write hits them on every run.
"""

import threading

trail = ""
chores = {"a": 0, "b": 0}


def player(name, rounds):
    global trail
    for _ in range(rounds):
        chores[name] += 1
    for _ in range(3):
        trail += name


def main():
    players = [threading.Thread(target=player, args=("a", 14)),
               threading.Thread(target=player, args=("b", 4))]
    for p in players:
        p.start()
    for p in players:
        p.join()
    assert trail not in ("ababab", "bababa"), f"the turns alternated exactly: {trail}"
