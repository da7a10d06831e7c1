"""One controlled run: the program's threads take turns, one at a time.

A controlled thread is a greenlet, and every controlled thread of a run shares one OS thread
(the run's hub): a hand-off is a greenlet switch, which costs a fraction of a microsecond and
never waits for the operating system. Where the ``greenlet`` package is missing, or with
``GRADERS_ENGINE_THREADS=os``, each controlled thread is an OS thread of its own instead,
and the baton is a lock per thread. Both explore the very same schedules.

Exactly one controlled thread holds the baton at any moment. At every scheduling point (a
traced instruction, an operation on a stand-in primitive) the running thread asks the
strategy who runs next and, if it is someone else, hands the baton over and parks on its own
gate. Because the scheduler knows every blocked thread and what it waits for, a deadlock is
seen the moment the last runnable thread blocks, and virtual time advances only when the
strategy says so: no wall clock is involved in any verdict.
"""

from __future__ import annotations

import _thread
import asyncio
import os
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from types import CodeType, FrameType, ModuleType
from typing import Any, Protocol

from . import statehash
from .findings import (
    BLOCKED,
    DONE,
    RUNNABLE,
    Misuse,
    Raised,
    Site,
    Stated,
    Stuck,
    ThreadView,
    Verdict,
    wait_cycle,
)
from .verdicts import BugClass, CheckFailed

_Greenlet: Any = None
_getcurrent: Any = None
try:
    # greenlet ships no type hints: what this module uses of it is typed Any
    import greenlet as _greenlets  # type: ignore[import-untyped, unused-ignore]
except ImportError:   # greenlet is a dependency; without it, the OS threads remain
    pass
else:
    _Greenlet = _greenlets.greenlet
    _getcurrent = _greenlets.getcurrent

_allocate = _thread.allocate_lock
_start_new_thread = _thread.start_new_thread
_get_ident = _thread.get_ident
# Bound at import, as the greenlet functions above are: the grading sandbox later replaces
# sys.settrace by a wrapper that refuses submitted code (guard.protect_functions), and on
# 3.11 the engine sets the running thread's tracer at every switch, where the wrapper's look
# at its caller cost more than the switch (0.7 s of a data_race check's 5.7 s, measured).
_settrace = sys.settrace
_gettrace = sys.gettrace
# asyncio keeps the running event loop per OS thread (in C): greenlets keep their own
# (Run._switch)
_get_running_loop = asyncio.events._get_running_loop
_set_running_loop = asyncio.events._set_running_loop

#: What ``sys.settrace`` takes: called per event, returns the frame's local trace function.
TraceFunction = Callable[[FrameType, str, Any], Any]

#: How many of a run's last log entries count as "still running" in a livelock verdict.
RECENT = 2000

#: Steps per runnable thread since time last passed after which a due sleeper wakes whatever
#: the strategy says: the others were only running (spinning on a flag the sleeper will
#: clear, say), and on a real machine its deadline would have come long ago.
SPIN_STEPS = 500

#: How many times the clock may pass while a thread just started has not yet taken its
#: first step: a new thread may wait that long for a CPU (a loaded machine) while another
#: completes as many sleeps, but no thread sits still forever while the clock runs. (A
#: thread that has run must take a step each time before the clock passes again: checks
#: that every thread is served, on every schedule, rely on it.)
MAX_LAG = 32

#: Steps a stall may last while the clock stands still: the others may be spinning on what
#: the stalled thread will do, and a stall is a delay, never a halt.
STALL_STEPS = 500


@dataclass(frozen=True)
class Stall:
    """A seeded "this thread was descheduled for a while": thread ``tid``, once it has taken
    ``at`` steps, is not picked while anyone else can go on, until the clock has passed
    ``ticks`` times (or STALL_STEPS steps went by with the clock standing still, or another
    thread joins it). So a thread can fall behind a sleeper by any number of sleeps, once
    per run, for a finite time, and is served as soon as it ends."""

    tid: int
    at: int
    ticks: int


#: How often the state is fingerprinted, in steps per value it holds (a bigger program is
#: looked at less often, so the cost per step stays small); see Run._look_for_cycle.
STATE_GAP = 1

#: The run being explored in this process, if any (explorations do not nest).
active: Run | None = None


#: Controlled threads as greenlets on one OS thread per run (the default where greenlet
#: imports), else each on an OS thread of its own. Read when a run is made, so a test may
#: compare the two in one process.
GREEN = _Greenlet is not None and os.environ.get("GRADERS_ENGINE_THREADS", "") != "os"

#: Greenlets retired by Run._unwind, kept for good: a greenlet collected unfinished would get
#: GreenletExit and run the program's except and finally blocks after its run. Nor may its
#: OS thread ever end (that finalizes the greenlets left on it): the thread that ran the run
#: parks for good once its work is done (see ``on_worker``).
_RETIRED: list[Any] = []


def on_worker(work: Callable[[], object], outcome: list[object], done: Any) -> None:
    """``work()`` (a search, which makes runs) on a thread of the pool: what it returns, or
    the exception it raises, is appended to ``outcome``, then ``done`` (a held lock) is
    released. A thread on which a run retired a greenlet then stays parked for good (see
    ``_RETIRED``)."""

    def job(_: object) -> None:
        retired = len(_RETIRED)
        try:
            outcome.append(work() if _Greenlet is None else _host(work))
        except BaseException as exc:
            outcome.append(exc)
        finally:
            done.release()
        if len(_RETIRED) != retired:
            park_forever()

    _WORKERS.park(job, None).release()


#: OS thread ident -> the greenlet its search runs in (see _host)
_SEARCHES: dict[int, Any] = {}


