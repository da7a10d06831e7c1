"""The ``explorer`` fixture: failure reports, replay, load errors, memory, real threads."""

from __future__ import annotations

import json
import re

import pytest

RACY_TEST = """
def test_counter(explorer):
    explorer.explore_target("racy_counter.py:main")
"""


def _token(output: str) -> str:
    found = re.search(r"^    pytest '([^']+)' --replay (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(2)


def _cached(pytester: pytest.Pytester) -> dict[str, str]:
    path = pytester.path / ".pytest_cache" / "v" / "graders" / "last-failure"
    return json.loads(path.read_text()) if path.exists() else {}


def test_failure_shows_the_report_and_replay_line_and_no_traceback(project):
    project.makepyfile(test_race=RACY_TEST)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*_ test_counter _*",
        "An assertion in your code failed: assert count == 6 (racy_counter.py, line 20): "
        "Lost update: expected 6 items, counted *",
        "Found on schedule * of 200 (strategy *, seed *, Python *).",
        "Replay:",
        "    pytest 'test_race.py::test_counter' --replay *",
    ])
    result.stdout.fnmatch_lines(["bug class: assertion"])
    out = result.stdout.str()
    assert "Traceback (most recent call last)" not in out
    assert "explorer.explore_target(" not in out      # no pytest traceback of the test
    assert "During handling" not in out


def test_the_replay_line_reproduces_the_failure(project):
    project.makepyfile(test_race=RACY_TEST)
    token = _token(project.runpytest().stdout.str())
    result = project.runpytest("test_race.py::test_counter", "--replay", token)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"Found by replaying schedule {token} (Python *)."])
    assert _token(result.stdout.str()) == token


def test_replay_applies_to_the_selected_tests_of_that_session_only(project):
    project.makepyfile(test_two="""
        def test_safe(explorer):
            print("SAFE RAN", explorer.explore_target("safe_counter.py:main").schedules_run)

        def test_racy(explorer):
            print("RACY RAN", explorer.explore_target("racy_counter.py:main").schedules_run)
        """)
    # 'default' is the schedule without any switch: neither program fails on it, and a
    # replay that shows no failure fails its test, saying so
    replayed = project.runpytest("-s", "--replay", "default")
    replayed.assert_outcomes(failed=2)
    did_not_fail = ("This schedule did not fail here (made on an unknown Python version, "
                    "replayed on *")
    replayed.stdout.fnmatch_lines(["*_ test_safe _*", did_not_fail,
                                   "*_ test_racy _*", did_not_fail])
    one = project.runpytest("-s", "test_two.py::test_safe", "--replay", "default")
    one.assert_outcomes(failed=1)
    assert "test_racy" not in one.stdout.str()
    # the next session explores again
    later = project.runpytest("-s", "test_two.py::test_safe", "--schedules", "9")
    later.assert_outcomes(passed=1)
    later.stdout.fnmatch_lines(["*SAFE RAN 9*"])


def test_a_token_from_another_python_is_noted_before_the_tests_run(project):
    project.makepyfile(test_race=RACY_TEST)
    result = project.runpytest("--replay", "py399:default")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "Note: this schedule was made on Python 3.99 and is replayed on *",
        "*This schedule did not fail here (made on Python 3.99, replayed on *): schedules "
        "differ between Python versions. Replay it on Python 3.99*"])


def test_a_load_error_is_one_clear_line(project):
    project.makepyfile(test_load="""
        def test_missing_function(explorer):
            explorer.explore_target("racy_counter.py:no_such_function")

        def test_missing_file(explorer):
            explorer.explore_target("no_such_file.py:main")
        """)
    result = project.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_missing_function _*",
        "racy_counter.py: no function named 'no_such_function'",
        "*_ test_missing_file _*",
        "*no_such_file.py: file not found",
    ])
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def test_explore_with_an_entry_and_files(project):
    project.makepyfile(test_entry="""
        def scenario(counter):
            counter.main()

        def test_scenario(explorer):
            explorer.explore(scenario, ["racy_counter.py"])
        """)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["An assertion in your code failed: assert count == 6 "
                                 "(racy_counter.py, line 20): Lost update*",
                                 "    pytest 'test_entry.py::test_scenario' --replay *"])


def test_the_last_failure_is_tried_first_and_forgotten_after_a_pass(project):
    project.makepyfile(test_race=RACY_TEST)
    first = project.runpytest()
    first.assert_outcomes(failed=1)
    token = _token(first.stdout.str())
    assert _cached(project) == {"test_race.py::test_counter": token}

    second = project.runpytest()
    second.assert_outcomes(failed=1)
    second.stdout.fnmatch_lines([
        f"Found by replaying schedule {token} (Python *).",
        "(This is the schedule that failed last time; it was tried first.)",
    ])

    # the student fixes the bug: the test passes and the memory is cleared
    (project.path / "racy_counter.py").write_text(
        (project.path / "safe_counter.py").read_text())
    third = project.runpytest()
    third.assert_outcomes(passed=1)
    assert _cached(project) == {}


def test_no_cache_provider_is_fine(project):
    project.makepyfile(test_race=RACY_TEST)
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_real_threads_are_reported_beside_the_verdict(project):
    project.makepyfile(test_real="""
        def test_safe(explorer):
            explorer.explore_target("safe_counter.py:main")
        """)
    result = project.runpytest("--real-threads", "2", "--schedules", "3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*graders: real threads*",
        "test_real.py::test_safe: real threads: no failure in 2 runs*",
    ])


def test_real_threads_text_joins_a_failure_report(project):
    project.makepyfile(test_race=RACY_TEST)
    result = project.runpytest("--real-threads", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["bug class: assertion", "real threads: *"])


def test_plugin_entry_point_is_registered():
    from importlib.metadata import entry_points

    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("graders") == "graders.pytest_plugin"


WALLET = """
import asyncio


class Wallet:
    def __init__(self):
        self.balance = 0


async def pay_in(wallet, amount):
    seen = wallet.balance
    await asyncio.sleep(0)
    wallet.balance = seen + amount
"""

ASYNC_TEST = """
from graders.engine import fail


def test_pay_in(explorer):
    async def scenario(wallet_module):
        import asyncio
        wallet = wallet_module.Wallet()
        await asyncio.gather(wallet_module.pay_in(wallet, 2), wallet_module.pay_in(wallet, 3))
        if wallet.balance != 5:
            fail("lost update", f"expected 5, found {wallet.balance}")

    explorer.explore(scenario, ["wallet.py"])


def test_coroutine_target(explorer):
    explorer.explore_target("wallet.py:main")
"""


def test_an_async_scenario_of_a_students_coroutines_fails_and_replays(project):
    project.makepyfile(wallet=WALLET + """

async def main():
    await pay_in(Wallet(), 1)
""", test_wallet=ASYNC_TEST)
    result = project.runpytest()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["expected 5, found *", "Replay:"])
    token = _token(result.stdout.str())
    again = project.runpytest("test_wallet.py::test_pay_in", "--replay", token)
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["expected 5, found *"])
