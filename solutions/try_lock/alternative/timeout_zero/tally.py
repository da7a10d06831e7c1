"""Clerks read ballots at the same time and post them on one shared tally board.

Run the grader with:  pytest exercises/try_lock
"""

import threading
import time


def read_ballot(ballot):
    """Unfold and read one ballot: slow work that touches nothing the clerks share."""
    time.sleep(0.01)
    return ballot


class TallyBoard:
    """The board every clerk posts to. Only one clerk may write on it at a time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.posted = []

    def post(self, ballots):
        """Write `ballots` on the board. The caller must hold self.lock."""
        self.posted.extend(ballots)


def clerk(board, box):
    """Read every ballot in `box` and post each one on the board exactly once."""
    pile = []
    for ballot in box:
        vote = read_ballot(ballot)
        pile.append(vote)
        if board.lock.acquire(timeout=0):
            try:
                board.post(pile)
            finally:
                board.lock.release()
            pile = []
    if pile:
        with board.lock:
            board.post(pile)


def count_ballots(boxes):
    """One clerk per box, all at once; return everything posted on the board."""
    board = TallyBoard()
    threads = [
        threading.Thread(target=clerk, args=(board, box), name=f"clerk-{i + 1}")
        for i, box in enumerate(boxes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return board.posted
