"""A prime census: count the primes in blocks of numbers, on several CPU cores at once.

Run the grader with:  pytest exercises/threads_processes
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def count_primes(block):
    """How many primes lie in block = (start, stop): start included, stop excluded.

    Pure CPU work: no waiting, no input or output. Do not change this function.
    """
    start, stop = block
    count = 0
    for n in range(max(start, 2), stop):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            count += 1
    return count


# ---------------------------------------------------------------- part 1: a pool of workers
def census(blocks, workers=4):
    """Count the primes of every block, `workers` at a time; return the counts in order."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(count_primes, blocks))


# ---------------------------------------------------------------- part 2: clerks and queues
STOP = None  # what the office puts in the inbox to tell a clerk that the work is over


def clerk(inbox, outbox):
    """A worker process: take (index, block) from inbox, put (index, count) in outbox."""
    while True:
        job = inbox.get()
        if job is STOP:
            break
        index, block = job
        outbox.put((index, count_primes(block)))


def census_office(blocks, workers=4):
    """Start `workers` clerk processes, hand out the blocks, collect the counts in order."""
    inbox = multiprocessing.Queue()
    outbox = multiprocessing.Queue()
    clerks = [
        multiprocessing.Process(target=clerk, args=(inbox, outbox), name=f"clerk-{i + 1}")
        for i in range(workers)
    ]
    for c in clerks:
        c.start()
    for index, block in enumerate(blocks):
        inbox.put((index, block))
    counts = [None] * len(blocks)
    for _ in blocks:
        index, count = outbox.get()
        counts[index] = count
    for c in clerks:
        c.terminate()
    return counts