def _host(work: Callable[[], object]) -> object:
    """``work()`` in a greenlet of its own, while this thread's first greenlet hosts the hub
    of every run the search starts (``Run.start`` switches here, and back once the run is
    over). A run's greenlets are the hub's children: walking up from one (``.parent``)
    reaches this greenlet, compiled code with no Python frame, never the search's frames
    (the explorer's locals: its runs and their verdicts)."""
    ident = _get_ident()
    search = _SEARCHES[ident] = _Greenlet(work)
    try:
        got = search.switch()
        while isinstance(got, Run):
            got._hub_main(None)
            got = search.switch()
        return got
    finally:
        del _SEARCHES[ident]


def park_forever() -> None:
    """Stop the calling OS thread for good: it holds a thread retired by Run._unwind."""
    parked = _allocate()
    parked.acquire()
    parked.acquire()          # never released


def collector_at_work(phase: str, info: dict[str, int]) -> None:
    """``gc.callbacks`` hook, installed while an exploration runs: the active run learns
    when a collection starts and stops. The collector runs when an allocation crosses its
    threshold, in whichever controlled thread made it, and finalizes what it frees there:
    often a run's leftovers in a later run (an object in a cycle with its threads, with a
    ``__del__`` of the program's own). A switch in the middle of a finalizer let other
    threads see it half done and run while the collector was half-way through its work (a
    correct basket failed data_race's checks, now and then, with "Exception ignored in
    __del__" on the screen), so a finalizer runs whole, as one step of no one's."""
    run = active
    if run is not None:
        run.collecting = phase == "start"


def here() -> tuple[Run, ThreadState] | None:
    """The active run and the calling controlled thread, or None outside any controlled run."""
    run = active
    if run is None:
        return None
    ts = caller(run)
    if ts is None:
        return None
    return run, ts


def caller(run: Run) -> ThreadState | None:
    """The controlled thread of ``run`` that calls, or None: another OS thread, or the run's
    hub between two controlled threads (a finalizer the garbage collector runs there)."""
    if run.green:
        if _get_ident() != run.hub_ident:
            return None
        ts = run.current
        if ts is None or ts.greenlet is not _getcurrent():
            return None
        return ts
    return run.by_ident.get(_get_ident())


class _WorkerPool:
    """OS threads kept between runs: starting one costs more than a whole short run.

    ``park`` gives a job to an idle worker (or a new one) and returns the lock the worker
    sleeps on: the job's thread uses it as its gate, so the worker wakes once, when the
    strategy first picks that thread, and not once more at its creation just to go back to
    sleep (which also made it compete for the interpreter with the running thread).
    ``close`` ends the idle ones when an exploration is over. A worker whose job never
    returns (stuck outside the engine) is simply never reused.
    """

    def __init__(self) -> None:
        self._idle: list[list[Any]] = []      # [wake lock, job]
        self._guard = _allocate()

    def park(self, job: Callable[[Any], None], arg: Any) -> Any:
        """A worker that runs ``job(arg)`` once the returned (held) lock is released."""
        with self._guard:
            slot = self._idle.pop() if self._idle else None
        if slot is None:
            slot = [_allocate(), (job, arg)]
            slot[0].acquire()
            _start_new_thread(self._work, (slot,))
        else:
            slot[1] = (job, arg)
        return slot[0]

    def close(self) -> None:
        """Let every idle worker end (called when an exploration ends: no thread outlives it)."""
        with self._guard:
            idle, self._idle = self._idle, []
        for slot in idle:
            slot[1] = None
            slot[0].release()

    def _work(self, slot: list[Any]) -> None:
        wake = slot[0]
        while True:
            wake.acquire()          # held between jobs: the next job's thread releases it
            if slot[1] is None:
                return
            job, arg = slot[1]
            slot[1] = None
            job(arg)
            # Idle, this frame must not keep the job's run alive: the explorer's collection
            # at the end of the exploration is what finalizes a run's leftovers quietly.
            del job, arg
            with self._guard:
                self._idle.append(slot)


_WORKERS = _WorkerPool()


class Aborted(BaseException):
    """Unwinds a controlled thread once its run has a verdict (or the program has exited)."""


#: How often a thread may catch Aborted and carry on before it is parked (Run._unwind).
UNWIND_LIMIT = 10_000


class Chooser(Protocol):
    """What a run asks of its strategy (every :class:`~.strategies.Strategy` is one)."""

    @property
    def fair(self) -> bool:
        """Fair in the limit: only then do starvation verdicts count."""

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        """Who runs next: one of ``options`` (``default`` means no switch)."""

    def fair_successor(self) -> Chooser:
        """Who goes on once a quarter of the step budget is spent (see Run.yield_point)."""


class ThreadState:
    """The engine's view of one controlled thread."""

    def __init__(self, run: Run, tid: int, name: str, body: Callable[[], object],
                 daemon: bool, handle: Any) -> None:
        self.run = run
        self.tid = tid
        self.name = name
        self.body = body
        self.daemon = daemon
        self.handle = handle          # the stand-in Thread object the program sees
        self.status = RUNNABLE
        #: held while the thread waits for the baton; released, it runs. Set by Run.spawn:
        #: the lock its OS thread sleeps on until the thread first runs (OS threads only).
        self.gate: Any = None
        #: the greenlet it runs as (greenlets only): made when it is spawned on the hub, or
        #: by the hub for the main thread
        self.greenlet: Any = None
        #: its trace function on 3.11 (greenlets only): all of a run's threads share one
        #: OS thread, whose ``sys.settrace`` is set to the running thread's at each
        #: switch; None again once it raised (see tracing.untrace)
        self.trace: TraceFunction | None = None
        self.queue: WaitQueue | None = None
        self.deadline: float | None = None
        self.wake_value: Any = None
        self.held: list[Any] = []     # lock-like objects this thread holds, oldest first
        self.sems: list[Any] = []     # semaphores it acquired and has not released
        self.os_ident: int | None = None
        self.done_queue = WaitQueue(handle, "join")
        self.unwinds = 0              # Aborted raised in it since the run ended (see _unwind)
        self.blocked_at = 0           # the run's step count when it last blocked
        self.steps = 0                # scheduling points (and loop passes) it has taken
        #: the scheduling point it last took: where it stands while it waits there (what
        #: statehash reads where the tracer's callback has no frame: compiled, see native)
        self.point: LogEntry | None = None
        self.naps = 0                 # times time.sleep() put it to sleep
        #: the controlled process it belongs to (:mod:`.processes`); None: the program's own
        self.process: Any = None
        #: raised in it the next time it runs: its process was terminated
        self.killed: BaseException | None = None
        #: an asyncio task's thread (:mod:`.aio`): the thread whose event loop it steps for,
        #: which is the thread the task's code sees as its own (``current_thread()``)
        self.loop_thread: ThreadState | None = None

    def __repr__(self) -> str:
        return f"<{self.name} {self.status}>"


