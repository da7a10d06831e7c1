"""Who runs next: small seeded strategies, each one class, found by name in a registry.

A strategy sees the options at a decision (runnable threads, plus the sleeper whose
deadline comes first: picking it means "the others were slow, time passes"), the default
(the running thread if it can go on, otherwise the first option) and the running thread. It
returns one option. A run records only the decisions where the choice differed from the
default; that list *is* the schedule, and replaying it is one more strategy.

A class that sets ``name`` registers itself under that name, and owns everything else about
it: how the explorer gets the strategy for run ``i`` (:meth:`Strategy.for_run`), the token
that replays one of its runs (:meth:`Strategy.token`) and how that token is read back
(:meth:`Strategy.parse`). So a new strategy is one class, in any module that is imported
before the exploration names it::

    class Stubborn(Strategy):
        name = "stubborn"

        def choose(self, run, options, default, current):
            return options[-1]

    explore(scenario, files, Settings(strategy="stubborn"))
"""

from __future__ import annotations

import dis
import functools
import random
import re
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import ClassVar, Protocol, TypeVar

from .findings import RUNNABLE
from .scheduler import Run, Stall, ThreadState

_T = TypeVar("_T")

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # read by mypyc when it compiles: where it is missing, nothing is compiled
    def mypyc_attr(*attrs: str, **kwattrs: object) -> Callable[[_T], _T]:
        return lambda cls: cls

#: Every strategy class by name, in the order they were defined.
REGISTRY: dict[str, type[Strategy]] = {}

#: What a strategy's name may look like: it starts tokens, so it must be shell-safe.
_NAME = re.compile(r"[a-z][a-z0-9_-]*")


class Knobs(Protocol):
    """The exploration settings a strategy may read (``graders.engine.Settings`` has them)."""

    @property
    def seed(self) -> int: ...
    @property
    def strategy(self) -> str: ...
    @property
    def pct_depth(self) -> int: ...
    @property
    def preemption_bound(self) -> int: ...
    @property
    def stalls(self) -> bool: ...


@dataclass(frozen=True)
class Plan:
    """What the explorer knows when it asks a strategy class for the strategy of one run."""

    index: int                    # the run's place in the exploration, from 0
    seed: int                     # the run's own seed, drawn from the exploration's seed
    settings: Knobs
    previous: Strategy | None     # the strategy the run before used (None for the first)
    steps_hint: int               # decisions a run takes: the most any earlier run took
                                  # (200 before the first)


