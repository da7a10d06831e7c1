"""divide_and_conquer: a parallel merge sort of exam papers, with a cutoff.

The check replaces the kit's ``sort_small`` and ``merge`` with its own (the same stable
sort and merge), which see every short pile sorted and every merge, and counts the threads
the sort starts. Each schedule draws a pile (its size, from none to two dozen, odd and even)
and a cutoff from the check's list, with grades from 1 to 3 so that many papers tie; a
replay draws the same.

* every_paper_once: the result holds each paper exactly once (a split that drops or repeats
  the middle paper fails here, and only here);
* in_grade_order: neighbours in the result are in grade order, and papers with the same
  grade in the order they came (halves merged the wrong way round fail here);
* cutoff_respected: a sort that sorted ``k`` short piles with ``sort_small`` split ``k - 1``
  times, and may start two threads per split: more is a thread for a short pile, or a pile
  split with no cutoff at all (the starter, which never calls ``sort_small``). A merge of
  halves shorter than the cutoff in all is a short pile split too (the pile was at most one
  paper longer than the halves, whether the split dropped or repeated its middle or not);
* halves_in_parallel: ``sort_small`` never gets a pile longer than the cutoff whole (a
  cutoff tested on the halves' length instead of the pile's: pile not split), and two
  threads are inside ``sort_small`` or ``merge`` at once, for every pile longer than the
  cutoff. As in the semaphores check, the probe keeps the first one waiting (virtual time)
  until a second arrives, for PATIENCE ticks: longer than the engine ever keeps a thread
  from running while the clock passes (a stall of a random walk, a new thread's lag, and
  the steps of a few more levels of splits), so a sort that can overlap does on every
  schedule, and one that cannot fails on its first;
* finishes: the sort returns for bigger piles and small cutoffs, where a fixed-size pool
  whose tasks submit their halves and wait for them deadlocks.

Getting stuck is ``finishes``'s failure: the other checks go on past runs that get stuck
(:func:`support.past_stuck`). However a sort splits, no run may start more than HARD_CAP
threads: the module's ``threading.Thread`` refuses the start that would pass it (too many
threads), and the probes stop a run over it that started its threads another way (a pool
per split), so a sort that splits for ever never makes hundreds of threads on the grading
machine. Only the student's module's names are changed for that, never a class of the engine
or of the standard library, which class grading's integrity check compares.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, explore, fail, label, threads_started

from . import check
from .support import past_stuck, rebind, require, student_file

FILE = "papers.py"
#: The most threads one run may start, whatever the code: far above what the largest pile
#: of the check needs with no cutoff at all (2 x 23 for 24 papers), far below a fork bomb.
HARD_CAP = 64
#: Ticks of 0.01 s the overlap probe keeps a thread waiting for a second one to arrive: well
#: above the longest stall of a random walk (1,024 ticks; engine.strategies.draw_stall), the
#: lag of each new thread (MAX_LAG, 32) and the steps a thread takes to get there. Only a sort
#: that cannot overlap waits that long, once per run (the probe then lets it run on).
PATIENCE = 2000
Paper = tuple[str, int]


@dataclass(frozen=True)
class _Case:
    """A pile of ``size`` papers sorted with ``cutoff``."""

    size: int
    cutoff: int

    def __str__(self) -> str:
        return f"sort_papers({self.size} paper{'s' * (self.size != 1)}, cutoff={self.cutoff})"


class _Watch:
    """What one run saw: threads started, short piles sorted, threads inside at once."""

    def __init__(self, case: _Case, gather: bool) -> None:
        self.case = case
        self.gather = gather
        self.started = 0
        self.small = 0
        self.merges = 0        # merges of more than the cutoff: splits of a long pile
        self.short_split = 0   # the smallest pile merged that was no longer than the cutoff
        self.whole = 0         # the longest pile sort_small() got that was longer than the cutoff
        self.inside = 0
        self.most_inside = 0
        self.together = label(threading.Condition(), "the grader's probe")

    def enter(self) -> None:
        with self.together:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.together.notify_all()
            ticks = 0
            while self.gather and self.most_inside < 2 and ticks < PATIENCE:
                self.together.wait(0.01)
                ticks += 1
            if ticks >= PATIENCE:     # waited in vain once: a sort that runs alone runs
                self.gather = False   # on, and keeps its steps for the other schedules

    def leave(self) -> None:
        with self.together:
            self.inside -= 1


def _sort_small(papers: list[Paper]) -> list[Paper]:
    return sorted(papers, key=lambda paper: paper[1])


def _merge(left: list[Paper], right: list[Paper]) -> list[Paper]:
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if right[j][1] < left[i][1]:
            out.append(right[j])
            j += 1
        else:
            out.append(left[i])
            i += 1
    return out + list(left[i:]) + list(right[j:])


def _sort_cases(folder: Path, settings: Settings, cases: tuple[_Case, ...],
                judge: Callable[[_Watch, list[Paper], Any], None], gather: bool = False,
                ended: list[int] | None = None) -> Exploration:
    """Explore ``sort_papers`` on a case drawn per schedule; ``judge(watch, papers, result)``
    gives the verdict once it returned. ``ended[0]`` counts the runs that returned."""

    def scenario(module: Any) -> None:
        sort_papers = require(module, "sort_papers", ["papers", "cutoff"])
        rng = random.Random(random.getrandbits(32))
        case = rng.choice(cases)
        papers = [(f"paper-{n}", rng.randint(1, 3)) for n in range(case.size)]
        watch = _Watch(case, gather)

        def sort_small(pile: Any) -> list[Paper]:
            _stop_if_over_cap(case)
            pile = list(pile)
            watch.small += 1
            if len(pile) > case.cutoff:
                watch.whole = max(watch.whole, len(pile))
            watch.enter()
            try:
                return _sort_small(pile)
            finally:
                watch.leave()

        def merge(left: Any, right: Any) -> list[Paper]:
            _stop_if_over_cap(case)
            total = len(left) + len(right)
            watch.merges += total > case.cutoff    # (a split of a pile longer than that)
            if total < case.cutoff and not (0 < watch.short_split <= total):
                watch.short_split = total
            watch.enter()
            try:
                return _merge(list(left), list(right))
            finally:
                watch.leave()

        rebind(module, sort_small=sort_small, merge=merge)
        _cap_threads(module, case)
        result = sort_papers(list(papers), case.cutoff)
        watch.started = _started()
        if ended is not None:
            ended[0] += 1
        judge(watch, papers, result)

    return explore(scenario, [student_file(folder, FILE)], settings)


class _ThreadingView:
    """The ``threading`` module as the student's module sees it during a check: the same,
    but its ``Thread`` is ``capped``."""

    def __init__(self, capped: type) -> None:
        self.Thread = capped

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


def _started() -> int:
    """Threads the program started in this run (the main thread excluded), pools' too."""
    return len(threads_started())


