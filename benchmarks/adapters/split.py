"""Split a program's ``main()`` into setup, workers and a final check, for tools whose API is
``explore(setup, workers, invariant)`` rather than "run this function that starts threads".

``main()`` runs on a helper OS thread with the module's ``threading`` swapped for a
namespace whose ``Thread`` only records what it was asked to start. When ``main`` reaches
its first ``join()`` it pauses: the recorded targets become the tool's workers, and the
tool's invariant lets ``main`` go on (every later ``join()`` returns at once, the workers
being finished) and reports whether its assertions held.

A program is *not expressible* this way when its threads are started by a library (a
``ThreadPoolExecutor``), or when ``main`` does its own work between ``start()`` and
``join()`` (that work would run outside the tool's control).
"""

from __future__ import annotations

import _thread
import threading
import types
from typing import Any

from programs import Program


class NotExpressible(Exception):
    """The program does not fit the setup/workers/invariant shape."""


class Split:
    """One execution's state: the fresh module, the recorded threads, main's outcome."""

    def __init__(self, program: Program, wait: float = 10.0) -> None:
        self.module = program.load()
        self.threads: list[Any] = []
        self.ready = _thread.allocate_lock()
        self.ready.acquire()
        self.go = _thread.allocate_lock()
        self.go.acquire()
        self.finished = _thread.allocate_lock()
        self.finished.acquire()
        self.reached_join = False
        self.main_done = False
        self.error: BaseException | None = None
        self.worker_errors: list[BaseException] = []
        real = getattr(self.module, "threading", None)
        if isinstance(real, types.ModuleType):
            proxy = types.SimpleNamespace(**vars(real))
            proxy.Thread = self._thread_class()
            self.module.threading = proxy
        _thread.start_new_thread(self._main, ())
        if not self.ready.acquire(timeout=wait):
            raise NotExpressible("main() neither joined a thread nor returned in time")

    def _thread_class(self) -> type:
        split = self

        class RecordedThread:
            def __init__(self, group: Any = None, target: Any = None, name: str | None = None,
                         args: Any = (), kwargs: Any = None, *, daemon: Any = None) -> None:
                self._target = target
                self._args = tuple(args)
                self._kwargs = dict(kwargs or {})
                self.name = name or f"Thread-{len(split.threads) + 1}"
                self.daemon = bool(daemon)

            def start(self) -> None:
                split.threads.append(self)

            def join(self, timeout: float | None = None) -> None:
                if not split.reached_join:
                    split.reached_join = True
                    split.ready.release()
                    split.go.acquire()

            def is_alive(self) -> bool:
                return not split.reached_join

        return RecordedThread

    def _main(self) -> None:
        try:
            self.module.main()
        except BaseException as exc:
            self.error = exc
        finally:
            self.main_done = True
            if not self.reached_join:
                self.reached_join = True
                self.ready.release()
            self.finished.release()

    def check_shape(self) -> None:
        """Raise NotExpressible unless main paused at a join after starting threads."""
        if not self.threads:
            raise NotExpressible("its threads are started by a library (ThreadPoolExecutor), "
                                 "not by threading.Thread in the program")
        if self.main_done:
            raise NotExpressible("main() does its own work between start() and join(), "
                                 "which would run outside the tool's control")

    def run_worker(self, i: int) -> None:
        t = self.threads[i]
        try:
            t._target(*t._args, **t._kwargs)
        except Exception as exc:
            self.worker_errors.append(exc)

    def finish(self, wait: float = 10.0) -> bool:
        """Let main go on past its joins; True when it and every worker succeeded."""
        if not self.main_done:
            self.go.release()
            if not self.finished.acquire(timeout=wait):
                return False
        return self.error is None and not self.worker_errors

    def message(self) -> str:
        if self.worker_errors:
            exc = self.worker_errors[0]
            return f"a worker raised {type(exc).__name__}: {exc}"
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"
        return ""


def probe(program: Program) -> int:
    """How many workers the program starts (raises NotExpressible when it does not fit)."""
    split = Split(program)
    split.check_shape()
    workers = [threading.Thread(target=split.run_worker, args=(i,), daemon=True)
               for i in range(len(split.threads))]
    for t in workers:
        t.start()
    for t in workers:
        t.join(5.0)
    split.finish(5.0)
    return len(split.threads)