def _below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)`` for ``n > 0``: the very numbers (``random.Random``'s own
    ``_randbelow``, the same on 3.11-3.13), without its three Python calls at every
    decision (compiled, this is a few C calls)."""
    k = n.bit_length()
    r: int = rng.getrandbits(k)
    while r >= n:
        r = rng.getrandbits(k)
    return r


# (compiled where it can be: a strategy written in any module may still subclass it)
@mypyc_attr(allow_interpreted_subclasses=True)
class Strategy:
    """One way to pick who runs next. Subclasses set ``name`` and implement ``choose``."""

    #: what ``strategy=`` and tokens call it; a class that sets it is registered
    name: ClassVar[str]
    #: shown among the choices (an alias the portfolio uses may stay unlisted)
    listed: ClassVar[bool] = True
    #: fair in the limit: the only kind whose starvation verdicts count
    fair: ClassVar[bool] = False
    #: starves threads on purpose: a livelock needs a fair second look
    unfair: ClassVar[bool] = False
    #: its runs grow one tree of schedules, so each must see the program draw the same
    #: random numbers: those a replay by switches gives it (``random`` seeded 0)
    one_draw: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):
            return
        if not _NAME.fullmatch(cls.name):
            raise ValueError(f"strategy name {cls.name!r}: use lowercase letters, digits, "
                             "'_' and '-', starting with a letter (it begins replay tokens)")
        known = REGISTRY.get(cls.name)
        # (the same class defined again, by a module loaded anew, takes its place)
        if known is not None and (getattr(known, "__module__", None), known.__qualname__) != (
                getattr(cls, "__module__", None), cls.__qualname__):
            raise ValueError(f"two strategies are named {cls.name!r}: "
                             f"{known.__qualname__} and {cls.__qualname__}")
        REGISTRY[cls.name] = cls

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        #: this run's choices depended on the seed (a draw among several options)
        self.drew = False

    # ------------------------------------------------------------ the registry's hooks
    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        """The strategy run ``plan.index`` of an exploration uses (a fresh one by default)."""
        return cls(plan.seed)

    def token(self) -> str | None:
        """The schedule part of a replay token that rebuilds this very run, or None (then
        the run is replayed from its switches)."""
        return f"{self.name}.{self.seed}"

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        """The strategy that replays ``token()``, from the numbers after the name (a
        ValueError when they do not fit)."""
        (seed,) = fields
        return cls(int(seed))

    # ------------------------------------------------------------ a run
    def begin(self, index: int) -> None:
        """A new run starts (``index`` counts the runs of the exploration from 0)."""

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        """Who runs next: one of ``options`` (``default`` means no switch)."""
        raise NotImplementedError

    def finished(self, run: Run) -> None:
        """The run is over; learn from it (the tree explored so far)."""

    def repeat_key(self) -> Hashable | None:
        """Everything this run's choices depend on but the program, known before the run
        and without the seed; None when the seed decides them. Two runs of one exploration
        with the same key, where the first drew nothing (no ``random`` in the program, no
        draw among options here, no fair successor), are the very same run: the explorer
        does not make the second (see ``_Explorer._search``)."""
        return None

    def fair_successor(self) -> Strategy:
        """Who goes on once a quarter of the step budget is spent (see Run.yield_point)."""
        return RandomWalk(self.seed ^ 0x5EED) if self.unfair else self

    @property
    def complete(self) -> bool:
        """Every schedule this strategy can make has run: the exploration may stop."""
        return False

    def label(self) -> str:
        """How reports name it ("pct(d=3)")."""
        return self.name


class _Names:
    """The names a person may choose from (listed strategies), read from the registry each
    time, so a strategy defined after this module was imported is among them."""

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, cls in REGISTRY.items() if cls.listed])

    def __contains__(self, name: object) -> bool:
        cls = REGISTRY.get(name) if isinstance(name, str) else None
        return cls is not None and cls.listed


#: The strategy names ``--strategy`` offers, in the order help texts list them.
NAMES = _Names()


def lookup(name: str) -> type[Strategy]:
    """The class registered as ``name`` (listed or not); ValueError for an unknown name."""
    cls = REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(NAMES)}")
    return cls


class Portfolio(Strategy):
    """The default: the schedule a quiet CPU gives first, then a mix of the others in turn,
    because each finds a different kind of bug soonest.

    A slot that names several strategies gives its turns to each in order. The hand-off
    shares the deep PCT's slot (its first turn stays PCT's), so every other strategy keeps
    the runs and seeds it had before it came (a PCT run changes only when a hand-off run
    before it was the longest yet: see ``steps_hint``), and so the checks' verdicts on the
    topics' wrong fixes stay as ``topics.toml`` lists them.
    """

    name = "portfolio"
    MIX: ClassVar[tuple[str | tuple[str, ...], ...]] = (
        "contend", "sync", "pct", "random", ("pct3", "handoff"), "lockstep")

    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        if plan.index == 0:
            return Sequential(plan.seed)
        turn, slot = divmod(plan.index - 1, len(cls.MIX))
        names = cls.MIX[slot]
        name = names if isinstance(names, str) else names[turn % len(names)]
        return lookup(name).for_run(plan)

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        raise ValueError("a portfolio's runs are replayed by their own strategy's token")


class RandomWalk(Strategy):
    """Uniformly random among the options at every decision: fair in the limit.

    As one of a mix (the portfolio's), in half of its runs one thread also stalls once (a
    seeded :class:`~.scheduler.Stall`: from its 0th to 50th step, for 8 to 1,024 ticks of
    the clock), so that a sleep-based ordering of any length can fail. Asked for by name, it
    never stalls: checks that judge fairness ("nobody is passed over") ask for it because it
    is fair; so do checks that give a thread a deadline in virtual time to show what the
    code *can* do (``Settings.stalls`` false), since a stalled thread misses any deadline.
    The stall is drawn from a generator of its own: the walk's choices are the same with or
    without it.
    """

    name = "random"
    fair = True
    #: the run's stall, if any (the scheduler reads it when the run starts)
    stall: Stall | None = None

    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        walk = cls(plan.seed)
        if plan.settings.strategy != cls.name and plan.settings.stalls:
            walk.stall = draw_stall(plan.seed)
        return walk

    def token(self) -> str:
        stall = self.stall
        tail = f".{stall.tid}.{stall.at}.{stall.ticks}" if stall is not None else ""
        return f"{self.name}.{self.seed}{tail}"

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        seed, *rest = fields
        if len(rest) not in (0, 3):
            raise ValueError("random takes a seed and maybe a stall (thread, step, ticks)")
        walk = cls(int(seed))
        if rest:
            tid, at, ticks = map(int, rest)
            walk.stall = Stall(tid, at, ticks)
        return walk

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        return options[_below(self.rng, len(options))]


def draw_stall(seed: int) -> Stall | None:
    """The stall of a random walk's run (None in half of them): which thread (the first one
    started after main most often), after how many of its steps (none, half of the time),
    for how many ticks (a power of two, 8 to 1,024)."""
    rng = random.Random(seed ^ 0x57A11)
    if rng.random() < 0.5:
        return None
    tid = rng.choice((1, 1, 2, 3))
    at = 0 if rng.random() < 0.5 else rng.randint(1, 50)
    return Stall(tid, at, 2 ** rng.randint(3, 10))


class PCT(Strategy):
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
        self.hint_used = self.steps_hint

    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        return PCT(plan.seed, depth=2, steps_hint=plan.steps_hint)

    def token(self) -> str:
        return f"{PCT.name}.{self.depth}.{self.hint_used}.{self.seed}"

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        depth, hint, seed = fields
        pct = PCT(int(seed), depth=int(depth), steps_hint=int(hint))
        pct.begin(0)
        return pct

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

    def label(self) -> str:
        return f"pct(d={self.depth})"


class DeepPCT(PCT):
    """PCT as deep as the settings say (``pct_depth``): the portfolio's second PCT. Its
    runs are PCT runs, with PCT's tokens."""

    name = "pct3"
    listed = False

    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        return PCT(plan.seed, depth=plan.settings.pct_depth, steps_hint=plan.steps_hint)