def _stop_if_over_cap(case: _Case) -> None:
    if _started() > HARD_CAP:
        fail(Bug.TOO_MANY_THREADS,
             f"{case} started more than {HARD_CAP} threads, and the grader stopped it "
             "there: piles are split again and again, each in new threads. A pile of at "
             "most `cutoff` papers is sorted with sort_small(), without new threads.")


def _cap_threads(module: Any, case: _Case) -> None:
    """Make the module's ``threading.Thread`` (and a ``Thread`` it imported by name) refuse
    the start that would pass HARD_CAP. Only the module's own names change: the engine's
    classes and the standard library stay as they are (class grading's integrity check
    compares them). Threads started another way (a pool's) are counted by the probes of
    sort_small() and merge(), which stop a run over the cap as soon as one is called."""
    stand_in = threading.Thread           # the engine's, while a run is under way

    class Capped(stand_in):               # type: ignore[valid-type,misc]
        def start(self) -> None:
            if _started() >= HARD_CAP:
                fail(Bug.TOO_MANY_THREADS,
                     f"{case} was about to start thread {HARD_CAP + 1}, and the grader "
                     "stopped it there: piles are split again and again, each in new "
                     "threads. A pile of at most `cutoff` papers is sorted with "
                     "sort_small(), without new threads.")
            super().start()

    Capped.__name__ = Capped.__qualname__ = "Thread"
    names = vars(module)
    for name, value in list(names.items()):
        if value is threading:
            names[name] = _ThreadingView(Capped)
        elif value is stand_in:
            names[name] = Capped


def _as_list(watch: _Watch, result: Any) -> list[Any]:
    if not isinstance(result, list):
        fail(Bug.WRONG_RESULT, f"{watch.case} returned {type(result).__name__} "
             f"{result!r:.60}; it should return a list of papers.")
    return list(result)


def _past_stuck(folder: Path, settings: Settings, cases: tuple[_Case, ...],
                judge: Callable[[_Watch, list[Paper], Any], None], what: str,
                gather: bool = False) -> Exploration:
    ended = [0]
    return past_stuck(
        lambda s: _sort_cases(folder, s, cases, judge, gather, ended), settings,
        lambda bug_class: (f"Cannot judge {what}: the sort got stuck ({bug_class}) on this "
                           "schedule and on the others tried. The check finishes shows why."),
        lambda: ended[0])


C = _Case


@check("divide_and_conquer")
def every_paper_once(folder: Path, settings: Settings) -> Exploration:
    """The result holds every paper exactly once."""

    def judge(watch: _Watch, papers: list[Paper], result: Any) -> None:
        got = Counter(_as_list(watch, result))
        for paper in papers:
            if got[paper] == 0:
                fail(Bug.LOST_ITEM,
                     f"{watch.case} lost {paper[0]} (grade {paper[1]}): it is not in the "
                     f"result, which has {len(result)} papers instead of {len(papers)}.")
            if got[paper] > 1:
                fail(Bug.ITEM_TWICE,
                     f"{watch.case} returned {paper[0]} (grade {paper[1]}) {got[paper]} "
                     f"times: the result has {len(result)} papers instead of {len(papers)}.")
        strays = [p for p in got if p not in set(papers)]
        if strays:
            fail(Bug.WRONG_RESULT, f"{watch.case} returned {strays[0]!r:.60}, which is not "
                 "one of the papers it was given.")

    return _past_stuck(folder, settings, (
        C(0, 2), C(1, 2), C(2, 2), C(3, 2), C(5, 2), C(7, 3), C(9, 2), C(12, 4), C(13, 3),
        C(6, 5)), judge, "whether every paper is in the result once")


