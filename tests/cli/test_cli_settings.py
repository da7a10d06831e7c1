"""Every command refuses a bad setting in the words the pytest plugin uses for it
(graders/settings.py): the option, "on the command line", then the reason."""

from __future__ import annotations

import pytest

from graders import cli, settings

RACY = "benchmarks/programs/racy_counter.py:main"


@pytest.mark.parametrize(("args", "line"), [
    (["explore", RACY, "--schedules", "abc"],
     "graders explore: error: --schedules on the command line: 'abc' is not a whole number"),
    (["explore", RACY, "--strategy", "fastest"],
     "graders explore: error: --strategy on the command line: unknown strategy 'fastest'; "
     "choose one of portfolio, "),
    (["explore", RACY, "--real-threads-timeout", "0"],
     "graders explore: error: --real-threads-timeout on the command line: '0' is not more "
     "than 0"),
    (["check", "mutex", "--seed", "-1"],
     "graders check: error: --seed on the command line: '-1' is less than 0"),
    (["hint", "mutex", "--level", "x"],
     "graders hint: error: --level on the command line: 'x' is not a whole number"),
    (["dev-check", "--jobs", "0"],
     "graders dev-check: error: --jobs on the command line: '0' is less than 1"),
    (["grade", "examples/class", "--timeout", "soon"],
     "graders grade: error: --timeout on the command line: 'soon' is not a number of seconds"),
])
def test_a_bad_value_is_one_line_naming_the_option(capsys, args, line):
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(line) and captured.err.count("\n") == 1


def test_the_words_are_the_plugins():
    with pytest.raises(settings.SettingError) as caught:
        settings.parse("schedules", "abc", settings.environment("schedules"))
    assert str(caught.value) == ("environment variable GRADERS_SCHEDULES: 'abc' is not a "
                                 "whole number")
    assert settings.ini("seed", "tox.ini") == "graders_seed in tox.ini"
    assert settings.ini("seed", None) == "-o graders_seed on the command line"
    assert settings.marker("seed", "t.py::test") == "@pytest.mark.explore(seed=...) on t.py::test"
