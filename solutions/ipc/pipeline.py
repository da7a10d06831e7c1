"""Processes that talk: a squaring server on a pipe, word counters fed by a queue, a tally
that processes share, squares written into one shared memory segment, and a server that
adds numbers for its client over a socket.

Run the grader with:  pytest exercises/ipc
"""

import socket
from multiprocessing import Pipe, Process, Queue, Value, shared_memory

STOP = None    # the message that tells a server or a worker there is no more work
HOST = "127.0.0.1"    # localhost: this machine only


def square_server(conn):
    """Answer each number received on ``conn`` with its square, until STOP comes."""
    while (n := conn.recv()) is not STOP:
        conn.send(n * n)


def squares(numbers):
    """The square of each number, computed by a square_server process, in order."""
    mine, theirs = Pipe()
    server = Process(target=square_server, args=(theirs,))
    server.start()
    results = []
    for n in numbers:
        mine.send(n)
        results.append(mine.recv())
    mine.send(STOP)
    server.join()
    return results


def count_worker(tasks, results):
    """Take (index, text) tasks until STOP; put (index, number of words) for each."""
    while (task := tasks.get()) is not STOP:
        index, text = task
        results.put((index, len(text.split())))


def count_words(texts, workers):
    """The number of words of each text, in the order of the texts, counted by
    ``workers`` processes."""
    tasks, results = Queue(), Queue()
    team = [Process(target=count_worker, args=(tasks, results)) for _ in range(workers)]
    for worker in team:
        worker.start()
    for task in enumerate(texts):
        tasks.put(task)
    for _ in team:
        tasks.put(STOP)
    counts = [0] * len(texts)
    for _ in texts:
        index, count = results.get()
        counts[index] = count
    for worker in team:
        worker.join()
    return counts


def add_to_tally(total, times):
    """Add one to the shared ``total``, ``times`` times."""
    for _ in range(times):
        with total.get_lock():
            total.value += 1


def tally(processes, times):
    """Start ``processes`` processes that each add one to a shared total ``times`` times;
    return the total once they are done."""
    total = Value("i", 0)
    team = [Process(target=add_to_tally, args=(total, times)) for _ in range(processes)]
    for worker in team:
        worker.start()
    for worker in team:
        worker.join()
    return total.value


def fill_squares(name, start, stop):
    """Write i * i (mod 256) at place i of the shared segment ``name``, for i in
    range(start, stop)."""
    segment = shared_memory.SharedMemory(name=name)
    for i in range(start, stop):
        segment.buf[i] = i * i % 256
    segment.close()


def shared_squares(n, processes):
    """i * i (mod 256) for i in range(n), written into one shared memory segment by
    ``processes`` processes, each its own block of places."""
    segment = shared_memory.SharedMemory(create=True, size=max(n, 1))
    block = -(-n // processes)          # n / processes, rounded up
    team = [Process(target=fill_squares,
                    args=(segment.name, i * block, min(n, (i + 1) * block)))
            for i in range(processes)]
    for worker in team:
        worker.start()
    for worker in team:
        worker.join()
    squares_found = list(segment.buf[:n])
    segment.close()
    segment.unlink()
    return squares_found


def sum_server(ready):
    """Answer each request line "a b" of one client with the line "a + b", until the client
    closes its end of the connection."""
    with socket.create_server((HOST, 0)) as listener:      # port 0: any free port
        ready.send(listener.getsockname()[1])              # the port, now that it listens
        conn, _address = listener.accept()
        with conn, conn.makefile("rb") as requests:
            for request in requests:          # one line at a time, until the client closes
                a, b = map(int, request.split())
                conn.sendall(f"{a + b}\n".encode())


def remote_sums(pairs):
    """a + b for each pair (a, b): one remote call each to a sum_server process, in order."""
    mine, theirs = Pipe()
    server = Process(target=sum_server, args=(theirs,))
    server.start()
    port = mine.recv()                        # once this comes, the server listens
    results = []
    with socket.create_connection((HOST, port)) as conn:
        for a, b in pairs:
            conn.sendall(f"{a} {b}\n".encode())          # the request
            answer = b""
            while not answer.endswith(b"\n"):     # until the end of the answer
                piece = conn.recv(64)
                if not piece:
                    raise ConnectionError("the server closed the connection")
                answer += piece
            results.append(int(answer))
    server.join()
    return results


if __name__ == "__main__":
    print(squares([1, 2, 3]))
    print(count_words(["one", "two words", "and three words"], workers=2))
    print(tally(processes=4, times=1000))
    print(shared_squares(10, processes=3))
    print(remote_sums([(1, 2), (30, -4)]))
