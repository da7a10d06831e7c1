"""MPI programs (mpi4py), each bug beside its fix; the ranks are started by the check
(``mpiexec(function, size)`` under the engine, ``mpiexec -n SIZE`` for real)."""

from mpi4py import MPI

comm = MPI.COMM_WORLD


def head_to_head():
    """Buggy: both ranks send first; a send may wait for its receive."""
    rank = comm.Get_rank()
    other = 1 - rank
    comm.send(rank, dest=other)
    return comm.recv(source=other)


def ordered_exchange():
    """Fixed: rank 0 sends first, rank 1 receives first."""
    rank = comm.Get_rank()
    other = 1 - rank
    if rank == 0:
        comm.send(rank, dest=other)
        return comm.recv(source=other)
    got = comm.recv(source=other)
    comm.send(rank, dest=other)
    return got


def nonblocking_exchange():
    """Fixed too: post the send without waiting, receive, then wait for the send."""
    rank = comm.Get_rank()
    other = 1 - rank
    request = comm.isend(rank, dest=other)
    got = comm.recv(source=other)
    request.wait()
    return got


def isend_never_waited():
    """Buggy: the send is started with isend and never completed (no wait, no test)."""
    rank = comm.Get_rank()
    other = 1 - rank
    comm.isend(rank, dest=other)
    return comm.recv(source=other)


def probe_then_receive():
    """Fixed: rank 0 probes for whoever sends first, then receives from that rank."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        comm.send(rank * 10, dest=0)
        return None
    got = []
    for _ in range(size - 1):
        status = MPI.Status()
        comm.probe(source=MPI.ANY_SOURCE, status=status)
        got.append(comm.recv(source=status.Get_source()))
    return sorted(got)


def iprobe_then_receive():
    """Fixed: rank 0 polls with iprobe until a message is there, then receives it."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        comm.send(rank, dest=0)
        return None
    got = []
    while len(got) < size - 1:
        if comm.iprobe(source=MPI.ANY_SOURCE):
            got.append(comm.recv(source=MPI.ANY_SOURCE))
    return sorted(got)


def waitany_manager():
    """Fixed: rank 0 posts a receive from every other rank and takes them as they come."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        comm.send(rank, dest=0)
        return None
    requests = [comm.irecv(source=r) for r in range(1, size)]
    got = []
    for _ in requests[:]:
        index, value = MPI.Request.waitany(requests)
        got.append(value)
        requests.pop(index)
    return sorted(got)


def testall_exchange():
    """Fixed: isend and irecv, completed by polling testall."""
    rank = comm.Get_rank()
    other = 1 - rank
    requests = [comm.isend(rank, dest=other), comm.irecv(source=other)]
    while True:
        done, results = MPI.Request.testall(requests)
        if done:
            return results[1]


def probe_for_nobody():
    """Buggy: rank 0 probes for a message that rank 1 never sends."""
    if comm.Get_rank() == 0:
        comm.probe(source=1)
    return comm.Get_rank()


def both_receive():
    """Buggy: both ranks receive first."""
    rank = comm.Get_rank()
    other = 1 - rank
    got = comm.recv(source=other)
    comm.send(rank, dest=other)
    return got


def spmd_sum(n=10):
    """Fixed: scatter blocks of 0..n-1, sum locally, reduce to rank 0."""
    rank, size = comm.Get_rank(), comm.Get_size()
    blocks = None
    if rank == 0:
        numbers = list(range(n))
        step = -(-n // size)
        blocks = [numbers[i * step:(i + 1) * step] for i in range(size)]
    mine = comm.scatter(blocks, root=0)
    total = comm.reduce(sum(mine), op=MPI.SUM, root=0)
    comm.Barrier()
    if rank == 0:
        assert total == n * (n - 1) // 2, total
    return total


def bcast_only_at_root():
    """Buggy: only rank 0 calls bcast; the others go on to the gather."""
    rank = comm.Get_rank()
    config = None
    if rank == 0:
        config = comm.bcast({"scale": 2}, root=0)
    return comm.gather(rank * 2, root=0), config


def barrier_skipped():
    """Buggy: the last rank returns early and never reaches the barrier."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank == size - 1:
        return None
    comm.Barrier()
    return rank


def _work(task):
    return task * task


def _worker():
    while (task := comm.recv(source=0)) is not None:
        comm.send(_work(task), dest=0)


def manager_fixed_order(tasks=2):
    """Buggy: the manager waits for a result from every worker in turn, but there are
    fewer tasks than workers: it waits for a worker that was never given one."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        return _worker()
    for i in range(tasks):
        comm.send(i, dest=1 + i)
    total = sum(comm.recv(source=w) for w in range(1, size))
    for w in range(1, size):
        comm.send(None, dest=w)
    return total


def manager_without_stop(tasks=2):
    """Buggy: the manager collects every result and returns, never sending the stop message:
    the workers wait for their next task from a rank that has ended."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        return _worker()
    for i in range(tasks):
        comm.send(i, dest=1 + i % (size - 1))
    return sum(comm.recv(source=MPI.ANY_SOURCE) for _ in range(tasks))


def manager_any_order(tasks=2):
    """Fixed: the manager takes results as they come, one per task handed out."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if rank != 0:
        return _worker()
    for i in range(tasks):
        comm.send(i, dest=1 + i % (size - 1))
        # (each worker has at most one task at a time when tasks <= workers)
    total = sum(comm.recv(source=MPI.ANY_SOURCE) for _ in range(tasks))
    for w in range(1, size):
        comm.send(None, dest=w)
    assert total == sum(_work(i) for i in range(tasks)), total
    return total


def who_am_i():
    """Each rank's rank, size and pid."""
    import os
    return comm.Get_rank(), comm.size, os.getpid()


def spmd_sum_buffers(n=12):
    """Fixed, on buffers: Scatter blocks of a numpy array, sum each, Reduce the partial sums
    element by element, and Gather every rank's sum at rank 0."""
    import numpy as np

    rank, size = comm.Get_rank(), comm.Get_size()
    numbers = np.arange(n, dtype="i") if rank == 0 else None
    mine = np.empty(n // size, dtype="i")
    comm.Scatter(numbers, mine, root=0)
    partial = np.array([mine.sum(), len(mine)], dtype="i")
    total = np.zeros(2, dtype="i")
    comm.Reduce(partial, total, op=MPI.SUM, root=0)
    sums = np.zeros(size, dtype="i") if rank == 0 else None
    comm.Gather(np.array([mine.sum()], dtype="i"), sums, root=0)
    everywhere = np.zeros(1, dtype="i")
    comm.Allreduce(np.array([1], dtype="i"), everywhere, op=MPI.SUM)
    if rank == 0:
        return total.tolist(), sums.tolist(), everywhere.tolist()
    return None
