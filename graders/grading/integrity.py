"""Is the interpreter still the one the checks were written for? (runs in the child)

A snapshot records, by identity, every function, class, method and module reachable from
the modules a verdict depends on: ``threading``, ``_thread``, ``time``, ``queue``,
``random``, ``concurrent.futures``, ``builtins``, the callables of ``sys``, and every module
of the kit itself (the engine's stand-ins live there: while a check explores,
``threading.Thread`` *is* the engine's class, so patching ``threading.Thread.start`` from a
student's module changes a class of ``graders.engine``). For a function the snapshot keeps
its code object, defaults and keyword defaults as well, so swapping ``f.__code__`` shows.

Only code-bearing values are compared, never data (counters, caches, the engine's current
run), so honest programs never trip it; except in the kit's own classes, whose every member
is compared (their settings, such as the portfolio's mix: nothing changes them while checks
run), and attribute descriptors, which hold each attribute of a compiled class
(graders/engine/native.py). :func:`compare` names what changed, in the words a
student can act on (``threading.Thread.start was replaced``).
"""

from __future__ import annotations

import sys
import types
from builtins import (  # noqa: UP029 - pinned: submitted code may replace builtins
    all,
    any,
    callable,
    dict,
    frozenset,
    getattr,
    hasattr,
    isinstance,
    len,
    list,
    map,
    set,
    sorted,
    str,
    tuple,
    vars,
    zip,
)
from collections.abc import Callable, Iterable
from itertools import repeat
from operator import attrgetter, call, is_
from typing import Any

#: Standard-library modules whose functions and classes must be the real ones.
WATCHED = ("builtins", "sys", "_thread", "threading", "time", "queue", "random",
           "concurrent.futures", "concurrent.futures._base", "concurrent.futures.thread")
#: The kit's own modules: every module whose name is this or starts with it plus a dot.
KIT = "graders"
#: Hooks a program may legitimately set; they cannot change a verdict.
IGNORED = frozenset({"sys.displayhook", "sys.excepthook", "sys.breakpointhook",
                     "sys.unraisablehook", "sys.ps1", "sys.ps2"})

_HEAPTYPE = 1 << 9   # Py_TPFLAGS_HEAPTYPE: a class whose attributes can be reassigned

Snapshot = dict[str, tuple[object, ...]]


def _fingerprint(value: object) -> tuple[object, ...] | None:
    """The identities that define a code-bearing value, or None for plain data."""
    if isinstance(value, types.FunctionType):
        return (value, value.__code__, value.__defaults__, value.__kwdefaults__)
    if isinstance(value, (staticmethod, classmethod)):
        inner = _fingerprint(value.__func__)
        return (value, *(inner or (value.__func__,)))
    if isinstance(value, property):
        parts: list[object] = [value]
        for accessor in (value.fget, value.fset, value.fdel):
            parts.extend(_fingerprint(accessor) or (accessor,))
        return tuple(parts)
    if isinstance(value, (type, types.ModuleType, types.GetSetDescriptorType,
                          types.MemberDescriptorType)) or callable(value):
        # (a descriptor holds an attribute of every instance: of each attribute of a
        # compiled class, graders/engine/native.py; replaced, reads see something else)
        return (value,)
    return None


def watched_modules() -> list[str]:
    """The names of the modules a snapshot covers, as loaded right now."""
    names = [n for n in WATCHED if n in sys.modules]
    names += sorted(n for n in list(sys.modules) if n == KIT or n.startswith(KIT + "."))
    if "sys" in sys.modules and hasattr(sys, "monitoring"):
        names.append("sys.monitoring")
    return names


def take(names: Iterable[str] | None = None) -> Snapshot:
    """Record the code-bearing values of the watched modules."""
    return indexed(names)[0]


class Index:
    """Where each value of a snapshot was read, so that :func:`unchanged` can tell quickly
    that nothing changed: the same facts :func:`compare` looks at, read by identity in
    C-level loops, without building the snapshot's names. The grading guard asks it at every
    run of a check (once per explored schedule); only when it sees a difference is a full
    snapshot taken and compared, for the words."""

    def __init__(self) -> None:
        self.modules: list[tuple[str, object]] = []
        #: each value read: the ``get`` of the namespace it was read in, its name, the value
        #: (three flat lists, so that one C-level loop compares them all)
        self.gets: list[Callable[[str, object], object]] = []
        self.names: list[str] = []
        self.values: list[object] = []
        #: every function met, directly or inside a method wrapper or property, and its parts
        self.functions: list[types.FunctionType] = []
        self.parts: tuple[list[object], list[object], list[object]] = ([], [], [])
        #: (a class's namespace, its names then)
        self.classes: list[tuple[Any, frozenset[str]]] = []

    def add(self, owner: object, name: str, value: object) -> None:
        self.gets.append(vars(owner).get)
        self.names.append(name)
        self.values.append(value)
        for fn in _functions(value):
            self.functions.append(fn)
            self.parts[0].append(fn.__code__)
            self.parts[1].append(fn.__defaults__)
            self.parts[2].append(fn.__kwdefaults__)


