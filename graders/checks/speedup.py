"""speedup: speedup, efficiency and Amdahl's law, and a render whose speedup, measured on the
grader's clock, is the one the law predicts.

No timing of the grading machine is ever used: under the engine ``time.sleep`` and every
clock of ``time`` are virtual (:mod:`graders.engine.timing`), so the check's ``storyboard``
and ``draw`` take exactly the seconds it gives them, and the render's time is the same on
any machine, with any load and any number of cores. The timing checks run the schedule of a
quiet machine with a core for every thread (strategy ``sequential``: the clock passes only
when every thread waits), because a busy machine's schedule, where a thread may wait for a
CPU while others finish their sleeps, is slower than any law predicts.

* speedup_and_efficiency, amdahl_law: the formulas, on fixed values (a slowdown, one
  worker, no serial part, nothing but serial part); one schedule, no threads;
* storyboard_once and every_frame_once hold on every schedule, so they are explored as
  usual, each schedule drawing one film of the check's list;
* storyboard_once: ``storyboard`` runs once per render, even for no frames, and returns
  before any frame is drawn (a storyboard in every worker fails here only: on an ideal
  machine it costs no time, since the workers make theirs at once);
* every_frame_once: ``draw`` is called once for every frame, with frames that do not share
  out evenly, more workers than frames, one frame and none;
* speedup_as_predicted: with frames that share out evenly, at most ``workers`` frames are
  drawn at once, and the render takes what Amdahl's law predicts, within 1 %;
* measures_whole_render: ``render`` returns the time the check measured around it on the
  same clock, within a microsecond.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import Exploration, Settings, draw_scenario, explore, fail, set_wall_clock

from . import check
from .support import explore_cases, rebind, require, student_file

FILE = "film.py"
#: How far the render's time may be from Amdahl's prediction, as the README says (1 %).
TOLERANCE = 0.01
#: How far render()'s answer may be from the check's own measurement, in seconds.
CLOCK_SLACK = 1e-6
#: measures_whole_render sets the wall clock (time.time()) this far once the storyboard is
#: made: a render timed on it is off by that much, one timed by perf_counter() is not.
WALL_JUMP = -5.0


@dataclass(frozen=True)
class _Film:
    """A render of ``frames`` frames with ``workers`` workers: a storyboard of ``plan``
    seconds, then frames of ``frame`` seconds each."""

    frames: int
    workers: int
    plan: float = 1.0
    frame: float = 0.5

    def __str__(self) -> str:
        return (f"render({self.frames} frame{'s' * (self.frames != 1)}, {self.workers} "
                f"worker{'s' * (self.workers != 1)})")

    @property
    def serial_fraction(self) -> float:
        return self.plan / (self.plan + self.frames * self.frame)

    @property
    def predicted(self) -> float:
        """The render's time on an ideal machine: the storyboard, then the frames shared
        out as evenly as they go."""
        return self.plan + math.ceil(self.frames / self.workers) * self.frame

    def setting(self) -> str:
        return (f"a storyboard of {self.plan:g} s, then {self.frames} frames of "
                f"{self.frame:g} s each")


class _Studio:
    """What the check saw of one render: storyboards, frames drawn, frames at once."""

    def __init__(self, film: _Film) -> None:
        self.film = film
        self.storyboards = 0
        self.planning = False
        self.planned = False
        self.drawn: Counter[Any] = Counter()
        self.drawing = 0
        self.most_drawing = 0
        self.early = ""            # the first frame drawn before the storyboard was done


def _time(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and the seconds it took on the run's (virtual) clock."""
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _renders(folder: Path, settings: Settings, films: tuple[_Film, ...],
             judge: Callable[[_Studio, Any, float], None], ideal: bool = False,
             wall_jump: float = 0.0) -> Exploration:
    """Render the films and let ``judge(studio, returned, elapsed)`` give the verdict.
    ``ideal``: each film on the schedule of an ideal machine (for a time); otherwise over
    every schedule, each drawing its film from ``films`` (for what is drawn, and when).
    ``wall_jump``: the wall clock (``time.time()``) is set that far once the storyboard is
    made, as a machine's clock is set right; ``perf_counter()`` does not move."""

    def scenario_of(film: _Film | None) -> Callable[[Any], None]:
        def scenario(module: Any) -> None:
            render = require(module, "render", ["frames", "workers"])
            this = film or draw_scenario(
                lambda: random.Random(random.getrandbits(32)).choice(films))
            studio = _Studio(this)

            def storyboard(frames: Any) -> None:
                studio.storyboards += 1
                studio.planning = True
                time.sleep(this.plan)
                studio.planning = False
                studio.planned = True
                if wall_jump:
                    set_wall_clock(wall_jump)

            def draw(frame: Any) -> None:
                if not studio.planned and not studio.early:
                    studio.early = (f"frame {frame!r} was drawn while the storyboard was "
                                    "being made" if studio.planning else
                                    f"frame {frame!r} was drawn before the storyboard was "
                                    "made")
                studio.drawn[frame] += 1
                studio.drawing += 1
                studio.most_drawing = max(studio.most_drawing, studio.drawing)
                time.sleep(this.frame)
                studio.drawing -= 1

            rebind(module, storyboard=storyboard, draw=draw)
            returned, elapsed = _time(lambda: render(list(range(this.frames)), this.workers))
            judge(studio, returned, elapsed)

        return scenario

    files = [student_file(folder, FILE)]
    if not ideal:
        return explore(scenario_of(None), files, settings)
    quiet = replace(settings, strategy="sequential", schedules=1)
    return explore_cases(quiet, films, lambda film, s: explore(scenario_of(film), files, s))


