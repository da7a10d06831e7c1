"""The program's state as one value, so that a run can see it come back (livelock by state).

If the whole state of a program recurs, and every thread that could run took a step in
between, then repeating those steps forever is a fair schedule on which the program never
finishes: a livelock, shown without spending any step budget. The claim is only as good as
the state is complete, so this module gives up rather than guess:

* each thread is its frames: code, instruction and locals. What a frame keeps on its value
  stack cannot be read from Python, so a frame counts only where that stack is known: empty,
  or filled since it was by loads of locals and constants only, or in a call whose result is
  all that will be left. A thread stopped anywhere else counts as "has it moved since?": the
  same only if it took no step at all. A thread that must move in a round (it can run, or it
  sleeps) and stands where its stack is unknown makes the state useless (a ``for`` loop
  keeps its iterator there: a thread looping with ``for`` is never judged);
* the shared values are everything the frames and the modules under test reach: containers
  by value (their sharing kept), the stand-in primitives with who holds and who waits,
  instances of classes written in Python by their attributes, a ``random.Random`` by its
  ``getstate()``; anything else (a C object with state of its own, ``itertools.count``)
  makes the state unknown;
* the virtual clock counts once the program has read it, a sleeper's deadline counts
  relative to now, and the ``random`` generator's state always counts: a back-off drawn at
  random moves it, so a loop that retries at random never repeats.
"""

from __future__ import annotations

import bisect
import dis
import functools
import itertools
import random
import sys
from collections import deque
from collections.abc import Callable
from types import BuiltinFunctionType, CodeType, FrameType, FunctionType, MethodType, ModuleType
from typing import Any, Protocol

from .findings import DONE, RUNNABLE


class RunLike(Protocol):
    """What a fingerprint reads of a run (the scheduler's Run; this module cannot import it,
    the scheduler imports this one)."""

    threads: list[Any]
    modules: list[ModuleType]
    now: float
    state_ids: dict[int, tuple[int, object]]

    def frame_of(self, ts: Any, stacks: dict[int, FrameType]) -> FrameType | None:
        """The innermost frame of thread ``ts`` (``stacks``: ``sys._current_frames()``)."""


#: How the scheduler's own objects appear in a state (it fills this in: ThreadState by its
#: number, a WaitQueue by who waits on it, the run itself as one constant).
DESCRIBED: dict[type, Callable[[Any], object]] = {}

#: The engine's own machinery: its frames hold the run's bookkeeping, not the program's state.
_ENGINE = __file__.rsplit("/", 1)[0] + "/"
_MACHINERY = frozenset(_ENGINE + name for name in (
    "scheduler.py", "tracing.py", "monitoring.py", "statehash.py", "explorer.py"))
#: Frames of these files deliver a scheduling point before an instruction of their caller.
_CALLBACKS = frozenset(_ENGINE + name for name in ("tracing.py", "monitoring.py"))

#: More values than this in one state: too big to compare cheaply, so unknown.
MAX_VALUES = 4000

_ATOMS = (int, str, bytes, bool, type(None), complex)
_UNCONDITIONAL = frozenset({"JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT",
                            "JUMP", "JUMP_NO_INTERRUPT"})
_TERMINAL = frozenset({"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE"})
_JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)
_EMPTY: tuple[Any, ...] = ((), [], range(0), "", b"", {}, {}.values(), {}.items(), set())
_ITERATORS = frozenset(type(iter(x)) for x in _EMPTY)


def _locals(frame: FrameType) -> dict[str, Any]:
    """A frame's own variables, without the temporaries pytest's assertion rewriting adds
    to the kit's modules when they run under pytest (``@py_assert1``: not the program's
    state, and a state must be the same under pytest and without it)."""
    return {k: v for k, v in frame.f_locals.items() if not k.startswith("@py_")}


class Unknown(Exception):
    """Part of the state cannot be read exactly."""


def _handlers(code: CodeType) -> list[Any]:
    """The code's exception table (3.11+: start, end, target, depth, lasti)."""
    # (typeshed does not list it; it is there from 3.11, the oldest Python the kit runs on)
    return list(dis.Bytecode(code).exception_entries)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def stack_depths(code: CodeType) -> dict[int, tuple[int, str, int]]:
    """Offset -> (value-stack depth before the instruction, its name, its stack effect), for
    every instruction the code can reach."""
    instructions = list(dis.get_instructions(code))
    at = {ins.offset: ins for ins in instructions}
    following = {a.offset: b.offset for a, b in itertools.pairwise(instructions)}
    depths: dict[int, tuple[int, str, int]] = {}
    work = [(0, 0)]
    for entry in _handlers(code):
        work.append((entry.target, entry.depth + int(entry.lasti) + 1))
    while work:
        offset, depth = work.pop()
        ins = at.get(offset)
        if ins is None or offset in depths:
            continue
        arg = ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None
        effect = dis.stack_effect(ins.opcode, arg, jump=False)
        depths[offset] = (depth, ins.opname, effect)
        if ins.opcode in _JUMPS and isinstance(ins.argval, int):
            work.append((ins.argval, depth + dis.stack_effect(ins.opcode, arg, jump=True)))
        if ins.opname not in _UNCONDITIONAL and ins.opname not in _TERMINAL:
            nxt = following.get(offset)
            if nxt is not None:
                work.append((nxt, depth + effect))
    return depths


