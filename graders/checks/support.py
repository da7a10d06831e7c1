"""Small helpers checks share: finding the student's files and functions, with clear errors."""

from __future__ import annotations

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
