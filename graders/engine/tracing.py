"""Scheduling points inside the code under test: one per shared-state instruction.

``sys.settrace`` with ``f_trace_opcodes`` calls back before every bytecode instruction of the
traced files (and never for the standard library or the engine: their frames get no local
tracer). Instructions that only shuffle a frame's own stack and locals cannot be observed by
another thread, so a switch before them is the same as a switch before the next instruction
that can: they are merged into it. What remains (loads and stores of globals, attributes and
items, calls, arithmetic that may call user code, ...) is where the strategy may switch.
"""

from __future__ import annotations

import dis
import functools
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from . import scheduler
from .frames import code_of
from .scheduler import LogEntry, Run, ThreadState, TraceFunction

#: A number that stands for an object's identity while it lives, like ``id``, without the
#: ``builtins.id`` audit event ``id`` raises: the tracer asks it at every call of every
#: thread, and in the grading sandbox each audit event is a call of the guard's hook.
identity: Callable[[object], int] = object.__hash__

#: Instructions that touch nothing but the running frame: no other thread can tell whether
#: they ran before or after a switch.
LOCAL_ONLY = frozenset({
    "CACHE", "COPY", "COPY_FREE_VARS", "END_FOR", "EXTENDED_ARG", "JUMP", "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_FORWARD", "JUMP_NO_INTERRUPT", "KW_NAMES",
    "LOAD_CLOSURE", "LOAD_CONST", "LOAD_FAST", "LOAD_FAST_AND_CLEAR", "LOAD_FAST_CHECK",
    "LOAD_FAST_LOAD_FAST", "LOAD_SMALL_INT", "MAKE_CELL", "NOP", "NOT_TAKEN", "POP_ITER",
    "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_NONE",
    "POP_JUMP_BACKWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE",
    "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_IF_FALSE", "POP_JUMP_IF_NONE",
    "POP_JUMP_IF_NOT_NONE", "POP_JUMP_IF_TRUE", "POP_TOP", "PRECALL", "PUSH_NULL", "RESUME",
    "RETURN_CONST", "RETURN_VALUE", "STORE_FAST", "STORE_FAST_LOAD_FAST",
    "STORE_FAST_STORE_FAST", "SWAP",
})


#: Jumps that close a loop. A loop of local-only instructions (``while True: pass``) never
#: reaches a scheduling point; each of its passes still counts against the step budget.
LOOP_BACK = frozenset({
    "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "POP_JUMP_BACKWARD_IF_FALSE",
    "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_TRUE",
})


def shared_offsets(code: CodeType) -> frozenset[int]:
    """Offsets of the instructions in ``code`` that another thread could observe."""
    return frozenset(
        ins.offset for ins in dis.get_instructions(code) if ins.opname not in LOCAL_ONLY)


# Cached across runs and explorations: a run's code objects are the same every run (the
# file is compiled once), and disassembling them anew cost a fixed share of each run.
@functools.lru_cache(maxsize=4096)
def _points(code: CodeType) -> dict[int, bool]:
    """Offset -> True for a scheduling point, False for the back jump of a loop that has no
    scheduling point (a step against the budget only; loops with one are counted there)."""
    shared = shared_offsets(code)
    points = dict.fromkeys(shared, True)
    for ins in dis.get_instructions(code):
        if ins.opname in LOOP_BACK and isinstance(ins.argval, int) and not any(
                ins.argval <= o < ins.offset for o in shared):
            points[ins.offset] = False
    return points


def is_traced(code: CodeType, globals_: dict[str, Any], traced: Callable[[str], bool]) -> bool:
    """Code of the files under test, and code they compiled from a string (``exec``,
    ``compile``: its file name is ``<string>`` or the like) that runs with the globals of
    a module under test, as ``exec(source, globals())`` does. A name that looks like the
    standard library's (``<frozen os>``) is no exception: only code running with a module
    under test's globals is traced, and the standard library's never does."""
    name = code.co_filename
    if traced(name):
        return True
    if not name.startswith("<"):
        return False
    module_file = globals_.get("__file__")
    return isinstance(module_file, str) and traced(module_file)


def untrace(ts: ThreadState, frame: FrameType | None) -> None:
    """A scheduling point raised in ``ts`` (it unwinds: the run is over, or its process was
    terminated), out of its trace function: the interpreter stops tracing its OS thread. Its
    frames and the frames it calls are not traced again either, even where its OS thread is
    shared with the run's other threads, which go on being traced (greenlets)."""
    ts.trace = None
    while frame is not None:
        frame.f_trace = None
        frame = frame.f_back


