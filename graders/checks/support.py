"""Small helpers checks share: finding the student's files and functions, with clear errors;
watching the shared object the student's threads really used; verdicts without schedules."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.engine import Exploration, Failure, LoadError, Settings


def student_file(folder: Path, name: str) -> Path:
    """The file ``name`` in the student's folder, or a LoadError that says what is missing."""
    path = Path(folder) / name
    if not path.is_file():
        raise LoadError(f"{path}: file not found. The check expects the exercise's {name} "
                        "here (restore it from the kit if it was deleted or renamed).")
    return path


def require(module: Any, name: str, params: Sequence[str]) -> Callable[..., Any]:
    """``module.name``, checked to accept ``params``; a LoadError explains any mismatch."""
    where = getattr(module, "__file__", module.__name__)
    signature = f"{name}({', '.join(params)})"
    fn = getattr(module, name, None)
    if fn is None:
        raise LoadError(f"{where}: the check expects a function {signature}, and there is "
                        f"no {name!r} (was it renamed?).")
    if not callable(fn):
        raise LoadError(f"{where}: {name!r} should be a function {signature}.")
    try:
        inspect.signature(fn).bind(*params)
    except TypeError:
        raise LoadError(f"{where}: {name} should accept ({', '.join(params)}); it is now "
                        f"{name}{inspect.signature(fn)}.") from None
    except ValueError:
        pass
    return fn


class SharedState:
    """A probe on ``cls.method``, the method the program's threads call on a shared object,
    to read what they really left in it instead of believing what the student's function
    returns.

    For every instance the method is called on, it keeps the instance (so no ``id`` is
    reused), how many calls on it are under way, and the value of its ``attribute`` right after
    the last call returned. Make it on the class of the freshly loaded module, before the
    student's code runs; a missing class or method leaves it empty.
    """

    def __init__(self, cls: Any, method: str, attribute: str) -> None:
        self.attribute = attribute
        self.seen: dict[int, list[Any]] = {}   # id -> [instance, calls under way, value after]
        original = getattr(cls, method, None) if isinstance(cls, type) else None
        if not callable(original):
            return
        seen = self.seen

        @functools.wraps(original)
        def watched(obj: Any, *args: Any, **kwargs: Any) -> Any:
            entry = seen.setdefault(id(obj), [obj, 0, None])
            entry[1] += 1
            try:
                return original(obj, *args, **kwargs)
            finally:
                entry[1] -= 1
                entry[2] = getattr(obj, attribute, None)

        setattr(cls, method, watched)

    def left(self) -> list[int] | None:
        """What the threads left in each object used, in the order of first use: the value
        after the last call returned, or the value now while a call is still under way (its
        work may be done). None when no object was used or a value is not a whole number."""
        values = [getattr(obj, self.attribute, None) if busy else after
                  for obj, busy, after in self.seen.values()]
        if not values or not all(isinstance(v, int) for v in values):
            return None
        return values


def never_seen(result: Exploration, bug_class: str, message: str,
               details: str = "") -> Exploration:
    """Turn a clean exploration into a failure because a required witness never showed.

    Some properties are about what *can* happen (two cooks working at once in some
    schedule); when no explored schedule shows it, there is no single failing schedule to
    replay, so the failure names the whole exploration instead.
    """
    if not result.ok:
        return result
    return replace(result, failure=Failure(bug_class, message, details, 0, "all", 0, "", ""))


def verdict(settings: Settings, bug_class: str, message: str, details: str = "",
            runs: int = 1) -> Exploration:
    """A failed check that needed no thread schedules (processes, a simulator, ...).

    ``runs`` says how many cases (job sets, program runs) were tried; the failure has no
    replay token because the same settings reproduce it exactly.
    """
    return Exploration(settings, runs,
                       Failure(bug_class, message, details, 0, "all", settings.seed, "", ""))


def passed(settings: Settings, runs: int = 1) -> Exploration:
    """A passed check that needed no thread schedules; ``runs`` cases were tried."""
    return Exploration(settings, runs, None)