def _functions(value: object) -> list[types.FunctionType]:
    """The functions whose code and defaults :func:`_fingerprint` records for ``value``."""
    if isinstance(value, types.FunctionType):
        return [value]
    if isinstance(value, (staticmethod, classmethod)):
        return _functions(value.__func__)
    if isinstance(value, property):
        return [f for accessor in (value.fget, value.fset, value.fdel)
                for f in _functions(accessor)]
    return []


def indexed(names: Iterable[str] | None = None) -> tuple[Snapshot, Index]:
    """A snapshot of the watched modules, and the :class:`Index` of where it was read."""
    entries: Snapshot = {}
    index = Index()
    for name in names if names is not None else watched_modules():
        module = sys.monitoring if name == "sys.monitoring" else sys.modules.get(name)  # type: ignore[attr-defined]
        entries[f"sys.modules[{name!r}]"] = ("module", module)
        index.modules.append((name, module))
        if module is None:
            continue
        kit = name == KIT or name.startswith(KIT + ".")
        for attr, value in list(vars(module).items()):
            key = f"{name}.{attr}"
            if key in IGNORED:
                continue
            fp = _fingerprint(value)
            if fp is None:
                continue
            entries[key] = ("attribute", *fp)
            index.add(module, attr, value)
            if (isinstance(value, type) and value.__flags__ & _HEAPTYPE
                    and getattr(value, "__module__", None) == name):
                index.classes.append((vars(value), frozenset(vars(value))))
                for member, inner in list(vars(value).items()):
                    inner_fp = _fingerprint(inner)
                    if inner_fp is None and kit:
                        # The kit's classes hold settings too (the portfolio's mix, a
                        # strategy's odds), which nothing changes while checks run.
                        inner_fp = (inner,)
                    if inner_fp is not None:
                        entries[f"{key}.{member}"] = ("member", *inner_fp)
                        index.add(value, member, inner)
    return entries, index


_ABSENT = object()
_code, _defaults, _kwdefaults = (attrgetter("__code__"), attrgetter("__defaults__"),
                                 attrgetter("__kwdefaults__"))


#: The attributes that give a function other behaviour in place. Setting one raises the
#: ``object.__setattr__`` audit event, whoever sets it.
FUNCTION_PARTS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})


def unchanged(index: Index, functions: bool = True) -> bool:
    """True when :func:`compare` of the indexed snapshot and a new one would find nothing:
    every module is the same object, every recorded value is there, the same object, every
    function has the same code and defaults (looked at only with ``functions``: the guard
    passes False when no :data:`FUNCTION_PARTS` was set since its last look, which spares a
    ``__code__`` read, itself an audit event, per function), and no class that had members
    gained or lost one. False means: take a snapshot and compare, to learn what changed (it
    may still be nothing, e.g. a class gained a data attribute)."""
    modules = sys.modules
    for name, module in index.modules:
        now = sys.monitoring if name == "sys.monitoring" else modules.get(name)  # type: ignore[attr-defined]
        if now is not module:
            return False
    if not all(map(is_, map(call, index.gets, index.names, repeat(_ABSENT)), index.values)):
        return False
    fns = index.functions
    codes, defaults, kwdefaults = index.parts
    if functions and not (all(map(is_, map(_code, fns), codes))
            and all(map(is_, map(_defaults, fns), defaults))
            and all(map(is_, map(_kwdefaults, fns), kwdefaults))):
        return False
    return all(namespace.keys() == keys for namespace, keys in index.classes)


def compare(before: Snapshot, after: Snapshot) -> list[str]:
    """What changed between two snapshots, one phrase per name, sorted.

    A name that is new at module level is not a change (the kit and the standard library
    import submodules lazily); a new member of a class is (it can override an inherited
    method)."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None:
            if new is not None and new[0] == "member":
                changes.append(f"{key} was added")
        elif new is None:
            changes.append(f"{key} was deleted")
        elif len(old) != len(new) or any(a is not b for a, b in zip(old[1:], new[1:],
                                                                        strict=True)):
            changes.append(f"{key} was replaced")
    return changes
