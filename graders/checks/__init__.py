"""Per-topic checks. Each topic has one module here; each check is a function

    check(folder: Path, settings: Settings) -> Exploration

registered with :func:`check`. Checks use only the engine's public API, so they run the
same way under pytest, the command line, the dev check and class grading, and name the bug
classes they report with :class:`graders.bugclasses.Bug`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from graders.engine import Exploration, Settings

CheckFn = Callable[[Path, Settings], Exploration]

_REGISTRY: dict[str, dict[str, CheckFn]] = {}


def check(topic: str) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as check ``<its name>`` of ``topic``."""

    def register(fn: CheckFn) -> CheckFn:
        _REGISTRY.setdefault(topic, {})[fn.__name__] = fn
        return fn

    return register


def checks_of(topic: str) -> dict[str, CheckFn]:
    """The checks of ``topic``, by name (imports the topic's module on first use)."""
    if topic not in _REGISTRY:
        importlib.import_module(f"graders.checks.{topic}")
    return _REGISTRY.get(topic, {})
