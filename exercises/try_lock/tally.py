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
    for ballot in box:
        vote = read_ballot(ballot)
        # TODO: while another clerk writes on the board, this clerk stands and waits here,
        # although it still has ballots to read. Keep the ballots read so far in a pile of
        # your own. Try the lock without waiting: board.lock.acquire(blocking=False) returns
        # True (you hold it: post the pile, empty it, release) or False at once (go on
        # reading).
        with board.lock:
            board.post([vote])
    # TODO: with nothing left to read, waiting for the lock is fine: post what is still in
    # your pile.


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
