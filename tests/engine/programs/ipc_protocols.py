"""Processes that talk through pipes, queues and shared values: each bug beside its fix.

Run under the engine with ``processes=Processes(...)``; every function also runs as it is on
real ``multiprocessing`` (the fixed ones finish, the buggy ones may hang or lose updates).
"""

import os
from multiprocessing import Pipe, Process, Queue, Value, connection

BIG = 100_000          # bytes: more than a pipe holds (64 KiB)
seen_in_this_process = []


def echo(conn):
    """Receive a number, send back twice it with this process's pid."""
    seen_in_this_process.append("echo")
    n = conn.recv()
    conn.send((2 * n, os.getpid(), list(seen_in_this_process)))
    conn.close()


def pingpong():
    """Fixed: the parent sends first, the child answers."""
    mine, theirs = Pipe()
    child = Process(target=echo, args=(theirs,))
    child.start()
    theirs.close()
    mine.send(21)
    doubled, pid, seen = mine.recv()
    child.join()
    assert doubled == 42, doubled
    assert pid != os.getpid(), "the child should be another process"
    assert seen == ["echo"] and seen_in_this_process == [], "processes share no globals"
    assert child.exitcode == 0
    return doubled


def receive_first(conn):
    conn.recv()
    conn.send("pong")


def recv_recv():
    """Buggy: both ends receive first, so neither ever sends."""
    mine, theirs = Pipe()
    child = Process(target=receive_first, args=(theirs,))
    child.start()
    mine.recv()
    mine.send("ping")
    child.join()


def send_first(conn):
    conn.send("pong")
    conn.recv()


def send_send():
    """Buggy when a send waits for its receive (a pipe of capacity 0): both send first."""
    mine, theirs = Pipe()
    child = Process(target=send_first, args=(theirs,))
    child.start()
    mine.send("ping")
    mine.recv()
    child.join()


def big_result(conn):
    conn.send(b"x" * BIG)
    conn.close()


def join_then_recv():
    """Buggy: the parent joins the child before reading its result, which is too big for
    the pipe, so the child can never finish sending it."""
    mine, theirs = Pipe(duplex=False)
    child = Process(target=big_result, args=(theirs,))
    child.start()
    child.join()
    assert len(mine.recv()) == BIG


def recv_then_join():
    """Fixed: read the result first, then join."""
    mine, theirs = Pipe(duplex=False)
    child = Process(target=big_result, args=(theirs,))
    child.start()
    got = mine.recv()
    child.join()
    assert len(got) == BIG
    return len(got)


def square_all(tasks, results):
    while (task := tasks.get()) is not None:
        results.put(task * task)


def _manager(stop):
    tasks, results = Queue(), Queue()
    workers = [Process(target=square_all, args=(tasks, results)) for _ in range(2)]
    for w in workers:
        w.start()
    for n in range(1, 5):
        tasks.put(n)
    if stop:
        for _ in workers:
            tasks.put(None)
    total = sum(results.get() for _ in range(4))
    for w in workers:
        w.join()
    assert total == 1 + 4 + 9 + 16, total
    return total


def missing_stop():
    """Buggy: the workers are never told to stop, and the manager joins them."""
    return _manager(stop=False)


def with_stop():
    """Fixed: one stop message per worker."""
    return _manager(stop=True)


def add_unlocked(counter, times):
    for _ in range(times):
        counter.value += 1


