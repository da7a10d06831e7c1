"""Scheduling points through ``sys.monitoring`` (CPython 3.12 and newer).

On 3.12+ ``sys.settrace`` is rebuilt on ``sys.monitoring``, and opcode events switched on
from a frame's 'call' event reach a function only from its second run: the first run of the
code under test went by with a fifth of its scheduling points, so a replay (a first run)
differed from the search that found it. Here the instruction events are switched on for the
code objects of the files under test before any of them runs, and for modules imported
beside them when they start. Instructions that are not scheduling points switch themselves
off (``DISABLE``), so only the points cost a call. The events are process-wide; the
callback finds the calling controlled thread, and ignores every other thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType
from typing import Any

from .tracing import Point, identity, instruction_callback, is_traced, step_points

AVAILABLE = hasattr(sys, "monitoring")


def _nested(code: CodeType) -> Iterator[CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _nested(const)


@contextmanager
def monitored(codes: list[CodeType], traced: Callable[[str], bool]) -> Iterator[None]:
    """Deliver the scheduling points of ``codes`` (and of traced code that starts later)."""
    # New in 3.12, and mypy checks the engine as 3.11 code (its oldest Python); this runs
    # only where AVAILABLE.
    mon = sys.monitoring  # type: ignore[attr-defined]
    events = mon.events
    tool = next((t for t in (mon.DEBUGGER_ID, 3, 4, 5) if mon.get_tool(t) is None), None)
    if tool is None:
        raise RuntimeError("no free sys.monitoring tool id (a debugger or coverage tool "
                           "holds them all)")
    mon.use_tool_id(tool, "graders")
    disable = mon.DISABLE

    # Code objects compare equal by content: the same source compiled again (code an
    # ``exec`` in the file under test builds anew in every run) is another object, whose
    # events must be switched on too. So what was instrumented is kept by identity (which
    # is also cheaper to look up at every step than a code object's hash of its contents).
    instrumented: dict[int, CodeType] = {}
    # (Identities by ``tracing.identity``, not ``id``: each ``id()`` call raises an audit
    # event, which the grading sandbox's hook receives: 400,000 in a data_race check.)
    # id(code) -> its points
    points: dict[int, dict[int, Point]] = {}

    def instrument(code: CodeType) -> None:
        for c in _nested(code):
            if identity(c) not in instrumented:
                instrumented[identity(c)] = c
                points[identity(c)] = step_points(c)
                mon.set_local_events(tool, c, events.INSTRUCTION)

    def on_start(code: CodeType, offset: int) -> Any:
        if identity(code) in instrumented:
            return None
        # (the frame that starts is the callback's caller)
        if not is_traced(code, sys._getframe(1).f_globals, traced):
            return disable
        instrument(code)
        return None

    # (made in tracing, which is compiled with the hot path: graders/engine/native.py; this
    # module is not, since the grading guard judges its other calls by their frame)
    on_instruction = instruction_callback(points, disable)

    try:
        mon.register_callback(tool, events.PY_START, on_start)
        mon.register_callback(tool, events.INSTRUCTION, on_instruction)
        for code in codes:
            instrument(code)
        mon.set_events(tool, events.PY_START)
        yield
    finally:
        mon.set_events(tool, 0)
        for code in instrumented.values():
            mon.set_local_events(tool, code, 0)
        mon.register_callback(tool, events.PY_START, None)
        mon.register_callback(tool, events.INSTRUCTION, None)
        mon.free_tool_id(tool)
        mon.restart_events()