@check("divide_and_conquer")
def in_grade_order(folder: Path, settings: Settings) -> Exploration:
    """Neighbours in the result are in grade order; equal grades keep the order they came."""

    def judge(watch: _Watch, papers: list[Paper], result: Any) -> None:
        rank = {paper: n for n, paper in enumerate(papers)}
        known = [p for p in _as_list(watch, result) if p in rank]
        for a, b in itertools.pairwise(known):
            if a[1] > b[1]:
                fail(Bug.OUT_OF_ORDER,
                     f"{watch.case} put {a[0]} (grade {a[1]}) before {b[0]} (grade {b[1]}): "
                     "the papers are not sorted by grade.")
            if a[1] == b[1] and rank[a] > rank[b]:
                fail(Bug.OUT_OF_ORDER,
                     f"{watch.case} put {a[0]} before {b[0]}, both of grade {a[1]}, but "
                     f"{b[0]} came first: papers with the same grade must keep the order "
                     "they came in.")

    return _past_stuck(folder, settings, (
        C(2, 2), C(3, 2), C(5, 2), C(7, 3), C(8, 2), C(11, 3), C(16, 4), C(13, 5)),
        judge, "the order of the result")


def _splits(watch: _Watch) -> str:
    k = watch.small
    if k == 0 and watch.merges == 0:
        return "it sorted no pile with sort_small(): every pile was split, however short"
    if watch.merges > k - 1:
        m = watch.merges
        return (f"it merged {m} time{'s' * (m != 1)}, so it split {m} "
                f"time{'s' * (m != 1)}, and each split needs two threads at most")
    return (f"it sorted {k} short pile{'s' * (k != 1)} with sort_small(), so it split "
            f"{k - 1} time{'s' * (k != 2)}, and each split needs two threads at most")


@check("divide_and_conquer")
def cutoff_respected(folder: Path, settings: Settings) -> Exploration:
    """A pile of at most ``cutoff`` papers is sorted with sort_small(), with no new thread;
    each split of a longer pile starts at most two threads."""

    def judge(watch: _Watch, papers: list[Paper], result: Any) -> None:
        # splits: a merge each (a pile of one paper needs no sort_small()), or one fewer
        # than the short piles (when the halves are merged by hand)
        allowed = 2 * max(watch.small - 1, watch.merges, 0)
        if watch.started > allowed:
            fail(Bug.TOO_MANY_THREADS,
                 f"{watch.case} started {watch.started} thread"
                 f"{'s' * (watch.started != 1)}, but {_splits(watch)}.")
        if watch.short_split and watch.started:
            fail(Bug.TOO_MANY_THREADS,
                 f"{watch.case} merged two halves of {watch.short_split} papers in all: "
                 f"it split a pile no longer than the cutoff, in new threads, instead of "
                 "sorting it with sort_small().")

    return _past_stuck(folder, settings, (
        C(0, 1), C(1, 1), C(3, 3), C(4, 5), C(5, 4), C(6, 2), C(9, 3), C(16, 4), C(13, 2),
        C(24, 3)), judge, "how many threads the sort starts")


@check("divide_and_conquer")
def halves_in_parallel(folder: Path, settings: Settings) -> Exploration:
    """A pile longer than the cutoff has its halves sorted at the same time."""

    def judge(watch: _Watch, papers: list[Paper], result: Any) -> None:
        if watch.whole:
            fail(Bug.PILE_NOT_SPLIT,
                 f"{watch.case}: sort_small() sorted a pile of {watch.whole} papers in one go, "
                 f"although it is longer than the cutoff of {watch.case.cutoff}: such a pile "
                 "is split in two halves, sorted at the same time.")
        if watch.most_inside < 2:
            fail(Bug.NO_OVERLAP,
                 f"{watch.case}: no two piles were ever sorted or merged at the same time, "
                 "although the first waited a good while for another to start: the halves "
                 "are sorted one after the other.")

    return _past_stuck(folder, settings, (C(4, 3), C(5, 4), C(7, 2), C(12, 3), C(9, 4)),
                       judge, "whether the halves are sorted at the same time", gather=True)


@check("divide_and_conquer")
def finishes(folder: Path, settings: Settings) -> Exploration:
    """sort_papers() returns, for bigger piles and small cutoffs too."""
    return _sort_cases(folder, settings, (C(16, 2), C(24, 2), C(20, 3), C(17, 2), C(1, 2)),
                       lambda watch, papers, result: None)
