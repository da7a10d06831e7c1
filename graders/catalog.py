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

from graders.bugclasses import WORDS

KIT = Path(__file__).resolve().parent.parent
CATALOG = Path(__file__).resolve().parent / "topics.toml"

#: The keys a ``[[topic]]`` table may hold, and a ``[[topic.check]]`` table. Loading ignores
#: any other, so the dev check refuses them: a misspelt key would otherwise do nothing.
TOPIC_KEYS = frozenset({"name", "title", "files", "allow", "requires", "bug_class", "hints",
                        "check", "wrong", "alternative"})
CHECK_KEYS = frozenset({"name", "points", "hidden"})


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
    return load(CATALOG)


def raw_topics(path: Path = CATALOG) -> list[dict[str, Any]]:
    """The ``[[topic]]`` tables of ``path`` as TOML reads them, for checks of the file itself."""
    with path.open("rb") as f:
        return list(tomllib.load(f).get("topic", []))


def load(path: Path = CATALOG) -> dict[str, Topic]:
    """The topics of the catalogue at ``path``, in its order; a CatalogError names what is
    missing or wrong, and where."""
    result: dict[str, Topic] = {}
    for raw in raw_topics(path):
        try:
            topic = Topic(
                name=raw["name"], title=raw["title"], files=tuple(raw["files"]),
                bug_class=raw["bug_class"], hints=tuple(raw["hints"]),
                checks=tuple(CheckInfo(c["name"], int(c["points"]), bool(c.get("hidden")))
                             for c in raw["check"]),
                wrong=dict(raw.get("wrong", {})), alternative=dict(raw.get("alternative", {})),
                requires=tuple(raw.get("requires", ())), allow=_dotted_names(raw, path))
        except KeyError as exc:
            raise CatalogError(f"{path}: topic {raw.get('name', '?')!r} lacks {exc}") from None
        _known_bug_classes(topic, path)
        result[topic.name] = topic
    return result


def unknown_keys(raw: dict[str, Any]) -> list[str]:
    """The keys of one raw ``[[topic]]`` table (and of its checks, as ``check.KEY``) that
    :data:`TOPIC_KEYS` and :data:`CHECK_KEYS` do not name."""
    unknown = sorted(set(raw) - TOPIC_KEYS)
    checks = raw.get("check", [])
    for c in checks if isinstance(checks, list) else []:
        unknown += [f"check.{key}" for key in sorted(set(c) - CHECK_KEYS)
                    if f"check.{key}" not in unknown]
    return unknown


def _known_bug_classes(topic: Topic, path: Path) -> None:
    """Every bug class the topic promises (its starter's, each wrong fix's) is one a check
    can report; a class nobody reports is a promise the dev check could never keep."""
    promised = [("bug_class", topic.bug_class)]
    promised += [(f"wrong.{fix}", bug) for fix, bug in topic.wrong.items()]
    for key, bug in promised:
        if bug not in WORDS:
            raise CatalogError(f"{path}: topic {topic.name!r}: {key} = {bug!r} is not a bug "
                               "class; the classes are named in graders/bugclasses.py")


def _dotted_names(raw: dict[str, Any], path: Path = CATALOG) -> tuple[str, ...]:
    """``allow`` of a topic: a list of dotted names, checked so a typo cannot allow nothing
    (or everything) silently."""
    names = raw.get("allow", [])
    if not isinstance(names, list) or not all(
            isinstance(n, str) and n and all(p.isidentifier() for p in n.split("."))
            for n in names):
        raise CatalogError(f"{path}: topic {raw.get('name', '?')!r}: allow must be a list "
                           f"of dotted names such as \"os.getpid\", not {names!r}")
    return tuple(names)


def topic(name: str) -> Topic:
    """One topic by name, or a CatalogError that lists the known ones."""
    known = topics()
    if name not in known:
        raise CatalogError(f"no topic named {name!r}; the topics are: {', '.join(known)}")
    return known[name]
