"""Explore a program over many seeded schedules, shrink the first failure, report it.

Each schedule is one :class:`~graders.engine.scheduler.Run` with the code under test loaded
fresh. The first failing run is shrunk (its recorded switches removed one group at a time
while the same bug still shows), so the report shows the few switches that matter. The
schedule itself is the replay token: replaying it needs neither the seed nor the strategy,
only the Python version the token names (:mod:`.tokens`). A replay that does not fail says
so, and why it may not have.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import ctypes
import gc
import inspect
import os
import random
import sys
import time
import traceback
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import aio, lockorder, monitoring, scheduler, strategies
from .findings import Misuse, Stated, Stuck
from .ipc import installed as processes_installed
from .patching import DEFAULT_FRESH, Program, random_kept, stand_ins_installed
from .processes import Processes, program_files
from .report import Timeline, interleaving, timeline, words
from .scheduler import Run, RunSettings
from .strategies import Plan, Strategy
from .threads import MainThread
from .tokens import PYTHON, Token, decode, encode
from .tracing import CodePoints, thread_tracers
from .verdicts import BugClass, LoadError

_real_monotonic = time.monotonic
_real_get_ident = _thread.get_ident
#: How many runs with a lock-order cycle an exploration keeps until it ends (each may yet
#: turn out to hold a signal): a cycle still standing then is chased.
KEPT_CYCLES = 8
#: The most runs the chase of a lock-order cycle makes (see ``_Explorer._chase``).
CHASE_RUNS = 20


@dataclass(frozen=True)
class Settings:
    """How hard and how to look. Every field has a pytest option or ini key of the same name."""

    schedules: int = 200
    seed: int = 0
    strategy: str = "portfolio"
    max_steps: int = 20_000
    pct_depth: int = 3
    preemption_bound: int = 2
    starvation_bound: int | None = None
    lock_order: bool = True
    strict_locks: bool = False
    spurious_wakeups: int = 0    # times per run a Condition.wait() may return unnotified
    #: a timed Condition.wait() runs out only when no other thread can run (for a check that
    #: asks whether anyone would have woken it: see graders.engine.timed_out_idle)
    timeouts_when_idle: bool = False
    stalls: bool = True          # the portfolio's random walks may stall a thread a while
    watchdog: float = 10.0
    shrink: bool = True
    replay: str | None = None
    first: str | None = None     # a token to try before exploring (the last failure)

    def __post_init__(self) -> None:
        if self.schedules < 1:
            raise ValueError("schedules must be at least 1")
        strategies.lookup(self.strategy)
        if self.replay is not None:
            decode(self.replay)


@dataclass
class Failure:
    """The first failure found, after shrinking."""

    bug_class: str
    message: str
    details: str
    schedule: int
    strategy: str
    seed: int
    token: str
    interleaving: str
    thread: str | None = None
    python: str = PYTHON
    #: the interleaving as data, for a picture (:mod:`.drawing`): the same rows, with lanes,
    #: lock holds and waits and a deadlock's wait-for cycle; JSON as it is
    timeline: Timeline | None = None


@dataclass
class Exploration:
    """What an exploration found."""

    settings: Settings
    schedules_run: int
    failure: Failure | None
    complete: bool = False
    seconds: float = 0.0
    python: str = PYTHON
    notes: list[str] = field(default_factory=list)
    replayed: Token | None = None     # the token this exploration replayed, if it did
    #: the program drew from ``random`` in a search whose runs all get the same numbers
    #: (``Strategy.one_draw``): ``complete`` holds for that one draw only
    one_draw: bool = False
    #: complete after one run: it gave the scheduler no choice and drew no random number
    only_schedule: bool = False
    #: the failure was found by the chase of a lock-order cycle, after this many schedules
    chased: int | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def searched(self) -> str:
        """How a sentence names the schedules this exploration ran: "in 200 schedules", or,
        for code that never left the scheduler a choice, its only schedule."""
        if self.only_schedule:
            return "in the only schedule the code has (it never left the scheduler a choice)"
        n = self.schedules_run
        return f"in {n} schedule{'s' * (n != 1)}"

    @property
    def not_reproduced(self) -> bool:
        """A replay whose schedule did not fail: nothing was shown either way, so the doors
        (the command line, pytest) report it as a failure to reproduce, not as a pass."""
        return self.replayed is not None and self.failure is None

    def report(self, replay_command: str = "--replay {token}") -> str:
        """The failure in words, a replay's schedule that did not fail (and why it may not
        have), or a one-line summary when a search found nothing."""
        if self.replayed is not None and self.not_reproduced:
            return "\n".join([self.replayed.not_reproduced(), *self.notes])
        if self.failure is None:
            extra = ""
            if self.only_schedule:
                extra = " (the program never left the scheduler a choice: it has no other)"
            elif self.complete:
                extra = (" (every schedule within the bound, for one draw of the program's "
                         "random numbers)" if self.one_draw else
                         " (every schedule within the bound)")
            n = self.schedules_run
            return (f"No failure in {n} schedule{'s' * (n != 1)}{extra}, "
                    f"seed {self.settings.seed}, Python {self.python}.")
        f = self.failure
        lines = [f.message]
        if not f.token:
            where = ("in the code's only schedule" if self.only_schedule else
                     self.searched())
            lines.append(f"Checked {where} (seed {self.settings.seed}, Python {f.python}).")
            if f.details:
                lines.append(f.details)
            lines.extend(self.notes)
            return "\n".join(lines)
        if f.schedule and self.chased is not None:
            lines.append(f"Found after {self.chased} schedules had taken locks in a cycle "
                         "without a deadlock, on schedule "
                         f"{f.schedule} of a search aimed at that cycle (strategy {f.strategy}, "
                         f"seed {f.seed}, Python {f.python}).")
        elif f.schedule:
            lines.append(f"Found on schedule {f.schedule} of {self.settings.schedules} "
                         f"(strategy {f.strategy}, seed {f.seed}, Python {f.python}).")
        elif self.replayed is not None and self.replayed.python != f.python:
            made = (f"Python {self.replayed.python}" if self.replayed.python
                    else "an unknown Python version")
            lines.append(f"Found by replaying schedule {self.replayed} (made on {made}, "
                         f"replayed on {f.python}).")
        else:
            lines.append(f"Found by replaying schedule {f.token} (Python {f.python}).")
        lines.append("Replay:")
        lines.append("    " + replay_command.format(token=f.token))
        if f.details:
            lines.append(f.details)
        if f.interleaving:
            lines.append("Interleaving (last steps; * = the scheduler switched threads here):")
            lines.append(f.interleaving)
        lines.extend(self.notes)
        return "\n".join(lines)


# ------------------------------------------------------------------ one run
class _Explorer:
    def __init__(self, entry: Callable[..., object], program: Program,
                 settings: Settings) -> None:
        self.entry = entry
        self.program = program
        self.settings = settings
        self.monitored = monitoring.AVAILABLE and not os.environ.get("GRADERS_SETTRACE")
        self.code_points = CodePoints(program.traced)
        self.run_settings = RunSettings(
            max_steps=settings.max_steps, starvation_bound=settings.starvation_bound,
            strict_locks=settings.strict_locks, traced=program.traced,
            library=program.library, lock_order=settings.lock_order,
            spurious_wakeups=settings.spurious_wakeups,
            timeouts_when_idle=settings.timeouts_when_idle)
        #: the scenarios run with the next run's repeat key (set by _search only)
        self.repeats: set[tuple[Hashable, ...]] = set()
        # Between the search's thread and the caller's, which watches it (_watch):
        #: the run under way, with its strategy and seed
        self.running: Run | None = None
        self.running_as: tuple[Strategy, int] | None = None
        #: the schedules counted with the run under way, and its index (what its failure
        #: names), set by whoever makes runs
        self.place = (1, 0)
        #: the caller stopped waiting (interrupted, or gave up on a stuck run): no more runs
        self.stopped = False
        #: the caller gave up on a stuck run, and put the program away itself (_given_up)
        self.abandoned = False
        #: the thread _stuck sent Aborted to
        self.told: int | None = None

    def run_once(self, strategy: Strategy, seed: int, *, judge_random: bool = True) -> Run:
        """One run of the program under ``strategy``, with ``random`` seeded ``seed``.
        Whether it drew from ``random`` (``Run.used_random``, ``Run.undeclared_draw``) is
        judged when ``judge_random`` is true, when it failed, and when it had no choice to
        make; otherwise those stay false (see :func:`_judge_random`)."""
        if self.stopped:
            raise _Stopped
        run = Run(strategy, self.run_settings)
        run.repeats = self.repeats
        if not self.monitored:
            run.tracer_for = thread_tracers(run, self.code_points)
        entry = self.entry

        def main_body() -> None:
            try:
                modules = self.program.load()
            except Exception as exc:   # (a verdict while importing unwinds as Aborted)
                where = _import_site(exc, self.program)
                run.fail(Stated(bug_class=BugClass.LOAD_ERROR,
                                message=f"{where}{type(exc).__name__}: {exc}"))
                raise scheduler.Aborted from None
            run.modules = modules
            try:
                result = entry(*modules)
                if inspect.iscoroutine(result):    # an async scenario: run on a controlled loop
                    asyncio.run(result)
            except LoadError as exc:
                run.fail(Stated(bug_class=BugClass.LOAD_ERROR, message=str(exc)))
                raise scheduler.Aborted from None
            for callback in reversed(run.atexit):
                callback()

        handle = MainThread()
        scheduler.active = run
        self.running, self.running_as = run, (strategy, seed)
        try:
            random.seed(seed)      # (explore() puts the caller's state back: random_kept)
            run.random_seed = seed
            ts = run.spawn("MainThread", main_body, False, handle)
            handle._state = ts
            run.start()
            if not run.green:
                run.finished.acquire()
            if judge_random or run.verdict is not None or not (
                    run.decisions or run.stall_began):
                _judge_random(run)
        finally:
            if scheduler.active is run:     # (not so when the caller gave the run up)
                scheduler.active = None
            self.running = None
            aio.settle(run)
            if not self.abandoned:
                self.program.unload()
        strategy.finished(run)
        return run

    def _on_search_thread(self, search: Callable[[], Exploration]) -> Exploration:
        """``search()`` on a thread of the scheduler's pool, while this thread watches it.

        With greenlets a run happens on the thread that starts it (``Run.start``), so every
        run of the search is on that one OS thread, and a run costs no hand-over between
        two threads: when this thread started each run on a pool thread and waited for it,
        the two hand-overs were a third of a short run's time. This thread does what it
        did while it waited for each run: it takes an interruption (Ctrl-C comes to the
        main thread) and gives its verdict on a run stuck outside the engine (_watch).
        """
        outcome: list[object] = []
        done = _thread.allocate_lock()
        done.acquire()
        scheduler.on_worker(search, outcome, done)
        given_up = self._watch(done)
        if given_up is not None:
            return given_up
        got = outcome[0]
        if isinstance(got, BaseException):
            raise got           # (raised in the search's thread)
        assert isinstance(got, Exploration)
        return got

    def _watch(self, done: Any) -> Exploration | None:
        """Wait until the search is ``done`` (then None). A run that makes no step for the
        watchdog's time is stuck outside the engine: it fails, and its thread is told to
        unwind (``_stuck``); a thread still in it two seconds later never comes back (a
        call in C), and its failure is the exploration's result, given from here."""
        watched: Run | None = None
        last = -1
        since = _real_monotonic()
        told_at: float | None = None
        try:
            while not done.acquire(timeout=0.2):
                run = self.running
                now = _real_monotonic()
                if run is None or run is not watched or run.steps != last:
                    watched, since, told_at = run, now, None
                    last = -1 if run is None else run.steps
                elif told_at is None and now - since > self.settings.watchdog:
                    self._stuck(run)
                    told_at = now
                elif told_at is not None and now - told_at > 2.0:
                    self.stopped = True
                    return self._given_up(run)
        except BaseException:
            self.stopped = True
            run = self.running
            if run is not None:
                run.fail(Stated(bug_class=BugClass.BLOCKED_OUTSIDE,
                                message="The exploration was interrupted."))
            # The run's threads unwind at their next step; let them, before the interruption
            # goes on up. A process that exits while the run's OS thread still switches
            # between its greenlets can crash in the interpreter's shutdown (Ctrl-C on
            # `graders explore`: a segmentation fault after "interrupted.").
            with contextlib.suppress(BaseException):
                done.acquire(timeout=2.0)
            raise
        return None

    def _given_up(self, run: Run) -> Exploration:
        """The exploration's result when the search's thread stays stuck in ``run``: its
        failure (set by ``_stuck``). The thread is left where it is, and makes no other run
        if it ever comes back."""
        assert self.running_as is not None
        strategy, seed = self.running_as
        counted, index = self.place
        s = self.settings
        # What the run's thread would do at its end: the next exploration may begin.
        self.abandoned = True
        if scheduler.active is run:
            scheduler.active = None
        self.program.unload()
        if self.told is not None:
            _withdraw_async_exception(self.told)
        return Exploration(s, counted, self._failure(run, index, strategy, seed),
                           replayed=decode(s.replay) if s.replay is not None else None)

    def _stuck(self, run: Run) -> None:
        ts = run.current
        frames = sys._current_frames()
        stack = ""
        if ts is not None and ts.os_ident in frames:
            summary = [f for f in traceback.extract_stack(frames[ts.os_ident])
                       if not self.program.library(f.filename) or "engine" not in f.filename]
            stack = "".join(traceback.format_list(summary[-6:])).rstrip()
        name = ts.name if ts is not None else "a thread"
        run.fail(Stated(
            bug_class=BugClass.BLOCKED_OUTSIDE,
            message=f"{name} made no progress for {self.settings.watchdog:g}s inside something "
            "the engine does not control (a real lock, I/O, a C extension, a busy loop outside "
            "the code under test).",
            details=f"Where it was:\n{stack}" if stack else "", thread=name))
        if ts is not None and ts.os_ident is not None:
            self.told = ts.os_ident
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ts.os_ident), ctypes.py_object(scheduler.Aborted))

    # ------------------------------------------------------------- explore
    def explore(self) -> Exploration:
        s = self.settings
        start = _real_monotonic()
        gc.callbacks.append(scheduler.collector_at_work)
        try:
            with stand_ins_installed(), self._scheduling_points(), random_kept(), \
                    self.program.libraries_imported():
                try:
                    result = self._on_search_thread(
                        self._replay_only if s.replay is not None else self._search)
                finally:
                    # What the runs left for the garbage collector is finalized now, while
                    # its refusals (primitives.LeftBehind) are kept quiet. A full collection:
                    # leftovers of earlier explorations that became garbage since go too
                    # (why not a cheaper one: docs/engine-profile.md).
                    gc.collect()
        finally:
            gc.callbacks.remove(scheduler.collector_at_work)
            scheduler._WORKERS.close()
        result.seconds = _real_monotonic() - start
        return result

    def _scheduling_points(self) -> AbstractContextManager[None]:
        """sys.monitoring where it exists (3.12+), else per-thread sys.settrace (3.11)."""
        if not self.monitored:
            return contextlib.nullcontext()
        return monitoring.monitored(self.program.code_objects(), self.program.traced)

    def _replay_only(self) -> Exploration:
        token = decode(self.settings.replay or "")
        strategy = token.strategy()
        run = self.run_once(strategy, strategy.seed)
        result = Exploration(self.settings, 1, None, replayed=token)
        _raise_load_error(run)   # as a search does: not a verdict
        if run.verdict is not None:
            result.failure = self._failure(run, 0, strategy, 0)
        if isinstance(strategy, strategies.Replay) and strategy.diverged:
            result.notes.append(token.diverged())
        return result

    def _search(self) -> Exploration:
        s = self.settings
        if s.first is not None:
            try:
                first: Strategy | None = decode(s.first).strategy()
            except ValueError:
                first = None
            if first is not None:
                self.place = (1, 0)
                run = self.run_once(first, first.seed)
                if run.verdict is not None and run.verdict.bug_class != BugClass.LOAD_ERROR:
                    result = Exploration(s, 1, self._failure(run, 0, first, 0))
                    result.notes.append("(This is the schedule that failed last time; it was "
                                        "tried first.)")
                    return result
        kind = strategies.lookup(s.strategy)
        #: runs whose locks were taken in a cycle (the first few), kept while the cycle
        #: stands: a later run can show that a lock of it is a signal (lockorder)
        cycles: list[tuple[Run, int, Strategy, int]] = []
        signals: set[tuple[str, int]] = set()
        previous: Strategy | None = None
        steps_hint = 200
        ran = 0
        drew = False
        #: repeat key -> the scenarios of runs with it that drew nothing else (see
        #: Strategy.repeat_key, probes.draw_scenario): a run with both would be the same
        known: dict[Hashable, set[tuple[Hashable, ...]]] = {}
        only = False
        for i in range(s.schedules):
            seed = 0 if kind.one_draw else random.Random(f"{s.seed}:{i}").getrandbits(32)
            strategy = kind.for_run(Plan(i, seed, s, previous, steps_hint))
            strategy.begin(i)
            key = strategy.repeat_key()
            if key is not None and () in known.get(key, ()):
                ran += 1       # (its schedule was run: it is the one with the same key)
                continue
            self.repeats = known.get(key, set())
            self.place = (i + 1, i + 1)
            try:
                # (``drew`` matters to a one-draw strategy only, an undeclared draw to a
                # strategy with a repeat key only)
                run = self.run_once(strategy, seed,
                                    judge_random=kind.one_draw or key is not None)
            finally:
                self.repeats = set()
            ran += 1
            if run.repeat:     # (ended at its scenario's draw: an earlier run had it too)
                continue
            if key is not None and not (run.undeclared_draw or strategy.drew or run.grace):
                known.setdefault(key, set()).add(tuple(run.scenario))
            drew = drew or run.used_random
            previous = strategy
            steps_hint = max(steps_hint if i else 1, run.decisions)
            if run.verdict is not None:
                _raise_load_error(run)
                return Exploration(s, ran, self._failure(run, i + 1, strategy, seed))
            if s.lock_order:
                if not run.signal_sites <= signals:
                    signals |= run.signal_sites
                    cycles = [c for c in cycles if lockorder.find_cycle(c[0], signals)]
                if len(cycles) < KEPT_CYCLES and lockorder.find_cycle(run, signals):
                    cycles.append((run, i + 1, strategy, seed))
            if strategy.complete:
                break
            if not (run.decisions or run.used_random or run.stall_began):
                only = True    # no choice anywhere, no number drawn: every run is this one
                break
        if any(lockorder.find_cycle(c[0], signals) for c in cycles):
            return self._chase(ran)
        return Exploration(s, ran, None, complete=only or (
            previous is not None and previous.complete), one_draw=drew and kind.one_draw,
            only_schedule=only)

    # ------------------------------------------------------------- reporting
    def _shrink(self, run: Run) -> Run:
        """Drop recorded switches while the same bug still shows; keep the smallest run."""
        assert run.verdict is not None
        v = run.verdict
        bug = v.bug_class
        # A verdict reached only at the end of the step budget: every replay takes as long.
        spent = (isinstance(v, Stuck) and v.steps > 0) or (
            isinstance(v, Misuse) and bool(v.running))
        # A run with a stall (Run.stall) is replayed by its strategy's token, which holds it.
        if not self.settings.shrink or spent or run.stall_began or bug in (
                BugClass.STARVATION, BugClass.BLOCKED_OUTSIDE, BugClass.LIVELOCK):
            return run
        best = run
        budget = 200
        chunk = max(1, len(best.deviations) // 2)
        while budget > 0 and best.deviations:
            progressed = False
            devs = best.deviations
            i = len(devs)
            while i > 0 and budget > 0:
                lo = max(0, i - chunk)
                candidate = devs[:lo] + devs[i:]
                trial = self.run_once(strategies.Replay(candidate), 0, judge_random=False)
                budget -= 1
                if trial.verdict is not None and trial.verdict.bug_class == bug and len(
                        trial.deviations) < len(best.deviations):
                    best = trial
                    progressed = True
                    break
                i = lo
            if not progressed:
                if chunk == 1:
                    break
                chunk = max(1, chunk // 2)
        return best

    def _failure(self, run: Run, index: int, strategy: Strategy, seed: int) -> Failure:
        found = run
        run = self._shrink(run)
        assert run.verdict is not None and found.verdict is not None
        v = run.verdict
        # Before the interleaving: names are taken once per run, and the verdict's own
        # (as the threads stood then) are the ones its words and the table should share.
        message, details = words(run, v)
        replayed = run is not found or isinstance(strategy, strategies.Replay)
        token = encode(run.deviations, None if replayed else strategy)
        seeded = strategy.token()
        if not replayed and (run.used_random or run.stall_began) and seeded:
            # A list of switches replays with random seeded 0, not with this run's seed, and
            # without its stall: only the seeded strategy's token gives the program the same
            # random numbers and the same stall.
            token = str(Token(seeded, PYTHON))
        if run.stall is not None and run.stall_began and run.stall_ticks:
            name = run.threads[run.stall.tid].name
            details += (f"{chr(10) if details else ''}In this schedule {name} got no CPU while "
                        f"other threads' sleeps and timeouts ended {run.stall_ticks} "
                        f"time{'s' if run.stall_ticks > 1 else ''} (a busy machine can do "
                        "that).")
        return Failure(v.bug_class, message, details, index, strategy.label(), seed,
                       token, interleaving(run), v.thread, timeline=timeline(run, v))

    def _chase(self, ran: int) -> Exploration:
        """The schedules are spent, and threads took locks in a cycle that no run closed:
        hunt the deadlock it promises with runs of ``contend`` (each thread takes its first
        lock before any takes a second). A deadlock found is the failure, replayed by its
        token like any other. Otherwise the cycle is taken for one that cannot close (a
        count or a flag the lock graph cannot see keeps the threads apart: a readers' room
        taken by the first reader in, under the same lock the last one out takes), and the
        exploration passes: a possible deadlock that no run shows fails no one."""
        s = self.settings
        for k in range(CHASE_RUNS):
            seed = random.Random(f"{s.seed}:chase:{k}").getrandbits(32)
            strategy = strategies.Contend(seed)
            strategy.begin(k)
            self.place = (ran + k + 1, k + 1)
            run = self.run_once(strategy, seed)
            if run.verdict is not None and run.verdict.bug_class == BugClass.DEADLOCK:
                return Exploration(s, ran + k + 1,
                                   self._failure(run, k + 1, strategy, seed), chased=ran)
            if not (strategy.drew or run.used_random):
                return Exploration(s, ran + k + 1, None)    # every other run is this one
        return Exploration(s, ran + CHASE_RUNS, None)


class _Withdrawn(BaseException):
    """Raised in the caller's own thread, and caught there, to clear 3.11's flag of a pending
    asynchronous exception (see :func:`_withdraw_async_exception`)."""


def _withdraw_async_exception(ident: int) -> None:
    """Take back the ``Aborted`` that ``_stuck`` sent to thread ``ident``, which never came
    back. Up to 3.11 a pending one is an interpreter-wide flag, cleared only by the thread
    it is for: every other thread met it at every check, and the next exploration's first
    run made no step at all (blocked outside the engine, by the run before). The thread
    comes back to a run that is over, and unwinds at its next step anyway."""
    set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc
    set_async(ctypes.c_ulong(ident), None)
    if sys.version_info < (3, 12):
        # (the flag is cleared by the thread an exception is delivered to: this one)
        try:
            set_async(ctypes.c_ulong(_real_get_ident()), ctypes.py_object(_Withdrawn))
            for _ in range(1000):       # (delivered at the loop's next check)
                pass
        except _Withdrawn:
            pass


class _Stopped(BaseException):
    """Ends the search's thread at its next run once the caller stopped waiting for it."""


def _judge_random(run: Run) -> None:
    """Did the run's program draw from ``random``? Then only its seed replays it. And besides
    the scenario a check declared (probes.draw_scenario)? Asked right after the run, against
    a generator seeded as the run's was: reading a generator's state (625 numbers) costs
    about a tenth of a small run, so the explorer asks only where an answer is used."""
    state = random.getstate()
    seeded = random.Random(run.random_seed).getstate()
    after = run.random_after_scenario
    run.used_random = state != seeded
    run.undeclared_draw = run.undeclared_draw or state != (seeded if after is None else after)


def _raise_load_error(run: Run) -> None:
    """A run that could not load the code under test ends the exploration with LoadError."""
    if isinstance(run.verdict, Stated) and run.verdict.bug_class == BugClass.LOAD_ERROR:
        raise LoadError(run.verdict.message)


def _import_site(exc: BaseException, program: Program) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if program.traced(f.filename)]
    if frames:
        f = frames[-1]
        return f"{f.filename}, line {f.lineno}, while importing: "
    return ""


# ------------------------------------------------------------------ public functions
def explore(entry: Callable[..., object], files: Sequence[str | Path] = (),
            settings: Settings | None = None, *,
            fresh: Sequence[str] = DEFAULT_FRESH,
            processes: Processes | None = None) -> Exploration:
    """Run ``entry(*modules)`` over many schedules; ``files`` are loaded fresh and traced.
    An ``async def`` entry runs on a controlled event loop (:mod:`.aio`), as does any
    ``asyncio.run`` in the program.

    ``processes``: run ``multiprocessing`` (and, if it asks, ``mpi4py``) on controlled
    processes (:mod:`.processes`); without it neither is touched.
    Raises :class:`LoadError` when the code under test cannot be loaded.

    ``entry`` is called once per run *made*, which may be fewer than the schedules counted:
    a run known to repeat an earlier one step for step (``Strategy.repeat_key``) is not
    made again, or ends at the draw of its scenario (``draw_scenario``); and a first run
    that left no choice and drew no random number is the only one
    (``Exploration.only_schedule``). So ``entry`` must not depend on how many runs came
    before it; counts and maxima over the runs it saw are unchanged, since the runs not made
    are copies of runs it saw.
    """
    if scheduler.active is not None:
        raise RuntimeError("explorations do not nest")
    program = Program(files, fresh)
    explorer = _Explorer(entry, program, settings or Settings())
    if processes is None:
        return explorer.explore()
    files_ = program_files(program.names, program.paths, program.code_objects())
    with processes_installed(files_, processes):
        return explorer.explore()


def explore_target(spec: str, settings: Settings | None = None) -> Exploration:
    """Explore ``PATH/TO/FILE.py:FUNCTION``: the function runs as the main thread
    (an ``async def`` one on a controlled event loop)."""
    path, sep, func = spec.rpartition(":")
    if not sep or not path or not func:
        raise LoadError(f"{spec!r}: expected PATH/TO/FILE.py:FUNCTION")
    if not func.isidentifier():
        raise LoadError(f"{spec!r}: {func!r} is not a function name")

    def entry(module: Any) -> object:
        target = getattr(module, func, None)
        if target is None:
            raise LoadError(f"{path}: no function named {func!r}")
        if not callable(target):
            raise LoadError(f"{path}: {func!r} is not a function")
        return target()        # (a coroutine, for an async function: the explorer runs it)

    return explore(entry, [path], settings)


def with_settings(settings: Settings, **changes: Any) -> Settings:
    """A copy of ``settings`` with some fields changed (None values are ignored)."""
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})
