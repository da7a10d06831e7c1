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
TOPIC_KEYS = frozenset({"name", "title", "files", "allow", "requires", "bug_class", "fails",
                        "hints", "check", "wrong", "alternative"})
CHECK_KEYS = frozenset({"name", "points", "hidden", "requirement", "hint"})
HINT_KEYS = frozenset({"text", "bug", "needs"})
WRONG_KEYS = frozenset({"bug", "fails", "shows"})


@dataclass(frozen=True)
class HintRule:
    """A hint for one kind of failure of one check: shown when the check fails with ``bug``
    (any class when None) and the student's files contain every text in ``needs`` (so a hint
    never talks about code the student does not have)."""

    text: str
    bug: str | None = None
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckInfo:
    name: str
    points: int
    hidden: bool = False
    #: The requirement this check tests, in the words of the topic's README (whose list of
    #: requirements is written from these: python -m graders dev readme).
    requirement: str = ""
    #: The hints for this check's failures, most specific first.
    hints: tuple[HintRule, ...] = ()


@dataclass(frozen=True)
class WrongFix:
    """A plausible wrong fix: it fails exactly the checks ``fails`` (the requirements it
    breaks), the first of them with bug class ``bug``; ``shows`` says which interleaving or
    input shows the bug."""

    bug: str
    fails: tuple[str, ...]
    shows: str = ""


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    files: tuple[str, ...]
    bug_class: str
    hints: tuple[str, ...]
    checks: tuple[CheckInfo, ...]
    #: The checks the untouched starter fails (the first with ``bug_class``).
    fails: tuple[str, ...] = ()
    wrong: dict[str, WrongFix] = field(default_factory=dict)
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
    try:
        with path.open("rb") as f:
            return list(tomllib.load(f).get("topic", []))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None


def load(path: Path = CATALOG) -> dict[str, Topic]:
    """The topics of the catalogue at ``path``, in its order; a CatalogError names what is
    missing or wrong, and where."""
    result: dict[str, Topic] = {}
    for raw in raw_topics(path):
        try:
            topic = Topic(
                name=raw["name"], title=raw["title"], files=tuple(raw["files"]),
                bug_class=raw["bug_class"], hints=tuple(raw["hints"]),
                checks=tuple(_check(c) for c in raw["check"]),
                fails=tuple(raw["fails"]),
                wrong={name: WrongFix(w["bug"], tuple(w["fails"]), w.get("shows", ""))
                       for name, w in raw.get("wrong", {}).items()},
                alternative=dict(raw.get("alternative", {})),
                requires=tuple(raw.get("requires", ())), allow=_dotted_names(raw, path))
        except (KeyError, TypeError) as exc:
            raise CatalogError(f"{path}: topic {raw.get('name', '?')!r} lacks {exc} (or has "
                               "it in the wrong shape; see the comment at the top)") from None
        _known_bug_classes(topic, path)
        _known_checks(topic, path)
        result[topic.name] = topic
    return result


def _check(raw: dict[str, Any]) -> CheckInfo:
    return CheckInfo(raw["name"], int(raw["points"]), bool(raw.get("hidden")),
                     raw["requirement"],
                     tuple(HintRule(h["text"], h.get("bug"), tuple(h.get("needs", ())))
                           for h in raw.get("hint", ())))


def unknown_keys(raw: dict[str, Any]) -> list[str]:
    """The keys of one raw ``[[topic]]`` table (and of its checks as ``check.KEY``, their
    hints as ``check.hint.KEY``, its wrong fixes as ``wrong.KEY``) that the ``*_KEYS`` sets
    above do not name."""
    unknown = sorted(set(raw) - TOPIC_KEYS)

    def more(tables: Any, allowed: frozenset[str], prefix: str) -> None:
        for table in tables if isinstance(tables, list) else []:
            if isinstance(table, dict):
                unknown.extend(f"{prefix}.{key}" for key in sorted(set(table) - allowed)
                               if f"{prefix}.{key}" not in unknown)

    checks = raw.get("check", [])
    more(checks, CHECK_KEYS, "check")
    for c in checks if isinstance(checks, list) else []:
        if isinstance(c, dict):
            more(c.get("hint", []), HINT_KEYS, "check.hint")
    wrong = raw.get("wrong", {})
    more(list(wrong.values()) if isinstance(wrong, dict) else [], WRONG_KEYS, "wrong")
    return unknown


def _known_bug_classes(topic: Topic, path: Path) -> None:
    """Every bug class the topic promises (its starter's, each wrong fix's) is one a check
    can report; a class nobody reports is a promise the dev check could never keep."""
    promised = [("bug_class", topic.bug_class)]
    promised += [(f"wrong.{fix}", w.bug) for fix, w in topic.wrong.items()]
    promised += [(f"check.{c.name}.hint", h.bug) for c in topic.checks for h in c.hints
                 if h.bug is not None]
    for key, bug in promised:
        if bug not in WORDS:
            raise CatalogError(f"{path}: topic {topic.name!r}: {key} = {bug!r} is not a bug "
                               "class; the classes are named in graders/bugclasses.py")


def _known_checks(topic: Topic, path: Path) -> None:
    """Every check a ``fails`` list names is one of the topic's, and every check states the
    requirement it tests."""
    names = [c.name for c in topic.checks]
    listed = [("fails", topic.fails)] + [(f"wrong.{fix}.fails", w.fails)
                                         for fix, w in topic.wrong.items()]
    for key, fails in listed:
        unknown = [name for name in fails if name not in names]
        if unknown or not fails:
            what = f"names no check of the topic: {unknown}" if unknown else "is empty"
            raise CatalogError(f"{path}: topic {topic.name!r}: {key} {what}; its checks are "
                               f"{names}")
    for c in topic.checks:
        if not c.requirement.strip():
            raise CatalogError(f"{path}: topic {topic.name!r}: check {c.name!r} states no "
                               "requirement")


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
