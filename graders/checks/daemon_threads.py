"""daemon_threads: a background saver that lets the program exit and loses nothing.

How "the program exits" is judged. When a Python program's main thread is done, the
interpreter waits for every non-daemon thread, for as long as it takes, and then stops the
daemon threads wherever they are. The checks do the same after main() returns, with a
budget: each non-daemon thread still running is joined for at most EXIT_BUDGET seconds of
the engine's virtual time, and one still alive after that fails with "cannot exit". The
budget gives one clear verdict whatever the saver does when nobody stops it: left to the
engine, a saver blocked for good would end in its "the program cannot exit" deadlock, but a
saver that sleeps in a loop (the usual case) never blocks for good, so the engine would only
call it a livelock once the step budget is spent. Returning from the scenario then lets the
engine stop the daemon threads where they stand, exactly as at interpreter exit, so what is
on disk at that moment is what a real run would have saved.

A close() that joins a saver nobody told to stop never returns, so main() never returns
either: that one is the engine's step-budget livelock verdict.

The last check runs the program for real, in a child process, as a backstop: its verdict is
only whether the process exits before a generous hard timeout. A program that cannot exit
under the engine is not run (it would only hang until the timeout).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail

from . import check
from .support import passed, require, student_file, verdict

ENTRIES = ("monday", "tuesday", "wednesday", "thursday", "friday")
#: Virtual seconds the checks wait, after main() returns, for non-daemon threads to end.
EXIT_BUDGET = 1.0
#: Wall-clock seconds a real run may take before it counts as hanging.
REAL_TIMEOUT = 20.0


def _watch_saves(diary: Any) -> list[Any]:
    """Wrap the module's save() to record every entry it is given (in this run)."""
    save = require(diary, "save", ["entries"])
    saved: list[Any] = []

    def watched(entries: Any) -> Any:
        batch = list(entries)
        result = save(batch)
        saved.extend(batch)
        return result

    diary.save = watched
    return saved


def _missing(saved: list[Any], entries: tuple[str, ...]) -> list[str]:
    return [e for e in entries if e not in saved]


def _lost(missing: list[str], written: int, when: str) -> None:
    fail(Bug.LOST_RECORDS, f"{when}, {len(missing)} of {written} entries were not on disk: "
         f"{', '.join(missing)}. Entries written after the saver's last round must be saved "
         "before the saver ends, and the saver must end before the program does.")


def _program(folder: Path, settings: Settings, judge_records: bool) -> Exploration:
    """main() writes the entries; then the program exits as Python's interpreter would
    (a program that cannot exit fails every check built on this: nothing is "at exit")."""
    def scenario(diary: Any) -> None:
        main = require(diary, "main", ["entries"])
        saved = _watch_saves(diary)
        main(ENTRIES)
        me = threading.current_thread()
        returned = time.monotonic()
        for t in threading.enumerate():
            if t is me or t.daemon:
                continue
            t.join(max(0.0, returned + EXIT_BUDGET - time.monotonic()))
            if t.is_alive():
                fail(Bug.CANNOT_EXIT,
                     f"The program cannot exit: main() has returned, but {t.name} is not a "
                     f"daemon thread and was still running {EXIT_BUDGET:g} s later. Python "
                     "waits for every non-daemon thread before it exits, for as long as it "
                     "takes. Tell the saver to stop (an Event) and let its loop end.")
        # Returning ends the program: daemon threads are stopped where they stand.
        missing = _missing(saved, ENTRIES)
        if judge_records and missing:
            _lost(missing, len(ENTRIES), "When the program exited")

    return explore(scenario, [student_file(folder, "diary.py")], settings)


@check("daemon_threads")
def program_exits(folder: Path, settings: Settings) -> Exploration:
    """After main() returns, the program exits within EXIT_BUDGET (virtual) seconds."""
    return _program(folder, settings, judge_records=False)


@check("daemon_threads")
def every_entry_saved(folder: Path, settings: Settings) -> Exploration:
    """Every entry main() wrote is on disk when the program exits, on every schedule."""
    return _program(folder, settings, judge_records=True)


@check("daemon_threads")
def close_stops_saver(folder: Path, settings: Settings) -> Exploration:
    """When Diary.close() returns, the saver has honoured the stop and ended, and every
    entry written is on disk."""
    def scenario(diary: Any) -> None:
        make_diary = require(diary, "Diary", [])
        saved = _watch_saves(diary)
        book = make_diary()
        saver = getattr(book, "saver", None)
        if not isinstance(saver, threading.Thread):
            fail(Bug.NO_SAVER, "A Diary should keep its saver thread in `self.saver` (a "
                 "threading.Thread, not yet started).")
        saver.start()
        for entry in ENTRIES[:3]:
            book.write(entry)
            time.sleep(0.02)
        book.close()
        if saver.is_alive():
            fail(Bug.SAVER_STILL_RUNNING,
                 "Diary.close() returned while the saver was still running: close() should "
                 "set the stop Event and then join() the saver, so that the diary is "
                 "finished when close() returns.")
        missing = _missing(saved, ENTRIES[:3])
        if missing:
            _lost(missing, 3, "When close() returned")

    return explore(scenario, [student_file(folder, "diary.py")], settings)


@check("daemon_threads")
def real_run_exits(folder: Path, settings: Settings) -> Exploration:
    """``python diary.py`` exits on its own (a real run, in a child process)."""
    path = student_file(folder, "diary.py")
    once = replace(settings, schedules=1, strategy="sequential", replay=None, first=None)
    first = program_exits(folder, once).failure
    if first is not None:
        hangs = first.bug_class in (Bug.CANNOT_EXIT, Bug.LIVELOCK, Bug.DEADLOCK)
        return verdict(
            settings, Bug.CANNOT_EXIT if hangs else first.bug_class,
            f"python {path.name} was not run for real: under the grader's scheduler, on the "
            f"very first schedule, it fails already. {first.message}",
            f"Fix program_exits first. (A program that does not exit would only hang here "
            f"until it is stopped after {REAL_TIMEOUT:g} s.)")
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