def _formulas(folder: Path, settings: Settings,
              judge: Callable[[Any], None]) -> Exploration:
    """``judge(module)`` on one schedule: the formulas need no threads."""
    return explore(judge, [student_file(folder, FILE)],
                   replace(settings, strategy="sequential", schedules=1))


def _same(got: Any, want: float) -> bool:
    return isinstance(got, int | float) and math.isclose(got, want, rel_tol=1e-6)


def _call(fn: Callable[..., Any], shown: str, *args: float) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        fail(Bug.WRONG_METRICS, f"{shown} raised {type(exc).__name__}: {exc}")


@check("speedup")
def speedup_and_efficiency(folder: Path, settings: Settings) -> Exploration:
    """speedup(t1, tp) is t1 / tp; efficiency(t1, tp, workers) is the speedup per worker."""

    def judge(module: Any) -> None:
        speedup = require(module, "speedup", ["t1", "tp"])
        efficiency = require(module, "efficiency", ["t1", "tp", "workers"])
        for t1, tp, workers in ((10.0, 4.0, 4), (6.0, 6.0, 1), (3.0, 4.0, 2), (0.5, 0.125, 4),
                                (9.0, 3.0, 8)):
            want = t1 / tp
            got = _call(speedup, f"speedup({t1:g}, {tp:g})", t1, tp)
            if not _same(got, want):
                fail(Bug.WRONG_METRICS,
                     f"speedup({t1:g}, {tp:g}) returned {got!r}, but a run that took {tp:g} s "
                     f"instead of {t1:g} s with one worker is {want:g} times as fast.")
            want = t1 / tp / workers
            got = _call(efficiency, f"efficiency({t1:g}, {tp:g}, {workers})", t1, tp, workers)
            if not _same(got, want):
                fail(Bug.WRONG_METRICS,
                     f"efficiency({t1:g}, {tp:g}, {workers}) returned {got!r}, but a speedup "
                     f"of {t1 / tp:g} with {workers} worker{'s' * (workers != 1)} is an "
                     f"efficiency of {want:g}.")

    return _formulas(folder, settings, judge)


@check("speedup")
def amdahl_law(folder: Path, settings: Settings) -> Exploration:
    """amdahl(serial_fraction, workers) is 1 / (serial_fraction + (1 - serial_fraction) /
    workers)."""

    def judge(module: Any) -> None:
        amdahl = require(module, "amdahl", ["serial_fraction", "workers"])
        for s, workers in ((0.25, 4), (0.0, 4), (1.0, 8), (0.1, 1), (0.2, 2), (0.05, 16)):
            want = 1 / (s + (1 - s) / workers)
            got = _call(amdahl, f"amdahl({s:g}, {workers})", s, workers)
            if not _same(got, want):
                fail(Bug.WRONG_METRICS,
                     f"amdahl({s:g}, {workers}) returned {got!r}, but when {s:.0%} of the "
                     f"work is serial, {workers} worker{'s' * (workers != 1)} make it at most "
                     f"{want:.4g} times as fast.")

    return _formulas(folder, settings, judge)


F = _Film


@check("speedup")
def storyboard_once(folder: Path, settings: Settings) -> Exploration:
    """storyboard() runs once per render, and returns before any frame is drawn."""

    def judge(studio: _Studio, returned: Any, elapsed: float) -> None:
        if studio.storyboards == 0:
            fail(Bug.SERIAL_PART_SKIPPED,
                 f"{studio.film} made no storyboard: the serial part runs once in every "
                 "render, before the frames are shared out (even when there are none).")
        if studio.storyboards > 1:
            fail(Bug.SERIAL_PART_REPEATED,
                 f"{studio.film} made the storyboard {studio.storyboards} times: the serial "
                 "part runs once, before the frames are shared out.")
        if studio.early:
            fail(Bug.SERIAL_PART_OVERLAPPED,
                 f"In {studio.film}, {studio.early}: the storyboard comes first, once.")

    return _renders(folder, settings, (F(4, 2), F(6, 3), F(0, 2), F(3, 4), F(1, 1)), judge)


