"""Stand-ins for ``threading``'s locks and signals, each parking its threads on a WaitQueue.

They keep the standard library's signatures, return values and error messages, so code
written against ``threading`` runs unchanged. Each operation is a scheduling point, taken
before the operation happens. Created outside a controlled thread (by the test runner, say,
while an exploration is installed), they hand back the real primitive instead.
"""

from __future__ import annotations

import _thread
import sys
import threading as _real_threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from . import scheduler
from .findings import Misuse, Site
from .frames import traced_site
from .scheduler import Aborted, LogEntry, Run, ThreadState, WaitQueue
from .verdicts import BugClass

_real: dict[str, Callable[..., Any]] = {
    "Lock": _thread.allocate_lock,
    "RLock": _real_threading.RLock,
    "Condition": _real_threading.Condition,
    "Semaphore": _real_threading.Semaphore,
    "BoundedSemaphore": _real_threading.BoundedSemaphore,
    "Event": _real_threading.Event,
    "Barrier": _real_threading.Barrier,
}
BrokenBarrierError = _real_threading.BrokenBarrierError


class LeftBehind(RuntimeError):
    """A stand-in used where its run is not: outside any run, or in a later run. Raised in
    a finalizer that the garbage collector runs late (see :func:`step`), it is not the
    program's doing, and :func:`quiet_finalizers` keeps it off the screen."""


def _outside(obj: object) -> LeftBehind:
    return LeftBehind(
        f"{type(obj).__name__} was made while the engine explored a program and cannot be "
        "used outside that run")


