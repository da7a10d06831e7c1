"""Objects one run leaves behind for a later one: an unfinished generator whose `finally`
takes a lock of its own run, as concurrent.futures.as_completed() takes a future's lock."""

import concurrent.futures
import gc
import threading


def _release_late(lock):
    try:
        yield
    finally:
        with lock:
            pass


def unfinished_generator():
    """A generator suspended before its `finally`, holding a lock its thread keeps."""
    lock = threading.Lock()
    lock.acquire()
    left = _release_late(lock)
    next(left)
    return left


def _fail(n):
    raise ValueError(f"task {n} failed")


def _first_to_end():
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_fail, n) for n in range(3)]
        return [future.result() for future in concurrent.futures.as_completed(futures)]


def as_completed_left_by_an_error():
    """The error of the first task to end leaves as_completed() unfinished, and the error's
    traceback keeps it in a reference cycle that only the garbage collector frees."""
    try:
        _first_to_end()
    except ValueError as error:
        return error


def _judged_late(lock, box):
    try:
        yield
    finally:
        try:
            with lock:
                pass
        except Exception as exc:      # as a check's harness turns any error into a verdict
            raise AssertionError(f"the lock refused: {exc}") from None


def judged_late():
    """A generator left unfinished in a reference cycle (its frame holds the list that
    holds it), whose `finally` turns the refusal of its lock into another error."""
    lock = threading.Lock()
    lock.acquire()
    box = []
    left = _judged_late(lock, box)
    next(left)
    box.append(left)



class _Node:
    """Garbage in a reference cycle, with a finalizer of the program's own that makes two
    changes another thread can see."""

    def __init__(self, log):
        self.log = log
        self.me = self

    def __del__(self):
        self.log.append("a")
        self.log.append("b")


def finalizers_run_whole():
    """The garbage collector runs finalizers at a moment of its own, inside whichever
    thread allocates then: no thread may be switched to in the middle of one (the program
    did not ask for that moment, and the collector is half-way through its work)."""
    log = []
    _Node(log)

    def watch():
        for _ in range(20):
            assert len(log) % 2 == 0, "a finalizer was interrupted half-way"

    watcher = threading.Thread(target=watch)
    watcher.start()
    gc.collect()
    watcher.join()
    assert log == ["a", "b"]
