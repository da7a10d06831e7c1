"""One name for each thing: bug classes, and the checks a topic names in three places.

Bug classes are named once (graders/bugclasses.py): the engine's own are repeated there
under the same names, topics.toml may promise no other, and no check may report another.
A topic's checks are named in topics.toml, graders/checks/<topic>.py and
exercises/<topic>/test_<topic>.py; the dev check names each disagreement, and each key of
topics.toml that nothing reads. The broken catalogues here are small files in tmp_path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders import checking, consistency
from graders.bugclasses import Bug
from graders.catalog import (
    CatalogError,
    CheckInfo,
    HintRule,
    Topic,
    WrongFix,
    load,
    raw_topics,
    topics,
)
from graders.checks.support import verdict
from graders.engine import BugClass

TOPIC = """
[[topic]]
name = "demo"
title = "Demo"
files = ["demo.py"]
bug_class = "{bug_class}"
fails = ["first"]
hints = ["a nudge"]
{extra}

  [[topic.check]]
  name = "first"
  points = 1
  requirement = "The first thing holds."
  {check_extra}

  [topic.wrong.no_lock]
  bug = "{wrong}"
  fails = ["first"]
"""


def _catalogue(tmp_path: Path, bug_class: str = "lost update", wrong: str = "lost update",
               extra: str = "", check_extra: str = "") -> Path:
    path = tmp_path / "topics.toml"
    path.write_text(TOPIC.format(bug_class=bug_class, wrong=wrong, extra=extra,
                                 check_extra=check_extra))
    return path


def test_the_engines_bug_classes_have_the_same_names_here() -> None:
    assert {b.name: b.value for b in BugClass} == {b.name: Bug[b.name].value for b in BugClass}
    assert BugClass.LOAD_ERROR == Bug.LOAD_ERROR == "load error"


@pytest.mark.parametrize("name", list(topics()))
def test_each_topic_names_its_checks_alike_everywhere(name: str) -> None:
    assert consistency.problems(topics()[name]) == []


@pytest.mark.parametrize(("where", "given"), [
    ("bug_class", {"bug_class": "lost updates"}),
    ("wrong.no_lock", {"wrong": "Deadlock"}),
])
def test_a_catalogue_promising_an_unknown_bug_class_is_refused(tmp_path: Path, where: str,
                                                               given: dict[str, str]) -> None:
    path = _catalogue(tmp_path, **given)
    with pytest.raises(CatalogError) as caught:
        load(path)
    (word,) = given.values()
    assert str(caught.value) == (f"{path}: topic 'demo': {where} = {word!r} is not a bug "
                                 "class; the classes are named in graders/bugclasses.py")


def test_a_catalogue_with_known_classes_loads(tmp_path: Path) -> None:
    demo = load(_catalogue(tmp_path))["demo"]
    assert (demo.bug_class, demo.wrong) == (
        "lost update", {"no_lock": WrongFix("lost update", ("first",))})


@pytest.mark.parametrize(("edit", "message"), [
    (('requirement = "The first thing holds."', ""), "lacks 'requirement'"),
    (('requirement = "The first thing holds."', 'requirement = " "'),
     "check 'first' states no requirement"),
    (('fails = ["first"]\nhints', 'fails = ["second"]\nhints'),
     "fails names no check of the topic: ['second']"),
    (('  fails = ["first"]\n"', '  fails = []\n"'), "wrong.no_lock.fails is empty"),
])
def test_a_check_without_its_requirement_or_an_unknown_failing_check_is_refused(
        tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = _catalogue(tmp_path)
    text = path.read_text() + '"'
    path.write_text(text.replace(*edit)[:-1])
    with pytest.raises(CatalogError, match=re.escape(message)):
        load(path)


def test_unknown_keys_are_named_with_their_topic(tmp_path: Path) -> None:
    path = _catalogue(tmp_path, extra='hint = ["misspelt"]',
                      check_extra='hiden = true\n    [[topic.check.hint]]\n    text = "t"\n'
                                  '    neds = ["x"]')
    path.write_text(path.read_text() + 'show = "misspelt"\n')
    (raw,) = raw_topics(path)
    found = consistency.key_problems("demo", raw, path)
    assert [line.split(" (")[0] for line in found] == [
        f"{path}: topic demo: unknown key 'hint'",
        f"{path}: topic demo: unknown key 'check.hiden'",
        f"{path}: topic demo: unknown key 'check.hint.neds'",
        f"{path}: topic demo: unknown key 'wrong.show'"]
    assert load(path)["demo"].checks == (   # loading still works
        CheckInfo("first", 1, requirement="The first thing holds.", hints=(HintRule("t"),)),)


def test_every_disagreement_about_check_names_is_named(tmp_path: Path) -> None:
    demo = Topic("demo", "Demo", ("demo.py",), "lost update", ("a nudge",),
                 (CheckInfo("both", 1), CheckInfo("unregistered", 1),
                  CheckInfo("uncalled", 1), CheckInfo("secret", 1, hidden=True)))
    module = tmp_path / "demo.py"
    test_file = tmp_path / "test_demo.py"
    test_file.write_text(
        "def test_one(explorer):\n"
        "    explorer.check('demo', 'both', HERE)\n"
        "    explorer.check('demo', 'unregistered', HERE)\n"
        "    explorer.check('demo', 'secret', HERE)\n"
        "    explorer.check('demo', 'unlisted', HERE)\n"
        "    explorer.check('other', 'both', HERE)\n"
        "    explorer.check(TOPIC, 'both', HERE)\n")
    found = consistency.name_problems(demo, ["both", "uncalled", "secret", "extra"], module,
                                      test_file)
    assert found == [
        f"demo: check 'unregistered' is listed in topics.toml but {module} registers no "
        "function of that name",
        f"demo: check 'extra' is registered in {module} but not listed in topics.toml",
        f"demo: check 'uncalled' is listed in topics.toml but {test_file} never calls it",
        f"demo: {test_file}, line 4 calls check 'secret', which topics.toml marks hidden: "
        "students read this file",
        f"demo: {test_file}, line 5 calls check 'unlisted', which topics.toml does not list",
        f"demo: {test_file}, line 6 calls check 'both' of topic 'other', not of demo",
        f"demo: {test_file}, line 7: explorer.check must name its topic and check as plain "
        "strings, so the dev check can compare them",
    ]


def test_the_dev_check_command_fails_on_a_name_problem(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    from graders import devcheck
    from graders.cli import main

    monkeypatch.setattr(consistency, "problems",
                        lambda t: [f"{t.name}: check 'x' is listed in topics.toml but ..."])
    monkeypatch.setattr(devcheck, "run", lambda names, jobs=1: iter(()))
    assert main(["dev-check", "mutex", "--jobs", "1"]) == 1
    assert "NAMES  mutex: check 'x' is listed in topics.toml but ..." in capsys.readouterr().out


def test_a_check_reporting_an_unnamed_bug_class_is_a_kit_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(checking, "checks_of", lambda topic: {
        "exact_tally": lambda folder, settings: verdict(settings, "lost updates", "Lost.")})
    with pytest.raises(ValueError, match=re.escape("check mutex.exact_tally reported the "
                                                   "bug class 'lost updates'")):
        checking.run_check("mutex", "exact_tally", tmp_path)


def test_a_load_error_has_one_spelling_and_no_hint_about_the_exercise(tmp_path: Path) -> None:
    outcome = checking.run_check("mutex", "exact_tally", tmp_path)
    assert outcome.bug_class == Bug.LOAD_ERROR == "load error"
    assert outcome.hint is None
    assert outcome.message() == outcome.report()
    assert outcome.report().endswith("file not found. The check expects the exercise's "
                                     "kitchen.py here (restore it from the kit if it was "
                                     "deleted or renamed).")
