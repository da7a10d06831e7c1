"""Stand-ins for ``threading.Thread`` and the module functions that talk about threads.

A stand-in Thread is a controlled thread underneath (a greenlet, or an OS thread), and it
runs only when the scheduler hands it the baton. Names, idents and daemon flags follow the
standard library's rules, with idents numbered by creation so that reports are the same on
every run.
"""

from __future__ import annotations

import contextlib
import threading as _real_threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import scheduler
from .findings import DONE
from .primitives import Event, _deadline, step
from .scheduler import ThreadState

_IDENT_BASE = 0x7F0000


def _ctx() -> tuple[scheduler.Run, ThreadState]:
    ctx = scheduler.here()
    if ctx is None:
        raise RuntimeError("this thread was made while the engine explored a program and "
                           "cannot be used outside that run")
    return ctx


class Thread:
    """``threading.Thread`` with the same constructor, methods and errors."""

    _initialized = False

    def __init__(self, group: None = None, target: Callable[..., object] | None = None,
                 name: str | None = None, args: Iterable[Any] = (),
                 kwargs: Mapping[str, Any] | None = None, *, daemon: bool | None = None) -> None:
        assert group is None, "group argument must be None for now"
        run, ts = _ctx()
        if not name:
            # Like the stdlib: only unnamed threads (None or "") use up a number.
            run.thread_counter += 1
            name = f"Thread-{run.thread_counter}"
            if target is not None:
                with contextlib.suppress(AttributeError):
                    name += f" ({target.__name__})"
        self._target = target
        self._name = str(name)
        self._args = tuple(args)
        self._kwargs = dict(kwargs or {})
        self._daemonic = ts.handle.daemon if daemon is None else bool(daemon)
        self._state: ThreadState | None = None
        self._started = False
        self._initialized = True

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if not self._initialized:
            raise RuntimeError("thread.__init__() not called")
        if self._started:
            raise RuntimeError("threads can only be started once")
        run, _ts = step(self, "start")
        self._started = True
        # (bool: the flag is stored as given, as threading does, and the scheduler takes a bool)
        self._state = run.spawn(self._name, self._bootstrap, bool(self._daemonic), self)

    def _bootstrap(self) -> None:
        self.run()

    def run(self) -> None:
        try:
            if self._target is not None:
                self._target(*self._args, **self._kwargs)
        finally:
            del self._target, self._args, self._kwargs

    def join(self, timeout: float | None = None) -> None:
        if not self._initialized:
            raise RuntimeError("Thread.__init__() not called")
        if not self._started:
            raise RuntimeError("cannot join thread before it is started")
        run, ts = step(self, "join")
        if self._state is ts:
            raise RuntimeError("cannot join current thread")
        target = self._state
        assert target is not None
        if target.status != DONE:
            run.block(ts, target.done_queue, _deadline(run, timeout), obj=self)

    def is_alive(self) -> bool:
        if self._state is None:
            return False
        step(self, "is_alive")
        return self._state.status != DONE

    # ------------------------------------------------------------- attributes
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)
        if self._state is not None:
            self._state.name = self._name

    @property
    def ident(self) -> int | None:
        return None if self._state is None else _IDENT_BASE + self._state.tid

    native_id = ident

    @property
    def daemon(self) -> bool:
        return self._daemonic

    @daemon.setter
    def daemon(self, daemonic: bool) -> None:
        if not self._initialized:
            raise RuntimeError("Thread.__init__() not called")
        if self._started:
            raise RuntimeError("cannot set daemon status of active thread")
        self._daemonic = daemonic

    def isDaemon(self) -> bool:
        return self.daemon

    def setDaemon(self, daemonic: bool) -> None:
        self.daemon = daemonic

    def getName(self) -> str:
        return self.name

    def setName(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        status = "initial"
        if self._started:
            status = "started"
        if self._state is not None and self._state.status == DONE:
            status = "stopped"
        if self._daemonic:
            status += " daemon"
        if self.ident is not None:
            status += f" {self.ident}"
        return f"<{type(self).__name__}({self._name}, {status})>"


class MainThread(Thread):
    """The program's first thread (the one the engine calls the entry point in)."""

    def __init__(self) -> None:
        self._target = None
        self._name = "MainThread"
        self._args = ()
        self._kwargs = {}
        self._daemonic = False
        self._state = None
        self._started = True
        self._initialized = True


class Timer(Thread):
    """``threading.Timer``: run ``function`` after ``interval`` (virtual) seconds."""

    def __init__(self, interval: float, function: Callable[..., object],
                 args: Iterable[Any] | None = None,
                 kwargs: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.interval = interval
        self.function = function
        self.args = args if args is not None else []
        self.kwargs = kwargs if kwargs is not None else {}
        self.finished = Event()

    def cancel(self) -> None:
        self.finished.set()

    def run(self) -> None:
        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()


# ------------------------------------------------------------------ thread-local data
_local_guard = _real_threading.RLock()


def _local_key() -> object:
    """Whose values a ``local`` shows: the calling controlled thread's (an asyncio task's
    are its loop thread's, as ``current_thread()`` says), else the OS thread's."""
    ctx = scheduler.here()
    if ctx is None:
        return _real_threading.get_ident()
    return ctx[1].loop_thread or ctx[1]


class local:
    """``threading.local``, with values per controlled thread: a run's controlled threads
    may all be greenlets of one OS thread, where the real one would share its values among
    them. Each attribute access first puts the caller's values in place as the object's
    ``__dict__`` (made on its first access, with the subclass's ``__init__`` run again, as
    the real one does), so that properties, slots and methods work as they always do. No
    scheduling point lies between the two; other OS threads take turns under a lock."""

    __slots__ = ("__dict__", "_local__args", "_local__dicts")

    def __new__(cls, /, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        object.__setattr__(self, "_local__args", (args, kwargs))
        object.__setattr__(self, "_local__dicts", {_local_key(): {}})
        _local_enter(self)
        return self

    def __getattribute__(self, name: str) -> Any:
        if scheduler.here() is not None:
            _local_enter(self)
            return object.__getattribute__(self, name)
        with _local_guard:
            _local_enter(self)
            return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is "
                                 "read-only")
        if scheduler.here() is not None:
            _local_enter(self)
            object.__setattr__(self, name, value)
            return
        with _local_guard:
            _local_enter(self)
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(f"{type(self).__name__!r} object attribute '__dict__' is "
                                 "read-only")
        if scheduler.here() is not None:
            _local_enter(self)
            object.__delattr__(self, name)
            return
        with _local_guard:
            _local_enter(self)
            object.__delattr__(self, name)


def _local_enter(self: local) -> None:
    """Put the calling thread's values in place in ``self``; the first time, make them and
    run the subclass's ``__init__`` with them, as ``threading.local`` does."""
    dicts: dict[object, dict[str, Any]] = object.__getattribute__(self, "_local__dicts")
    key = _local_key()
    values = dicts.get(key)
    if values is not None:
        object.__setattr__(self, "__dict__", values)
        return
    values = dicts[key] = {}
    object.__setattr__(self, "__dict__", values)
    args, kwargs = object.__getattribute__(self, "_local__args")
    init = type(self).__init__
    if init is not object.__init__:
        init(self, *args, **kwargs)


# ------------------------------------------------------------------ module functions
# The real functions, kept now: while exploring, ``threading.get_ident`` and the others are
# these stand-ins, so looking them up on the module then would call back here, forever
# (threads the engine does not control, such as a real pool's workers, still call them).
_real_current_thread = _real_threading.current_thread
_real_main_thread = _real_threading.main_thread
_real_get_ident = _real_threading.get_ident
_real_enumerate = _real_threading.enumerate
# a private function typeshed does not declare; ThreadPoolExecutor registers with it
_real_register_atexit = _real_threading._register_atexit  # type: ignore[attr-defined]


def current_thread() -> Any:
    ctx = scheduler.here()
    if ctx is None:
        return _real_current_thread()
    return (ctx[1].loop_thread or ctx[1]).handle


def main_thread() -> Any:
    ctx = scheduler.here()
    if ctx is None or ctx[0].main is None:
        return _real_main_thread()
    return ctx[0].main.handle


def get_ident() -> int:
    ctx = scheduler.here()
    if ctx is None:
        return _real_get_ident()
    return _IDENT_BASE + (ctx[1].loop_thread or ctx[1]).tid


def enumerate_() -> list[Any]:
    ctx = scheduler.here()
    if ctx is None:
        return _real_enumerate()
    return [t.handle for t in ctx[0].threads if t.status != DONE and t.loop_thread is None]


def active_count() -> int:
    return len(enumerate_())


def register_atexit(func: Callable[..., object], *arg: Any, **kwargs: Any) -> None:
    """``threading._register_atexit``: called when the main thread ends, before the join."""
    ctx = scheduler.here()
    if ctx is None:
        _real_register_atexit(func, *arg, **kwargs)
        return
    ctx[0].atexit.append(lambda: func(*arg, **kwargs))
