"""``queue.SimpleQueue`` and ``concurrent.futures.ThreadPoolExecutor`` over the stand-ins.

A future of the stand-in pool says in a deadlock report what its waiters wait for: the
result of which call, run by which worker, or still queued while every worker runs a task
of its own (a pool that waits on itself).

``queue.Queue``, ``LifoQueue`` and ``PriorityQueue`` need no stand-in: the standard library
builds them from ``threading.Lock`` and ``threading.Condition`` looked up when each queue is
made, so they run on the engine's primitives (and keep their own errors) while it is
installed. ``SimpleQueue`` is written in C and ``ThreadPoolExecutor`` binds module globals at
import, so both are rebuilt here.
"""

from __future__ import annotations

import itertools
import queue as _real_queue
import reprlib
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Any, cast

from . import machine, scheduler
from .findings import ThreadView
from .primitives import Condition, Lock
from .scheduler import Aborted
from .threads import Thread, current_thread, register_atexit


class SimpleQueue:
    """``queue.SimpleQueue``: an unbounded FIFO queue."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._ready = Condition(Lock())

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._ready:
            self._items.append(item)
            self._ready.notify()

    def put_nowait(self, item: Any) -> None:
        self.put(item, block=False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if timeout is not None and timeout < 0:
            raise ValueError("'timeout' must be a non-negative number")
        with self._ready:
            if not block:
                if not self._items:
                    raise _real_queue.Empty
                return self._items.popleft()
            if not self._ready.wait_for(lambda: self._items, timeout):
                raise _real_queue.Empty
            return self._items.popleft()

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def empty(self) -> bool:
        with self._ready:
            return not self._items

    def qsize(self) -> int:
        with self._ready:
            return len(self._items)


#: Pools are numbered per run, from 0 as in a fresh process, so that a report names the same
#: threads on a replay as in the run it replays (``Run.pools_made``); outside a run, in
#: the order made.
_numbers_outside_runs = itertools.count()


def _pool_number() -> int:
    run = scheduler.active
    if run is None:
        return next(_numbers_outside_runs)
    run.pools_made += 1
    return run.pools_made - 1


#: how a deadlock report shows a task's arguments: short
_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``fn(args)`` as a report shows a task: ``download('https://...')``."""
    shown = [_short.repr(a) for a in args] + [f"{k}={_short.repr(v)}" for k, v in kwargs.items()]
    return f"{getattr(fn, '__name__', None) or _short.repr(fn)}({', '.join(shown)})"


class _TaskWords:
    """The wait words of a pool task's future (see waitfor's ``wait_words``)."""

    def __init__(self, pool: ThreadPoolExecutor, future: Future[Any], call: str) -> None:
        self.pool = pool
        self.future = future
        self.call = call

    def __call__(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        running = self.pool._running
        mine = running.get(id(self.future))
        if mine is not None:
            return f"waits for the result of {self.call}, which {mine[0]} is running"
        queued = f"waits for the result of {self.call}, a task queued in {self.pool._prefix}"
        busy = list(running.values())
        if not busy:
            return queued
        if len(busy) == 1:
            workers = f"its only worker, {busy[0][0]}, is running {busy[0][1]}"
        else:
            workers = f"its {len(busy)} workers are all busy: " + "; ".join(
                f"{name} is running {call}" for name, call in busy)
        return f"{queued} that no worker is free to start ({workers})"


class ThreadPoolExecutor(Executor):
    """``concurrent.futures.ThreadPoolExecutor``: workers start as work arrives."""

    def __init__(self, max_workers: int | None = None, thread_name_prefix: str = "",
                 initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        if max_workers is None:
            # As the standard library sizes it, from the course machine's CPU count.
            max_workers = min(32, machine.CPUS + 4)
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_workers = max_workers
        self._prefix = thread_name_prefix or f"ThreadPoolExecutor-{_pool_number()}"
        self._initializer = initializer
        self._initargs = initargs
        self._work: SimpleQueue = SimpleQueue()
        self._threads: list[Thread] = []
        self._idle = 0
        self._lock = Lock()
        self._shutdown = False
        self._broken: str | None = None
        #: the tasks under way: id(future) -> (the worker running it, the call)
        self._running: dict[int, tuple[str, str]] = {}
        register_atexit(self._at_exit)

    def _at_exit(self) -> None:
        """Like the standard library's exit hook: idle workers are told to stop."""
        if not self._shutdown:
            self.shutdown(wait=True)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._broken:
                from concurrent.futures.thread import BrokenThreadPool

                raise BrokenThreadPool(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[Any] = Future()
            call = _call(fn, args, kwargs)
            cast(Any, future)._condition.wait_words = _TaskWords(self, future, call)
            self._work.put((future, fn, args, kwargs, call))
            if self._idle > 0:
                self._idle -= 1
            elif len(self._threads) < self._max_workers:
                worker = Thread(name=f"{self._prefix}_{len(self._threads)}", target=self._worker)
                self._threads.append(worker)
                worker.start()
            return future

    def _worker(self) -> None:
        if self._initializer is not None:
            try:
                self._initializer(*self._initargs)
            except BaseException:
                with self._lock:
                    self._broken = ("A thread initializer failed, the thread pool is not "
                                    "usable anymore")
                return
        while True:
            item = self._work.get()
            if item is None:
                self._work.put(None)
                return
            future, fn, args, kwargs, call = item
            if future.set_running_or_notify_cancel():
                self._running[id(future)] = (current_thread().name, call)
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    if not isinstance(exc, Aborted):   # (a verdict's report still needs it)
                        self._running.pop(id(future), None)
                    future.set_exception(exc)
                else:
                    self._running.pop(id(future), None)
                    future.set_result(result)
            del item, future
            with self._lock:
                self._idle += 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while True:
                    try:
                        item = self._work.get_nowait()
                    except _real_queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            self._work.put(None)
        if wait:
            for t in self._threads:
                t.join()
