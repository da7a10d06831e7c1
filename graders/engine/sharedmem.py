"""Stand-ins for ``multiprocessing``'s shared memory (``Value``, ``Array``, their raw forms,
``shared_memory.SharedMemory``) and its locks, between controlled processes
(:mod:`.processes`).

A shared value keeps its data in a real ctypes object, so it converts, truncates and refuses
values as ``multiprocessing``'s does; what the engine adds is a scheduling point before each
read and each write. ``counter.value += 1`` is a read and then a write, with a point between
them where another process may run: the lost update of an unlocked shared counter shows as
it does between threads. ``get_lock()`` gives the value's own lock (an RLock, as in
``multiprocessing``), shared by every process the value is passed to.

A ``SharedMemory`` segment is a named bytearray of the run: ``buf`` is a real memoryview
over it, so reads and writes through it are the traced instructions of the code under test
(each a scheduling point), and numpy arrays can be built on it. A segment lives until it is
unlinked, as a real one outlives every process that forgot to: :func:`segments_left` lists
the ones nobody unlinked, for a check to report.

``multiprocessing.Lock()`` and the other synchronisation primitives are the engine's thread
primitives marked :class:`~.processes.Shared`: passed to a process, they stay the same
object. A ``threading.Lock`` passed to a process fails to pickle, as it does under spawn.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.shared_memory as _real_shared_memory
import multiprocessing.sharedctypes as _real_sharedctypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from . import primitives, scheduler
from .primitives import step
from .processes import ProcessState, Shared, here, world

_REAL_SHARED_MEMORY = _real_shared_memory.SharedMemory
_TYPES: dict[str, Any] = dict(getattr(_real_sharedctypes, "typecode_to_type"))  # noqa: B009 (untyped)


def _ctype(typecode_or_type: Any) -> Any:
    if isinstance(typecode_or_type, str):
        if typecode_or_type not in _TYPES:
            raise TypeError(f"unknown typecode {typecode_or_type!r}")
        return _TYPES[typecode_or_type]
    return typecode_or_type


class Lock(primitives.Lock, Shared):
    """``multiprocessing.Lock``: a lock every process it is passed to shares."""


class RLock(primitives.RLock, Shared):
    """``multiprocessing.RLock``."""


class Semaphore(primitives.Semaphore, Shared):
    """``multiprocessing.Semaphore``."""


class BoundedSemaphore(primitives.BoundedSemaphore, Shared):
    """``multiprocessing.BoundedSemaphore``."""


class Condition(primitives.Condition, Shared):
    """``multiprocessing.Condition`` (over a shared RLock unless given a lock)."""

    def __init__(self, lock: Any = None) -> None:
        super().__init__(lock if lock is not None else RLock())


class Event(primitives.Event, Shared):
    """``multiprocessing.Event``."""


class Barrier(primitives.Barrier, Shared):
    """``multiprocessing.Barrier``."""


class _SharedData(Shared):
    """What Value and Array share: the ctypes object, and the lock if they have one."""

    def __init__(self, obj: Any, lock: Any) -> None:
        here()                                    # made inside a run only
        self._obj = obj
        if lock is True:
            lock = RLock()
        self._lock = lock if lock is not False else None

    def get_obj(self) -> Any:
        return self._obj

    @property
    def get_lock(self) -> Callable[[], Any]:
        """The value's own lock (a raw one, made with lock=False, has no such method)."""
        lock = self._lock
        if lock is None:
            raise AttributeError(f"'{type(self._obj).__name__}' object has no attribute "
                                 "'get_lock'")
        return lambda: lock

    def acquire(self, *args: Any) -> Any:
        return self.get_lock().acquire(*args)

    def release(self) -> None:
        self.get_lock().release()

    def __enter__(self) -> Any:
        return self.get_lock().__enter__()

    def __exit__(self, *exc: object) -> Any:
        return self.get_lock().__exit__(*exc)


class Value(_SharedData):
    """``multiprocessing.Value``: ``.value`` read and written in separate steps."""

    def __init__(self, typecode_or_type: Any, *args: Any, lock: Any = True) -> None:
        super().__init__(_ctype(typecode_or_type)(*args), lock)

    @property
    def value(self) -> Any:
        step(self, "read")
        return self._obj.value

    @value.setter
    def value(self, new: Any) -> None:
        step(self, "write")
        self._obj.value = new

    def __repr__(self) -> str:
        return f"<Synchronized wrapper for {self._obj!r}>"


