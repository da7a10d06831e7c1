"""A threading module whose threads run one at a time, start to finish."""

import _thread

Lock = _thread.allocate_lock
RLock = _thread.RLock


class Thread:
    def __init__(self, target=None, args=(), kwargs=None, name=None, daemon=None):
        self._target, self._args, self._kwargs = target, args, kwargs or {}
        self.name = name or "Thread"

    def start(self):
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def join(self, timeout=None):
        pass


def current_thread():
    return Thread(name="MainThread")