class WaitQueue:
    """Threads parked on one primitive, oldest first: the one place where threads wait.

    Every stand-in (locks, conditions, semaphores, events, joins, barriers) parks its
    threads here, so "who waits for what" and "who was overtaken how often" have a single
    source for deadlock and starvation reports.
    """

    __slots__ = ("contenders", "kind", "owner", "waiters")

    def __init__(self, owner: object, kind: str) -> None:
        self.owner = owner            # the primitive the program sees
        self.kind = kind              # "lock", "condition", "semaphore", "event", "join", ...
        self.waiters: list[ThreadState] = []
        self.contenders: dict[ThreadState, int] = {}   # thread -> times overtaken

    def holder(self) -> ThreadState | None:
        """The thread its waiters wait for, if one: a lock's owner (the stand-in locks keep
        it as ``_owner``), the thread a join waits for (a Thread keeps it as ``_state``), or
        whom a stand-in that says so itself waits for (``waited_for(kind)``: the process at
        a pipe's other end, the rank a message is for)."""
        finder = getattr(self.owner, "waited_for", None)
        if finder is not None:
            found: ThreadState | None = finder(self.kind)
            return found
        if self.kind == "lock":
            owner: ThreadState | None = getattr(self.owner, "_owner", None)
            return owner
        if self.kind == "join":
            joined: ThreadState | None = getattr(self.owner, "_state", None)
            return joined
        return None


@dataclass
class RunSettings:
    max_steps: int
    starvation_bound: int | None
    strict_locks: bool
    traced: Callable[[str], bool]
    library: Callable[[str], bool]
    lock_order: bool
    #: how many times in a run a Condition.wait() may return with no notify (0: never)
    spurious_wakeups: int = 0
    #: a timed Condition.wait() runs out only when no other thread can run
    timeouts_when_idle: bool = False


class LogEntry:
    """One entry of the run's log: who ran where, or which primitive they touched.

    A plain class with its own ``__init__``, not a dataclass: compiled, a dataclass's
    ``__init__`` is still the interpreted one ``dataclasses`` writes, and an entry is made
    at nearly every scheduling point (2-4 % of a passing check's time went to it)."""

    __slots__ = ("code", "note", "obj", "offset", "preempted", "tid")

    def __init__(self, tid: int, code: CodeType | None = None, offset: int = -1,
                 note: str | None = None, obj: Any = None, preempted: bool = False) -> None:
        self.tid = tid
        self.code = code
        self.offset = offset
        self.note = note          # "acquire", "blocked", "switch", "start" ...
        self.obj = obj
        self.preempted = preempted

    def __repr__(self) -> str:
        return (f"LogEntry(tid={self.tid}, code={self.code!r}, offset={self.offset}, "
                f"note={self.note!r}, obj={self.obj!r}, preempted={self.preempted})")