def quiet_finalizers(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """``sys.unraisablehook`` while the stand-ins are installed: a finalizer refused with
    :class:`LeftBehind` (an ``as_completed()`` generator of an earlier run, collected late)
    says nothing, nor one whose code caught that refusal and raised something else (a
    check's coroutine that turns any exception into a verdict, closed late on 3.12+);
    anything else goes to ``hook``, the hook that was there before.

    A Ctrl-C whose handler ran inside a finalizer (the collector finalizes an earlier
    run's leftovers in the main thread, between runs) raised its ``KeyboardInterrupt``
    there, where it can only be reported: it is delivered to the main thread again, so the
    exploration stops as asked instead of going on."""

    def quiet(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and (
                _thread.get_ident() == _real_threading.main_thread().ident):
            _thread.interrupt_main()
            return None
        if _refused(unraisable.exc_value):
            return None
        return hook(unraisable)

    return quiet


def _refused(exc: BaseException | None) -> bool:
    """``exc`` is a LeftBehind refusal, or was raised while handling one."""
    seen = 0
    while exc is not None and seen < 50:
        if isinstance(exc, LeftBehind):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _caller_site(run: Run, depth: int = 3) -> tuple[CodeType | None, int]:
    """The innermost frame of the code under test that led here (for the report)."""
    return traced_site(depth, run.settings.traced)


def _earlier(obj: object) -> LeftBehind:
    return LeftBehind(
        f"{type(obj).__name__} was made in an earlier run of the program and cannot be used "
        "in this one (an object of that run finalized late, such as a generator left "
        "unfinished, reached it)")


def step(obj: object, note: str) -> tuple[Run, ThreadState]:
    """The scheduling point before an operation on ``obj``; returns the run and the caller.

    A primitive belongs to the run that made it. The garbage collector can finalize an
    object of an earlier run (an unfinished generator such as ``as_completed``, whose
    ``finally`` takes a future's lock) while a later run is under way, in one of its
    threads: that operation is refused, before it can park the thread on a queue of the
    earlier run or count as a step of this one."""
    ctx = scheduler.here()
    if ctx is None:
        raise _outside(obj)
    run, ts = ctx
    made_in = obj._run if isinstance(obj, Primitive) else None
    if made_in is not None and made_in is not run:
        raise _earlier(obj)
    code, offset = _caller_site(run)
    run.yield_point(ts, LogEntry(ts.tid, code, offset, note, obj))   # positional: cheaper
    return run, ts


def _deadline(run: Run, timeout: float | None) -> float | None:
    return None if timeout is None else run.now + max(timeout, 0.0)


class Primitive:
    """What the stand-ins share: outside a controlled thread they hand back the real
    primitive; inside, each parks its threads on a WaitQueue and knows where it was made."""

    _queue: WaitQueue
    label: str | None = None
    #: the run that made it: only that run may use it (see :func:`step`)
    _run: Run | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if scheduler.here() is None:
            return _real[cls._real_name](*args, **kwargs)
        return super().__new__(cls)

    _real_name = ""

    def _created(self, kind: str) -> None:
        self._queue = WaitQueue(self, kind)
        frame: FrameType | None = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back
        self.site = (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None
        run = scheduler.active
        self._run = run
        self.user_made = bool(run is not None and self.site is not None
                              and not run.settings.library(self.site[0]))


class _OwnedLock(Primitive):
    """What Lock and RLock share: an owner, contenders, the lock-order graph."""

    _owner: ThreadState | None = None
    #: where its holder took it (a self-deadlock report names the line)
    taken_at: Site | None = None

    def _contend(self, run: Run, ts: ThreadState) -> None:
        self._queue.contenders.setdefault(ts, 0)

    def _won(self, run: Run, ts: ThreadState, could_wait_forever: bool = True) -> None:
        contenders = self._queue.contenders
        contenders.pop(ts, None)
        bound = run.settings.starvation_bound
        for other in contenders:
            contenders[other] += 1
            if run.check_starvation and bound is not None and contenders[other] > bound:
                run.fail(Misuse(bug_class=BugClass.STARVATION, lock=self, threads=run.views(),
                                overtaken=contenders[other], thread=other.name))
                raise Aborted
        # An acquire that gives up (timeout, non-blocking) cannot be part of a deadlock.
        if could_wait_forever and self.user_made and run.settings.lock_order:
            gates = frozenset(map(id, ts.held)) | frozenset(map(id, ts.sems))
            for held in ts.held:
                if getattr(held, "user_made", False):
                    run.lock_edges.append((held, self, ts, gates))
        ts.held.append(self)
        self._owner = ts
        run.lock_log.append((len(run.events), ts.tid, self, True))
        self.taken_at = run.site_of(ts, limit=200)

    def _gave_up(self, ts: ThreadState) -> None:
        self._queue.contenders.pop(ts, None)

    def _released(self, run: Run, ts: ThreadState) -> None:
        owner = self._owner
        self._owner = None
        if owner is not None and self in owner.held:
            owner.held.remove(self)
        if owner is not None:
            run.lock_log.append((len(run.events), owner.tid, self, False))
        if owner is not ts:
            run.foreign_released.add(id(self))
            if self.site is not None:
                run.signal_sites.add(self.site)
            if run.settings.strict_locks and self.user_made:
                run.fail(Misuse(bug_class=BugClass.FOREIGN_RELEASE, lock=self,
                                threads=run.views(), thread=ts.name,
                                owner=owner.name if owner else None))
                raise Aborted
        for waiter in list(self._queue.waiters):
            run.wake(waiter, True)

    def _wait_until_free(self, run: Run, ts: ThreadState, blocking: bool,
                         deadline: float | None) -> bool:
        while self._owner is not None:
            if not blocking:
                return False
            # A thread that asks again for a plain Lock it holds waits like any other: any
            # thread may release a Lock (a hand-off does: a waiter blocks on a Lock of its
            # own until another thread releases it; readerwriterlock's last reader gives back
            # the lock its first reader took). It is a self-deadlock only once no thread can
            # run any more (Run._deadlock: a one-thread wait-for cycle).
            self._contend(run, ts)
            if not run.block(ts, self._queue, deadline):
                self._gave_up(ts)
                return False
        return True

    def locked(self) -> bool:
        step(self, "locked")
        return self._owner is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


def _stdlib_error(call: Any) -> str:
    try:
        call()
    except ValueError as exc:
        return str(exc)
    raise AssertionError("the real call was expected to fail")


# The real lock's own words, which change between versions ("timeout value must be
# positive" up to 3.12, "... a non-negative number" from 3.13).
_NONBLOCKING_TIMEOUT = _stdlib_error(lambda: _thread.allocate_lock().acquire(False, 1))
_NEGATIVE_TIMEOUT = _stdlib_error(lambda: _thread.allocate_lock().acquire(True, -2))


def _check_lock_args(blocking: bool, timeout: float) -> float | None:
    if not blocking and timeout != -1:
        raise ValueError(_NONBLOCKING_TIMEOUT)
    if timeout < 0 and timeout != -1:
        raise ValueError(_NEGATIVE_TIMEOUT)
    return None if timeout == -1 else float(timeout)


class Lock(_OwnedLock):
    """``threading.Lock``: any thread may release it (the engine notes who did)."""

    _real_name = "Lock"

    def __init__(self) -> None:
        self._owner = None
        self._created("lock")

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        t = _check_lock_args(blocking, timeout)
        run, ts = step(self, "acquire")
        if not self._wait_until_free(run, ts, blocking, _deadline(run, t)):
            return False
        self._won(run, ts, blocking and t is None)
        return True

    acquire_lock = acquire

    def release(self) -> None:
        run, ts = step(self, "release")
        if self._owner is None:
            raise RuntimeError("release unlocked lock")
        self._released(run, ts)

    release_lock = release

    def _at_fork_reinit(self) -> None:
        self._owner = None

    def __repr__(self) -> str:
        state = "locked" if self._owner is not None else "unlocked"
        return f"<{state} _thread.lock object at {id(self):#x}>"


class RLock(_OwnedLock):
    """``threading.RLock``: re-entered by its owner, released only by its owner."""

    _real_name = "RLock"

    def __init__(self) -> None:
        self._owner = None
        self._count = 0
        self._created("lock")

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        t = _check_lock_args(blocking, timeout)
        run, ts = step(self, "acquire")
        if self._owner is ts:
            self._count += 1
            return True
        if not self._wait_until_free(run, ts, blocking, _deadline(run, t)):
            return False
        self._count = 1
        self._won(run, ts, blocking and t is None)
        return True

    def release(self) -> None:
        run, ts = step(self, "release")
        if self._owner is not ts:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._released(run, ts)

    def _is_owned(self) -> bool:
        ctx = scheduler.here()
        return ctx is not None and self._owner is ctx[1]

    def _release_save(self) -> tuple[int, ThreadState | None]:
        if self._count == 0:
            raise RuntimeError("cannot release un-acquired lock")
        run, ts = step(self, "release")
        saved = (self._count, self._owner)
        self._count = 0
        self._released(run, ts)
        return saved

    def _acquire_restore(self, saved: tuple[int, ThreadState | None]) -> None:
        run, ts = step(self, "acquire")
        self._wait_until_free(run, ts, True, None)
        self._won(run, ts)
        self._count = saved[0]

    def __repr__(self) -> str:
        state = "locked" if self._owner is not None else "unlocked"
        owner = self._owner.handle.ident if self._owner is not None else 0
        return (f"<{state} _thread.RLock object owner={owner} count={self._count} "
                f"at {id(self):#x}>")


class Condition(Primitive):
    """``threading.Condition``: which waiter a notify wakes is the scheduler's choice."""

    _real_name = "Condition"

    def __init__(self, lock: Any = None) -> None:
        if lock is None:
            lock = RLock()
        self._lock = lock
        self.acquire = lock.acquire
        self.release = lock.release
        self._created("condition")

    def __enter__(self) -> Any:     # whatever the lock's own __enter__ gives, as threading
        return self._lock.__enter__()

    def __exit__(self, *args: object) -> Any:
        return self._lock.__exit__(*args)

    def __repr__(self) -> str:
        return f"<Condition({self._lock}, {len(self._queue.waiters)})>"

    def _is_owned(self) -> bool:
        lock = self._lock
        if isinstance(lock, RLock):
            return lock._is_owned()
        if isinstance(lock, Lock):
            return lock._owner is not None
        if lock.acquire(False):
            lock.release()
            return False
        return True

    def _release_save(self) -> Any:
        lock = self._lock
        if isinstance(lock, RLock):
            return lock._release_save()
        lock.release()
        return None

    def _acquire_restore(self, saved: Any) -> None:
        lock = self._lock
        if isinstance(lock, RLock):
            lock._acquire_restore(saved)
        else:
            lock.acquire()

    def wait(self, timeout: float | None = None) -> bool:
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        run, ts = step(self, "wait")
        saved = self._release_save()
        notified = False
        try:
            if timeout is None or timeout > 0:
                notified = bool(run.block(ts, self._queue, _deadline(run, timeout)))
            return notified
        finally:
            if not run.aborting:
                self._acquire_restore(saved)

    def wait_for(self, predicate: Any, timeout: float | None = None) -> Any:
        ctx = scheduler.here()
        if ctx is None:
            raise _outside(self)
        run = ctx[0]
        end = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if end is None:
                    end = run.now + waittime
                else:
                    waittime = end - run.now
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        run, _ts = step(self, "notify")
        waiters = self._queue.waiters
        for _ in range(n):
            if not waiters:
                break
            run.wake(run.choose_waiter(waiters), True)

    def notify_all(self) -> None:
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        run, _ts = step(self, "notify_all")
        for waiter in list(self._queue.waiters):
            run.wake(waiter, True)

    notifyAll = notify_all


class Semaphore(Primitive):
    """``threading.Semaphore``: a counter; acquire waits while it is zero."""

    _real_name = "Semaphore"

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._value = value
        self._initial = value
        self._created("semaphore")

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        run, ts = step(self, "acquire")
        deadline = _deadline(run, timeout)
        contenders = self._queue.contenders
        while self._value == 0:
            if not blocking:
                return False
            contenders.setdefault(ts, 0)
            if not run.block(ts, self._queue, deadline):
                contenders.pop(ts, None)
                return False
        contenders.pop(ts, None)
        for other in contenders:
            contenders[other] += 1
        self._value -= 1
        ts.sems.append(self)
        run.gate_values[id(self)] = self._initial
        return True

    __enter__ = acquire

    def __exit__(self, *args: object) -> None:
        self.release()

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        run, ts = step(self, "release")
        self._increase(n)
        for _ in range(n):
            holder = ts if self in ts.sems else next(
                (t for t in run.threads if self in t.sems), None)
            if holder is not None:
                holder.sems.remove(self)
        for waiter in list(self._queue.waiters):
            run.wake(waiter, True)

    def _increase(self, n: int) -> None:
        self._value += n

    def __repr__(self) -> str:
        return f"<threading.{type(self).__name__} at {id(self):#x}: value={self._value}>"


class BoundedSemaphore(Semaphore):
    """``threading.BoundedSemaphore``: releasing above the initial value is an error."""

    _real_name = "BoundedSemaphore"

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial_value = value

    def _increase(self, n: int) -> None:
        if self._value + n > self._initial_value:
            raise ValueError("Semaphore released too many times")
        self._value += n

    def __repr__(self) -> str:
        return (f"<threading.BoundedSemaphore at {id(self):#x}: "
                f"value={self._value}/{self._initial_value}>")


class Event(Primitive):
    """``threading.Event``: a flag that threads can wait to see set."""

    _real_name = "Event"

    def __init__(self) -> None:
        self._flag = False
        self._created("event")

    def is_set(self) -> bool:
        step(self, "is_set")
        return self._flag

    isSet = is_set

    def set(self) -> None:
        run, _ts = step(self, "set")
        self._flag = True
        for waiter in list(self._queue.waiters):
            run.wake(waiter, True)

    def clear(self) -> None:
        step(self, "clear")
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        run, ts = step(self, "wait")
        if self._flag:
            return True
        # True when set() woke it, even if the flag was cleared again before this thread
        # ran (as the stdlib's Event does); False when the timeout expired.
        return bool(run.block(ts, self._queue, _deadline(run, timeout)))

    def __repr__(self) -> str:
        return f"<threading.Event at {id(self):#x}: {'set' if self._flag else 'unset'}>"



class Barrier(Primitive):
    """``threading.Barrier``: ``parties`` threads wait for each other, then all go on."""

    _real_name = "Barrier"

    def __init__(self, parties: int, action: Any = None, timeout: float | None = None) -> None:
        self._parties = parties
        self._action = action
        self._timeout = timeout
        self._state = 0          # 0 filling, 1 draining, -1 resetting, -2 broken
        self._count = 0
        self._cycle = 0
        self._created("barrier")

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            timeout = self._timeout
        run, ts = step(self, "wait")
        while self._state in (-1, 1):           # the previous cycle is still emptying
            run.block(ts, self._queue, None)
        if self._state < 0:
            raise BrokenBarrierError
        index = self._count
        self._count += 1
        try:
            if self._count == self._parties:
                if self._action is not None:
                    try:
                        self._action()
                    except BaseException:
                        self._break(run)
                        raise
                self._state = 1
                self._wake_all(run)
            else:
                cycle = self._cycle
                deadline = _deadline(run, timeout)
                while self._state == 0 and self._cycle == cycle:
                    if not run.block(ts, self._queue, deadline):
                        self._break(run)
                        raise BrokenBarrierError
                if self._state < 0:
                    raise BrokenBarrierError
            return index
        finally:
            if not run.aborting:
                self._count -= 1
                if self._count == 0 and self._state in (-1, 1):
                    self._state = 0
                    self._cycle += 1
                    self._wake_all(run)

    def _wake_all(self, run: Run) -> None:
        for waiter in list(self._queue.waiters):
            run.wake(waiter, True)

    def _break(self, run: Run) -> None:
        self._state = -2
        self._wake_all(run)

    def reset(self) -> None:
        run, _ts = step(self, "reset")
        if self._count > 0:
            if self._state == 0 or self._state == -2:
                self._state = -1
        else:
            self._state = 0
        self._cycle += 1
        self._wake_all(run)

    def abort(self) -> None:
        run, _ts = step(self, "abort")
        self._break(run)

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        return self._count if self._state == 0 else 0

    @property
    def broken(self) -> bool:
        return self._state == -2

    def __repr__(self) -> str:
        if self.broken:
            return f"<threading.Barrier at {id(self):#x}: broken>"
        return (f"<threading.Barrier at {id(self):#x}: waiters={self.n_waiting}/"
                f"{self.parties}>")
