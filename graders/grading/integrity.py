"""Is the interpreter still the one the checks were written for? (runs in the child)

A snapshot records, by identity, every function, class, method and module reachable from
the modules a verdict depends on: ``threading``, ``_thread``, ``time``, ``queue``,
``random``, ``concurrent.futures``, ``builtins``, the callables of ``sys``, and every module
of the kit itself (the engine's stand-ins live there: while a check explores,
``threading.Thread`` *is* the engine's class, so patching ``threading.Thread.start`` from a
student's module changes a class of ``graders.engine``). For a function the snapshot keeps
its code object, defaults and keyword defaults as well, so swapping ``f.__code__`` shows.

Only code-bearing values are compared, never data (counters, caches, the engine's current
run), so honest programs never trip it. :func:`compare` names what changed, in the words a
student can act on (``threading.Thread.start was replaced``).
"""

from __future__ import annotations

import sys
import types
from builtins import (  # noqa: UP029 - pinned: submitted code may replace builtins
    any,
    callable,
    dict,
    getattr,
    hasattr,
    isinstance,
    len,
    list,
    set,
    sorted,
    str,
    tuple,
    vars,
    zip,
)
from collections.abc import Iterable

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
    if isinstance(value, (type, types.ModuleType)) or callable(value):
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
    entries: Snapshot = {}
    for name in names if names is not None else watched_modules():
        module = sys.monitoring if name == "sys.monitoring" else sys.modules.get(name)  # type: ignore[attr-defined]
        entries[f"sys.modules[{name!r}]"] = ("module", module)
        if module is None:
            continue
        for attr, value in list(vars(module).items()):
            key = f"{name}.{attr}"
            if key in IGNORED:
                continue
            fp = _fingerprint(value)
            if fp is None:
                continue
            entries[key] = ("attribute", *fp)
            if (isinstance(value, type) and value.__flags__ & _HEAPTYPE
                    and getattr(value, "__module__", None) == name):
                for member, inner in list(vars(value).items()):
                    inner_fp = _fingerprint(inner)
                    if inner_fp is not None:
                        entries[f"{key}.{member}"] = ("member", *inner_fp)
    return entries


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