class Array(_SharedData):
    """``multiprocessing.Array``: each item read and written in a step of its own."""

    def __init__(self, typecode_or_type: Any, size_or_initializer: Any, *,
                 lock: Any = True) -> None:
        kind = _ctype(typecode_or_type)
        if isinstance(size_or_initializer, int):
            obj = (kind * size_or_initializer)()
        else:
            items = list(size_or_initializer)
            obj = (kind * len(items))(*items)
        super().__init__(obj, lock)

    def __len__(self) -> int:
        return len(self._obj)

    def __getitem__(self, index: Any) -> Any:
        step(self, "read")
        return self._obj[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        step(self, "write")
        self._obj[index] = value

    def __iter__(self) -> Any:
        return iter([self[i] for i in range(len(self._obj))])

    def __repr__(self) -> str:
        return f"<SynchronizedArray wrapper for {self._obj!r}>"


def RawValue(typecode_or_type: Any, *args: Any) -> Value:
    """``multiprocessing.RawValue``: a shared value without a lock."""
    return Value(typecode_or_type, *args, lock=False)


def RawArray(typecode_or_type: Any, size_or_initializer: Any) -> Array:
    """``multiprocessing.RawArray``: a shared array without a lock."""
    return Array(typecode_or_type, size_or_initializer, lock=False)


@dataclass(eq=False)
class _Segment:
    data: bytearray
    creator: ProcessState
    site: str


class SharedMemory:
    """``multiprocessing.shared_memory.SharedMemory``: a named segment any process can attach
    to by name. Passed to another process it is pickled by name and attached there, as the
    real one is."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if scheduler.here() is None:       # outside a run: the real thing
            return _REAL_SHARED_MEMORY(*args, **kwargs)
        return object.__new__(cls)

    def __init__(self, name: str | None = None, create: bool = False, size: int = 0) -> None:
        w, _ts, proc = here()
        step(None, "shared_memory")
        if create:
            if size <= 0:
                raise ValueError("'size' must be a positive number different from zero")
            if name is None:
                w.segments_made += 1
                name = f"psm_{w.segments_made:08x}"
            if name in w.segments:
                raise FileExistsError(17, "File exists", f"/{name}")
            w.segments[name] = _Segment(bytearray(size), proc, _made_at())
        elif name is None:
            raise ValueError("'name' can only be None if create=True")
        segment = w.segments.get(name)
        if segment is None:
            raise FileNotFoundError(2, "No such file or directory", f"/{name}")
        self._name = name
        self._segment = segment
        self._buf: memoryview | None = memoryview(segment.data)

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return len(self._segment.data)

    @property
    def buf(self) -> memoryview | None:
        return self._buf

    def close(self) -> None:
        step(self, "close")
        if self._buf is not None:
            self._buf.release()
            self._buf = None

    def unlink(self) -> None:
        step(self, "unlink")
        w = world()
        if w.segments.get(self._name) is not self._segment:
            raise FileNotFoundError(2, "No such file or directory", f"/{self._name}")
        del w.segments[self._name]

    def __reduce__(self) -> tuple[Any, ...]:
        return (SharedMemory, (self._name, False))

    def __repr__(self) -> str:
        return f"SharedMemory({self._name!r}, size={self.size})"


def _made_at() -> str:
    """Where the code under test is making a segment ("file.py:12"), for a report."""
    run = world().run
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and not run.settings.traced(frame.f_code.co_filename):
        frame = frame.f_back
    return "" if frame is None else f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def segments_left() -> list[str]:
    """The shared memory segments of this run nobody has unlinked yet, as "name (made at
    file:line by process)": a real segment outlives its processes until it is unlinked."""
    return [f"{name} (made at {seg.site} by {seg.creator.name})"
            for name, seg in world().segments.items()]


def _stand_in(name: str, fake: Any) -> Any:
    real = getattr(multiprocessing, name)

    def make(*args: Any, **kwargs: Any) -> Any:
        return (real if scheduler.here() is None else fake)(*args, **kwargs)
    make.__name__ = make.__qualname__ = name
    return make


def stand_ins() -> list[tuple[Any, str, Any]]:
    """``(module, name, stand-in)`` for :func:`.processes.installed`."""
    fakes = {"Value": Value, "Array": Array, "RawValue": RawValue, "RawArray": RawArray,
             "Lock": Lock, "RLock": RLock, "Semaphore": Semaphore,
             "BoundedSemaphore": BoundedSemaphore, "Condition": Condition, "Event": Event,
             "Barrier": Barrier}
    return [*[(multiprocessing, name, _stand_in(name, fake)) for name, fake in fakes.items()],
            (_real_shared_memory, "SharedMemory", SharedMemory)]