class CodePoints:
    """Which code objects are traced, and their scheduling points: asked at every call the
    tracer sees, so looked up by identity (hashing a code object hashes its contents), and
    kept for a whole exploration (a run's code objects are those of the run before: the
    files are compiled once)."""

    def __init__(self, traced: Callable[[str], bool]) -> None:
        self.traced = traced
        # identity(code) -> (code, its points), or (code, None) for code that is not traced
        self.cache: dict[int, tuple[CodeType, dict[int, bool] | None]] = {}
        #: the entries of ``cache`` for code that is not traced: every thread of every run
        #: starts its own table with a copy (one call in C), where finding each anew cost a
        #: Python call per code object a thread ran (the engine's stand-ins, a check's
        #: harness: ~190 per run of a data_race check)
        self.untraced: dict[int, tuple[CodeType, None]] = {}

    def of(self, frame: FrameType, code: CodeType) -> tuple[CodeType, dict[int, bool] | None]:
        """``code``, run by ``frame``, and its scheduling points (None: not traced)."""
        hit = self.cache.get(identity(code))
        if hit is None or hit[0] is not code:
            if is_traced(code, frame.f_globals, self.traced):
                hit = self.cache[identity(code)] = (code, _points(code))
            else:
                hit = self.cache[identity(code)] = self.untraced[identity(code)] = (code, None)
        return hit


def thread_tracers(run: Run, code_points: CodePoints) -> Callable[[ThreadState], TraceFunction]:
    """A factory of per-thread trace functions for ``run`` (its ``tracer_for``), tracing
    the code ``code_points`` accepts."""
    points_of = code_points.of
    untraced = code_points.untraced

    def tracer_for(ts: ThreadState) -> TraceFunction:
        yield_point = run.yield_point
        loop_step = run.loop_step
        tid = ts.tid
        # identity(code) -> (code, the frames' local tracer, None for code not traced): one
        # closure per code object and thread, holding that code's points and log entries,
        # so that the tracer, called before every instruction, neither hashes the code nor
        # allocates an entry; and one look-up per call of code not traced (the engine's own
        # stand-ins are called at every operation on a primitive).
        tracers: dict[int, tuple[CodeType, TraceFunction | None]] = dict(untraced)

        def local_for(code: CodeType, points: dict[int, bool]) -> TraceFunction:
            entries: dict[int, LogEntry] = {}   # the same step logs the same (immutable) entry

            def local(frame: FrameType, event: str, arg: object) -> Any:
                if event == "opcode":
                    offset = frame.f_lasti
                    kind = points.get(offset)
                    if kind is not None:
                        entry = entries.get(offset)
                        if entry is None:
                            entry = entries[offset] = LogEntry(tid, code, offset)
                        try:
                            if kind:
                                yield_point(ts, entry)
                            else:
                                loop_step(ts, entry)
                        except BaseException:
                            untrace(ts, frame)
                            raise
                return local

            return local

        def global_(frame: FrameType, event: str, arg: object) -> Any:
            code = code_of(frame)
            hit = tracers.get(identity(code))
            if hit is None or hit[0] is not code:
                _, points = points_of(frame, code)
                hit = tracers[identity(code)] = (
                    code, None if points is None else local_for(code, points))
            local = hit[1]
            if local is not None:
                frame.f_trace_lines = False
                frame.f_trace_opcodes = True
            return local

        return global_

    return tracer_for


class Point:
    """One scheduling point of a code object, for the ``sys.monitoring`` callback: whether
    it is a step that may switch (else a loop's back jump, see ``_points``), and the log
    entry of each thread's step there, made once (entries are never changed)."""

    __slots__ = ("code", "entries", "offset", "switch")

    def __init__(self, code: CodeType, offset: int, switch: bool) -> None:
        self.code = code
        self.offset = offset
        self.switch = switch
        self.entries: list[LogEntry | None] = []

    def entry(self, tid: int) -> LogEntry:
        entries = self.entries
        if tid >= len(entries):
            entries.extend([None] * (tid + 1 - len(entries)))
        entry = entries[tid]
        if entry is None:
            entry = entries[tid] = LogEntry(tid, self.code, self.offset)
        return entry


def step_points(code: CodeType) -> dict[int, Point]:
    """``code``'s scheduling points by offset, for :func:`instruction_callback`."""
    return {offset: Point(code, offset, kind) for offset, kind in _points(code).items()}


def instruction_callback(points: dict[int, dict[int, Point]],
                         disable: object) -> Callable[[CodeType, int], object]:
    """The ``sys.monitoring`` instruction callback (3.12+, see monitoring.py): ``points`` maps
    the identity of each instrumented code object to its scheduling points
    (:func:`step_points`); an instruction that is none returns ``disable`` and is never
    delivered again."""
    caller = scheduler.caller

    def on_instruction(code: CodeType, offset: int) -> object:
        point = points[identity(code)].get(offset)
        if point is None:
            return disable          # touches only its own frame: never a scheduling point
        run = scheduler.active
        if run is None:
            return None
        ts = caller(run)
        if ts is None:
            return None
        if point.switch:
            run.yield_point(ts, point.entry(ts.tid))
        else:
            run.loop_step(ts, point.entry(ts.tid))
        return None

    return on_instruction