class Lockstep(Strategy):
    """Round-robin every ``quantum`` decisions: symmetric threads stay in step (livelock).

    Threads started one after the other are out of step by the work the starter did in
    between; in some runs each new thread first runs alone for ``catchup`` decisions, so
    that one of the runs lines it up with the threads started before it.
    """

    name = "lockstep"

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.quantum = 1
        self.left = 1
        self.catchup = 0
        self.seen: set[int] = set()
        self.solo: tuple[int, int] | None = None   # (tid, decisions it still runs alone)

    def token(self) -> str:
        tail = f".{self.catchup}" if self.catchup else ""
        return f"{self.name}.{self.quantum}.{self.seed}{tail}"

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        quantum, seed, *rest = fields
        if len(rest) > 1:
            raise ValueError("lockstep takes a quantum, a seed and maybe a catch-up")
        lockstep = cls(int(seed))
        lockstep.quantum = lockstep.left = int(quantum)
        lockstep.catchup = int(rest[0]) if rest else 0
        return lockstep

    def begin(self, index: int) -> None:
        self.quantum = (1, 1, 2, 3, 5)[index % 5]
        self.left = self.quantum
        # (the decision is the run's index, not a draw: the rest of a run stays as it was)
        self.catchup = (index // 5) % 6
        self.seen = set()
        self.solo = None

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if self.catchup:
            for t in options:
                if t.tid not in self.seen:
                    self.seen.add(t.tid)
                    if t.tid:                  # (not the main thread)
                        self.solo = (t.tid, self.catchup)
            if self.solo is not None:
                tid, left = self.solo
                self.solo = (tid, left - 1) if left > 1 else None
                for t in options:
                    if t.tid == tid and t.status == RUNNABLE:
                        return t
        if current is None or current.status != RUNNABLE:
            return default
        self.left -= 1
        if self.left > 0:
            return default
        self.left = self.quantum
        later = [t for t in options if t.tid > current.tid and t.status == RUNNABLE]
        runnable = [t for t in options if t.status == RUNNABLE]
        return later[0] if later else runnable[0]

    def repeat_key(self) -> Hashable | None:
        return (self.name, self.quantum, self.catchup)

    def label(self) -> str:
        return f"lockstep(q={self.quantum})"


class Contend(Strategy):
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
        if len(fewer) > 1:
            self.drew = True
        return fewer[_below(self.rng, len(fewer))]

    def repeat_key(self) -> Hashable | None:
        return (self.name,)


class SyncBias(Strategy):
    """Mostly keep the running thread, but right after it touched a primitive (took a lock,
    waited, notified, set an event) switch, preferably to a thread that holds no lock.

    Lost wake-ups and an ``if`` around ``Condition.wait`` need another thread to act in the
    narrow gap just after a notify or a release; this strategy aims its switches there.
    """

    name = "sync"
    unfair = True
    P_SYNC = 0.9
    P_OTHER = 0.05

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.held: dict[int, int] = {}

    def begin(self, index: int) -> None:
        self.held = {}

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if current is None or current.status != RUNNABLE:
            return options[_below(self.rng, len(options))]
        took = len(current.held) > self.held.get(current.tid, 0)
        self.held[current.tid] = len(current.held)
        last = run.events[-2] if len(run.events) >= 2 else None
        sync = took or (last is not None and last.tid == current.tid and last.note is not None)
        if self.rng.random() >= (self.P_SYNC if sync else self.P_OTHER):
            return default
        others = [t for t in options if t is not current]
        if sync:
            others = [t for t in others if not t.held] or others
        return others[_below(self.rng, len(others))] if others else default


#: Instructions that change a variable another thread can read by its name: a global, an
#: attribute, a closure's cell. (An item store, ``d[k] = v``, is left out: a thread's own
#: bookkeeping in a shared dict or list would count as often as the accesses that matter.)
_NAMED_WRITES = frozenset({"STORE_GLOBAL", "STORE_ATTR", "STORE_DEREF", "DELETE_GLOBAL",
                           "DELETE_ATTR", "DELETE_DEREF"})


@functools.lru_cache(maxsize=4096)
def _named_writes(code: CodeType) -> frozenset[int]:
    """Offsets in ``code`` of the instructions that write a named shared variable."""
    return frozenset(i.offset for i in dis.get_instructions(code)
                     if i.opname in _NAMED_WRITES)


class HandOff(Strategy):
    """The running thread keeps the CPU, except that right after it wrote a shared variable
    (a global, an attribute, a closure's cell) or used a primitive, it may drop below every
    other thread: the others, in a random order drawn per run, go first with what it wrote.

    Bugs that need updates to alternate exactly between threads (each must see the other's
    last write, several times over) need a switch at every such point; a random walk or PCT
    must guess each of them among all the run's steps. Here the writer hands off after
    three writes in four (``P``): often enough to alternate many times in a row, yet not
    always, since some bugs need a thread to go on after a write (a producer that fills the
    slot again before the consumer it woke runs). Chances of 1, 1/2 and 1/4 drawn per run
    found the benchmark's deep bugs less often (docs/benchmarks.md, issue 13).
    """

    name = "handoff"
    unfair = True
    P: ClassVar[float] = 0.75

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.priority: dict[int, float] = {}
        self.wrote: set[int] = set()    # threads whose last step wrote or used a primitive

    def _priority(self, ts: ThreadState) -> float:
        p = self.priority.get(ts.tid)
        if p is None:
            p = self.priority[ts.tid] = self.rng.random()
        return p

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        if current is not None:
            after_write = current.tid in self.wrote
            self.wrote.discard(current.tid)
            # The log's last entry is what ``current`` is about to do, if it can go on.
            last = run.events[-1] if run.events else None
            if (current.status == RUNNABLE and last is not None and last.tid == current.tid
                    and (last.note is not None or (
                        last.code is not None and last.offset in _named_writes(last.code)))):
                self.wrote.add(current.tid)
            if after_write and self.rng.random() < self.P:
                self.priority[current.tid] = min(map(self._priority, run.threads)) - 1
        chosen = max(options, key=self._priority)
        if chosen.status != RUNNABLE and any(t.status == RUNNABLE for t in options):
            # A sleeper woken before runnable threads drops below everyone, as in PCT.
            self.priority[chosen.tid] = min(self.priority.values()) - 1
        return chosen


class Exhaustive(Strategy):
    """Every schedule with at most ``bound`` preemptions, depth first (CHESS-style).

    A preemption is a switch away from a thread that could have gone on; switches when the
    running thread blocks or ends are free. It is one strategy for the whole exploration,
    ``complete`` once every such schedule has run, which is what lets a check say "no
    schedule with <= k preemptions fails". Its runs are replayed from their switches.

    A schedule is a path in the tree only if every run sees the same random numbers: its
    runs all draw from ``random`` seeded 0 (``one_draw``), as their replays do, whatever the
    exploration's seed. "Every schedule" then means every schedule for that one draw.
    """

    name = "exhaustive"
    unfair = True
    one_draw = True

    def __init__(self, seed: int, bound: int = 2) -> None:
        super().__init__(seed)
        self.bound = bound
        self.prefix: list[int] = []
        self.trail: list[tuple[list[int], int, int, bool]] = []
        self.preemptions = 0
        self.done = False

    @classmethod
    def for_run(cls, plan: Plan) -> Strategy:
        if isinstance(plan.previous, Exhaustive):
            return plan.previous
        return cls(plan.settings.seed, plan.settings.preemption_bound)

    def token(self) -> None:
        return None

    @classmethod
    def parse(cls, fields: Sequence[str]) -> Strategy:
        raise ValueError("exhaustive runs are replayed by their switches")

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
        self.done = True

    @property
    def complete(self) -> bool:
        return self.done

    def label(self) -> str:
        return f"exhaustive(preemptions<={self.bound})"


class Sequential(Strategy):
    """No switch unless the running thread blocks or ends: the schedule a quiet CPU gives."""

    name = "sequential"
    unfair = True

    def choose(self, run: Run, options: list[ThreadState], default: ThreadState,
               current: ThreadState | None) -> ThreadState:
        return default


class Replay(Strategy):
    """Follows a recorded schedule: the listed deviations, the default everywhere else.

    Not registered (it sets no name): its tokens are the switches themselves, which
    :mod:`.tokens` reads.
    """

    fair = True   # a replayed run is judged exactly as the run it reproduces

    def __init__(self, deviations: Sequence[tuple[int, int]]) -> None:
        super().__init__(0)
        self.plan = dict(deviations)
        self.diverged = False

    def fair_successor(self) -> Strategy:
        return self   # the recorded schedule already holds the fair second look

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

    def label(self) -> str:
        return "replay"
