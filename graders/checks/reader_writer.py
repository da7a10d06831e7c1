"""reader_writer: a planner read by many and written by few, behind a reader-writer lock.

Probes around the planner's ``read_day`` and ``write_day`` see who is inside at each moment:
a writer must be alone (no reader, no other writer), readers must be able to read at the same
time (a witness across schedules), every booking must be right (on the page the writers really
wrote, as ``write_day`` saw it, and as ``meetings_on`` shows it), and a writer must not wait
for ever behind a flood of readers.

Why the last check counts reads itself instead of using the engine's starvation verdict
(``Settings.starvation_bound``): the engine counts how often a thread waiting for one Lock
is overtaken. With a readers-first lock (``RWLockRead``) the writer waits for a lock that the
*group* of readers holds, taking and releasing it only when the group empties, so a flood of
overlapping readers starves the writer without overtaking it on any one lock; and the
short-held internal locks of the fair ``RWLockFair`` are overtaken now and then. So the
check counts the reads that begin while the writer waits, under the random walk (fair in
the limit), as the engine does for its own verdict.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, thread_name

from . import check
from .support import never_seen, require, student_file

DAY = "monday"
FLOOD_READERS, FLOOD_READS = 3, 3
#: Reads that may begin while a writer waits: twice the readers of the flood.
WAIT_BOUND = 2 * FLOOD_READERS
#: Schedules readers_share tries before it looks at all of them for its witness.
WITNESS_FIRST = 20


class _Watch:
    """Who is inside read_day and write_day right now, the most readers seen at once, and the
    pages each day was last written on; ``exclusive`` fails a run the moment a writer is not
    alone."""

    def __init__(self, exclusive: bool = True) -> None:
        self.exclusive = exclusive
        self.most_readers = 0          # across every run of the exploration
        self.reset()

    def reset(self) -> None:
        """Forget the last run (a run that failed may leave threads marked inside)."""
        self.reading: list[str] = []
        self.writing: list[str] = []
        self.reads_by_readers: dict[str, int] = {}
        self.writer_waits_since: dict[str, int] | None = None
        self.written_on: dict[Any, Any] = {}     # day -> the pages write_day last wrote it on

    def wrap(self, planner: Any) -> None:
        read_day, write_day = planner.read_day, planner.write_day

        def watched_read(pages: Any, day: Any) -> Any:
            me = thread_name()
            writer = next((w for w in self.writing if w != me), None)
            if writer is not None and self.exclusive:
                fail(Bug.NOT_EXCLUSIVE, f"{me} read {day}'s page while {writer} was writing "
                     "it: a reader saw a page half written.")
            self.reading.append(me)
            if me.startswith("reader"):
                self.reads_by_readers[me] = self.reads_by_readers.get(me, 0) + 1
                self.most_readers = max(self.most_readers,
                                        sum(1 for t in self.reading if t.startswith("reader")))
            try:
                return read_day(pages, day)
            finally:
                self.reading.remove(me)

        def watched_write(pages: Any, day: Any, meetings: Any) -> Any:
            me = thread_name()
            other = next((t for t in self.writing + self.reading if t != me), None)
            if other is not None and self.exclusive:
                doing = "writing" if other in self.writing else "reading"
                fail(Bug.NOT_EXCLUSIVE, f"{me} wrote {day}'s page while {other} was {doing} "
                     "it: a writer must have the planner to itself.")
            if self.writer_waits_since is not None:
                self._writer_in(me)
            self.writing.append(me)
            try:
                return write_day(pages, day, meetings)
            finally:
                self.writing.remove(me)
                self.written_on[day] = pages

        planner.read_day = watched_read
        planner.write_day = watched_write

    def writer_asks(self) -> None:
        self.writer_waits_since = dict(self.reads_by_readers)

    def _writer_in(self, me: str) -> None:
        assert self.writer_waits_since is not None
        before = self.writer_waits_since
        self.writer_waits_since = None
        during = {r: n - before.get(r, 0) for r, n in sorted(self.reads_by_readers.items())}
        total = sum(during.values())
        if total > WAIT_BOUND:
            who = ", ".join(f"{r} {n}" for r, n in during.items() if n)
            fail(Bug.STARVATION,
                 f"Starvation: {me} waited to book while readers began {total} reads ({who}). "
                 "Readers who come after a waiting writer should wait behind it; at most "
                 f"{WAIT_BOUND} reads may begin while a writer waits.")


def _load(planner: Any) -> Any:
    require(planner, "read_day", ["pages", "day"])
    require(planner, "write_day", ["pages", "day", "meetings"])
    return require(planner, "Planner", [])


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _office(folder: Path, settings: Settings, watch: _Watch, readers: int, writers: int,
            judge_bookings: bool = False) -> Exploration:
    """One meeting already booked, ``writers`` after the last place, ``readers`` looking
    once each (every check uses as few threads as its property needs: fewer, faster runs)."""
    def scenario(module: Any) -> None:
        make_planner = _load(module)
        watch.reset()
        planner = make_planner()
        if not planner.book(DAY, "standup"):
            fail(Bug.WRONG_BOOKING, f"Booking the first meeting on an empty {DAY} was refused.")
        watch.wrap(module)
        told_yes: list[str] = []

        def look() -> None:
            planner.meetings_on(DAY)

        def try_to_book(team: str) -> None:
            if planner.book(DAY, team):
                told_yes.append(team)

        _run([threading.Thread(target=look, name=f"reader-{i}") for i in range(readers)]
             + [threading.Thread(target=try_to_book, args=(f"team-{i}",), name=f"writer-{i}")
                for i in range(writers)])
        if not judge_bookings:
            return
        page = list(planner.meetings_on(DAY))
        expected = ["standup", *told_yes]
        if len(told_yes) > 1:
            fail(Bug.DOUBLE_BOOKING, f"{' and '.join(told_yes)} were both told the last place "
                 f"on {DAY} was theirs; the page shows {page}. Both writers checked the day "
                 "before either wrote it.")
        if not told_yes:
            fail(Bug.DOUBLE_BOOKING, f"Both writers were refused although {DAY} had a free "
                 f"place; the page shows {page}.")
        if page != expected:
            fail(Bug.DOUBLE_BOOKING, f"{told_yes[0]} was told it had the last place on {DAY}, "
                 f"but the page shows {page}: a booking was lost.")
        pages = watch.written_on.get(DAY)
        written = pages.get(DAY) if isinstance(pages, dict) else None
        if isinstance(written, list | tuple) and list(written) != expected:
            fail(Bug.DOUBLE_BOOKING, f"{told_yes[0]} was told it had the last place on {DAY}, "
                 f"and meetings_on() shows {page}, but the page the writers wrote holds "
                 f"{list(written)}: a booking was lost, and meetings_on() did not show the "
                 "page.")

    return explore(scenario, [student_file(folder, "planner.py")], settings)


@check("reader_writer")
def writers_exclusive(folder: Path, settings: Settings) -> Exploration:
    """One reader and two writers: while a writer writes a page, nobody else reads or
    writes it, on every schedule."""
    return _office(folder, settings, _Watch(), readers=1, writers=2)


@check("reader_writer")
def readers_share(folder: Path, settings: Settings) -> Exploration:
    """Two readers and a writer: in some schedule the two readers read at the same time."""
    watch = _Watch(exclusive=False)
    # The check judges nothing in a single run, and one schedule that shows two readers
    # inside is enough: look at the first few schedules (the same ones the full exploration
    # starts with), and only when they do not show it, at all of them.
    first = replace(settings, schedules=min(settings.schedules, WITNESS_FIRST))
    result = _office(folder, first, watch, readers=2, writers=1)
    if watch.most_readers < 2 and result.ok and first.schedules < settings.schedules:
        result = _office(folder, settings, watch, readers=2, writers=1)
    if watch.most_readers >= 2:
        return result
    return never_seen(
        result, Bug.READERS_TAKE_TURNS,
        f"Two readers never read the planner at the same time in {result.schedules_run} "
        "schedules: something makes readers wait for each other.",
        "Reading changes nothing, so readers can share the planner: only a writer needs it "
        "alone. A reader-writer lock's read side (gen_rlock) lets readers in together.")


@check("reader_writer")
def bookings_right(folder: Path, settings: Settings) -> Exploration:
    """Two writers after the last free place: exactly one gets it, and the page shows it."""
    return _office(folder, settings, _Watch(exclusive=False), readers=0, writers=2,
                   judge_bookings=True)


@check("reader_writer")
def writer_not_starved(folder: Path, settings: Settings) -> Exploration:
    """Three readers read over and over while one writer books: the writer's wait is
    bounded (judged under the random walk, which is fair in the limit)."""
    fair = replace(settings, strategy="random")

    def scenario(module: Any) -> None:
        make_planner = _load(module)
        watch = _Watch(exclusive=False)
        watch.wrap(module)
        planner = make_planner()
        gate = threading.Barrier(FLOOD_READERS + 1)   # all start together

        def look() -> None:
            gate.wait()
            for _ in range(FLOOD_READS):
                planner.meetings_on(DAY)

        def book() -> None:
            gate.wait()
            watch.writer_asks()
            planner.book(DAY, "team-0")

        _run([threading.Thread(target=look, name=f"reader-{i}") for i in range(FLOOD_READERS)]
             + [threading.Thread(target=book, name="writer-0")])

    return explore(scenario, [student_file(folder, "planner.py")], fair)