@check("speedup")
def every_frame_once(folder: Path, settings: Settings) -> Exploration:
    """draw() is called once for every frame, however the frames share out."""

    def judge(studio: _Studio, returned: Any, elapsed: float) -> None:
        frames = range(studio.film.frames)
        for frame in frames:
            if studio.drawn[frame] == 0:
                fail(Bug.LOST_ITEM, f"{studio.film} never drew frame {frame}.")
            if studio.drawn[frame] > 1:
                fail(Bug.ITEM_TWICE,
                     f"{studio.film} drew frame {frame} {studio.drawn[frame]} times.")
        strays = [f for f in studio.drawn if f not in frames]
        if strays:
            fail(Bug.WRONG_RESULT, f"{studio.film} drew {strays[0]!r:.40}, which is not one "
                 "of its frames.")

    return _renders(folder, settings, (
        F(5, 2), F(7, 3), F(2, 4), F(1, 1), F(0, 3), F(10, 4), F(6, 3)), judge)


@check("speedup")
def speedup_as_predicted(folder: Path, settings: Settings) -> Exploration:
    """At most ``workers`` frames at once, and the render's time is Amdahl's prediction
    within 1 %, for frames that share out evenly."""

    def judge(studio: _Studio, returned: Any, elapsed: float) -> None:
        film = studio.film
        if studio.most_drawing > film.workers:
            fail(Bug.OVER_CAPACITY,
                 f"{film} drew {studio.most_drawing} frames at once: at most {film.workers} "
                 "workers may draw at the same time.")
        t1 = film.plan + film.frames * film.frame
        predicted = 1 / (film.serial_fraction + (1 - film.serial_fraction) / film.workers)
        if elapsed < film.predicted - TOLERANCE * film.predicted:
            fail(Bug.TOO_FAST,
                 f"{film} took {elapsed:.4g} s on the grader's clock ({film.setting()}): a "
                 f"speedup of {t1 / elapsed:.3g} over one worker's {t1:g} s, more than the "
                 f"{predicted:.3g} Amdahl's law allows for a serial fraction of "
                 f"{film.serial_fraction:.3g} ({film.predicted:g} s). The serial part cannot "
                 "overlap the frames, and the render is over only once the last frame is "
                 "drawn.")
        if abs(elapsed - film.predicted) > TOLERANCE * film.predicted:
            fail(Bug.NO_SPEEDUP,
                 f"{film} took {elapsed:.4g} s on the grader's clock ({film.setting()}): a "
                 f"speedup of {t1 / elapsed:.3g} over one worker's {t1:g} s, but Amdahl's "
                 f"law predicts {predicted:.3g} for a serial fraction of "
                 f"{film.serial_fraction:.3g}, that is {film.predicted:g} s. At most "
                 f"{studio.most_drawing} frame{'s were' if studio.most_drawing != 1 else ' was'}"
                 " drawn at once.")

    return _renders(folder, settings, (
        F(4, 2), F(6, 3), F(8, 4), F(3, 1), F(6, 2, 0.5, 1.0), F(8, 8, 2.0, 0.25)), judge,
        ideal=True)


@check("speedup")
def measures_whole_render(folder: Path, settings: Settings) -> Exploration:
    """render() returns the seconds from before the storyboard to after the last frame."""

    def judge(studio: _Studio, returned: Any, elapsed: float) -> None:
        film = studio.film
        if not isinstance(returned, int | float):
            fail(Bug.WRONG_TIMING, f"{film} returned {returned!r:.40}: it should return the "
                 "seconds the render took, a number.")
        if abs(returned - elapsed - WALL_JUMP) <= CLOCK_SLACK:
            fail(Bug.WRONG_TIMING,
                 f"{film} returned {returned:.4g} s, but by time.perf_counter() the render "
                 f"took {elapsed:.4g} s ({film.setting()}): the machine's wall clock was set "
                 f"{-WALL_JUMP:g} s back during the render, as a clock being set right may be, "
                 "and the time was read from it (time.time()). Measure durations with "
                 "time.perf_counter(), which never jumps.")
        if abs(returned - elapsed) > CLOCK_SLACK:
            fail(Bug.WRONG_TIMING,
                 f"{film} returned {returned:.4g} s, but on the same clock the render took "
                 f"{elapsed:.4g} s ({film.setting()}): the time must run from before the "
                 "storyboard to after the last frame.")

    return _renders(folder, settings, (F(4, 2), F(6, 3), F(0, 2), F(5, 2), F(2, 1)), judge,
                    ideal=True, wall_jump=WALL_JUMP)
