"""barriers: worker threads compute a rod step by step; each step must be made from the whole
rod of the step before, nobody may wait for ever, and a failing worker must stop the rest.

The check replaces ``step_cell`` with one of its own. It knows every step's rod in advance
(its temperatures carry their step: ``1000 * step + ...``), counts the calls for each cell
(the n-th call for a cell computes step n) and compares the whole rod it is given with the
rod of the step before: a cell that still holds an older step, or already a newer one, is
two phases mixed, and the report names the cell, its owner and the step it held. A cell the
check makes slow sleeps a while in virtual time at each step, and a faulty cell raises the
check's ``CellFault`` at step 1.

- ``phases_never_mix`` judges what every worker reads and what ``simulate()`` returns. A run
  that gets stuck (too many parties) or where ``simulate()`` raises is the other checks'
  business: the search goes on past stuck runs (:func:`support.past_stuck`).
- ``simulation_completes``: with nothing failing, and one slow cell, ``simulate()`` returns
  and raises nothing (a deadlock is the engine's verdict).
- ``failure_stops_everyone``: a cell fails at step 1, before any worker has passed the
  barrier, so that the failing worker's abort() reaches every other one even at a barrier
  with too many parties (whose runs otherwise get stuck at the end of step 1: that is
  ``simulation_completes``' failure, not this one's). The failing worker must let the others
  stop, and ``simulate()`` raise its error. Only ``phases_never_mix`` judges what a worker
  reads: a worker that goes on past a failed one reads cells nobody wrote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import CheckFailed, Exploration, Settings, explore, fail

from . import check
from .support import explore_cases, named_error, past_stuck, rebind, require, share, student_file

#: Virtual seconds a slow cell takes at each step: longer than any short timeout a worker
#: might put on its wait, and nothing a correct barrier minds.
SLOW = 2.0


class CellFault(Exception):
    """What the check's step_cell raises for a faulty cell."""


@dataclass(frozen=True)
class _Rod:
    """One simulation: the rod's size, its steps and workers; a slow cell; a faulty cell."""

    size: int
    steps: int
    workers: int
    slow: int | None = None
    faulty: int | None = None

    def __str__(self) -> str:
        text = (f"{self.size} cells, {self.steps} step{'s' * (self.steps != 1)}, "
                f"{self.workers} workers")
        if self.slow is not None:
            text += f"; cell {self.slow} slow"
        if self.faulty is not None:
            text += f"; cell {self.faulty} fails at step 1"
        return text

    def owner(self, cell: int) -> str:
        """The worker the starter's split gives ``cell`` to."""
        for w in range(self.workers):
            if w * self.size // self.workers <= cell < (w + 1) * self.size // self.workers:
                return f"worker-{w}"
        return "no worker"

    def rods(self) -> list[list[int]]:
        """The rod at every step, step 0 first."""
        rods = [[(7 * i + 3) % 10 for i in range(self.size)]]
        for step in range(1, self.steps + 1):
            old = rods[-1]
            rods.append([1000 * step + (old[max(i - 1, 0)] + 2 * old[i]
                                        + 3 * old[min(i + 1, self.size - 1)] + i) % 997
                         for i in range(self.size)])
        return rods


class _Watch:
    """What the check's step_cell saw in one run."""

    def __init__(self, rod: _Rod) -> None:
        self.rod = rod
        self.rods = rod.rods()
        self.calls = [0] * rod.size
        self.mixed = ""            # the first mix seen (kept: the student may catch it)
        self.fault: CellFault | None = None

    def step_of(self, cell: int, value: Any) -> int | None:
        return next((s for s, rod in enumerate(self.rods) if rod[cell] == value), None)

    def judge(self, rod: Any, cell: int, step: int) -> None:
        """Fail the run when ``rod`` is not the whole rod of ``step - 1``."""
        try:
            seen = list(rod)
        except TypeError:
            seen = []
        expected = self.rods[step - 1]
        if seen == expected:
            return
        me = threading.current_thread().name
        if len(seen) != len(expected):
            self.mixed = (f"{me} called step_cell(rod, {cell}) for step {step} with a rod of "
                          f"{len(seen)} cells instead of the rod of step {step - 1} "
                          f"({self.rod}).")
        else:
            j = next(j for j, (a, b) in enumerate(zip(seen, expected, strict=True)) if a != b)
            held = self.step_of(j, seen[j])
            whose = self.rod.owner(j)
            if held is None:
                what = "held a temperature of no step at all"
            elif held < step - 1:
                what = (f"still held its temperature of step {held}: {whose} had not written "
                        f"step {step - 1}'s yet")
            else:
                what = (f"already held its temperature of step {held}: {whose} had gone on "
                        f"to step {held} and overwritten step {step - 1}'s")
            self.mixed = (f"{me} computed cell {cell} of step {step} from a rod whose cell {j} "
                          f"{what} ({self.rod}). Step {step} must be made from the whole rod "
                          f"of step {step - 1}.")
        fail(Bug.PHASES_MIXED, self.mixed)



#: run(module, rod, watch) -> what simulate() returned, or raised
_Outcome = tuple[Any, BaseException | None]


