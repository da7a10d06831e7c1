"""The requirements table: READMEs written from it, failures headed by it, hints chosen by it.

Each check of topics.toml states its requirement; a README's list of requirements is written
from those statements, a failure's report starts with the one it broke, and its hint is the
one written for that check and bug class whose code the student's file really has.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders import devcheck, hints, requirements
from graders.catalog import CheckInfo, HintRule, topic, topics
from graders.checking import run_check


def test_every_readme_and_the_docs_table_are_in_step_with_the_catalogue() -> None:
    assert requirements.stale() == []


@pytest.mark.parametrize("name", list(topics()))
def test_every_readme_states_every_shown_requirement(name: str) -> None:
    t = topic(name)
    text = (t.exercise_dir() / "README.md").read_text()
    for c in t.checks:
        assert (f"- `{c.name}`: {c.requirement}" in text) is not c.hidden


def test_a_readme_without_its_list_is_a_layout_problem(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    t = topic("mutex")
    folder = tmp_path / "mutex"
    shutil.copytree(t.exercise_dir(), folder)
    readme = folder / "README.md"
    text = readme.read_text()
    monkeypatch.setattr(type(t), "exercise_dir", lambda self: folder)
    readme.write_text(text.replace(t.check("exact_tally").requirement, "Something else."))
    assert any("out of step with topics.toml" in p for p in devcheck.layout_problems(t))
    readme.write_text(text.replace(requirements.BEGIN, ""))
    assert any("has no list of requirements" in p for p in devcheck.layout_problems(t))


def test_the_first_line_of_a_failure_names_the_requirement_it_broke() -> None:
    t = topic("mutex")
    outcome = run_check("mutex", t.fails[0], t.exercise_dir())
    assert not outcome.passed
    first = outcome.message().splitlines()[0]
    assert first == f"Requirement not met: {t.check(t.fails[0]).requirement}"


RULES = CheckInfo("c", 1, requirement="r", hints=(
    HintRule("about the with line", bug="lost update", needs=("with self.lock:",)),
    HintRule("about lost updates", bug="lost update"),
    HintRule("any other failure"),
))


@pytest.mark.parametrize(("bug", "source", "shown"), [
    ("lost update", "    with self.lock:\n        self.n += 1\n", "about the with line"),
    ("lost update", "    self.lock.acquire()\n", "about lost updates"),
    ("deadlock", "    with self.lock:\n", "any other failure"),
])
def test_a_hint_is_chosen_by_bug_class_and_by_the_code_it_mentions(bug: str, source: str,
                                                                   shown: str) -> None:
    rule = hints.rule_for(RULES, bug, [source])
    assert rule is not None and rule.text == shown


def test_no_hint_fits_when_every_rule_names_another_class() -> None:
    only = CheckInfo("c", 1, requirement="r", hints=(HintRule("x", bug="deadlock"),))
    assert hints.rule_for(only, "lost update", [""]) is None


def test_a_case_failing_other_checks_than_listed_is_refused() -> None:
    t = topic("mutex")
    others = tuple(c.name for c in t.checks if c.name not in t.fails)
    case = devcheck.Case("mutex", "starter", t.exercise_dir(), t.bug_class, others)
    result = devcheck.verify(case)
    assert not result.ok
    assert result.got.startswith(f"{t.bug_class}: {', '.join(t.fails)}")


def test_the_starter_behaves_as_listed_with_a_fitting_hint_for_each_failure() -> None:
    t = topic("mutex")
    result = devcheck.verify(next(devcheck.cases(t)))
    assert result.ok, result.got
    assert all(o.hint is not None for o in result.outcomes if not o.passed)


def test_the_front_doors_table_of_topics_is_the_catalogues() -> None:
    import re

    from graders.catalog import KIT

    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| .*? \| (\d+) \|$", (KIT / "README.md").read_text(),
                      re.M)
    assert [(int(n), name, int(points)) for n, name, points in rows] == [
        (i, t.name, t.points) for i, t in enumerate(topics().values(), 1)]
