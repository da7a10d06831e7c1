"""Buggy only when two threads take strict turns: a bug five switches deep.

Each player first does chores of its own (a different number each), then writes its name
to the shared trail three times. The assertion fails only if the six writes alternate
exactly (``ababab`` or ``bababa``): the player with fewer chores must be held back until the
other is done with its chores, and then each write must be seen by the other player before
its next one. A random switch lands on all five points only rarely; handing the CPU over
right after each shared write hits them often. The trail is a global in ``main``, an
attribute in ``on_an_attribute`` and a closure's cell in ``in_a_closure``.
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


def play(target):
    players = [threading.Thread(target=target, args=("a", 14)),
               threading.Thread(target=target, args=("b", 4))]
    for p in players:
        p.start()
    for p in players:
        p.join()


def judge(written):
    assert written not in ("ababab", "bababa"), f"the turns alternated exactly: {written}"


def main():
    play(player)
    judge(trail)


class Board:
    def __init__(self):
        self.trail = ""
        self.chores = {"a": 0, "b": 0}


def on_an_attribute():
    board = Board()

    def player_on_board(name, rounds):
        for _ in range(rounds):
            board.chores[name] += 1
        for _ in range(3):
            board.trail += name

    play(player_on_board)
    judge(board.trail)


def in_a_closure():
    written = ""
    done = {"a": 0, "b": 0}

    def player_in_closure(name, rounds):
        nonlocal written
        for _ in range(rounds):
            done[name] += 1
        for _ in range(3):
            written += name

    play(player_in_closure)
    judge(written)
