"""``multiprocessing.Pool`` and ``concurrent.futures.ProcessPoolExecutor`` over controlled
processes (:mod:`.processes`).

Without it a pool made in an exploration would fork real processes from inside a run. Here
its workers are controlled processes that take jobs from a stand-in Queue and put results on
another, so the functions, their arguments and their results are pickled as in a real pool,
and every wait (a worker waiting for a job, the parent for a result) is one the scheduler
knows. ``map`` and ``starmap`` keep the order of their arguments; ``apply_async`` and
``map_async`` give results to ``get()``; an exception raised by a job is raised again by
``get()`` (or ``map``) in the parent, as in a real pool. Leaving ``with Pool() as pool:``
terminates the workers, as the real pool does.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

from . import machine, scheduler
from .channels import Queue
from .processes import Process
from .threads import Thread

_real_pool = multiprocessing.Pool
_real_executor = concurrent.futures.ProcessPoolExecutor


def _work(tasks: Queue, results: Queue, initializer: Callable[..., object] | None,
          initargs: tuple[Any, ...]) -> None:
    """One worker: run jobs until the pool says stop (None)."""
    if initializer is not None:
        initializer(*initargs)
    while (job := tasks.get()) is not None:
        number, func, args, kwargs = job
        try:
            outcome = (True, func(*args, **kwargs))
        except Exception as exc:
            outcome = (False, exc)
        results.put((number, outcome))


class AsyncResult:
    """What ``apply_async`` gives: ``get()`` waits for the job's result."""

    def __init__(self, pool: Pool, numbers: list[int], single: bool) -> None:
        self._pool = pool
        self._numbers = numbers
        self._single = single

    def ready(self) -> bool:
        return all(n in self._pool._done for n in self._numbers)

    def wait(self, timeout: float | None = None) -> None:
        for n in self._numbers:
            self._pool._result_of(n)

    def get(self, timeout: float | None = None) -> Any:
        values = [self._pool._value_of(n) for n in self._numbers]
        return values[0] if self._single else values

    def successful(self) -> bool:
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return all(self._pool._done[n][0] for n in self._numbers)


class Pool:
    """``multiprocessing.Pool``: ``processes`` workers (the course machine's CPU count by
    default)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if scheduler.here() is None:        # outside a run: the real pool
            return _real_pool(*args, **kwargs)
        return object.__new__(cls)

    def __init__(self, processes: int | None = None,
                 initializer: Callable[..., object] | None = None,
                 initargs: Iterable[Any] = (), maxtasksperchild: int | None = None,
                 context: Any = None) -> None:
        count = machine.CPUS if processes is None else processes
        if count < 1:
            raise ValueError("Number of processes must be at least 1")
        self._tasks = Queue()
        self._results = Queue()
        self._done: dict[int, tuple[bool, Any]] = {}
        self._numbers = itertools.count()
        self._open = True
        self._workers = [Process(target=_work, name=f"SpawnPoolWorker-{i + 1}", daemon=True,
                                 args=(self._tasks, self._results, initializer,
                                       tuple(initargs)))
                         for i in range(count)]
        for worker in self._workers:
            worker.start()

    # ------------------------------------------------------------- jobs
    def _submit(self, func: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any] | None = None) -> int:
        if not self._open:
            raise ValueError("Pool not running")
        number = next(self._numbers)
        self._tasks.put((number, func, args, kwargs or {}))
        return number

    def _result_of(self, number: int) -> tuple[bool, Any]:
        while number not in self._done:
            got, outcome = self._results.get()
            self._done[got] = outcome
        return self._done[number]

    def _value_of(self, number: int) -> Any:
        ok, value = self._result_of(number)
        if not ok:
            raise value
        return value

    def apply(self, func: Callable[..., Any], args: Iterable[Any] = (),
              kwds: dict[str, Any] | None = None) -> Any:
        return self._value_of(self._submit(func, tuple(args), kwds))

    def apply_async(self, func: Callable[..., Any], args: Iterable[Any] = (),
                    kwds: dict[str, Any] | None = None) -> AsyncResult:
        return AsyncResult(self, [self._submit(func, tuple(args), kwds)], True)

    def map(self, func: Callable[..., Any], iterable: Iterable[Any],
            chunksize: int | None = None) -> list[Any]:
        return [self._value_of(n) for n in self.map_async(func, iterable)._numbers]

    def map_async(self, func: Callable[..., Any], iterable: Iterable[Any],
                  chunksize: int | None = None) -> AsyncResult:
        return AsyncResult(self, [self._submit(func, (x,)) for x in iterable], False)

    def starmap(self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]],
                chunksize: int | None = None) -> list[Any]:
        numbers = [self._submit(func, tuple(args)) for args in iterable]
        return [self._value_of(n) for n in numbers]

    def imap(self, func: Callable[..., Any], iterable: Iterable[Any],
             chunksize: int = 1) -> Iterator[Any]:
        numbers = [self._submit(func, (x,)) for x in iterable]
        return (self._value_of(n) for n in numbers)

    # ------------------------------------------------------------- the end
    def close(self) -> None:
        if self._open:
            self._open = False
            for _ in self._workers:
                self._tasks.put(None)

    def terminate(self) -> None:
        self._open = False
        for worker in self._workers:
            if worker.is_alive():
                worker.terminate()
        for worker in self._workers:
            worker.join()

    def join(self) -> None:
        if self._open:
            raise ValueError("Pool is still running")
        for worker in self._workers:
            worker.join()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()


def stand_ins() -> list[tuple[Any, str, Any]]:
    """``(module, name, stand-in)`` for :func:`.ipc.installed`."""
    return [(multiprocessing, "Pool", Pool),
            (concurrent.futures, "ProcessPoolExecutor", ProcessPoolExecutor)]


class ProcessPoolExecutor(Executor):
    """``concurrent.futures.ProcessPoolExecutor`` over the stand-in Pool's workers. A
    thread of the parent (as in the real executor) moves each result into its Future, so
    ``result()``, ``as_completed`` and ``wait`` work as they do with the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if scheduler.here() is None:
            return _real_executor(*args, **kwargs)
        return object.__new__(cls)

    def __init__(self, max_workers: int | None = None, mp_context: Any = None,
                 initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = (), **_more: Any) -> None:
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._pool = Pool(max_workers, initializer, initargs)
        self._futures: dict[int, Future[Any]] = {}
        self._shut = False
        self._collector = Thread(target=self._collect, name="ProcessPoolExecutor-results",
                                 daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        results = self._pool._results
        while (item := results.get()) is not None:
            number, (ok, value) = item
            future = self._futures.pop(number)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._shut:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        number = next(self._pool._numbers)
        self._futures[number] = future
        self._pool._tasks.put((number, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._shut:
            return
        self._shut = True
        self._pool.close()                 # a stop message per worker, after the jobs
        if wait:
            self._pool.join()
            self._pool._results.put(None)  # the collector's own stop message
            self._collector.join()
