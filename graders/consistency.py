"""The dev check's comparison of the three places that name a topic's checks.

A check is listed in ``graders/topics.toml`` (its points), registered as a function in
``graders/checks/<topic>.py`` (what it does) and called in ``exercises/<topic>/test_<topic>.py``
(how a student runs it). Nothing at run time compares them: a check missing from the test
file is simply never run by students, one missing from the catalogue never graded, and a
misspelt key in ``topics.toml`` is silently ignored. So the dev check does, and names the
topic, the check (or key) and the place it is missing from.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import CATALOG, CHECK_KEYS, KIT, TOPIC_KEYS, Topic, raw_topics, unknown_keys
from graders.checks import checks_of


@dataclass(frozen=True)
class Call:
    """One ``explorer.check("TOPIC", "CHECK", ...)`` in a test file."""

    topic: str | None      # None: not given as a string literal
    check: str | None
    line: int


def problems(t: Topic) -> list[str]:
    """Everything about topic ``t`` on which its three places disagree, as lines to print."""
    raw = next((r for r in raw_topics(CATALOG) if r.get("name") == t.name), {})
    module = KIT / "graders" / "checks" / f"{t.name}.py"
    found = key_problems(t.name, raw, CATALOG)
    if not module.is_file():
        return [*found, f"{_shown(module)} is missing: it registers the checks of {t.name}"]
    test_file = t.exercise_dir() / f"test_{t.name}.py"
    return found + name_problems(t, checks_of(t.name), module, test_file)


def key_problems(name: str, raw: dict[str, object], catalog: Path) -> list[str]:
    """The keys of topic ``name``'s raw table that :mod:`graders.catalog` does not read."""
    return [f"{_shown(catalog)}: topic {name}: unknown key {key!r} (a topic's keys are "
            f"{', '.join(sorted(TOPIC_KEYS))}; a check's {', '.join(sorted(CHECK_KEYS))})"
            for key in unknown_keys(raw)]


def name_problems(t: Topic, registered: Iterable[str], module: Path,
                  test_file: Path) -> list[str]:
    """Where the checks of ``t`` in the catalogue, the functions ``module`` registers and the
    calls in ``test_file`` disagree. A hidden check belongs in the first two only: a student
    reads the test file. A missing test file is left to the layout check."""
    listed = {c.name: c for c in t.checks}
    functions = set(registered)
    found = []
    for name in listed:
        if name not in functions:
            found.append(f"{t.name}: check {name!r} is listed in topics.toml but "
                         f"{_shown(module)} registers no function of that name")
    for name in sorted(functions - set(listed)):
        found.append(f"{t.name}: check {name!r} is registered in {_shown(module)} but not "
                     "listed in topics.toml")
    if not test_file.is_file():
        return found
    calls = check_calls(test_file)
    called = {c.check for c in calls}
    for name, info in listed.items():
        if not info.hidden and name not in called:
            found.append(f"{t.name}: check {name!r} is listed in topics.toml but "
                         f"{_shown(test_file)} never calls it")
    for call in calls:
        where = f"{_shown(test_file)}, line {call.line}"
        if call.topic is None or call.check is None:
            found.append(f"{t.name}: {where}: explorer.check must name its topic and check "
                         "as plain strings, so the dev check can compare them")
        elif call.topic != t.name:
            found.append(f"{t.name}: {where} calls check {call.check!r} of topic "
                         f"{call.topic!r}, not of {t.name}")
        elif call.check not in listed:
            found.append(f"{t.name}: {where} calls check {call.check!r}, which topics.toml "
                         "does not list")
        elif listed[call.check].hidden:
            found.append(f"{t.name}: {where} calls check {call.check!r}, which topics.toml "
                         "marks hidden: students read this file")
    return found


def check_calls(test_file: Path) -> list[Call]:
    """Every ``<anything>.check(TOPIC, CHECK, ...)`` call in ``test_file``, in order."""
    calls = []
    for node in ast.walk(ast.parse(test_file.read_text(), str(test_file))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "check"):
            named = {k.arg: k.value for k in node.keywords}
            given = [*node.args[:2], None, None]
            calls.append(Call(_text(given[0] or named.get("topic")),
                              _text(given[1] or named.get("check")), node.lineno))
    return sorted(calls, key=lambda c: c.line)


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
        else None


def _shown(path: Path) -> str:
    """``path`` relative to the kit when it is inside it (as the instructor types it)."""
    try:
        return str(path.relative_to(KIT))
    except ValueError:
        return str(path)
