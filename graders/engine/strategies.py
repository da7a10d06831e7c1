"""Who runs next: small seeded strategies behind one interface.

A strategy sees the options at a decision (runnable threads, plus the sleeper whose
deadline comes first: picking it means "the others were slow, time passes"), the default
(the running thread if it can go on, otherwise the first option) and the running thread. It
returns one option. A run records only the decisions where the choice differed from the
default; that list *is* the schedule, and replaying it is one more strategy.
"""

from __future__ import annotations

import random
import re
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
    fair = False      # fair in the limit: the only kind whose starvation verdicts count
    unfair = False    # starves threads on purpose: a livelock needs a fair second look

    def fair_successor(self) -> _Base:
        """Who goes on once a quarter of the step budget is spent (see Run.yield_point)."""
        return RandomWalk(self.seed ^ 0x5EED) if self.unfair else self

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def begin(self, index: int) -> None:
        pass

    def finished(self, run: Run) -> None:
        pass

    def label(self) -> str:
        return self.name

    def token(self) -> str | None:
        """The replay token that rebuilds this very run, or None (replay the switches)."""
        return f"{self.name}.{self.seed}"


class Sequential(_Base):
    """No switch unless the running thread blocks or ends: the schedule a quiet CPU gives."""

    name = "sequential"
    unfair = True

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


class Contend(_Base):
    """Switch away from a thread the moment it holds a lock, to one that holds fewer.

    Every thread then gets to take its first lock before anyone takes a second, which is
    exactly how a lock-ordering deadlock closes: dining philosophers deadlock on the first
    run of this strategy, however few meals they eat.
    """

    name = "contend"
    unfair = True

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if current is None or current.status != RUNNABLE or not current.held:
            return default
        fewer = [t for t in options if t is not current and t.status == RUNNABLE
                 and len(t.held) < len(current.held)]
        if not fewer:
            return default
        return fewer[self.rng.randrange(len(fewer))]


class SyncBias(_Base):
    """Mostly keep the running thread, but right after it touched a primitive (took a lock,
    waited, notified, set an event) switch, preferably to a thread that holds no lock.

    Lost wake-ups and an ``if`` around ``Condition.wait`` need another thread to act in the
    narrow gap just after a notify or a release; this strategy aims its switches there.
    """

    name = "sync"
    unfair = True
    P_SYNC, P_OTHER = 0.9, 0.05

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.held: dict[int, int] = {}

    def begin(self, index: int) -> None:
        self.held = {}

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if current is None or current.status != RUNNABLE:
            return options[self.rng.randrange(len(options))]
        took = len(current.held) > self.held.get(current.tid, 0)
        self.held[current.tid] = len(current.held)
        last = run.events[-2] if len(run.events) >= 2 else None
        sync = took or (last is not None and last.tid == current.tid and last.note is not None)
        if self.rng.random() >= (self.P_SYNC if sync else self.P_OTHER):
            return default
        others = [t for t in options if t is not current]
        if sync:
            others = [t for t in others if not t.held] or others
        return others[self.rng.randrange(len(others))] if others else default


class PCT(_Base):
    """Probabilistic concurrency testing: random priorities, ``depth - 1`` change points.

    The highest-priority option always runs; at each change point the running thread drops
    below everyone. A bug that needs ``d`` ordering constraints is found with probability at
    least 1 / (n * k^(d-1)) per run, for n threads and k steps.
    """

    name = "pct"
    unfair = True

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
        self.hint_used = self.steps_hint
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
        chosen = max(options, key=self._priority)
        if chosen.status != RUNNABLE and any(t.status == RUNNABLE for t in options):
            # A sleeper woken before runnable threads ("the others were slow"). Left on top,
            # a thread that polls (sleeps in a loop) would win every time and the threads it
            # waits for would never run: a false livelock. It drops below everyone instead.
            self.priority[chosen.tid] = min(self.priority.values()) - 1
        return chosen

    def finished(self, run: Run) -> None:
        self.steps_hint = max(self.steps_hint // 2, run.decisions, 1)

    def label(self) -> str:
        return f"pct(d={self.depth})"

    def token(self) -> str:
        return f"pct.{self.depth}.{self.hint_used}.{self.seed}"


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

    def token(self) -> str:
        return f"lockstep.{self.quantum}.{self.seed}"


class Replay(_Base):
    """Follows a recorded schedule: the listed deviations, the default everywhere else."""

    name = "replay"
    fair = True   # a replayed run is judged exactly as the run it reproduces

    def fair_successor(self) -> _Base:
        return self   # the recorded schedule already holds the fair second look

    def __init__(self, deviations: Sequence[tuple[int, int]]) -> None:
        super().__init__(0)
        self.plan = dict(deviations)
        self.diverged = False

    def token(self) -> None:
        return None

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
    unfair = True

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

    def token(self) -> None:
        return None


NAMES = ("portfolio", "random", "pct", "lockstep", "contend", "sync", "exhaustive",
         "sequential")


def make(name: str, seed: int, index: int, settings: Any) -> _Base:
    """The strategy for run ``index`` of an exploration (the portfolio mixes them)."""
    if name == "portfolio":
        if index == 0:
            return Sequential(seed)
        name = ("contend", "sync", "pct", "random", "pct3", "lockstep")[(index - 1) % 6]
    if name == "random":
        return RandomWalk(seed)
    if name == "contend":
        return Contend(seed)
    if name == "sync":
        return SyncBias(seed)
    if name == "pct":
        return PCT(seed, depth=2)
    if name == "pct3":
        return PCT(seed, depth=settings.pct_depth)
    if name == "lockstep":
        return Lockstep(seed)
    if name == "sequential":
        return Sequential(seed)
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(NAMES)}")


_SEEDED = re.compile(r"^(random|sequential|contend|sync)\.(\d+)$|^pct\.(\d+)\.(\d+)\.(\d+)$|"
                     r"^lockstep\.(\d+)\.(\d+)$")
_SWITCHES = re.compile(r"^(default|\d+\.\d+(-\d+\.\d+)*)$")


def from_token(token: str) -> _Base:
    """The strategy that replays a token: a list of switches, or a seeded strategy."""
    token = token.strip()
    if _SWITCHES.match(token):
        if token == "default":
            return Replay([])
        return Replay([(int(d), int(t)) for d, t in (p.split(".") for p in token.split("-"))])
    m = _SEEDED.match(token)
    if m is None:
        raise ValueError(f"{token!r} is not a schedule token (expected what a report prints "
                         "after 'Replay:', such as '12.1-40.0' or 'pct.3.200.1729')")
    if m.group(1) == "random":
        return RandomWalk(int(m.group(2)))
    if m.group(1) == "sequential":
        return Sequential(int(m.group(2)))
    if m.group(1) == "contend":
        return Contend(int(m.group(2)))
    if m.group(1) == "sync":
        return SyncBias(int(m.group(2)))
    if m.group(3) is not None:
        pct = PCT(int(m.group(5)), depth=int(m.group(3)), steps_hint=int(m.group(4)))
        pct.begin(0)
        return pct
    lockstep = Lockstep(int(m.group(7)))
    lockstep.quantum = lockstep.left = int(m.group(6))
    return lockstep


def switches_token(deviations: Sequence[tuple[int, int]]) -> str:
    """A schedule as its switches: 'DECISION.THREAD-...' ('default' when there are none)."""
    return "-".join(f"{d}.{t}" for d, t in deviations) or "default"
