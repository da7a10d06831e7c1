"""queue.* and ThreadPoolExecutor scenarios, returning what they saw."""

import concurrent.futures
import queue
import threading
from concurrent.futures import ThreadPoolExecutor


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as 'Type: message'."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def queue_timeouts():
    q = queue.Queue(maxsize=1)
    got = [outcome(q.get, timeout=0.01), outcome(q.get_nowait), outcome(q.get, False)]
    q.put("a")
    got += [q.full(), q.qsize(), outcome(q.put, "b", timeout=0.01), outcome(q.put_nowait, "b"),
            outcome(q.put, "b", False)]
    got += [q.get(timeout=0.01), q.empty()]
    got += [outcome(q.get, timeout=-1), outcome(q.put, "c", timeout=-1)]
    return got


def queue_producer_consumer():
    q = queue.Queue(maxsize=2)
    out = []

    def producer():
        for i in range(5):
            q.put(i)
        q.put(None)

    def consumer():
        while (item := q.get()) is not None:
            out.append(item)

    ts = [threading.Thread(target=producer), threading.Thread(target=consumer)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def queue_task_done_join():
    q = queue.Queue()
    done = []

    def worker():
        while (item := q.get()) is not None:
            done.append(item)
            q.task_done()
        q.task_done()

    t = threading.Thread(target=worker)
    t.start()
    for i in range(3):
        q.put(i)
    q.join()
    joined_after = sorted(done)
    q.put(None)
    q.join()
    t.join()
    return [joined_after, outcome(queue.Queue().task_done)]


def lifo_and_priority():
    lifo = queue.LifoQueue()
    prio = queue.PriorityQueue()
    for item in (2, 3, 1):
        lifo.put(item)
        prio.put(item)
    return [[lifo.get() for _ in range(3)], [prio.get_nowait() for _ in range(3)],
            outcome(lifo.get, timeout=0.01), outcome(prio.get, block=False)]


def simple_queue():
    q = queue.SimpleQueue()
    got = [q.empty(), outcome(q.get, timeout=0.01), outcome(q.get_nowait),
           outcome(q.get, timeout=-1)]
    q.put(1)
    q.put_nowait(2)
    got += [q.qsize(), q.get(), q.get(timeout=0.01), q.empty()]
    result = []
    t = threading.Thread(target=lambda: result.append(q.get()))
    t.start()
    q.put("handed over")
    t.join()
    return [*got, result]


def square(x):
    return x * x


def broken(x):
    raise ValueError(f"bad input {x}")


def executor_submit_and_map():
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(square, i) for i in range(4)]
        results = [f.result() for f in futures]
        mapped = list(pool.map(square, range(5)))
        done_flags = [f.done() for f in futures]
    return [results, mapped, done_flags]


def executor_exceptions():
    with ThreadPoolExecutor(max_workers=2) as pool:
        future = pool.submit(broken, 7)
        error = outcome(future.result)
        exc = future.exception()
        mapped = outcome(lambda: list(pool.map(broken, [1])))
    return [error, type(exc).__name__, str(exc), mapped]


def executor_shutdown():
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="pool")
    futures = [pool.submit(square, i) for i in range(3)]
    pool.shutdown(wait=True)
    after = outcome(pool.submit, square, 1)
    return [[f.result() for f in futures], after, pool.submit.__name__]


def executor_without_shutdown():
    """Never shut down: the program must still exit, with every future done."""
    pool = ThreadPoolExecutor(max_workers=2)
    futures = [pool.submit(square, i) for i in range(3)]
    return sorted(f.result() for f in futures)


def executor_as_completed_and_wait():
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(square, i) for i in range(3)]
        done = sorted(f.result() for f in concurrent.futures.as_completed(futures))
        finished, pending = concurrent.futures.wait(futures)
    return [done, len(finished), len(pending)]


def executor_worker_names():
    names = set()

    def who():
        names.add(threading.current_thread().name)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crew") as pool:
        pool.submit(who).result()
    return sorted(names)


def queue_shutdown():
    """Queue.shutdown (3.13+) wakes a consumer blocked in get()."""
    q = queue.Queue()
    if not hasattr(q, "shutdown"):
        return "Queue.shutdown is new in 3.13"
    got = []

    def consumer():
        try:
            q.get()
        except queue.ShutDown:
            got.append("ShutDown")

    t = threading.Thread(target=consumer)
    t.start()
    q.shutdown()
    t.join()
    return [got, outcome(q.put, 1)]
