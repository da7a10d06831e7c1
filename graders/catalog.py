"""The course catalogue: ``graders/topics.toml`` read into typed objects.

Everything that differs between topics (order, titles, points, bug classes, hints, the
wrong and alternative fixes) lives in that one file; the code that uses it stays the same
for every topic.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

KIT = Path(__file__).resolve().parent.parent
CATALOG = Path(__file__).resolve().parent / "topics.toml"


@dataclass(frozen=True)
class CheckInfo:
    name: str
    points: int
    hidden: bool = False


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    files: tuple[str, ...]
    bug_class: str
    hints: tuple[str, ...]
    checks: tuple[CheckInfo, ...]
    wrong: dict[str, str] = field(default_factory=dict)
    alternative: dict[str, str] = field(default_factory=dict)
    #: Packages beyond the standard library the topic imports at grade time (import name =
    #: pip name); the grading process checks them before any student code runs.
    requires: tuple[str, ...] = ()
    #: Dotted names the integrity scan lets this topic use (``"multiprocessing"`` and all in
    #: it, ``"os.getpid"``): what its exercise legitimately needs beyond plain threads.
    allow: tuple[str, ...] = ()

    @property
    def points(self) -> int:
        return sum(c.points for c in self.checks)

    def check(self, name: str) -> CheckInfo:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"topic {self.name!r} has no check {name!r}")

    def exercise_dir(self) -> Path:
        return KIT / "exercises" / self.name

    def solution_dir(self) -> Path:
        return KIT / "solutions" / self.name


class CatalogError(Exception):
    """topics.toml is missing something or says something inconsistent."""


@cache
def topics() -> dict[str, Topic]:
    """Every topic, in curriculum order."""
    with CATALOG.open("rb") as f:
        data = tomllib.load(f)
    result: dict[str, Topic] = {}
    for raw in data.get("topic", []):
        try:
            topic = Topic(
                name=raw["name"], title=raw["title"], files=tuple(raw["files"]),
                bug_class=raw["bug_class"], hints=tuple(raw["hints"]),
                checks=tuple(CheckInfo(c["name"], int(c["points"]), bool(c.get("hidden")))
                             for c in raw["check"]),
                wrong=dict(raw.get("wrong", {})), alternative=dict(raw.get("alternative", {})),
                requires=tuple(raw.get("requires", ())), allow=_dotted_names(raw))
        except KeyError as exc:
            raise CatalogError(f"{CATALOG}: topic {raw.get('name', '?')!r} lacks {exc}") from None
        result[topic.name] = topic
    return result


def _dotted_names(raw: dict[str, Any]) -> tuple[str, ...]:
    """``allow`` of a topic: a list of dotted names, checked so a typo cannot allow nothing
    (or everything) silently."""
    names = raw.get("allow", [])
    if not isinstance(names, list) or not all(
            isinstance(n, str) and n and all(p.isidentifier() for p in n.split("."))
            for n in names):
        raise CatalogError(f"{CATALOG}: topic {raw.get('name', '?')!r}: allow must be a list "
                           f"of dotted names such as \"os.getpid\", not {names!r}")
    return tuple(names)


def topic(name: str) -> Topic:
    """One topic by name, or a CatalogError that lists the known ones."""
    known = topics()
    if name not in known:
        raise CatalogError(f"no topic named {name!r}; the topics are: {', '.join(known)}")
    return known[name]