class Run:
    """Runs one schedule of one program under one strategy."""

    def __init__(self, strategy: Chooser, settings: RunSettings) -> None:
        self.strategy = strategy
        self.settings = settings
        self.threads: list[ThreadState] = []
        #: the threads not yet ended, in the order they were made: what _pick looks through
        #: at every step (a check that seats table after table in one run leaves the earlier
        #: tables' threads ended: deadlock's solution, 37 % of the threads a step looked at)
        self.live: list[ThreadState] = []
        self.by_ident: dict[int, ThreadState] = {}
        self.current: ThreadState | None = None
        self.now = 0.0
        self.wall_offset = 0.0   # time.time() is this far off the virtual time (set_wall_clock)
        self.steps = 0
        self.decisions = 0
        self.deviations: list[tuple[int, int]] = []
        self.events: list[LogEntry] = []
        self.verdict: Verdict | None = None
        self.aborting = False
        self.exiting = False
        self.finished = _allocate()
        self.finished.acquire()
        self.green = GREEN
        #: the OS thread all controlled threads run on, and its own greenlet (greenlets only)
        self.hub_ident: int | None = None
        self.hub: Any = None
        self.atexit: list[Callable[[], object]] = []
        self.lock_edges: list[Any] = []
        #: (len(events) at the moment, tid, lock, taken): when a thread took (True) or gave
        #: back (False) a lock, beside the log rather than in it (strategies read the log)
        self.lock_log: list[tuple[int, int, object, bool]] = []
        self.foreign_released: set[int] = set()
        #: where the locks another thread released were made (file, line): across the runs
        #: of an exploration, locks made there are signals (lockorder.find_cycle)
        self.signal_sites: set[tuple[str, int]] = set()
        self.thread_counter = 0
        self.stepped: set[int] = set()
        self.lag: dict[int, int] = {}   # tid -> times the clock passed before its first step
        self.pools_made = 0             # thread pools made in this run (queues._pool_number)
        self.moved: set[int] = set()    # threads that took a step before the clock last passed
        self.ticked = 0               # self.steps when time last passed
        self.budget = max(1, settings.max_steps // 4)
        self.grace = False
        self.gate_values: dict[int, int] = {}    # id(semaphore) -> its initial value
        self.main: ThreadState | None = None
        #: the step at which the main thread returned while non-daemon threads still ran
        self.returned_at: int | None = None
        #: the strategy's stall, if it planned one (Stall); its phase: 0 not begun yet,
        #: 1 under way (stall_left: ticks still to wait), 2 over (or none planned)
        self.stall: Stall | None = getattr(strategy, "stall", None)
        self.stall_phase = 0 if self.stall is not None else 2
        self.stall_began = False      # (then only the strategy's token replays the run)
        self.stall_left = 0
        self.stall_ticks = 0          # times the clock passed while the stalled thread waited
        self.stall_since = 0          # self.steps when the clock last passed during the stall
        #: threads whose timed Condition.wait() ran out while no thread could run: only the
        #: timeout let the run go on (nobody was going to notify them), by name
        self.timed_out_idle: list[str] = []
        #: (thread, the first lock it held, how many) for every time.sleep() begun while
        #: holding a Lock/RLock
        self.slept_holding: list[tuple[str, Any, int]] = []
        #: the most threads asleep in time.sleep() at once (the main thread not counted)
        self.most_asleep = 0
        # (a stalled thread is overtaken on purpose: no starvation verdict in such a run)
        self.check_starvation = (settings.starvation_bound is not None and strategy.fair
                                 and self.stall is None)
        #: livelock by state: from this step on, the state is fingerprinted now and then
        #: (at a primitive operation), fingerprint -> len(events) when last seen
        self.state_at = max(1, min(1000, settings.max_steps // 8))
        self.states: dict[object, int] = {}
        self.anchor: tuple[int, CodeType | None, int] | None = None
        self.anchor_until = 0
        self.unclean = 0              # looks in a row that found a thread it could not read
        self.state_ids: dict[int, tuple[int, object]] = {}   # see statehash._Freezer
        self.clock_read = False       # the program read a clock (then the time is state)
        self.spurious_left = settings.spurious_wakeups
        self.timeouts_when_idle = settings.timeouts_when_idle
        #: the garbage collector is at work (see collector_at_work): it runs finalizers at a
        #: moment of its own, inside whichever thread allocated, and nothing they run is a
        #: scheduling point
        self.collecting = False
        # Set by the explorer:
        #: the per-thread trace function factory on 3.11 (None: sys.monitoring delivers the
        #: scheduling points, see monitoring.py)
        self.tracer_for: Callable[[ThreadState], TraceFunction] | None = None
        #: the modules under test, once loaded: where reports look for the program's names
        self.modules: list[ModuleType] = []
        #: the seed of ``random`` for this run (set by the explorer)
        self.random_seed = 0
        #: whether the program drew from ``random`` (then only a seeded token replays it;
        #: judged by the explorer where it uses the answer, see explorer._judge_random)
        self.used_random = False
        #: the scenario's declared draws (probes.draw_scenario): what each gave, and the
        #: state of ``random`` after the last one (None: none yet, as seeded for the run)
        self.scenario: list[Hashable] = []
        self.random_after_scenario: Any = None
        #: a draw came from ``random`` besides the declared ones
        self.undeclared_draw = False
        #: set by the explorer: the scenarios (all the draws of a run) already run with this
        #: run's repeat key: a run with that key that has drawn one of them so far draws
        #: nothing more, and repeats that run step for step (empty: no key)
        self.repeats: set[tuple[Hashable, ...]] = set()
        #: this run turned out to repeat an earlier one and was ended before it went on
        self.repeat = False
        # Set by waitfor: id(primitive) -> the program's name for it, taken once, when first
        # needed (see waitfor.label_of).
        self.names: dict[int, str] | None = None
        #: id(exception) -> the asyncio task it ended: an exception re-raised where the task
        #: is awaited is reported as the task's (:mod:`.aio`)
        self.raised_in: dict[int, str] = {}
        #: the controlled asyncio event loops made in the run (:mod:`.aio`)
        self.loops: list[Any] = []

    # ----------------------------------------------------------------- threads
    def spawn(self, name: str, body: Callable[[], object], daemon: bool,
              handle: Any) -> ThreadState:
        """Create a controlled thread; it runs when the strategy first picks it."""
        ts = ThreadState(self, len(self.threads), name, body, daemon, handle)
        if self.current is not None:          # a thread belongs to its starter's process
            ts.process = self.current.process
        self.threads.append(ts)
        self.live.append(ts)
        if self.main is None:
            self.main = ts
        if not self.green:
            ts.gate = _WORKERS.park(self._os_main, ts)
        elif self.hub is not None:
            ts.greenlet = _Greenlet(self._green_main, self.hub)
        return ts

    def start(self) -> None:
        """Give the main thread its first turn. With greenlets the whole run happens on the
        calling OS thread (its hub in the thread's first greenlet, when a search runs there
        in a greenlet of its own: ``_host``), and is over when this returns (a greenlet it
        retired stays on that thread: see ``_RETIRED``); otherwise it has ended when
        ``finished`` is released."""
        main = self.main
        assert main is not None
        self.current = main
        if not self.green:
            main.gate.release()
        elif _SEARCHES.get(_get_ident()) is _getcurrent():
            _getcurrent().parent.switch(self)       # to the host (_host), back when over
        else:
            self._hub_main(None)

    def _os_main(self, ts: ThreadState) -> None:
        """The thread's life on its OS thread, from the first time it holds the baton."""
        ts.os_ident = _get_ident()
        self.by_ident[ts.os_ident] = ts
        try:
            if not self.aborting and self.tracer_for is not None:
                _settrace(self.tracer_for(ts))
            self._live(ts)
        finally:
            self._leave_os_thread(ts)

    def _leave_os_thread(self, ts: ThreadState) -> None:
        """``ts`` is done with its OS thread: untraced, counted as ended, and the baton
        passed on (or the run finished)."""
        _settrace(None)
        self._forget_ident(ts)
        nxt = self._thread_done(ts)
        if nxt is None:
            self.finished.release()
        else:
            nxt.gate.release()

    def _live(self, ts: ThreadState) -> None:
        """Run the thread's body, unless the run is over; what it raises is the verdict."""
        try:
            if not self.aborting:
                ts.body()
                if ts.trace is not None and _gettrace() is not ts.trace:
                    self._trace_lost(ts)
        except Aborted:
            pass
        except BaseException as exc:
            if not self.green:
                _settrace(None)
            # ...except SystemExit in a thread that is not the main one: threading's own
            # excepthook lets it end the thread quietly.
            quiet_exit = isinstance(exc, SystemExit) and ts is not self.main
            if not self.aborting and not quiet_exit:
                self.fail_with_exception(ts, exc)

    def _trace_lost(self, ts: ThreadState) -> None:
        """3.11: the thread's trace function is no longer the engine's. The program, or
        code it called (``bdb``, a debugger, ``sys.settrace`` reached some other way),
        switched tracing off or replaced it, so the thread's steps went unseen: none of its
        schedules can be trusted, and the run fails. (3.12+ explores through
        ``sys.monitoring``, which ``sys.settrace`` does not touch.)"""
        self.fail_with_exception(ts, RuntimeError(
            f"{ts.name} switched off the engine's view of its steps (sys.settrace was "
            "changed, by the program or by a library it called, such as bdb or a "
            "debugger): its interleavings can no longer be explored"))

    def _hub_main(self, _: object) -> None:
        """The run on one OS thread: switch to the main thread, and to whichever thread
        comes next each time one ends (its greenlet returns that one to this, its parent)."""
        self.hub_ident = _get_ident()
        self.hub = _getcurrent()
        nxt = self.main
        try:
            while nxt is not None:
                self.current = nxt
                nxt = self._green_of(nxt).switch(nxt)
        finally:
            _settrace(None)
            if self.loops:
                _set_running_loop(None)
            self.finished.release()

    def _green_of(self, ts: ThreadState) -> Any:
        g = ts.greenlet
        if g is None:
            g = ts.greenlet = _Greenlet(self._green_main, self.hub)
        return g

    def _green_main(self, ts: ThreadState) -> ThreadState | None:
        """The thread's life as a greenlet; returns (to the hub) the thread that runs next."""
        ts.os_ident = self.hub_ident
        if self.loops:
            _set_running_loop(None)       # a new thread runs no event loop yet
        if self.tracer_for is not None:
            ts.trace = self.tracer_for(ts)
            _settrace(ts.trace)
        self._live(ts)
        return self._thread_done(ts)

    def _switch(self, g: Any, arg: object) -> None:
        """Switch to greenlet ``g``, and back. The interpreter counts how deep the running
        code is in trace and monitoring callbacks (none are delivered while it is above
        0) per OS thread, not per greenlet, and a thread switches from inside one (a
        preemption) or outside (it blocks in a stand-in): ``sys.call_tracing`` makes every
        switch at depth 0, and gives each greenlet its own depth back when it returns."""
        loop = _get_running_loop() if self.loops else None
        sys.call_tracing(g.switch, (arg,))
        if self.loops:
            # asyncio's running loop belongs to the OS thread: back here, it is this
            # thread's again (another thread may run a loop of its own, or none)
            _set_running_loop(loop)
        if self.tracer_for is not None:
            # 3.11: ``sys.settrace`` belongs to the OS thread. Back here, it is this
            # thread's tracer again (None once it raised: see tracing.untrace).
            me = self.current
            _settrace(me.trace if me is not None else None)

    def frame_of(self, ts: ThreadState, stacks: dict[int, FrameType]) -> FrameType | None:
        """The innermost frame of ``ts``, ``stacks`` being ``sys._current_frames()``."""
        if ts.os_ident is None:
            return None
        if self.green and ts is not self.current:
            frame: FrameType | None = ts.greenlet.gr_frame
            return frame
        return stacks.get(ts.os_ident)

    def _forget_ident(self, ts: ThreadState) -> None:
        if ts.os_ident is not None:
            self.by_ident.pop(ts.os_ident, None)

    def _thread_done(self, ts: ThreadState) -> ThreadState | None:
        """``ts`` has ended: wake its joiners, and return who runs next (the new current
        thread), None when every thread has ended."""
        if ts.queue is not None:          # unwound while parked: leave the queue
            ts.queue.waiters.remove(ts)
            ts.queue = None
        ts.deadline = None
        if ts.status != DONE:
            self.live.remove(ts)
        ts.status = DONE
        for waiter in list(ts.done_queue.waiters):
            self.wake(waiter, True)
        if not self.aborting and all(t.status == DONE for t in self.threads if not t.daemon):
            # The program exits: daemon threads are stopped where they stand, as at
            # interpreter exit.
            self.exiting = True
            self.aborting = True
        elif ts is self.main and not self.aborting:
            # The interpreter now waits for the non-daemon threads, for as long as they
            # take. They may well be finishing their work: they get at least a quarter of
            # the step budget more (and, past it, the fair second look every run gets)
            # before one that never ends is reported as keeping the program from exiting.
            self.returned_at = self.steps
            self.budget = max(self.budget, self.steps + max(1, self.settings.max_steps // 4))
        nxt = self._next_after_done()
        if nxt is not None:
            self.current = nxt
        return nxt

    def _next_after_done(self) -> ThreadState | None:
        if not self.aborting:
            nxt = self._pick(None)
            if nxt is not None:
                return nxt
            if any(t.status != DONE for t in self.threads):
                self._deadlock()
        for t in self.threads:
            if t.status != DONE:
                return t
        return None

    # --------------------------------------------------------- the baton
    def yield_point(self, ts: ThreadState, event: LogEntry) -> None:
        """A scheduling point in the running thread ``ts``: maybe let another thread run."""
        if self.collecting:
            return
        if self.aborting:
            self._unwind(ts)
        if ts.trace is not None and _gettrace() is not ts.trace:
            self._trace_lost(ts)
            raise Aborted
        self.steps += 1
        ts.steps += 1
        ts.point = event
        self.stepped.add(ts.tid)
        if self.steps >= self.state_at and event.note is not None:
            self._look_for_cycle(event)
        if self.steps > self.budget:
            if not self.grace:
                # An unfair strategy (PCT, sequential...) can starve a thread on purpose, and
                # a correct program that polls would never finish under it. So a quarter of
                # the budget in, every run goes on under a fair strategy (the unfair ones
                # hand over to a random walk) with the full budget before a livelock is
                # called. The same rule for every strategy keeps replays exact.
                self.grace = True
                self.budget += self.settings.max_steps
                self.strategy = self.strategy.fair_successor()
            else:
                self.events.append(event)
                self._livelock()
                raise Aborted
        self.events.append(event)
        nxt = self._pick(ts)      # never None: ts itself can run on
        if nxt is not ts and nxt is not None:
            self._transfer(ts, nxt)
            # The instruction runs now, after the switch back: the report shows it here.
            self.events.append(event)

    def loop_step(self, ts: ThreadState, event: LogEntry) -> None:
        """A loop's back jump in code that touched nothing shared: never a switch, but a step
        against the budget, so ``while True: pass`` ends in a verdict instead of hanging."""
        if self.collecting:
            return
        if self.aborting:
            self._unwind(ts)
        if self.steps >= self.budget:
            self.yield_point(ts, event)   # the budget's own rules: grace, then a verdict
            return
        self.steps += 1
        ts.steps += 1
        self.events.append(event)

    def _unwind(self, ts: ThreadState) -> None:
        """Raise Aborted in ``ts``, which runs on after the run ended. Code that catches it in
        a loop (a bare ``except:`` around a sleep) comes straight back here, forever; far past
        any real unwinding (finally blocks, with statements) the thread is retired instead:
        counted as ended so the run can finish, and parked for good so that it never runs
        the program's code again (with the real primitives back, after the exploration)."""
        ts.unwinds += 1
        if ts.unwinds > UNWIND_LIMIT:
            if self.green:
                _RETIRED.append(_getcurrent())
                self._switch(self.hub, self._thread_done(ts))    # never switched back to
            else:
                self._leave_os_thread(ts)
                park_forever()
        raise Aborted

    def _pick(self, ts: ThreadState | None) -> ThreadState | None:
        # One pass (this runs at every step): the runnable threads, and the sleeper due first.
        options = []
        timed = None
        first = 0.0
        for t in self.live:
            status = t.status
            if status == RUNNABLE:
                options.append(t)
            elif status == BLOCKED and t.deadline is not None and (
                    timed is None or t.deadline < first):
                timed, first = t, t.deadline
        idle = not options              # (a stalled thread counts: it could run)
        if timed is not None and options and self.timeouts_when_idle:
            timed = self._first_sleeper()
        held_back = self._hold_back(options) if self.stall_phase < 2 else None
        if timed is not None:
            # Time may pass while threads are runnable (they were slow), but only once each
            # of them has taken a step since it last passed (a thread that has not run yet:
            # once it passed MAX_LAG times; a stalled one: see Stall): no thread sits still
            # forever while the clock runs.
            lag = self.lag
            stepped = self.stepped
            moved = self.moved
            if not options or all(t.tid in stepped or (t.tid not in moved and lag.get(t.tid, 0)
                                                       < MAX_LAG) for t in options):
                if options and self.steps - self.ticked >= SPIN_STEPS * len(options):
                    # Everyone else has run for long since time last passed: it passes now,
                    # even under a strategy that never picks a sleeper (lockstep).
                    self._advance_clock(timed.deadline)
                    self._ticked()
                    return timed
                options.append(timed)
        if not options:
            if held_back is None:
                return None
            self.stall_phase = 2          # nobody else can go on, nor wake: it ends here
            options = [held_back]
        spurious: list[ThreadState] = []
        if self.spurious_left and options[0].status == RUNNABLE:
            spurious = self._spurious_options(options)
            options += spurious
        default = ts if ts is not None and ts.status == RUNNABLE and ts is not held_back \
            else options[0]
        if len(options) == 1:
            chosen = options[0]
        else:
            chosen = self.strategy.choose(self, options, default, ts)
            if chosen is not default:
                self.deviations.append((self.decisions, chosen.tid))
            self.decisions += 1
        if chosen.status == BLOCKED:
            if chosen in spurious:
                self._wake_spuriously(chosen)
                return chosen
            if idle and chosen.queue is not None and chosen.queue.kind == "condition":
                self.timed_out_idle.append(chosen.name)
            self._advance_clock(chosen.deadline)
            self._ticked()
        return chosen

    def _first_sleeper(self) -> ThreadState | None:
        """The blocked thread due first, of those not in a timed Condition.wait(): while a
        thread can run, those may not run out (``RunSettings.timeouts_when_idle``)."""
        due = [t for t in self.threads if t.status == BLOCKED and t.deadline is not None
               and not (t.queue is not None and t.queue.kind == "condition")]
        return min(due, key=lambda t: t.deadline or 0.0, default=None)

    def _spurious_options(self, options: list[ThreadState]) -> list[ThreadState]:
        """The threads parked in Condition.wait() that may wake with no notify (POSIX allows
        it, and Python's documentation warns of it): offered to the strategy beside the
        runnable threads, so the choice is one more decision of the schedule, recorded and
        replayed like a switch. Only while another thread can run: a lost wake-up stays a
        deadlock."""
        return [t for t in self.threads if t.status == BLOCKED and t.queue is not None
                and t.queue.kind == "condition" and t not in options]

    def _wake_spuriously(self, ts: ThreadState) -> None:
        assert ts.queue is not None
        self.spurious_left -= 1
        self.events.append(LogEntry(ts.tid, note="spurious wake-up", obj=ts.queue.owner))
        self.wake(ts, True)

    def _hold_back(self, options: list[ThreadState]) -> ThreadState | None:
        """Take a stalled thread out of ``options`` and return it (see Stall); the stall
        starts, lasts and ends here."""
        plan = self.stall
        assert plan is not None
        if self.stall_phase == 0:
            if plan.tid >= len(self.threads) or self.threads[plan.tid].steps < plan.at:
                return None
            self.stall_phase = 1
            self.stall_began = True
            self.stall_left = plan.ticks
            self.stall_since = self.steps
        stalled = self.threads[plan.tid]
        if stalled.status == DONE or self.stall_left <= 0 or self.grace or (
                self.steps - self.stall_since > STALL_STEPS):
            self.stall_phase = 2
            return None
        if stalled in options:
            options.remove(stalled)
            return stalled
        return None

    def _ticked(self) -> None:
        """The clock passed: count it against the new threads that have taken no step yet."""
        if self.stall_phase == 1:
            self.stall_left -= 1
            self.stall_since = self.steps
            self.stall_ticks += 1
        lag = self.lag
        stepped = self.stepped
        for t in self.threads:
            if t.tid in stepped:
                self.moved.add(t.tid)
            elif t.status == RUNNABLE and t.tid not in self.moved:
                lag[t.tid] = lag.get(t.tid, 0) + 1
        stepped.clear()
        self.ticked = self.steps

    def choose_waiter(self, waiters: list[ThreadState]) -> ThreadState:
        """Where the stdlib leaves the order open (which waiter a notify wakes)."""
        if len(waiters) == 1:
            return waiters[0]
        chosen = self.strategy.choose(self, list(waiters), waiters[0], None)
        if chosen is not waiters[0]:
            self.deviations.append((self.decisions, chosen.tid))
        self.decisions += 1
        return chosen

    def _transfer(self, ts: ThreadState, nxt: ThreadState) -> None:
        if ts.status == RUNNABLE:
            self.events.append(LogEntry(nxt.tid, note="switch", preempted=True))
        self.current = nxt
        if self.green:
            self._switch(self._green_of(nxt), nxt)
        else:
            # As little as possible between waking the next thread and sleeping: the woken
            # thread needs the interpreter lock this thread holds until it sleeps, and if it
            # gets there first it sleeps once more, waiting for it.
            park = ts.gate.acquire
            nxt.gate.release()
            park()
        if self.aborting:
            raise Aborted
        if ts.killed is not None:
            raise ts.killed

    def _advance_clock(self, deadline: float | None) -> None:
        assert deadline is not None
        if deadline > self.now:
            for loop in self.loops:
                loop.clock_passes(deadline - self.now)
            self.now = deadline
        for t in self.threads:
            if t.status == BLOCKED and t.deadline is not None and t.deadline <= self.now:
                self.wake(t, False)

    # --------------------------------------------------------- blocking
    def block(self, ts: ThreadState, queue: WaitQueue | None, deadline: float | None,
              obj: Any = None) -> Any:
        """Park ``ts`` until woken (returns the waker's value) or timed out (False)."""
        if deadline is not None and deadline <= self.now:
            return False
        ts.status = BLOCKED
        ts.queue = queue
        ts.deadline = deadline
        ts.wake_value = None
        ts.blocked_at = self.steps
        if queue is not None:
            queue.waiters.append(ts)
            if self.stall_phase == 1 and queue.kind == "join" and self.stall is not None and (
                    queue.holder() is self.threads[self.stall.tid]):
                # Someone waits for the stalled thread to end: the stall ends, and a timed
                # join expires only once it has had its chance to run again, as ever (checks
                # that give a thread a while to finish with short joins rely on it).
                self.stall_phase = 2
        self.events.append(LogEntry(ts.tid, note="blocked", obj=obj if obj is not None else (
            queue.owner if queue is not None else None)))
        nxt = self._pick(ts)
        if nxt is None:
            self._deadlock()
            raise Aborted
        if nxt is not ts:
            self._transfer(ts, nxt)
        return ts.wake_value

    def wake(self, ts: ThreadState, value: object) -> None:
        if ts.queue is not None:
            ts.queue.waiters.remove(ts)
            ts.queue = None
        ts.deadline = None
        ts.status = RUNNABLE
        ts.wake_value = value

    # --------------------------------------------------------- verdicts
    def fail(self, verdict: Verdict) -> None:
        """Record the run's verdict (the first one wins) and start unwinding every thread."""
        if self.verdict is None and not self.exiting:
            self.verdict = verdict
        self.aborting = True

    def fail_with_exception(self, ts: ThreadState, exc: BaseException) -> None:
        name = self.raised_in.get(id(exc), ts.name)
        if isinstance(exc, CheckFailed):
            self.fail(Stated(bug_class=exc.bug_class, message=exc.message, thread=name))
            return
        bug = BugClass.ASSERTION if isinstance(exc, AssertionError) else BugClass.EXCEPTION
        self.fail(Raised(bug_class=bug, error=exc, thread=name))

    def _deadlock(self) -> None:
        """No thread can run, and no timed wait is left to expire: nothing can ever wake the
        blocked threads. Only now is a thread that waits for a lock it holds itself known to
        wait forever (another thread may release a plain Lock: a hand-off does just that)."""
        threads = self.views()
        cycle = wait_cycle(threads)
        if len(cycle) == 1:
            t = cycle[0]
            self.fail(Misuse(bug_class=BugClass.SELF_DEADLOCK, lock=t.waits_for,
                             threads=threads, thread=t.name,
                             taken_at=getattr(t.waits_for, "taken_at", None)))
        elif not cycle and self.returned_at is not None:
            self.fail(Stuck(bug_class=BugClass.CANNOT_EXIT, threads=threads))
        else:
            self.fail(Stuck(bug_class=BugClass.DEADLOCK, threads=threads))

    def _look_for_cycle(self, event: LogEntry) -> None:
        """Livelock by state: the program is back in a state it was in before, and every
        thread that could run (or would wake, once time passed) ran in between. Repeating
        those steps forever is a fair schedule that never finishes.

        The state is looked at only at one operation (the anchor: a thread, a line), so
        that in a program that repeats itself the looks fall at the same point of each
        round; and only every so many steps, in proportion to its size, so that the cost
        per step stays small."""
        if self.aborting or self.returned_at is not None:
            return
        site = (event.tid, event.code, event.offset)
        if self.anchor != site:
            if self.anchor is not None and self.steps < self.anchor_until:
                return
            self.anchor = site
        state, size = statehash.fingerprint(self, self.clock_read)
        if state is None and size == 0:
            # Someone who must move stands where it cannot be read: try elsewhere, a little
            # later each time it happens again.
            self.anchor = None
            self.unclean = min(2 * self.unclean + 1, 1024)
            self.state_at = self.steps + self.unclean
            return
        self.unclean = 0
        self.state_at = self.steps + STATE_GAP * size
        self.anchor_until = self.state_at + 4 * STATE_GAP * size
        if state is None:
            return
        here = len(self.events)
        seen = self.states.get(state)
        self.states[state] = here
        if seen is None:
            return
        ran = {e.tid for e in self.events[seen:here]}
        for t in self.threads:
            if t.status != DONE and t.tid not in ran and (
                    t.status == RUNNABLE or t.deadline is not None):
                return
        self._livelock(cycle=(seen, here))
        raise Aborted

    def _livelock(self, cycle: tuple[int, int] | None = None) -> None:
        busy = frozenset(e.tid for e in self.events[-RECENT:])
        views = self.views()
        for t in self.threads:
            # A thread waiting, for a long while now, for a Lock it holds itself: however busy
            # the others are (a heartbeat, a poller waiting for this very thread), none has
            # released it. Unless that lock is one threads hand to each other (another
            # thread has released it before), that is the bug, not the others' running.
            lock = t.queue.owner if t.queue is not None and t.queue.kind == "lock" else None
            if (lock is not None and getattr(lock, "_owner", None) is t
                    and id(lock) not in self.foreign_released
                    and (cycle is not None
                         or self.steps - t.blocked_at >= self.settings.max_steps // 4)):
                self.fail(Misuse(
                    bug_class=BugClass.SELF_DEADLOCK, lock=lock, threads=views, thread=t.name,
                    taken_at=getattr(lock, "taken_at", None),
                    running=tuple(v.name for v in views if v.tid in busy
                                  and v.status != DONE and v.tid != t.tid)))
                return
        if self.returned_at is not None:
            self.fail(Stuck(bug_class=BugClass.CANNOT_EXIT, threads=views,
                            steps=self.steps - self.returned_at, busy=busy))
            return
        if cycle is not None:
            start, end = cycle
            ran = self.events[start:end]
            self.fail(Stuck(bug_class=BugClass.LIVELOCK, threads=views,
                            busy=frozenset(e.tid for e in ran),
                            cycle=tuple((e.tid, e.code, e.offset) for e in ran
                                        if e.code is not None)))
            return
        self.fail(Stuck(bug_class=BugClass.LIVELOCK, threads=views, steps=self.budget,
                        busy=busy))

    def site_of(self, ts: ThreadState, limit: int = RECENT) -> Site | None:
        """The last line of the code under test ``ts`` ran (within the last ``limit``
        entries of the log)."""
        events = self.events
        for i in range(len(events) - 1, max(-1, len(events) - 1 - limit), -1):
            ev = events[i]
            if ev.tid == ts.tid and ev.code is not None:
                return ev.code, ev.offset
        return None

    def _sites(self) -> dict[int, Site]:
        """The last line each thread ran, from one pass back over the log."""
        found: dict[int, Site] = {}
        wanted = len(self.threads)
        for ev in reversed(self.events):
            if ev.code is not None and ev.tid not in found:
                found[ev.tid] = (ev.code, ev.offset)
                if len(found) == wanted:
                    break
        return found

    def views(self) -> tuple[ThreadView, ...]:
        """Every thread as it stands now, for a verdict (or for naming, see waitfor)."""
        views = []
        sites = self._sites()
        for t in self.threads:
            queue = t.queue
            holder = queue.holder() if queue is not None else None
            views.append(ThreadView(
                tid=t.tid, name=t.name, status=t.status, held=tuple(t.held),
                kind=queue.kind if queue is not None else None,
                waits_for=queue.owner if queue is not None else None,
                holder=holder.tid if holder is not None else None, deadline=t.deadline,
                handle=t.handle, target=getattr(t.handle, "_target", None),
                args=_arguments(t.handle), daemon=t.daemon, at=sites.get(t.tid)))
        return tuple(views)


statehash.DESCRIBED.update({
    ThreadState: lambda t: ("T", t.tid),
    WaitQueue: lambda q: ("Q", q.kind, tuple(t.tid for t in q.waiters)),
    Run: lambda run: ("R",),
})


def _arguments(handle: object) -> tuple[object, ...]:
    """A Thread's arguments while it still has them (a subclass may keep anything there)."""
    args = getattr(handle, "_args", ())
    return tuple(args) if isinstance(args, tuple | list) else ()