def add_locked(counter, times):
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def _count(worker):
    counter = Value("i", 0)
    workers = [Process(target=worker, args=(counter, 2)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert counter.value == 4, f"Lost update: 2 processes added 2 each, counted {counter.value}"
    return counter.value


def unlocked_counter():
    """Buggy: ``counter.value += 1`` is a read and a write, and another process may run
    between them."""
    return _count(add_unlocked)


def locked_counter():
    """Fixed: the value's own lock around the read and the write."""
    return _count(add_locked)


def lambda_target():
    """Buggy under spawn: a lambda cannot be pickled into the child."""
    child = Process(target=lambda: None)
    child.start()
    child.join()


def exit_codes():
    """What a child's exit says: sys.exit(3), a normal return, and a Process subclass."""
    children = [Process(target=exit_with, args=(3,)), Process(target=exit_with, args=(0,)),
                Worker(5)]
    for c in children:
        c.start()
    for c in children:
        c.join()
    return [c.exitcode for c in children], children[2].pid != os.getpid()


def exit_with(code):
    if code:
        raise SystemExit(code)


class Worker(Process):
    """A Process subclass: its fields travel to the child with it."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def run(self):
        assert self.n == 5


def put_big(results):
    results.put(b"y" * BIG)


def queue_join_then_get():
    """Buggy: a process that put more than a pipe holds on a queue cannot end before it is
    read, and the parent joins it first."""
    results = Queue()
    child = Process(target=put_big, args=(results,))
    child.start()
    child.join()
    assert len(results.get()) == BIG


def queue_get_then_join():
    """Fixed: get the result, then join."""
    results = Queue()
    child = Process(target=put_big, args=(results,))
    child.start()
    got = results.get()
    child.join()
    assert len(got) == BIG
    return len(got)


def sum_until_eof(conn, writing_end, out):
    writing_end.close()          # this process's copy: else its own copy keeps the pipe open
    total = 0
    while True:
        try:
            total += conn.recv()
        except EOFError:
            break
    out.send(total)


def _send_then_close(close_it):
    reader, writer = Pipe(duplex=False)
    answer, out = Pipe(duplex=False)
    child = Process(target=sum_until_eof, args=(reader, writer, out))
    child.start()
    for n in (1, 2, 3):
        writer.send(n)
    if close_it:
        writer.close()
    total = answer.recv()
    child.join()
    assert total == 6, total
    return total


def eof_after_close():
    """Fixed: closing the writing end is what ends the reader's loop (EOFError)."""
    return _send_then_close(True)


def eof_never_comes():
    """Buggy: the parent keeps its writing end open, so the reader waits for more."""
    return _send_then_close(False)


def poll_with_timeout():
    """``poll`` before anything was sent, then after: False, then True."""
    mine, theirs = Pipe()
    before = mine.poll(0.01)
    theirs.send("x")
    return before, mine.poll(), mine.recv(), mine.poll()


def serve_for_ever(conn):
    while True:
        conn.send(conn.recv())


def terminated():
    """A server with no stop message, ended by terminate(): exit code -15."""
    mine, theirs = Pipe()
    server = Process(target=serve_for_ever, args=(theirs,))
    server.start()
    mine.send(1)
    echoed = mine.recv()
    server.terminate()
    server.join()
    return echoed, server.exitcode, server.is_alive()


def fill_segment(name, n):
    from multiprocessing import shared_memory
    segment = shared_memory.SharedMemory(name=name)
    for i in range(n):
        segment.buf[i] = i + 1
    segment.close()


def _segment(unlink):
    from multiprocessing import shared_memory
    segment = shared_memory.SharedMemory(create=True, size=4)
    child = Process(target=fill_segment, args=(segment.name, 4))
    child.start()
    child.join()
    seen = bytes(segment.buf[:4])
    segment.close()
    if unlink:
        segment.unlink()
    return list(seen)


def segment_unlinked():
    """Fixed: the creator unlinks the segment once everyone is done with it."""
    return _segment(True)


def segment_left_behind():
    """Buggy: every process closes the segment, nobody unlinks it."""
    return _segment(False)


def _say(conn, word):
    conn.send(word)
    conn.close()


def wait_on_two_pipes():
    """Fixed: two children answer on pipes of their own; the parent takes each answer as
    soon as connection.wait() says one is there, then sees both ends reach their end."""
    ends, children = [], []
    for word in ("left", "right"):
        mine, theirs = Pipe()
        child = Process(target=_say, args=(theirs, word))
        child.start()
        theirs.close()
        ends.append(mine)
        children.append(child)
    got = []
    while ends:
        for end in connection.wait(ends):
            try:
                got.append(end.recv())
            except EOFError:
                ends.remove(end)
    for child in children:
        child.join()
    return sorted(got)


def wait_with_a_timeout_for_nobody():
    """Fixed: connection.wait() with a timeout returns no end when nothing comes."""
    mine, theirs = Pipe()
    waited = connection.wait([mine], timeout=0.5)
    theirs.close()
    return waited

