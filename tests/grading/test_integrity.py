"""The quick look (integrity.unchanged) agrees with the full comparison: it says "unchanged"
only when compare() would find nothing, for each way submitted code can patch the kit or the
standard library. (It is what the guard asks at every explored schedule; how much cheaper it
is than a snapshot is measured by benchmarks/grading_breakdown.py, not here.)"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable, Iterator

import pytest

from graders.engine import explorer, scheduler, strategies
from graders.grading import integrity


def _patches() -> Iterator[tuple[str, Callable[[], Callable[[], None]]]]:
    """(what, apply) pairs; apply() patches and returns the undo."""
    def setting(owner: object, name: str, value: object) -> Callable[[], Callable[[], None]]:
        def apply() -> Callable[[], None]:
            had = name in vars(owner)
            old = vars(owner).get(name)
            setattr(owner, name, value)

            def undo() -> None:
                if had:
                    setattr(owner, name, old)
                else:
                    delattr(owner, name)
            return undo
        return apply

    def swap_code(fn: types.FunctionType) -> Callable[[], Callable[[], None]]:
        def apply() -> Callable[[], None]:
            old = fn.__code__
            fn.__code__ = (lambda *a, **k: None).__code__

            def undo() -> None:
                fn.__code__ = old
            return undo
        return apply

    def swap_defaults(fn: types.FunctionType) -> Callable[[], Callable[[], None]]:
        def apply() -> Callable[[], None]:
            old = fn.__defaults__
            fn.__defaults__ = tuple(list(old or (None,)))     # equal, but another tuple

            def undo() -> None:
                fn.__defaults__ = old
            return undo
        return apply

    yield "a module function replaced", setting(time, "sleep", lambda s: None)
    yield "a class method replaced", setting(threading.Thread, "start", lambda self: None)
    yield "a method added to a kit class", setting(scheduler.Run, "__getattr__",
                                                   lambda self, n: None)
    # (a function of a module never compiled: a compiled one has no code to swap)
    yield "a function's code swapped", swap_code(explorer._Explorer.run_once)
    yield "a function's defaults swapped", swap_defaults(threading.Thread.join)
    # A compiled class keeps each attribute behind a descriptor in the class: replaced by a
    # value, Python code that reads the attribute (the explorer reads a run's verdict) gets
    # the value, compiled code the real one. (LogEntry has one in both engines: slots.)
    yield "an attribute's descriptor replaced", setting(scheduler.LogEntry, "note", None)
    yield "a kit class's setting changed", setting(strategies.Portfolio, "MIX",
                                                   ("sequential",))


@pytest.mark.parametrize(("what", "apply"), list(_patches()))
def test_every_patch_is_seen_by_the_quick_look(what: str,
                                               apply: Callable[[], Callable[[], None]]) -> None:
    before, index = integrity.indexed()
    assert integrity.unchanged(index)
    undo = apply()
    try:
        assert integrity.compare(before, integrity.take()), what
        assert not integrity.unchanged(index), what
    finally:
        undo()
    assert integrity.unchanged(index), what


def test_a_module_gone_from_sys_modules_is_seen() -> None:
    import sys

    _, index = integrity.indexed()
    saved = sys.modules.pop("queue")
    try:
        assert not integrity.unchanged(index)
    finally:
        sys.modules["queue"] = saved
    assert integrity.unchanged(index)
