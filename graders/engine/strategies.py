"""Who runs next: small seeded strategies behind one interface.

A strategy sees the options at a decision (runnable threads, plus the sleeper whose
deadline comes first: picking it means "the others were slow, time passes"), the default
(the running thread if it can go on, otherwise the first option) and the running thread. It
returns one option. A run records only the decisions where the choice differed from the
default; that list *is* the schedule, and replaying it is one more strategy.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Protocol

from .scheduler import RUNNABLE, Run, ThreadState


class Strategy(Protocol):
    name: str
    fair: bool

    def begin(self, index: int) -> None:
        """A new run starts (``index`` counts the runs of this strategy from 0)."""

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState: ...

    def finished(self, run: Run) -> None:
        """The run is over; learn from it (step counts, the tree explored so far)."""


class _Base:
    name = "base"
    fair = False

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def begin(self, index: int) -> None:
        pass

    def finished(self, run: Run) -> None:
        pass

    def label(self) -> str:
        return self.name


class Sequential(_Base):
    """No switch unless the running thread blocks or ends: the schedule a quiet CPU gives."""

    name = "sequential"

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        return default


class RandomWalk(_Base):
    """Uniformly random among the options at every decision: fair in the limit."""

    name = "random"
    fair = True

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        return options[self.rng.randrange(len(options))]


class PCT(_Base):
    """Probabilistic concurrency testing: random priorities, ``depth - 1`` change points.

    The highest-priority option always runs; at each change point the running thread drops
    below everyone. A bug that needs ``d`` ordering constraints is found with probability at
    least 1 / (n * k^(d-1)) per run, for n threads and k steps.
    """

    name = "pct"

    def __init__(self, seed: int, depth: int = 3, steps_hint: int = 200) -> None:
        super().__init__(seed)
        self.depth = max(1, depth)
        self.steps_hint = max(steps_hint, 1)
        self.priority: dict[int, float] = {}
        self.changes: list[int] = []
        self.count = 0

    def begin(self, index: int) -> None:
        self.priority = {}
        self.count = 0
        self.changes = sorted(self.rng.randint(1, self.steps_hint)
                              for _ in range(self.depth - 1))

    def _priority(self, ts: ThreadState) -> float:
        p = self.priority.get(ts.tid)
        if p is None:
            p = self.priority[ts.tid] = self.depth + self.rng.random()
        return p

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        self.count += 1
        while self.changes and self.changes[0] <= self.count:
            self.changes.pop(0)
            if current is not None:
                self.priority[current.tid] = len(self.changes) / (self.depth + 1)
        return max(options, key=self._priority)

    def finished(self, run: Run) -> None:
        self.steps_hint = max(self.steps_hint // 2, run.decisions, 1)

    def label(self) -> str:
        return f"pct(d={self.depth})"


class Lockstep(_Base):
    """Round-robin every ``quantum`` decisions: symmetric threads stay in step (livelock)."""

    name = "lockstep"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.quantum = 1
        self.left = 1

    def begin(self, index: int) -> None:
        self.quantum = (1, 1, 2, 3, 5)[index % 5]
        self.left = self.quantum

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if current is None or current.status != RUNNABLE:
            return default
        self.left -= 1
        if self.left > 0:
            return default
        self.left = self.quantum
        later = [t for t in options if t.tid > current.tid and t.status == RUNNABLE]
        runnable = [t for t in options if t.status == RUNNABLE]
        return later[0] if later else runnable[0]

    def label(self) -> str:
        return f"lockstep(q={self.quantum})"


class Replay(_Base):
    """Follows a recorded schedule: the listed deviations, the default everywhere else."""

    name = "replay"
    fair = True   # a replayed run is judged exactly as the run it reproduces

    def __init__(self, deviations: Sequence[tuple[int, int]]) -> None:
        super().__init__(0)
        self.plan = dict(deviations)
        self.diverged = False

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        tid = self.plan.get(run.decisions)
        if tid is None:
            return default
        for t in options:
            if t.tid == tid:
                return t
        self.diverged = True
        return default


class Exhaustive(_Base):
    """Every schedule with at most ``bound`` preemptions, depth first (CHESS-style).

    A preemption is a switch away from a thread that could have gone on; switches when the
    running thread blocks or ends are free. ``complete`` turns true once every such schedule
    has run, which is what lets a check say "no schedule with <= k preemptions fails".
    """

    name = "exhaustive"

    def __init__(self, seed: int, bound: int = 2) -> None:
        super().__init__(seed)
        self.bound = bound
        self.prefix: list[int] = []
        self.trail: list[tuple[list[int], int, int, bool]] = []
        self.preemptions = 0
        self.complete = False

    def begin(self, index: int) -> None:
        self.trail = []
        self.preemptions = 0

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        order = [default] + [t for t in options if t is not default]
        pos = len(self.trail)
        chosen = default
        if pos < len(self.prefix):
            for t in order:
                if t.tid == self.prefix[pos]:
                    chosen = t
        costly = current is not None and current.status == RUNNABLE
        self.trail.append(([t.tid for t in order], chosen.tid, self.preemptions, costly))
        if costly and chosen is not default:
            self.preemptions += 1
        return chosen

    def finished(self, run: Run) -> None:
        for j in range(len(self.trail) - 1, -1, -1):
            order, chosen, before, costly = self.trail[j]
            if costly and before >= self.bound:
                continue
            rest = order[order.index(chosen) + 1:]
            if rest:
                self.prefix = [t[1] for t in self.trail[:j]] + [rest[0]]
                return
        self.complete = True

    def label(self) -> str:
        return f"exhaustive(preemptions<={self.bound})"


NAMES = ("portfolio", "random", "pct", "lockstep", "exhaustive", "sequential")


def make(name: str, seed: int, index: int, settings: Any) -> _Base:
    """The strategy for run ``index`` of an exploration (the portfolio mixes them)."""
    if name == "portfolio":
        if index == 0:
            return Sequential(seed)
        name = ("pct", "random", "pct3", "lockstep")[(index - 1) % 4]
    if name == "random":
        return RandomWalk(seed)
    if name == "pct":
        return PCT(seed, depth=2)
    if name == "pct3":
        return PCT(seed, depth=settings.pct_depth)
    if name == "lockstep":
        return Lockstep(seed)
    if name == "sequential":
        return Sequential(seed)
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(NAMES)}")