def _simulate(folder: Path, settings: Settings, rod: _Rod,
              judge: Callable[[_Watch, _Outcome], None],
              seen: list[int] | None = None) -> Exploration:
    """Explore ``simulate()`` over ``rod`` with the check's step_cell; ``judge(watch,
    (returned, raised))`` judges the end. With ``seen``, what each call reads is judged too
    (``seen[0]`` counts the calls judged); without it, the run goes on with whatever the
    workers read (a worker past a failed one reads stale cells: not this check's business)."""

    def scenario(module: Any) -> None:
        require(module, "step_cell", ["rod", "i"])
        simulate = require(module, "simulate", ["rod", "steps", "workers"])
        watch = _Watch(rod)

        def step_cell(values: Any, i: Any) -> int:
            if not isinstance(i, int) or not 0 <= i < rod.size:
                fail(Bug.EXCEPTION, f"step_cell() was called with i={i!r}, which is no cell "
                                    f"of a rod of {rod.size} ({rod}).")
            watch.calls[i] += 1
            step = watch.calls[i]
            if step > rod.steps:
                fail(Bug.PHASES_MIXED, f"{threading.current_thread().name} computed cell {i} "
                     f"{step} times for a simulation of {rod.steps} steps ({rod}).")
            if seen is not None:
                watch.judge(values, i, step)
                seen[0] += 1
            if i == rod.slow:
                time.sleep(SLOW)
            if i == rod.faulty and step == 1:
                watch.fault = CellFault(f"cell {i}: a faulty reading at step 1 (the grader's)")
                raise watch.fault
            return watch.rods[step][i]

        rebind(module, step_cell=step_cell)
        returned: Any = None
        raised: BaseException | None = None
        try:
            returned = simulate(list(watch.rods[0]), rod.steps, rod.workers)
        except CheckFailed:
            raise
        except Exception as exc:       # judged by judge(): a fault passed on, or a bug
            raised = exc
        if watch.mixed:                # (even if the student's code caught the verdict)
            fail(Bug.PHASES_MIXED, watch.mixed)
        judge(watch, (returned, raised))

    return explore(scenario, [student_file(folder, "rod.py")], settings)



#: Rods whose phases could mix: the workers' slices meet, and a fast worker can run ahead.
MIX_RODS = [_Rod(4, 3, 2), _Rod(6, 3, 3), _Rod(5, 2, 2), _Rod(7, 4, 3)]


@check("barriers")
def phases_never_mix(folder: Path, settings: Settings) -> Exploration:
    """Every call of step_cell() gets the whole rod of the step before, and simulate()
    returns the rod of the last step."""
    seen = [0]

    def judge(watch: _Watch, outcome: _Outcome) -> None:
        returned, raised = outcome
        if raised is not None:         # the other checks' business
            return
        last = watch.rods[-1]
        try:
            got = list(returned)
        except TypeError:
            got = None
        if got != last:
            fail(Bug.WRONG_RESULT,
                 f"simulate() returned {returned!r}, not the rod after {watch.rod.steps} steps "
                 f"({last}) ({watch.rod}). Return the rod of the last step.")

    def cannot_judge(bug_class: str) -> str:
        return (f"Cannot judge whether the phases mix: the simulation got stuck ({bug_class}) "
                "before any worker computed a cell, on this schedule and on the others "
                "tried. The check simulation_completes shows why.")

    return explore_cases(share(settings, len(MIX_RODS)), MIX_RODS, lambda rod, s: past_stuck(
        lambda s2: _simulate(folder, s2, rod, judge, seen), s, cannot_judge, lambda: seen[0]))


#: Rods with a slow cell (a worker that takes a while is not a failed one), a rod whose
#: waits do not divide evenly into a barrier of too few parties, and 4 cells for 3 workers
#: (slices rounded up would make two threads for a barrier of three).
COMPLETE_RODS = [_Rod(4, 2, 2, slow=0), _Rod(6, 3, 3, slow=5), _Rod(6, 3, 3), _Rod(4, 2, 3)]


@check("barriers")
def simulation_completes(folder: Path, settings: Settings) -> Exploration:
    """With no faulty cell, simulate() returns (nobody waits for ever) and raises nothing."""

    def judge(watch: _Watch, outcome: _Outcome) -> None:
        _returned, raised = outcome
        if raised is not None:
            fail(Bug.EXCEPTION,
                 f"simulate() raised {named_error(raised)} although no cell "
                 f"failed ({watch.rod}). Every worker should finish every step.")

    return explore_cases(share(settings, len(COMPLETE_RODS)), COMPLETE_RODS,
                         lambda rod, s: _simulate(folder, s, rod, judge))


#: Rods with a cell that fails at step 1: in the first worker, the last, one in the middle.
FAULT_RODS = [_Rod(4, 2, 2, faulty=0), _Rod(6, 3, 3, faulty=5), _Rod(6, 2, 3, faulty=2),
              _Rod(4, 3, 2, faulty=3, slow=0)]


@check("barriers")
def failure_stops_everyone(folder: Path, settings: Settings) -> Exploration:
    """When a cell fails, every worker stops (no deadlock) and simulate() raises its
    error."""

    def judge(watch: _Watch, outcome: _Outcome) -> None:
        _returned, raised = outcome
        if raised is watch.fault:
            return
        if raised is None:
            fail(Bug.ERROR_SWALLOWED,
                 f"step_cell() raised CellFault in {watch.rod.owner(watch.rod.faulty or 0)}, "
                 f"but simulate() returned as if all went well ({watch.rod}): the caller "
                 "never learns that the rod is wrong.")
        fail(Bug.EXCEPTION,
             f"step_cell() raised CellFault in {watch.rod.owner(watch.rod.faulty or 0)}, but "
             f"simulate() raised {named_error(raised)} instead ({watch.rod}). "
             "The caller should get the error that stopped the simulation.")

    return explore_cases(share(settings, len(FAULT_RODS)), FAULT_RODS,
                         lambda rod, s: _simulate(folder, s, rod, judge))
