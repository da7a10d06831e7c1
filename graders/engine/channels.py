"""Stand-ins for ``multiprocessing.Pipe`` and ``multiprocessing.Queue`` between controlled
processes (:mod:`.processes`).

A pipe has a capacity in bytes, as a kernel pipe has: ``send`` pickles its message, puts it
in the pipe and returns once what is still unread fits the capacity, so a big message keeps
its writer waiting until the reader has taken it. Each end knows which processes hold it (the
one that made it and every process it was passed to, until each closes it or ends): a
``recv`` with nothing to read waits for the holders of the other end, gets ``EOFError`` when
there are none left, and a ``send`` into a pipe nobody can read any more raises
``BrokenPipeError``. A queue works the same way with ``maxsize`` counted in items, and a
process that put items on one cannot end until all but a pipe's worth of them have been
read (the documented hazard of "joining processes that use queues").

Every wait is on a WaitQueue whose owner says whom it waits for (``waited_for``) and how to
say it (``wait_words``), so a protocol deadlock is reported as a wait-for cycle between
processes, in their words.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import queue as _real_queue
import sys
from collections import deque
from collections.abc import Sequence
from types import FrameType
from typing import Any

from . import scheduler
from .findings import BLOCKED, DONE, ThreadView
from .primitives import Primitive, _deadline, step
from .processes import Held, ProcessState, World, here
from .scheduler import Run, ThreadState, WaitQueue

_real_pipe = multiprocessing.Pipe
_real_queue_cls = multiprocessing.Queue
_real_simple_queue = multiprocessing.SimpleQueue
_real_joinable_queue = multiprocessing.JoinableQueue


class _Channel(Primitive, Held):
    """What pipe ends and queues share: the processes that hold them, per-process close,
    and the words for whom a waiter waits."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    def _setup(self, world: World, creator: ProcessState) -> None:
        self._world = world
        self._run = world.run
        self._holders: list[ProcessState] = [creator]
        self._closed_in: set[ProcessState] = set()
        self.site = _program_site(world.run)
        self.user_made = True

    def _open_in(self, proc: ProcessState, what: str = "handle is closed") -> None:
        if proc in self._closed_in:
            raise OSError(what)

    def _others(self, holders: Sequence[ProcessState], queue: WaitQueue) -> list[ProcessState]:
        """The processes in ``holders`` other than those of the threads waiting on ``queue``
        (those are whom the waiters wait for), blocked ones first."""
        waiting = {self._world.process_of(t) for t in queue.waiters}
        found = [p for p in holders if p not in waiting and p.thread is not None
                 and p.thread.status != DONE]
        return sorted(found, key=lambda p: p.thread is None or p.thread.status != BLOCKED)

    def _wake_all(self, queue: WaitQueue, value: object = True) -> None:
        run = self._world.run
        for waiter in list(queue.waiters):
            run.wake(waiter, value)

    def _names(self, holders: Sequence[ProcessState], view: ThreadView) -> str:
        names = [p.thread.name for p in holders
                 if p.thread is not None and p.thread.tid != view.tid]
        return _and(names) if names else ""


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _program_site(run: Run) -> tuple[str, int] | None:
    """Where in the code under test the object is being made (for reports)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if run.settings.traced(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


def _ctx(obj: object, note: str) -> tuple[Run, ThreadState, ProcessState]:
    """The scheduling point before an operation: the run, the caller and its process."""
    run, ts = step(obj, note)
    return run, ts, here()[2]


# ------------------------------------------------------------------ pipes
class _Direction:
    """Messages on their way from one end of a pipe to the other, counted in bytes."""

    def __init__(self) -> None:
        self.messages: deque[tuple[bool, bytes]] = deque()   # (raw bytes?, data)
        self.written = 0
        self.read = 0

    def unread(self) -> int:
        return self.written - self.read


class Connection(_Channel):
    """One end of a ``multiprocessing.Pipe``: send, recv, poll, close."""

    def __init__(self, world: World, creator: ProcessState, incoming: _Direction | None,
                 outgoing: _Direction | None) -> None:
        self._setup(world, creator)
        self._in = incoming
        self._out = outgoing
        self._peer: Connection = self
        self._readers = WaitQueue(self, "receive")
        self._writers = WaitQueue(self, "send")
        self._queue = self._readers          # the kind a drawing shows for it

    @property
    def readable(self) -> bool:
        return self._in is not None

    @property
    def writable(self) -> bool:
        return self._out is not None

    @property
    def closed(self) -> bool:
        ctx = scheduler.here()
        return ctx is not None and self._world.process_of(ctx[1]) in self._closed_in

    def _last_holder_gone(self) -> None:
        peer = self._peer
        self._wake_all(peer._readers)        # EOF for whoever reads at the other end
        self._wake_all(peer._writers)        # a broken pipe for whoever writes into it

    # ------------------------------------------------------------- sending
    def send(self, obj: Any) -> None:
        run, ts, proc = _ctx(self, "send")
        self._open_in(proc)
        data, _shared = self._world.dumps(obj)
        self._put(run, ts, False, data)

    def send_bytes(self, buf: Any, offset: int = 0, size: int | None = None) -> None:
        run, ts, proc = _ctx(self, "send")
        self._open_in(proc)
        data = bytes(memoryview(buf).cast("B"))
        data = data[offset:] if size is None else data[offset:offset + size]
        self._put(run, ts, True, data)

    def _put(self, run: Run, ts: ThreadState, raw: bool, data: bytes) -> None:
        out = self._out
        if out is None:
            raise OSError("connection is read-only")
        if not self._peer._holders:
            raise BrokenPipeError(32, "Broken pipe")
        out.messages.append((raw, data))
        out.written += len(data)
        end = out.written
        self._wake_all(self._peer._readers)
        capacity = self._world.options.pipe_capacity
        while end - out.read > capacity:
            if not self._peer._holders:
                raise BrokenPipeError(32, "Broken pipe")
            run.block(ts, self._writers, None, obj=self)

    # ------------------------------------------------------------- receiving
    def recv(self) -> Any:
        run, ts, proc = _ctx(self, "recv")
        raw, data = self._take(run, ts, proc)
        if raw:
            raise OSError("recv() got bytes sent with send_bytes(); use recv_bytes()")
        return self._world.loads(data, proc)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        run, ts, proc = _ctx(self, "recv")
        _raw, data = self._take(run, ts, proc)
        if maxlength is not None and len(data) > maxlength:
            raise OSError("bad message length")
        return data

    def _take(self, run: Run, ts: ThreadState, proc: ProcessState) -> tuple[bool, bytes]:
        self._open_in(proc)
        incoming = self._in
        if incoming is None:
            raise OSError("connection is write-only")
        while not incoming.messages:
            if not self._peer._holders:
                raise EOFError
            run.block(ts, self._readers, None, obj=self)
        raw, data = incoming.messages.popleft()
        incoming.read += len(data)
        self._wake_all(self._peer._writers)
        return raw, data

    def poll(self, timeout: float | None = 0.0) -> bool:
        run, ts, proc = _ctx(self, "poll")
        self._open_in(proc)
        incoming = self._in
        if incoming is None:
            raise OSError("connection is write-only")
        deadline = _deadline(run, timeout)
        while not incoming.messages and self._peer._holders:
            if deadline is not None and deadline <= run.now:
                return False
            run.block(ts, self._readers, deadline, obj=self)
        return True

    def close(self) -> None:
        _run, _ts, proc = _ctx(self, "close")
        if proc not in self._closed_in:
            self._closed_in.add(proc)
            self._release(proc)

    def fileno(self) -> int:
        raise OSError("a pipe under the engine has no file descriptor")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- reports
    def waited_for(self, kind: str) -> ThreadState | None:
        queue = self._readers if kind == "receive" else self._writers
        others = self._others(self._peer._holders, queue)
        return others[0].thread if others else None

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        others = self._names(self._peer._holders, view)
        if view.kind == "receive":
            if not others:
                return (f"waits to receive on {what}, but only its own process holds the "
                        "pipe's other end (close that copy, and recv() raises EOFError)")
            return f"waits to receive on {what}, which only {others} can send to"
        unread = self._out.unread() if self._out is not None else 0
        if not others:
            return (f"waits to send on {what}: the pipe is full ({unread} bytes unread) and "
                    "only its own process holds the other end")
        return (f"waits to send on {what}: the pipe is full ({unread} bytes unread) and "
                f"only {others} can read from it")

    def __repr__(self) -> str:
        return f"<Connection {'r' if self.readable else ''}{'w' if self.writable else ''}>"


def Pipe(duplex: bool = True) -> tuple[Any, Any]:
    """``multiprocessing.Pipe``: two connected ends (``duplex=False``: receive, send)."""
    if scheduler.here() is None:
        return _real_pipe(duplex)
    w, _ts, proc = here()
    step(None, "pipe")
    forth, back = _Direction(), _Direction()
    if duplex:
        a = Connection(w, proc, back, forth)
        b = Connection(w, proc, forth, back)
    else:
        a = Connection(w, proc, forth, None)      # the reading end
        b = Connection(w, proc, None, forth)      # the writing end
    a._peer, b._peer = b, a
    return a, b


# ------------------------------------------------------------------ queues
class Queue(_Channel):
    """``multiprocessing.Queue``: pickled items, ``maxsize`` in items (0: no limit)."""

    def __init__(self, maxsize: int = 0) -> None:
        w, _ts, proc = here()
        self._setup(w, proc)
        self._maxsize = maxsize if maxsize > 0 else 0
        self._items: deque[tuple[bytes, ProcessState]] = deque()
        self._read = 0                     # bytes taken out so far
        self._put_until: dict[ProcessState, int] = {}   # where each putter's last item ends
        self._written = 0
        self._cancelled: set[ProcessState] = set()
        self._getters = WaitQueue(self, "get")
        self._putters = WaitQueue(self, "put")
        self._flushers = WaitQueue(self, "flush")
        self._queue = self._getters

    def _closed_error(self) -> ValueError:
        return ValueError(f"Queue {self!r} is closed")

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        run, ts, proc = _ctx(self, "put")
        if proc in self._closed_in:
            raise self._closed_error()
        deadline = _deadline(run, timeout) if block else run.now
        while self._maxsize and len(self._items) >= self._maxsize:
            if deadline is not None and deadline <= run.now:
                raise _real_queue.Full
            run.block(ts, self._putters, deadline, obj=self)
        data, _shared = self._world.dumps(obj)
        self._items.append((data, proc))
        self._written += len(data)
        self._put_until[proc] = self._written
        self._wake_all(self._getters)

    def put_nowait(self, obj: Any) -> None:
        self.put(obj, False)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        run, ts, proc = _ctx(self, "get")
        if proc in self._closed_in:
            raise self._closed_error()
        deadline = _deadline(run, timeout) if block else run.now
        while not self._items:
            if deadline is not None and deadline <= run.now:
                raise _real_queue.Empty
            run.block(ts, self._getters, deadline, obj=self)
        data, _putter = self._items.popleft()
        self._read += len(data)
        self._wake_all(self._putters)
        self._wake_all(self._flushers)
        return self._world.loads(data, proc)

    def get_nowait(self) -> Any:
        return self.get(False)

    def empty(self) -> bool:
        step(self, "empty")
        return not self._items

    def full(self) -> bool:
        step(self, "full")
        return bool(self._maxsize) and len(self._items) >= self._maxsize

    def qsize(self) -> int:
        step(self, "qsize")
        return len(self._items)

    def close(self) -> None:
        _run, _ts, proc = _ctx(self, "close")
        self._closed_in.add(proc)

    def join_thread(self) -> None:
        _run, _ts, proc = _ctx(self, "join_thread")
        if proc not in self._closed_in:
            raise AssertionError("Queue.join_thread() called before close()")

    def cancel_join_thread(self) -> None:
        _run, _ts, proc = _ctx(self, "cancel_join_thread")
        self._cancelled.add(proc)

    def _before_exit(self, run: Run, ts: ThreadState, proc: ProcessState) -> None:
        """Before ``proc`` ends: wait until what it put fits in the pipe behind the queue
        (its feeder thread cannot end before)."""
        until = self._put_until.get(proc, 0)
        while (proc not in self._cancelled
               and until - self._read > self._world.options.pipe_capacity):
            run.block(ts, self._flushers, None, obj=self)

    def waited_for(self, kind: str) -> ThreadState | None:
        queue = {"get": self._getters, "put": self._putters}.get(kind, self._flushers)
        others = self._others(self._holders, queue)
        return others[0].thread if others else None

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        others = self._names(self._holders, view)
        if view.kind == "get":
            return (f"waits to get from {what}, which is empty; only {others} can put into it"
                    if others else f"waits to get from {what}, which is empty and which no "
                    "other process holds")
        if view.kind == "put":
            return (f"waits to put into {what}, which is full ({self._maxsize} items); only "
                    f"{others} can take from it" if others else
                    f"waits to put into {what}, which is full and which no other process holds")
        return (f"has finished but cannot exit: what it put on {what} does not fit in the "
                f"queue's pipe ({self._written - self._read} bytes unread), and a process "
                "waits for its queue items to be read before it ends"
                + (f"; only {others} can read them" if others else ""))

    def __repr__(self) -> str:
        return f"<Queue maxsize={self._maxsize}>"


class SimpleQueue(Queue):
    """``multiprocessing.SimpleQueue``: get, put, empty and close."""

    def __init__(self) -> None:
        super().__init__()


class JoinableQueue(Queue):
    """``multiprocessing.JoinableQueue``: a Queue with ``task_done`` and ``join``."""

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._unfinished = 0
        self._joiners = WaitQueue(self, "join-queue")

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        super().put(obj, block, timeout)
        self._unfinished += 1

    def task_done(self) -> None:
        step(self, "task_done")
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if not self._unfinished:
            self._wake_all(self._joiners)

    def join(self) -> None:
        run, ts = step(self, "join")
        while self._unfinished:
            run.block(ts, self._joiners, None, obj=self)

    def waited_for(self, kind: str) -> ThreadState | None:
        if kind != "join-queue":
            return super().waited_for(kind)
        others = self._others(self._holders, self._joiners)
        return others[0].thread if others else None

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        if view.kind != "join-queue":
            return super().wait_words(view, threads, what)
        others = self._names(self._holders, view)
        return (f"waits in {what}.join() for {self._unfinished} task_done() calls"
                + (f" that only {others} can make" if others else " that nobody can make"))


_real_connection_wait = multiprocessing.connection.wait


def wait(object_list: Sequence[Any], timeout: float | None = None) -> list[Any]:
    """``multiprocessing.connection.wait`` for pipe ends made in a run: the ends that have
    something to read (a message, or the end of the stream), once one has, or none after
    ``timeout``. The waiting thread is parked on every end's queue at once (the first one
    names it in reports), and taken off the others as soon as it is woken."""
    if scheduler.here() is None or not all(isinstance(o, Connection) for o in object_list):
        return _real_connection_wait(object_list, timeout)
    run, ts, proc = _ctx(object_list[0] if object_list else wait, "poll")
    ends: list[Connection] = list(object_list)
    for end in ends:
        end._open_in(proc)
    deadline = _deadline(run, timeout)

    def ready() -> list[Connection]:
        return [e for e in ends if e._in is not None and (e._in.messages or not
                                                           e._peer._holders)]

    while not (found := ready()):
        if not ends or (deadline is not None and deadline <= run.now):
            return []
        others = [e._readers for e in ends[1:]]
        for queue in others:
            queue.waiters.append(ts)
        try:
            run.block(ts, ends[0]._readers, deadline, obj=ends[0])
        finally:
            for queue in others:
                if ts in queue.waiters:
                    queue.waiters.remove(ts)
    return found


def _stand_in(real: Any, fake: Any) -> Any:
    """A factory that makes the stand-in inside a run and the real thing outside one."""
    def make(*args: Any, **kwargs: Any) -> Any:
        return (real if scheduler.here() is None else fake)(*args, **kwargs)
    make.__name__ = make.__qualname__ = fake.__name__
    return make


def stand_ins() -> list[tuple[Any, str, Any]]:
    """``(module, name, stand-in)`` for :func:`.processes.installed`."""
    return [
        (multiprocessing, "Pipe", Pipe),
        (multiprocessing, "Queue", _stand_in(_real_queue_cls, Queue)),
        (multiprocessing, "SimpleQueue", _stand_in(_real_simple_queue, SimpleQueue)),
        (multiprocessing, "JoinableQueue", _stand_in(_real_joinable_queue, JoinableQueue)),
        (multiprocessing.connection, "wait", wait),
    ]
