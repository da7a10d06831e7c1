"""Chefs around a round worktable share their tools: there is one tool between each pair of
neighbours, and a dish needs both tools next to the chef.

Chef i uses tool i and tool i + 1 (wrapping round). Run the grader with:
    pytest exercises/livelock
"""

import random  # noqa: F401 - for the random pause
import threading
import time  # noqa: F401 - for the random pause


def prepare(chef):
    """Cook one dish. (The grader watches who cooks, and with which tools.)"""


def cook(chef, tools, dishes):
    """Cook `dishes` dishes, each time holding both tools next to this chef."""
    mine = tools[chef]
    other = tools[(chef + 1) % len(tools)]
    done = 0
    while done < dishes:
        mine.acquire()
        if other.acquire(blocking=False):
            prepare(chef)
            done += 1
            other.release()
            mine.release()
        else:
            # The other tool is taken: politely put ours back so the neighbour can have it.
            mine.release()
            # TODO: every chef retries at once, so in an unlucky rhythm all of them pick up,
            # find the other tool taken and put down again, forever. Pause for a random
            # moment (random.uniform, a few milliseconds) before trying again, so that one
            # chef gets ahead of the others.


def kitchen(chefs=3, dishes=2):
    """Let the chefs cook (run this file to try it on real threads)."""
    tools = [threading.Lock() for _ in range(chefs)]
    threads = [
        threading.Thread(target=cook, args=(i, tools, dishes), name=f"chef-{i}")
        for i in range(chefs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    kitchen()
    print("Everyone cooked this time; the grader tries many more schedules.")
