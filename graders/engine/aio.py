"""asyncio under the engine: a controlled event loop on the virtual clock.

Every asyncio task runs its steps (the stretches of its coroutine between two awaits that
yield to the loop) on a controlled thread of its own, and the loop, on the thread that
called ``asyncio.run``, hands it the baton for one step at a time. So a task is a thread to
the rest of the engine: the tracer attributes its lines to it, reports give it a column,
a deadlock names the task and what it awaits, replays and shrinking need nothing new. The
loop is a ``BaseEventLoop`` whose ``_run_once`` runs one ready callback per turn: a plain
callback in the order it was scheduled, and, among the tasks that are ready, the one the
strategy picks (the head of the queue, as asyncio would, unless it deviates). No two steps
ever overlap, as in asyncio itself, so nothing here leans on the GIL.

``loop.time()`` is the engine's clock. Time passes only when no task is ready (a program's
own work costs no time), or when the ready tasks have taken turns for long without it
passing (they poll, waiting for a timer): a timeout then fires only when what it guards
truly cannot happen before it. Three mistakes that asyncio itself only logs, if that,
become verdicts: a step that let the clock pass (``time.sleep`` blocked the loop), a
coroutine that was never awaited, and a task's exception that nobody retrieved.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Literal

from . import scheduler
from .findings import BLOCKED, RUNNABLE, Raised, Stated
from .scheduler import Aborted, Run, ThreadState, WaitQueue
from .verdicts import BugClass, CheckFailed
from .waitfor import where

#: ``loop.time()`` at virtual time zero (the stand-in ``time.monotonic`` uses the same).
BASE = 1_000.0

#: Turns per ready task since the clock last passed after which a due timer fires whatever
#: is ready: the tasks only poll (``await asyncio.sleep(0)`` in a loop), and in a real loop
#: the timer's deadline would have come long ago.
SPIN_TURNS = 500

_set_running_loop = asyncio.events._set_running_loop
_DEFAULT_NAME = re.compile(r"Task-\d+")
_NEVER_AWAITED = re.compile(r"coroutine '([^']*)' was never awaited")


class TaskHandle:
    """What the engine's views show of a task (the ``handle`` of its ThreadState)."""

    daemon = True
    _target = None

    def __init__(self, name: str, task_locals: dict[str, object]) -> None:
        self.name = name
        #: the coroutine's arguments by name: reports look for the program's names there
        self.task_locals = task_locals
        self._state: ThreadState | None = None

    def waited_for(self, kind: str) -> ThreadState | None:
        """Whoever awaits this task (or the loop, for its step) waits for its thread; the
        task itself, before its first step, waits for the loop ("new")."""
        return self._state if kind in ("await", "step") else None

    def wait_words(self, t: Any, threads: object, what: str) -> str:
        if t.kind == "step":
            return f"runs the event loop and waits for a step of {self.name} to end"
        if t.kind == "new":
            return "has not started: it waits for its first turn on the event loop"
        return f"awaits {self.name}"