@functools.lru_cache(maxsize=4096)
def _starts(code: CodeType) -> list[int]:
    return sorted(stack_depths(code))


#: Instructions that push only what the frame's locals and constants already hold: a value
#: stack built by them alone since it was last empty is known from the locals.
_PURE = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST", "LOAD_CONST",
                   "LOAD_SMALL_INT", "LOAD_CLOSURE", "COPY", "SWAP", "PUSH_NULL", "NOP",
                   "KW_NAMES", "PRECALL", "RESUME", "CACHE", "EXTENDED_ARG", "NOT_TAKEN"})


@functools.lru_cache(maxsize=4096)
def _known_before(code: CodeType) -> frozenset[int]:
    """Offsets before which the value stack is empty, or holds only what pure instructions
    pushed since it last was (with no jump landing in between)."""
    depths = stack_depths(code)
    targets = {ins.argval for ins in dis.get_instructions(code)
               if ins.opcode in _JUMPS and isinstance(ins.argval, int)}
    targets.update(e.target for e in _handlers(code))
    known: set[int] = set()
    previous: tuple[int, str] | None = None
    for offset in sorted(depths):
        depth, name, _ = depths[offset]
        if depth == 0 or (previous is not None and previous[0] in known
                          and previous[1] in _PURE and offset not in targets):
            known.add(offset)
        previous = (offset, name)
    return frozenset(known)


def clean(code: CodeType, offset: int, before: bool) -> bool:
    """Whether what a frame stopped at ``offset`` keeps on its value stack is known: before
    the instruction (a scheduling point), or in the call it makes (only its result will be
    left; while a call runs, 3.11 and 3.12 point into the call's inline cache, hence the
    search)."""
    if before:
        return offset in _known_before(code)
    starts = _starts(code)
    i = bisect.bisect_right(starts, offset)
    known = stack_depths(code).get(starts[i - 1]) if i else None
    if known is None:
        return False
    depth, name, effect = known
    return depth + effect <= (1 if name.startswith("CALL") else 0)


class _Freezer:
    """Turns values into nested tuples of plain values, equal exactly when the states are."""

    def __init__(self, run: RunLike) -> None:
        self.run = run
        self.memo: dict[int, int] = {}
        self.keep: list[object] = []      # what memo's ids refer to, alive until the end
        self.count = 0
        self.user_modules = {m.__name__ for m in run.modules}

    def identity(self, obj: object) -> int:
        """A number for an object whose identity matters, stable for the whole run."""
        registry = self.run.state_ids
        entry = registry.get(id(obj))
        if entry is None or entry[1] is not obj:
            entry = registry[id(obj)] = (len(registry), obj)
        return entry[0]

    def freeze(self, obj: Any) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            raise Unknown
        kind = type(obj)
        if kind in _ATOMS:
            return obj
        if kind is float:
            return ("f", repr(obj))
        seen = self.memo.get(id(obj))
        if seen is not None:
            return ("@", seen)
        self.memo[id(obj)] = len(self.memo)
        self.keep.append(obj)
        freeze = self.freeze
        if kind is list or kind is deque:
            return ("L", tuple(map(freeze, obj)))
        if kind is tuple:
            return ("t", tuple(map(freeze, obj)))
        if kind is dict:
            return ("D", tuple((freeze(k), freeze(v)) for k, v in obj.items()))
        if kind is set or kind is frozenset:
            return ("S", frozenset(map(freeze, obj)))
        if kind is range or kind is slice:
            return ("r", kind.__name__, str(obj))
        if kind is FunctionType:
            return ("F", self.identity(obj), freeze(obj.__defaults__),
                    tuple(freeze(c.cell_contents) if _full(c) else ("empty",)
                          for c in obj.__closure__ or ()),
                    freeze(obj.__dict__))
        if kind is MethodType:
            return ("m", freeze(obj.__self__), freeze(obj.__func__))
        if kind is BuiltinFunctionType:
            owner = obj.__self__
            return ("b", obj.__name__,
                    self.identity(owner) if isinstance(owner, ModuleType) else freeze(owner))
        if kind is ModuleType or kind is CodeType:
            return ("M", self.identity(obj))
        if isinstance(obj, type):
            if obj.__module__ not in self.user_modules:
                return ("C", self.identity(obj))
            return ("C", self.identity(obj), tuple(
                (k, freeze(v)) for k, v in vars(obj).items() if not k.startswith("__")))
        if kind is random.Random:
            return ("rng", obj.getstate())
        if kind in _ITERATORS:
            return ("I", kind.__name__, freeze(obj.__reduce__()))
        return self._engine_or_instance(obj, kind)

    def _engine_or_instance(self, obj: object, kind: type) -> object:
        described = DESCRIBED.get(kind)
        if described is not None:
            return described(obj)
        if kind in _WRAPPERS:
            return ("P", self.identity(obj))
        attrs = getattr(obj, "__dict__", None)
        if type(attrs) is not dict or not _plain(kind):
            raise Unknown
        return ("O", self.freeze(kind), tuple((k, self.freeze(v)) for k, v in attrs.items()))


