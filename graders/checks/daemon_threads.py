"""daemon_threads: a background saver that lets the program exit and loses nothing.

How "the program exits" is judged. When a Python program's main thread is done, the
interpreter waits for every non-daemon thread, for as long as it takes, and then stops the
daemon threads wherever they are. The checks do the same after main() returns, with a
budget: each non-daemon thread still running is joined for at most EXIT_BUDGET seconds of
the engine's virtual time (in short joins, each letting time pass only after the thread had
another chance to run), and one still alive after that fails with "cannot exit". The
budget gives one clear verdict whatever the saver does when nobody stops it: left to the
engine, a saver blocked for good would end in its "the program cannot exit" deadlock, but a
saver that sleeps in a loop (the usual case) never blocks for good, so the engine would only
call it a livelock once the step budget is spent. Returning from the scenario then lets the
engine stop the daemon threads where they stand, exactly as at interpreter exit, so what is
on disk at that moment is what a real run would have saved.

One bug, one check. Each check judges one requirement and passes whenever that one holds:

- program_exits: after main() returns, no thread keeps the program alive. A main() that
  raises is that exception; a main() that never returns because close() never returns is
  close_stops_saver's bug, so this check says so in one line.
- every_entry_saved: what is on ``disk`` at the moment of exit is every entry main() wrote.
  A program that never gets to exit has no such moment: one line naming program_exits.
- close_stops_saver: close() returns, and when it does the saver has ended. (Whether the
  entries are on disk is every_entry_saved's: once the saver has ended, nothing is saved
  after close() returns, so the disk at exit is the disk when close() returned.)
- real_run_exits: the backstop, a real run in a child process.

Every check runs over several cases (how many entries, how far apart, how often the saver
saves: SAVE_EVERY), each explored on its share of the schedules; a failure names its case.

The last check runs the program for real, in a child process, as a backstop: its verdict is
only whether the process exits before a generous hard timeout. A program that cannot exit
under the engine is not run (it would only hang until the timeout).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, LoadError, Settings, explore, fail

from . import check
from .support import passed, require, student_file, verdict

#: Virtual seconds the checks wait, after main() returns, for non-daemon threads to end.
EXIT_BUDGET = 1.0
#: ...in joins this long: time passes only once the thread waited for has had a chance to run.
EXIT_SLICE = 0.005
#: Wall-clock seconds a real run may take before it counts as hanging.
REAL_TIMEOUT = 20.0

_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
          "holiday")


@dataclass(frozen=True)
class Case:
    """One scenario: how many entries, the saver's period, the gap between two writes
    (close_stops_saver only: main() has its own gap)."""

    entries: int
    save_every: float
    gap: float = 0.02

    @property
    def names(self) -> tuple[str, ...]:
        return _NAMES[:self.entries]

    def describe(self, gap: bool = False) -> str:
        what = f"{self.entries} entr{'y' if self.entries == 1 else 'ies'}"
        if gap:
            what += f" written {self.gap:g} s apart"
        return f"With {what} and SAVE_EVERY = {self.save_every:g} s"


#: main(entries): the default, nothing to save, one entry and no round before close(), a round
#: that a write lands in the middle of, rounds that start as a write does, and a period longer
#: than the whole run.
PROGRAM_CASES = (Case(5, 0.05), Case(0, 0.05), Case(1, 0.3), Case(6, 0.015), Case(8, 0.02),
                 Case(3, 0.5))
#: Diary used directly: close() right away, in the middle of a round, after a long pause.
CLOSE_CASES = (Case(3, 0.05, 0.02), Case(0, 0.05, 0.0), Case(2, 0.3, 0.0),
               Case(4, 0.01, 0.007), Case(1, 0.05, 0.12))


def _explore_cases(folder: Path, settings: Settings, cases: tuple[Case, ...],
                   scenario_for: Callable[[Case], Callable[[Any], None]],
                   gap: bool = False) -> tuple[Exploration, Case]:
    """Explore every case on its share of the schedules; the first failure wins and its
    message starts with its case. A replay is tried on each case in turn (the one it was
    found on reproduces it exactly)."""
    path = [student_file(folder, "diary.py")]
    share = replace(settings, schedules=max(1, settings.schedules // len(cases)))
    total = 0
    result: Exploration | None = None
    fallback: tuple[Exploration, Case] | None = None
    for case in cases:
        result = explore(scenario_for(case), path, share)
        total += result.schedules_run
        if result.failure is None:
            continue
        if settings.replay is not None and any("diverge" in n for n in result.notes):
            fallback = fallback or (result, case)
            continue
        result.failure = replace(
            result.failure, message=f"{case.describe(gap)}: {result.failure.message}")
        return replace(result, schedules_run=total), case   # "schedule i of its share"
    if fallback is not None:
        found, case = fallback
        if found.failure is not None:
            found.failure = replace(
                found.failure, message=f"{case.describe(gap)}: {found.failure.message}")
        return replace(found, schedules_run=total), case
    assert result is not None
    return replace(result, settings=settings, schedules_run=total), cases[-1]


def _set_period(diary: Any, case: Case) -> None:
    if not hasattr(diary, "SAVE_EVERY"):
        raise LoadError(f"{diary.__file__}: the check expects the constant SAVE_EVERY (the "
                        "seconds between two rounds of the saver); it is missing.")
    diary.SAVE_EVERY = case.save_every


def _disk(diary: Any) -> list[Any]:
    disk = getattr(diary, "disk", None)
    if not isinstance(disk, list):
        raise LoadError(f"{diary.__file__}: the check expects the module's list `disk` "
                        "(what has been saved), and save() to add to it.")
    return disk


class _Progress:
    """How far the last run got: whether main() and close() returned."""

    def __init__(self) -> None:
        self.main = "not called"     # "running", "returned", "raised"
        self.close = "not called"    # "running", "returned"
        self.error: BaseException | None = None

    def watch_close(self, diary: Any) -> None:
        cls = getattr(diary, "Diary", None)
        original = getattr(cls, "close", None) if isinstance(cls, type) else None
        if not callable(original):
            return
        progress = self

        def close(self: Any, *args: Any, **kwargs: Any) -> Any:
            progress.close = "running"
            result = original(self, *args, **kwargs)
            progress.close = "returned"
            return result

        cls.close = close   # type: ignore[union-attr]

    @property
    def stuck_in_close(self) -> bool:
        return self.main != "returned" and self.close == "running"


def _program(folder: Path, settings: Settings, judge_records: bool
             ) -> tuple[Exploration, _Progress]:
    """main() writes the entries; then the program exits as Python's interpreter would.
    ``judge_records``: every_entry_saved (main() raising is then not reported here)."""
    progress = _Progress()

    def scenario_for(case: Case) -> Callable[[Any], None]:
        def scenario(diary: Any) -> None:
            progress.__init__()   # type: ignore[misc]
            main = require(diary, "main", ["entries"])
            disk = _disk(diary)
            _set_period(diary, case)
            progress.watch_close(diary)
            progress.main = "running"
            try:
                main(case.names)
            except Exception as exc:
                progress.main, progress.error = "raised", exc
                if not judge_records:
                    raise
                fail(Bug.EXCEPTION, "Not judged: main() raised "
                     f"{type(exc).__name__}, so the program never gets to save and exit "
                     "(program_exits shows where).")
            progress.main = "returned"
            me = threading.current_thread()
            returned = time.monotonic()
            for t in threading.enumerate():
                if t is me or t.daemon:
                    continue
                # Short joins, not one long one: a timeout may expire as soon as every
                # runnable thread has taken a step (the engine's "it was slow"), so one long
                # join could give up on a saver one step from its end. Each short one lets
                # the budget's time pass only after the thread had another chance to run.
                while t.is_alive() and time.monotonic() < returned + EXIT_BUDGET:
                    t.join(EXIT_SLICE)
                if t.is_alive():
                    if judge_records:
                        fail(Bug.CANNOT_EXIT, "Not judged: the program never exits, so "
                             "nothing is ever on disk \"at exit\" (program_exits shows why).")
                    fail(Bug.CANNOT_EXIT,
                         f"The program cannot exit: main() has returned, but {t.name} is not "
                         f"a daemon thread and was still running {EXIT_BUDGET:g} s later. "
                         "Python waits for every non-daemon thread before it exits, for as "
                         "long as it takes.")
            # Returning ends the program: daemon threads are stopped where they stand.
            missing = [e for e in case.names if e not in disk]
            if judge_records and missing:
                fail(Bug.LOST_RECORDS,
                     f"When the program exited, {len(missing)} of {case.entries} entries "
                     f"were not on disk: {', '.join(missing)}. Every entry must be saved "
                     "before the program ends, whatever the schedule.")

        return scenario

    result, _ = _explore_cases(folder, settings, PROGRAM_CASES, scenario_for)
    return result, progress


#: The engine's verdicts for a run that never ends: a thread stuck for good, or the step budget
#: spent (a program whose main thread is done but a non-daemon thread never ends may also be
#: the engine's "cannot exit").
_STUCK = (Bug.LIVELOCK, Bug.DEADLOCK, Bug.CANNOT_EXIT)


def _one_line(settings: Settings, bug_class: str, message: str, runs: int) -> Exploration:
    return verdict(settings, bug_class, message, "", runs)


@check("daemon_threads")
def program_exits(folder: Path, settings: Settings) -> Exploration:
    """After main() returns, the program exits within EXIT_BUDGET (virtual) seconds."""
    result, progress = _program(folder, settings, judge_records=False)
    f = result.failure
    if f is not None and f.bug_class in _STUCK \
            and progress.stuck_in_close:
        return _one_line(settings, f.bug_class,
                         "Not judged: main() never returned, because close() never "
                         "returned (close_stops_saver shows why).", result.schedules_run)
    return result


@check("daemon_threads")
def every_entry_saved(folder: Path, settings: Settings) -> Exploration:
    """Every entry main() wrote is on disk when the program exits, on every schedule."""
    result, _ = _program(folder, settings, judge_records=True)
    f = result.failure
    if f is not None and f.bug_class != Bug.LOST_RECORDS and (
            f.message.split(": ", 1)[-1].startswith("Not judged")
            or f.bug_class in _STUCK):
        line = f.message.split(": ", 1)[-1]
        if not line.startswith("Not judged"):
            line = ("Not judged: main() never returned, so the program never exits "
                    "(program_exits shows why).")
        return _one_line(settings, f.bug_class, line, result.schedules_run)
    return result


@check("daemon_threads")
def close_stops_saver(folder: Path, settings: Settings) -> Exploration:
    """Diary.close() returns, and when it does the saver has honoured the stop and ended."""
    progress = _Progress()

    def scenario_for(case: Case) -> Callable[[Any], None]:
        def scenario(diary: Any) -> None:
            progress.__init__()   # type: ignore[misc]
            make_diary = require(diary, "Diary", [])
            _set_period(diary, case)
            progress.watch_close(diary)
            book = make_diary()
            saver = getattr(book, "saver", None)
            if not isinstance(saver, threading.Thread):
                fail(Bug.NO_SAVER, "A Diary should keep its saver thread in `self.saver` (a "
                     "threading.Thread, not yet started).")
                return
            saver.start()
            for entry in case.names:
                book.write(entry)
                time.sleep(case.gap)
            book.close()
            if saver.is_alive():
                fail(Bug.SAVER_STILL_RUNNING,
                     "Diary.close() returned while the saver was still running: the diary "
                     "is not finished when close() returns, and whatever the saver still "
                     "had to do happens later, if ever.")

        return scenario

    result, _ = _explore_cases(folder, settings, CLOSE_CASES, scenario_for, gap=True)
    f = result.failure
    if f is not None and f.bug_class in _STUCK \
            and progress.close == "running":
        case, _, _ = f.message.partition(": ")
        result.failure = replace(f, message=(
            f"{case}: Diary.close() never returned: it waits for the saver to end, but the "
            "saver's loop goes on for ever (the grader gave up after its whole budget of "
            "steps)."))
    return result


@check("daemon_threads")
def real_run_exits(folder: Path, settings: Settings) -> Exploration:
    """``python diary.py`` exits on its own (a real run, in a child process)."""
    path = student_file(folder, "diary.py")
    once = replace(settings, schedules=len(PROGRAM_CASES), strategy="sequential",
                   replay=None, first=None)
    first = program_exits(folder, once).failure
    if first is not None:
        return _one_line(settings, first.bug_class,
                         f"Not run: python {path.name} would not exit under the grader's "
                         "scheduler already (program_exits shows why).", 1)
    try:
        subprocess.run([sys.executable, path.name], cwd=path.parent, timeout=REAL_TIMEOUT,
                       stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except subprocess.TimeoutExpired:
        return verdict(
            settings, Bug.CANNOT_EXIT,
            f"python {path.name} was still running after {REAL_TIMEOUT:g} s and was stopped: "
            "on real threads, something keeps the program from exiting.",
            "A non-daemon thread that never ends keeps a program alive after its main thread "
            "is done.")
    return passed(settings)