class Lock(asyncio.Lock):
    """``asyncio.Lock`` that remembers which task holds it and where it was made, so that a
    deadlock report can say "Task-2 holds lock_a and waits for lock_b, held by Task-3"."""

    _owner: ThreadState | None = None
    label: str | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename in (__file__, asyncio.locks.__file__):
            frame = frame.f_back
        self.site = (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None

    async def acquire(self) -> Literal[True]:
        result = await super().acquire()
        ctx = scheduler.here()
        if ctx is not None:
            self._owner = ctx[1]
            ctx[1].held.append(self)
        return result

    def release(self) -> None:
        super().release()
        owner, self._owner = self._owner, None
        if owner is not None and self in owner.held:
            owner.held.remove(self)


_KINDS: tuple[tuple[type, str], ...] = (
    (asyncio.Lock, "lock"), (asyncio.Event, "event"), (asyncio.Condition, "condition"),
    (asyncio.Semaphore, "semaphore"), (asyncio.Queue, "queue"))


class _TaskThread:
    """A task and the controlled thread its steps run on."""

    __slots__ = ("handle", "task", "ts", "work")

    def __init__(self, task: asyncio.Task[Any], handle: TaskHandle) -> None:
        self.task = task
        self.handle = handle
        self.ts: ThreadState | None = None
        self.work: asyncio.Handle | None = None


class ControlledLoop(asyncio.BaseEventLoop):
    """An event loop whose turns the engine's strategy orders, on the engine's clock."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self._engine_run = run
        self._loop_ts: ThreadState | None = None
        self._threads: dict[asyncio.Task[Any], _TaskThread] = {}
        self._wake = WaitQueue(self, "loop")
        self._named = 0
        self._turns = 0               # tasks' steps since the clock last passed
        self._left = 0                # callbacks of the current batch still to run
        self._last: ThreadState | None = None
        self._stepping: ThreadState | None = None     # the task whose step runs now
        self._blocked_for = 0.0       # how long the clock passed while it was blocked
        self._logged = 0              # len(run.events) when that step began
        # Livelock by state reads threads' frames: a suspended coroutine is on none, so two
        # states that differ only there would look alike. The step budget still ends a spin.
        run.state_at = sys.maxsize
        run.loops.append(self)

    # ---------------------------------------------------------- asyncio's hooks
    def time(self) -> float:
        return BASE + self._engine_run.now

    def _process_events(self, event_list: object) -> None:
        """No selector: nothing but other threads' callbacks comes from outside."""

    def _write_to_self(self) -> None:
        """``call_soon_threadsafe`` from another controlled thread: wake an idle loop."""
        ts = self._loop_ts
        if ts is not None and ts.queue is self._wake:
            self._engine_run.wake(ts, None)

    def _check_thread(self) -> None:
        """Task steps run on threads of their own, on the loop's behalf: always allowed."""

    def __del__(self) -> None:
        """A run cut short leaves its loop open; that is the engine's doing, not a leak."""

    def run_forever(self) -> None:
        ctx = scheduler.here()
        if ctx is None or ctx[0] is not self._engine_run:
            raise RuntimeError("this event loop was made in a run of the engine and "
                               "cannot run outside it")
        self._loop_ts = ctx[1]
        super().run_forever()

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        """Wait for the executor's threads however long they take. The timeout asyncio.run
        gives (3.12+: 300 s) is for threads stuck on a real machine; here a thread can only
        be slow, the clock would pass it by, and a thread that never ends is a verdict."""
        await super().shutdown_default_executor()

    def close(self) -> None:
        if not self.is_closed():
            self._lost_exceptions()
        super().close()

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """What asyncio would only log is a verdict: an exception in a callback. Once the
        run has its verdict (or is over), what asyncio finds while it unwinds or collects
        the run's tasks (a task destroyed pending, an exception never retrieved) is the
        engine's doing, and not shown."""
        run = self._engine_run
        if scheduler.active is not run or run.aborting:
            return
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            run.fail_with_exception(self._loop_ts or run.threads[0], exc)
        else:
            super().call_exception_handler(context)     # (a message alone: logged)

    # ---------------------------------------------------------- one turn
    def _run_once(self) -> None:
        """One ready callback. As in asyncio, the callbacks ready when an iteration begins
        (due timers appended) form a batch that runs before any callback scheduled during
        it; within the batch, plain callbacks keep their order and the strategy orders the
        tasks. So a ready task waits at most one batch: none is starved, as none is in
        asyncio."""
        run = self._engine_run
        me: Any = self
        if run.aborting:
            raise Aborted
        ready = me._ready
        self._left = min(self._left, len(ready))
        if not self._left:
            scheduled = me._scheduled
            while scheduled and scheduled[0]._cancelled:
                me._timer_cancelled_count -= 1
                heapq.heappop(scheduled)._scheduled = False
            if not ready and not me._stopping:
                self._idle(scheduled[0]._when if scheduled else None)
            elif scheduled and self._turns >= SPIN_TURNS and self._turns >= SPIN_TURNS * len(
                    self._ready_tasks(len(ready))):
                self._pass_time(scheduled[0]._when)
            self._timers_due()
            self._left = len(ready)
            if not ready:
                return
        head = ready[0]
        if head._cancelled or self._task_of(head) is None:
            ready.popleft()               # a plain callback: in the order it was scheduled
            self._left -= 1
            if not head._cancelled:
                head._run()
            return
        chosen = self._choose()
        handle = next(h for h in ready if self._task_of(h) is chosen.task)
        ready.remove(handle)
        self._left -= 1
        self._step(chosen, handle)

    def _task_of(self, handle: asyncio.Handle) -> asyncio.Task[Any] | None:
        owner = getattr(getattr(handle, "_callback", None), "__self__", None)
        if isinstance(owner, asyncio.Task) and owner.get_loop() is self:
            return owner
        return None

    def _ready_tasks(self, batch: int) -> list[_TaskThread]:
        """The tasks with a step among the first ``batch`` ready callbacks, in order."""
        found: list[_TaskThread] = []
        me: Any = self
        for i, h in enumerate(me._ready):
            if i == batch:
                break
            task = self._task_of(h)
            if task is not None and not h._cancelled:
                tt = self._thread_of(task)
                if tt not in found:
                    found.append(tt)
        return found

    def _choose(self) -> _TaskThread:
        """The ready task whose step runs next: the strategy's pick, the head by default."""
        run = self._engine_run
        tasks = self._ready_tasks(self._left)
        if len(tasks) == 1:
            return tasks[0]
        options = [self._ts_of(tt) for tt in tasks]
        default = options[0]
        current = self._last if self._last in options else None
        for t in options:           # ready: runnable, as strategies see it, while they choose
            t.status = RUNNABLE
        try:
            chosen = run.strategy.choose(run, options, default, current)
        finally:
            for t in options:
                t.status = BLOCKED
        if chosen is not default:
            run.deviations.append((run.decisions, chosen.tid))
        run.decisions += 1
        return tasks[options.index(chosen)]

    def _timers_due(self) -> None:
        me: Any = self
        scheduled = me._scheduled
        now = self.time()
        while scheduled and scheduled[0]._when <= now:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            me._ready.append(handle)

    def _idle(self, when: float | None) -> None:
        """Nothing is ready: wait for the first timer, or for another thread's callback. With
        neither, and no thread left to run, the engine calls it a deadlock."""
        run = self._engine_run
        ts = self._loop_ts
        assert ts is not None
        deadline = None if when is None else max(run.now, when - BASE)
        before = run.now
        run.block(ts, self._wake, deadline, obj=self)
        if run.aborting:
            raise Aborted
        if run.now > before:
            self._turns = 0

    def _pass_time(self, when: float) -> None:
        run = self._engine_run
        run._advance_clock(max(run.now, when - BASE))
        run._ticked()
        self._turns = 0

    # ---------------------------------------------------------- tasks as threads
    def _thread_of(self, task: asyncio.Task[Any]) -> _TaskThread:
        tt = self._threads.get(task)
        if tt is None:
            name = task.get_name()
            coro = task.get_coro()
            if _DEFAULT_NAME.fullmatch(name):
                self._named += 1
                name = f"Task-{self._named}"
                task.set_name(name)         # the same name in every run
                function = getattr(coro, "__name__", "")
                if function:
                    name += f" ({function})"
            frame = getattr(coro, "cr_frame", None)
            names = dict(frame.f_locals) if frame is not None else {}
            tt = self._threads[task] = _TaskThread(task, TaskHandle(name, names))
        return tt

    def _ts_of(self, tt: _TaskThread) -> ThreadState:
        """The task's thread, started (parked until its first step) the first time."""
        if tt.ts is None:
            run = self._engine_run
            ts = tt.ts = run.spawn(tt.handle.name, lambda: self._serve(tt), True, tt.handle)
            ts.loop_thread = self._loop_ts
            tt.handle._state = ts
            _park(ts, WaitQueue(tt.handle, "new"))
        return tt.ts

    def _step(self, tt: _TaskThread, handle: asyncio.Handle) -> None:
        """Run one step of a task on its thread, and wait for it to end."""
        run = self._engine_run
        ts = self._ts_of(tt)
        loop_ts = self._loop_ts
        assert loop_ts is not None
        tt.work = handle
        self._logged = len(run.events)
        self._stepping, self._blocked_for = ts, 0.0
        run.wake(ts, None)
        run.block(loop_ts, WaitQueue(tt.handle, "step"), None, obj=tt.handle)
        self._stepping = None
        if run.aborting:
            raise Aborted
        self._turns += 1
        self._last = ts
        if self._blocked_for > 0:      # (the verdict is in: see clock_passes)
            raise Aborted

    def clock_passes(self, seconds: float) -> None:
        """Called by the run as its clock passes: a task that waits for time in the middle
        of a step (``time.sleep``, a timed wait, or a wait for a thread that sleeps: nothing
        else could run) holds up the whole loop. The clock may also pass while a step, or
        the thread it briefly waits for, could run: the machine was slow, which is no bug."""
        ts = self._stepping
        if ts is not None and ts.status == BLOCKED and (ts.deadline is not None or not any(
                t.status == RUNNABLE for t in self._engine_run.threads)):
            if not self._blocked_for:
                self._blocked_loop(ts, seconds)
            self._blocked_for += seconds

    def _serve(self, tt: _TaskThread) -> None:
        """The body of a task's thread: one step each time the loop wakes it."""
        run = self._engine_run
        ts = tt.ts
        assert ts is not None and self._loop_ts is not None
        while True:
            handle, tt.work = tt.work, None
            assert handle is not None
            _set_running_loop(self)
            try:
                handle._run()
            finally:
                _set_running_loop(None)
            if run.aborting:
                raise Aborted
            task = tt.task
            if task.done():
                self._ended(tt)
                run.wake(self._loop_ts, None)
                return
            run.wake(self._loop_ts, None)
            owner, kind = self._awaited(task)
            run.block(ts, WaitQueue(owner, kind), None, obj=owner)

    def _ended(self, tt: _TaskThread) -> None:
        """A task ended: remember who raised what; a check's failure ends the run at once,
        awaited or not."""
        task = tt.task
        if task.cancelled():
            return
        exc = getattr(task, "_exception", None)
        if isinstance(exc, BaseException):
            self._engine_run.raised_in[id(exc)] = tt.handle.name
            if isinstance(exc, CheckFailed):
                assert tt.ts is not None
                self._engine_run.fail_with_exception(tt.ts, exc)

    def _awaited(self, task: asyncio.Task[Any]) -> tuple[object, str]:
        """What a suspended task waits for: the innermost asyncio primitive on its chain of
        awaits, else the task it awaits, else the loop (a sleep, a future)."""
        obj: Any = task.get_coro()
        found: tuple[object, str] | None = None
        kind = "future"
        while obj is not None:
            frame = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
            if frame is not None:
                if frame.f_code is asyncio.sleep.__code__:
                    kind = "sleep"
                me = frame.f_locals.get("self")
                for cls, name in _KINDS:
                    if isinstance(me, cls):
                        found = (me, name)
                        break
            nxt = getattr(obj, "cr_await", None) or getattr(obj, "gi_yieldfrom", None)
            if nxt is None:
                break
            obj = nxt
        if found is not None:
            return found
        if isinstance(obj, asyncio.Task) and obj in self._threads:
            return self._threads[obj].handle, "await"
        return self, kind

    def wait_words(self, t: Any, threads: object, what: str) -> str:
        """How reports say what a thread parked on the loop itself waits for."""
        if t.kind == "loop":
            return "runs the event loop, which has no task ready and no timer set"
        if t.kind == "sleep":
            return "sleeps (asyncio.sleep)"
        return "awaits a future nothing will complete"

    # ---------------------------------------------------------- verdicts
    def _blocked_loop(self, ts: ThreadState, seconds: float) -> None:
        """The verdict, the first time the clock passes while the step of ``ts`` waits: the
        report names the line where it blocked. (It may never end: a task that waits with
        time.sleep for another one to move holds up the very task it waits for.)"""
        run = self._engine_run
        site = None
        for ev in run.events[self._logged:]:
            if ev.tid != ts.tid:
                continue
            if ev.note == "blocked":
                break
            if ev.code is not None:
                site = (ev.code, ev.offset)
        place = f" at {where(site)}" if site is not None else ""
        run.fail(Stated(
            bug_class=BugClass.BLOCKING_CALL, thread=ts.name,
            message=f"{ts.name} blocked the event loop{place}: for {seconds:g}s, no other "
            "task could run."))

    def _lost_exceptions(self) -> None:
        """A task that ended with an exception nobody retrieved: asyncio would only log it
        when the task is collected, if ever."""
        run = self._engine_run
        if run.aborting or scheduler.active is not run:
            return
        for tt in self._threads.values():
            task = tt.task
            exc = getattr(task, "_exception", None) if task.done() else None
            if exc is None or task.cancelled() or not getattr(task, "_log_traceback", False):
                continue
            assert tt.ts is not None
            run.fail(Raised(bug_class=BugClass.LOST_EXCEPTION, error=exc, thread=tt.ts.name))
            raise Aborted


def settle(run: Run) -> None:
    """After a run: close the coroutines its loops' tasks never started (a run cut short
    leaves them), so that Python does not warn, in some later run, that they were never
    awaited; and take its tasks out of asyncio's registry of live tasks (the low-level
    API asyncio offers other event loops for their tasks). A run kept for its report, or
    frozen by ``gc.freeze`` between checks, keeps its tasks alive, and every later
    ``asyncio.all_tasks()`` (each run of an asyncio program calls it as ``asyncio.run``
    ends) walked all of them: after a dev check's wrong fixes, each later asyncio check
    took five times as long (docs/engine-profile.md)."""
    for loop in run.loops:
        tasks = set(asyncio.all_tasks(loop)) | set(loop._threads)
        for task in tasks:
            coro = task.get_coro()
            if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == "CORO_CREATED":
                coro.close()
            asyncio.tasks._unregister_task(task)


def _park(ts: ThreadState, queue: WaitQueue) -> None:
    """Mark a thread just spawned as parked on ``queue`` (it must not run before it is woken)."""
    ts.status = BLOCKED
    ts.queue = queue
    queue.waiters.append(ts)


class _Policy(asyncio.DefaultEventLoopPolicy):
    """New loops made in a run are controlled; elsewhere they are asyncio's own."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        ctx = scheduler.here()
        if ctx is None:
            return super().new_event_loop()
        return ControlledLoop(ctx[0])


def _show_warning(original: Any) -> Any:
    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        ctx = scheduler.here()
        found = _NEVER_AWAITED.search(str(message))
        if ctx is None or found is None:
            original(message, category, filename, lineno, file, line)
            return
        run, ts = ctx
        if run.aborting:
            return
        name = found.group(1).rsplit(".", 1)[-1]
        site = run.site_of(ts)
        place = f" at {where(site)}" if site is not None else ""
        run.fail(Stated(
            bug_class=BugClass.MISSING_AWAIT, thread=ts.name,
            message=f"{ts.name} called {name}(){place} without `await`: the coroutine was "
            "made but never ran."))
    return show


@contextmanager
def installed() -> Iterator[None]:
    """Controlled loops for runs, asyncio.Lock with an owner, and the "never awaited"
    warning as a verdict, for the duration of an exploration."""
    # asyncio keeps the policy in a private global; put back exactly what was there (None
    # until someone asked for one), which set_event_loop_policy cannot do
    saved_policy = asyncio.events._event_loop_policy    # type: ignore[attr-defined]
    saved_locks = (asyncio.Lock, asyncio.locks.Lock)
    with warnings.catch_warnings():
        warnings.filterwarnings("always", message="coroutine .* was never awaited",
                                category=RuntimeWarning)
        warnings.showwarning = _show_warning(warnings.showwarning)
        asyncio.set_event_loop_policy(_Policy())
        # a subclass in place of the class: typeshed declares these names as classes
        asyncio.Lock = asyncio.locks.Lock = Lock            # type: ignore[misc]
        try:
            yield
        finally:
            # (the same two, put back)
            asyncio.Lock, asyncio.locks.Lock = saved_locks  # type: ignore[misc]
            # (the private global again)
            asyncio.events._event_loop_policy = saved_policy  # type: ignore[attr-defined]
