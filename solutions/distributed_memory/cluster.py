"""Programs for a cluster, in MPI: every rank runs this file. An SPMD sum of squares
(scatter, work on your own block, reduce), a swap of blocks between partner ranks, and a
manager that hands texts to workers (MPMD style).

Run it for real with:   mpiexec -n 4 python cluster.py
Run the grader with:    pytest exercises/distributed_memory
"""

from mpi4py import MPI

comm = MPI.COMM_WORLD
STOP = None    # the message that tells a worker there is no more work


def blocks(items, parts):
    """``items`` cut into ``parts`` blocks of consecutive items, in order, whose sizes differ
    by at most one."""
    size, extra = divmod(len(items), parts)
    cut = []
    start = 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        cut.append(items[start:stop])
        start = stop
    return cut


def sum_of_squares(numbers):
    """SPMD: every rank calls this. Rank 0 cuts ``numbers`` into one block per rank and
    scatters them; each rank adds up the squares of its block; the partial sums are reduced
    to rank 0, which returns the total (the other ranks return None)."""
    rank, size = comm.Get_rank(), comm.Get_size()
    parts = blocks(numbers, size) if rank == 0 else None
    mine = comm.scatter(parts, root=0)
    partial = sum(x * x for x in mine)
    return comm.reduce(partial, op=MPI.SUM, root=0)


def swap(numbers):
    """SPMD too: every rank takes its own block of ``numbers`` (its part of
    blocks(numbers, size)). Ranks 0 and 1 swap their blocks, so do ranks 2 and 3, and so
    on; each returns the block its partner had. A rank without a partner (the last of an
    odd number) keeps its own."""
    rank, size = comm.Get_rank(), comm.Get_size()
    block = blocks(numbers, size)[rank]
    partner = rank ^ 1                  # 0 <-> 1, 2 <-> 3, ...
    if partner >= size:
        return block
    if rank % 2 == 0:                   # the even partner sends first, the odd one receives
        comm.send(block, dest=partner)
        return comm.recv(source=partner)
    theirs = comm.recv(source=partner)
    comm.send(block, dest=partner)
    return theirs


def count_worker():
    """A worker: take (index, text) tasks from rank 0 until STOP; answer each with
    (index, number of words)."""
    while (task := comm.recv(source=0)) is not STOP:
        index, text = task
        comm.send((index, len(text.split())), dest=0)


def manager(texts):
    """Rank 0: hand the texts to the workers, one at a time, the next one to whoever
    answers first; return each text's number of words."""
    workers = range(1, comm.Get_size())
    tasks = list(enumerate(texts))      # (index, text): the index travels with its text
    counts = [None] * len(texts)
    busy = 0
    for worker in workers:              # a first task for every worker, while there are some
        if tasks:
            comm.send(tasks.pop(0), dest=worker)
            busy += 1
    status = MPI.Status()
    while busy:
        index, count = comm.recv(source=MPI.ANY_SOURCE, status=status)
        counts[index] = count
        if tasks:                       # more work for the worker that just answered
            comm.send(tasks.pop(0), dest=status.Get_source())
        else:
            busy -= 1
    for worker in workers:
        comm.send(STOP, dest=worker)
    return counts


def count_words(texts):
    """MPMD style: rank 0 runs the manager, every other rank a worker. Rank 0 returns the
    number of words of each text, in the order of the texts; the workers return None. On
    one rank alone there are no workers, and rank 0 counts by itself."""
    if comm.Get_size() == 1:
        return [len(text.split()) for text in texts]
    if comm.Get_rank() == 0:
        return manager(texts)
    count_worker()
    return None


if __name__ == "__main__":
    rank = comm.Get_rank()
    total = sum_of_squares(list(range(10)))
    theirs = swap(list(range(10)))
    counts = count_words(["one", "two words", "and three words", "four", "five six"])
    print(f"rank {rank}: my partner's block is {theirs}", flush=True)
    if rank == 0:
        print(f"sum of squares of 0..9: {total}", flush=True)
        print(f"words per text: {counts}", flush=True)
