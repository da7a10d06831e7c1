"""reader_writer: a planner read by many and written by few, behind a reader-writer lock.

Probes around the planner's ``read_day`` and ``write_day`` see who is inside at each moment.
Each check tests one requirement and passes whenever it holds, whatever else is broken:

- ``writers_exclusive``: a writer is alone in every schedule (two scenes: one reader and two
  writers after the last place; two readers and a writer on an empty day);
- ``readers_share``: readers alone (no writer), and in some schedule two of them are inside
  at once (a witness across schedules);
- ``bookings_right``: three scenes one after another in every run, each on a fresh planner: a
  full day and one writer, the last place and two writers, an empty day (two places) and
  three writers with a reader. Each writer is told yes exactly when there was room, and the
  page (as ``write_day`` wrote it and as ``meetings_on`` shows it) holds every meeting whose
  writer was told yes, and nothing else;
- ``writer_not_starved``: readers who join readers already inside while a writer waits are
  counted (a readers-first lock lets them; a fair or writers-first lock makes them wait).
  The writer comes once a reader is inside: a writer that got in first would leave a
  readers-first lock nothing to show (it did on 197 of 200 random walks).
  The wait ends when the writer first reads or writes the page inside ``book()``: it is in.
  (A writer that reads on the read side and then waits for the write side waits again, but
  the probes cannot tell that wait from a writer that holds the write side while readers
  who take no lock read past it; counting it would blame the second on starvation.)

A writer who asks for the read side while it holds the write side waits for itself for ever:
that is a broken ``book()``, which ``bookings_right`` reports. ``writers_exclusive`` then has
no write to watch at all, and says so in one line naming ``bookings_right``;
``writer_not_starved`` saw the readers wait behind that writer (nothing slipped past it), so
it has no verdict of its own (the exploration stops at that schedule).

Why the last check counts reads itself instead of using the engine's starvation verdict
(``Settings.starvation_bound``): the engine counts how often a thread waiting for one Lock
is overtaken. With a readers-first lock (``RWLockRead``) the writer waits for a lock that the
*group* of readers holds, taking and releasing it only when the group empties, so a flood of
overlapping readers starves the writer without overtaking it on any one lock; and the
short-held internal locks of the fair ``RWLockFair`` are overtaken now and then. A plain
Lock (readers take turns) is overtaken now and then too, by the luck of the draw and not by
a rule that lets readers past the writer: only a read that *joins* readers already inside
while the writer waits shows that rule. The count is judged under the random walk (fair in
the limit), as the engine does for its own verdict.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Failure, Settings, explore, fail, thread_name

from . import check
from .support import never_seen, rebind, require, student_file, twin

DAY = "monday"
FLOOD_READERS, FLOOD_READS = 3, 6
#: Reads that may join other readers while a writer waits: twice the readers of the flood.
WAIT_BOUND = 2 * FLOOD_READERS
#: Schedules readers_share tries before it looks at all of them for its witness.
WITNESS_FIRST = 20
#: bookings_right's scenes, in this order in every run: (day, meetings already on it,
#: writers, readers). The full day comes first, with one writer: a wrong limit shows there
#: without any race.
BOOKING_SCENES = (("wednesday", 2, 1, 1), ("monday", 1, 2, 0), ("tuesday", 0, 3, 1))
#: writers_exclusive's scenes: (day, meetings already on it, writers, readers).
EXCLUSIVE_SCENES = (("monday", 1, 2, 1), ("tuesday", 0, 1, 2))
READERS_SHARING = 3


class _Watch:
    """Who is inside read_day and write_day right now, the most readers seen at once, and the
    pages each day was last written on; ``exclusive`` fails a run the moment a writer is not
    alone. With ``starving`` set, it counts the reads that join readers already inside while
    the writer waits."""

    def __init__(self, exclusive: bool = True, starving: bool = False) -> None:
        self.exclusive = exclusive
        self.starving = starving
        self.most_readers = 0          # across every run of the exploration
        self.reset()

    def reset(self) -> None:
        """Forget the last run (a run that failed may leave threads marked inside)."""
        self.reading: list[str] = []
        self.writing: list[str] = []
        self.waiting: str | None = None             # the writer waiting to get in, if any
        self.joined: Counter[str] = Counter()       # reads that joined while it waited
        self.written_on: dict[Any, Any] = {}     # day -> the pages write_day last wrote it on
        self.first_read: Any = None     # an Event set once a reader is inside, if wanted

    def wrap(self, planner: Any) -> None:
        read_day, write_day = twin(planner.read_day), twin(planner.write_day)

        def watched_read(pages: Any, day: Any) -> Any:
            me = thread_name()
            writer = next((w for w in self.writing if w != me), None)
            if writer is not None and self.exclusive:
                fail(Bug.NOT_EXCLUSIVE, f"{me} read {day}'s page while {writer} was writing "
                     "it: a reader saw a page half written.")
            if self.waiting is not None and me == self.waiting:
                self.waiting = None            # the writer is in
            elif self.waiting is not None and self.starving and self.reading:
                self._joined(me)
            self.reading.append(me)
            if me.startswith("reader") and self.first_read is not None:
                self.first_read.set()
            if me.startswith("reader"):
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
            if self.waiting == me:
                self.waiting = None
            self.writing.append(me)
            try:
                return write_day(pages, day, meetings)
            finally:
                self.writing.remove(me)
                self.written_on[day] = pages

        rebind(planner, read_day=watched_read, write_day=watched_write)

    def _joined(self, me: str) -> None:
        self.joined[me] += 1
        total = sum(self.joined.values())
        if total > WAIT_BOUND:
            who = ", ".join(f"{r} {n}" for r, n in sorted(self.joined.items()))
            fail(Bug.STARVATION,
                 f"Starvation: {self.waiting} waited to book while readers kept joining the "
                 f"readers already inside: {total} reads began that way ({who}). Readers who "
                 "come after a waiting writer should wait behind it; at most "
                 f"{WAIT_BOUND} reads may slip past a waiting writer.")


def _load(planner: Any) -> Any:
    require(planner, "read_day", ["pages", "day"])
    require(planner, "write_day", ["pages", "day", "meetings"])
    return require(planner, "Planner", [])


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _limit(module: Any) -> int:
    limit = getattr(module, "MAX_MEETINGS", 2)
    return limit if isinstance(limit, int) and limit > 0 else 2


def _prepare(planner: Any, day: str, already: int) -> list[str]:
    """Book ``already`` meetings on ``day`` one by one, before any thread starts."""
    booked = [f"{day}-meeting-{i}" for i in range(already)]
    for n, meeting in enumerate(booked):
        if not planner.book(day, meeting):
            fail(Bug.WRONG_BOOKING, f"With no other thread running, booking a meeting on "
                 f"{day} when it held {n} was refused.")
    return booked


def _scene(planner: Any, day: str, writers: int, readers: int) -> list[str]:
    """``readers`` look at ``day`` once each while ``writers`` try to book it; the teams
    that were told yes."""
    told_yes: list[str] = []

    def look() -> None:
        planner.meetings_on(day)

    def try_to_book(team: str) -> None:
        if planner.book(day, team):
            told_yes.append(team)

    _run([threading.Thread(target=look, name=f"reader-{i}") for i in range(readers)]
         + [threading.Thread(target=try_to_book, args=(f"team-{i}",), name=f"writer-{i}")
            for i in range(writers)])
    return told_yes


def _names(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def _judge(watch: _Watch, planner: Any, limit: int, day: str, before: list[str],
           writers: int, told_yes: list[str]) -> None:
    """Fail unless exactly the writers who were told yes are on the page, and they are as
    many as the day had room for."""
    places = max(0, limit - len(before))
    shown = list(planner.meetings_on(day))
    pages = watch.written_on.get(day)
    written = pages.get(day) if isinstance(pages, dict) else None
    page = list(written) if isinstance(written, list | tuple) else shown
    race = writers > 1
    scene = (f"{day} had {places} free place{'' if places == 1 else 's'} "
             f"({len(before)} of {limit} booked) and {writers} writer"
             f"{'' if writers == 1 else 's'} tried to book it")
    lost = [t for t in told_yes if t not in page]
    if lost:
        fail(Bug.DOUBLE_BOOKING if race else Bug.WRONG_BOOKING,
             f"{scene}: {_names(told_yes)} {'were' if len(told_yes) > 1 else 'was'} told "
             f"yes, but the page holds {page}: the booking of {_names(lost)} "
             f"{'was' if len(lost) == 1 else 'were'} lost. "
             + ("Two writers each wrote a page made from what they had read before the other "
                "wrote, so the later write replaced the earlier one." if race else
                "The writer was told yes, but its meeting was not written."))
    if page != shown:
        fail(Bug.DOUBLE_BOOKING if race else Bug.WRONG_BOOKING,
             f"{scene}: the page the writers wrote holds {page}, but meetings_on() shows "
             f"{shown}: meetings_on() must show the page as it is.")
    if len(told_yes) > places:
        fail(Bug.DOUBLE_BOOKING if race else Bug.WRONG_BOOKING,
             f"{scene}: {_names(told_yes)} {'were' if len(told_yes) > 1 else 'was'} "
             f"told yes; the page shows {page}. "
             + ("Writers checked the day before another one wrote it, so they all saw room."
                if race else f"A day holds at most MAX_MEETINGS = {limit} meetings."))
    wanted = min(places, writers)
    if len(told_yes) < wanted:
        fail(Bug.WRONG_BOOKING,
             f"{scene}: only {len(told_yes)} {'was' if len(told_yes) == 1 else 'were'} told "
             f"yes ({_names(told_yes) or 'nobody'}), though there was room for {wanted}; "
             f"the page shows {page}. book() returns True when it booked the meeting.")
    if Counter(page) != Counter(before + told_yes) or page[:len(before)] != before:
        fail(Bug.DOUBLE_BOOKING if race else Bug.WRONG_BOOKING,
             f"{scene}: the meetings booked before were {before} and "
             f"{_names(told_yes) or 'nobody'} {'was' if len(told_yes) == 1 else 'were'} "
             f"told yes, but the page holds {page}.")


def _self_deadlock(result: Exploration) -> bool:
    return result.failure is not None and result.failure.bug_class == Bug.SELF_DEADLOCK


def _without_self_deadlock(result: Exploration) -> Exploration:
    """writer_not_starved: a writer that waits for a lock it holds itself is book()'s bug,
    which bookings_right reports; the readers waited behind that writer, so nothing slipped
    past it, and this check has nothing of its own to report."""
    if _self_deadlock(result):
        assert result.failure is not None
        return replace(result, failure=None, notes=[
            *result.notes, f"Stopped at schedule {result.failure.schedule}: a thread waited "
            "for a lock it holds itself (bookings_right reports it)."])
    return result


def _no_writer_to_watch(result: Exploration) -> Exploration:
    """writers_exclusive: when book() never returns (a thread waits for a lock it holds
    itself), no writer ever writes, so there is nothing to judge: one line says so and points
    to the check that reports the bug."""
    if not _self_deadlock(result):
        return result
    return replace(result, failure=Failure(
        Bug.SELF_DEADLOCK, "No writer could be watched writing: book() never returned, "
        "because a thread waited for a lock it already holds (bookings_right shows where).",
        "", 0, "all", result.settings.seed, "", ""))


@check("reader_writer")
def writers_exclusive(folder: Path, settings: Settings) -> Exploration:
    """While a writer writes a page, nobody else reads or writes it, on every schedule (one
    reader and two writers after the last place, then two readers and a writer on an empty
    day)."""
    watch = _Watch()

    def scenario(module: Any) -> None:
        make_planner = _load(module)
        watch.reset()
        watch.wrap(module)
        for day, already, writers, readers in EXCLUSIVE_SCENES:
            planner = make_planner()
            _prepare(planner, day, already)
            _scene(planner, day, writers, readers)

    return _no_writer_to_watch(
        explore(scenario, [student_file(folder, "planner.py")], settings))


@check("reader_writer")
def readers_share(folder: Path, settings: Settings) -> Exploration:
    """Readers alone: in some schedule two of them read at the same time."""
    watch = _Watch(exclusive=False)

    def scenario(module: Any) -> None:
        make_planner = _load(module)
        watch.reset()
        planner = make_planner()
        watch.wrap(module)
        _scene(planner, DAY, 0, READERS_SHARING)

    def search(looking: Settings) -> Exploration:
        return explore(scenario, [student_file(folder, "planner.py")], looking)

    # The check judges nothing in a single run, and one schedule that shows two readers
    # inside is enough: look at the first few schedules (the same ones the full exploration
    # starts with), and only when they do not show it, at all of them.
    first = replace(settings, schedules=min(settings.schedules, WITNESS_FIRST))
    result = search(first)
    if watch.most_readers < 2 and result.ok and first.schedules < settings.schedules:
        result = search(settings)
    if watch.most_readers >= 2:
        return result
    return never_seen(
        result, Bug.READERS_TAKE_TURNS,
        f"{READERS_SHARING} readers (and no writer) never read the planner at the same time "
        f"{result.searched()}: something makes readers wait for each other.",
        "Reading changes nothing, so readers can share the planner: only a writer needs it "
        "alone. A reader-writer lock's read side (gen_rlock) lets readers in together.")


@check("reader_writer")
def bookings_right(folder: Path, settings: Settings) -> Exploration:
    """Writers racing for a full day, the last place, and an empty day: each is told yes
    exactly when there was room, and the page shows exactly the meetings told yes."""
    watch = _Watch(exclusive=False)

    def scenario(module: Any) -> None:
        make_planner = _load(module)
        limit = _limit(module)
        watch.reset()
        watch.wrap(module)
        for day, already, writers, readers in BOOKING_SCENES:
            planner = make_planner()
            before = _prepare(planner, day, min(already, limit))
            told_yes = _scene(planner, day, writers, readers)
            _judge(watch, planner, limit, day, before, writers, told_yes)

    return explore(scenario, [student_file(folder, "planner.py")], settings)


@check("reader_writer")
def writer_not_starved(folder: Path, settings: Settings) -> Exploration:
    """Three readers read over and over while one writer books: few reads join the readers
    inside while the writer waits (judged under the random walk, fair in the limit)."""
    fair = replace(settings, strategy="random")
    watch = _Watch(exclusive=False, starving=True)

    def scenario(module: Any) -> None:
        make_planner = _load(module)
        watch.reset()
        watch.wrap(module)
        planner = make_planner()
        gate = threading.Barrier(FLOOD_READERS + 1)   # all start together
        watch.first_read = threading.Event()

        def look() -> None:
            gate.wait()
            for _ in range(FLOOD_READS):
                planner.meetings_on(DAY)

        def book() -> None:
            gate.wait()
            watch.first_read.wait()      # the writer comes while the readers read
            watch.waiting = thread_name()
            planner.book(DAY, "team-0")
            watch.waiting = None

        _run([threading.Thread(target=look, name=f"reader-{i}") for i in range(FLOOD_READERS)]
             + [threading.Thread(target=book, name="writer-0")])

    return _without_self_deadlock(
        explore(scenario, [student_file(folder, "planner.py")], fair))