#: Wrappers of functions in a class body: their contents do not change.
_WRAPPERS = (property, staticmethod, classmethod)
_HEAPTYPE = 1 << 9


@functools.lru_cache(maxsize=1024)
def _plain(kind: type) -> bool:
    """A class written in Python, all of whose state is in its instances' ``__dict__``."""
    for base in kind.__mro__:
        if base is object:
            continue
        if not base.__flags__ & _HEAPTYPE:
            return False        # a C base (int, list, Exception, partial...) keeps its own
        slots = base.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        if any(name not in ("__dict__", "__weakref__") for name in slots):
            return False
    return True


def _full(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 (an empty cell raises)
    except ValueError:
        return False
    return True


def _frames(top: FrameType | None, point: Any) -> list[tuple[FrameType, bool]]:
    """A thread's frames outside the engine's machinery, outermost first, each with whether
    it stopped before an instruction (a scheduling point delivered by a callback) or in a
    call. ``point``: the thread's last scheduling point (a log entry), which tells where the
    callback, compiled (graders/engine/native.py), has no frame of its own."""
    frames: list[tuple[FrameType, bool]] = []
    callee: FrameType | None = None
    frame = top
    while frame is not None:
        name = frame.f_code.co_filename
        if name not in _MACHINERY:
            if callee is None:
                before = point is not None and point.code is frame.f_code and (
                    point.offset == frame.f_lasti)
            else:
                before = callee.f_code.co_filename in _CALLBACKS
            frames.append((frame, before))
        callee = frame
        frame = frame.f_back
    frames.reverse()
    return frames


def fingerprint(run: RunLike, clock_read: bool) -> tuple[tuple[object, ...] | None, int]:
    """The state of ``run``'s program as a hashable value, and how many values were read
    (the cost). None with a cost of 0: a thread that must move in a cycle (it can run, or
    it sleeps) stands where its value stack is unknown, so this state can never be shown to
    recur; None with a cost of MAX_VALUES: part of the state cannot be read exactly."""
    stacks = sys._current_frames()
    positions: list[tuple[Any, list[tuple[FrameType, bool]]]] = []
    for t in run.threads:
        if t.status == DONE:
            positions.append((t, []))
            continue
        top = run.frame_of(t, stacks)
        frames = [(frame, clean(frame.f_code, frame.f_lasti, before))
                  for frame, before in _frames(top, t.point)]
        if (t.status == RUNNABLE or t.deadline is not None) and not all(
                ok for _, ok in frames):
            return None, 0
        positions.append((t, frames))
    freezer = _Freezer(run)
    freeze = freezer.freeze
    try:
        threads: list[object] = []
        for t, frames in positions:
            if t.status == DONE:
                threads.append(DONE)
                continue
            stack: list[object] = []
            if not all(ok for _, ok in frames):
                # (a blocked thread) its value stack is unknown: the same only if it has not
                # moved at all
                stack.append(("moved", t.steps))
            for frame, _ in frames:
                stack.append((freezer.identity(frame.f_code), frame.f_lasti,
                              freeze(_locals(frame))))
            deadline = None if t.deadline is None else t.deadline - run.now
            threads.append((t.status, tuple(stack), freeze(t.held), freeze(t.sems),
                            freeze(t.queue.owner) if t.queue is not None else None,
                            deadline))
        shared = tuple(freeze({k: v for k, v in vars(m).items() if not k.startswith("__")})
                       for m in run.modules)
    except (Unknown, RecursionError):
        return None, MAX_VALUES
    state = (tuple(threads), shared, run.now if clock_read else None, random.getstate())
    return state, freezer.count
