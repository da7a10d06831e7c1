"""Where the explorer's settings come from: ini < environment < command line < marker."""

from __future__ import annotations

import pytest

SHOW = """
import pytest

{marker}
def test_show(explorer):
    s = explorer.settings()
    print("SETTINGS", s.schedules, s.seed, s.strategy, s.max_steps, explorer.real_threads)
"""


def _show(project: pytest.Pytester, marker: str = "", *args: str) -> list[str]:
    project.makepyfile(test_show=SHOW.format(marker=marker))
    result = project.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    line = next(x for x in result.stdout.lines if "SETTINGS" in x)
    return line[line.index("SETTINGS"):].split()[1:]


def _ini(project: pytest.Pytester, **values: object) -> None:
    body = "".join(f"graders_{k} = {v!r}\n".replace("'", '"') for k, v in values.items())
    project.makepyprojecttoml("[tool.pytest.ini_options]\n" + body)


def test_engine_defaults_without_any_setting(project):
    assert _show(project) == ["200", "0", "portfolio", "20000", "0"]


@pytest.mark.parametrize("layers", [
    ("ini",), ("ini", "env"), ("ini", "env", "cli"), ("ini", "env", "cli", "marker"),
    ("env", "marker"), ("cli",), ("ini", "cli"),
])
def test_precedence_ini_env_command_line_marker(project, monkeypatch, layers):
    value = {"ini": "11", "env": "22", "cli": "33", "marker": "44"}
    args: list[str] = []
    marker = ""
    if "ini" in layers:
        _ini(project, schedules=value["ini"], seed=value["ini"])
    if "env" in layers:
        monkeypatch.setenv("GRADERS_SCHEDULES", value["env"])
        monkeypatch.setenv("GRADERS_SEED", value["env"])
    if "cli" in layers:
        args = ["--schedules", value["cli"], "--seed", value["cli"]]
    if "marker" in layers:
        marker = f"@pytest.mark.explore(schedules={value['marker']}, seed={value['marker']})"
    winner = value[layers[-1]]
    assert _show(project, marker, *args)[:2] == [winner, winner]


def test_every_option_has_ini_env_and_command_line_forms(project, monkeypatch):
    _ini(project, strategy="pct", max_steps="1000", real_threads="1")
    assert _show(project) == ["200", "0", "pct", "1000", "1"]
    monkeypatch.setenv("GRADERS_STRATEGY", "random")
    monkeypatch.setenv("GRADERS_MAX_STEPS", "2000")
    monkeypatch.setenv("GRADERS_REAL_THREADS", "2")
    assert _show(project) == ["200", "0", "random", "2000", "2"]
    assert _show(project, "", "--strategy", "lockstep", "--max-steps", "3000",
                 "--real-threads", "3") == ["200", "0", "lockstep", "3000", "3"]


def test_the_closest_marker_wins(project):
    project.makepyfile(test_marks="""
        import pytest

        pytestmark = pytest.mark.explore(schedules=5, seed=9)

        @pytest.mark.explore(schedules=7)
        def test_marked(explorer):
            s = explorer.settings()
            assert (s.schedules, s.seed) == (7, 9)
        """)
    project.runpytest("--schedules", "3").assert_outcomes(passed=1)


def test_marker_passes_engine_only_settings(project):
    project.makepyfile(test_marks="""
        import pytest

        @pytest.mark.explore(starvation_bound=4, lock_order=False, pct_depth=2, shrink=False)
        def test_marked(explorer):
            s = explorer.settings()
            assert (s.starvation_bound, s.lock_order, s.pct_depth, s.shrink) == (
                4, False, 2, False)
        """)
    project.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_the_marker_is_registered_with_a_description(project):
    result = project.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.explore(schedules=, seed=, *): *"])


def test_options_are_listed_in_help(project):
    result = project.runpytest("--help")
    result.stdout.fnmatch_lines(["*--schedules=N*", "*--replay=TOKEN*",
                                 "*graders_schedules*"])


@pytest.mark.parametrize(("setup", "message"), [
    ("ini", "graders_schedules in pyproject.toml: 'abc' is not a whole number"),
    ("env", "environment variable GRADERS_SCHEDULES: 'abc' is not a whole number"),
    ("cli", "--schedules on the command line: 'abc' is not a whole number"),
    ("override", "-o graders_schedules on the command line: 'abc' is not a whole number"),
    ("strategy", "--strategy on the command line: unknown strategy 'fastest'; choose one "
                 "of portfolio, *"),
    ("replay", "--replay on the command line: 'oops' is not a schedule token*"),
])
def test_a_bad_value_names_where_it_came_from(project, monkeypatch, setup, message):
    project.makepyfile(test_any="def test_any(explorer):\n    pass\n")
    args: list[str] = []
    if setup == "ini":
        _ini(project, schedules="abc")
    elif setup == "env":
        monkeypatch.setenv("GRADERS_SCHEDULES", "abc")
    elif setup == "cli":
        args = ["--schedules", "abc"]
    elif setup == "override":
        args = ["-o", "graders_schedules=abc"]
    elif setup == "strategy":
        args = ["--strategy", "fastest"]
    elif setup == "replay":
        args = ["--replay", "oops"]
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_bad_marker_value_names_the_marker_and_test(project):
    project.makepyfile(test_marks="""
        import pytest

        @pytest.mark.explore(schedules="many")
        def test_bad_value(explorer):
            pass

        @pytest.mark.explore(speed=3)
        def test_unknown_key(explorer):
            pass
        """)
    result = project.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "@pytest.mark.explore(schedules=...) on test_marks.py::test_bad_value: "
        "'many' is not a whole number",
        "@pytest.mark.explore on test_marks.py::test_unknown_key: unknown setting 'speed'*",
    ])
    assert "Traceback" not in result.stdout.str()
