"""Objects one run leaves behind for a later one: an unfinished generator whose `finally`
takes a lock of its own run, as concurrent.futures.as_completed() takes a future's lock."""

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
