"""Replay tokens name the Python version that made them; a replay on another version, and a
replay that does not fail, each say so."""

from __future__ import annotations

import shlex

import pytest

from graders.engine import BugClass, Settings, decode
from graders.engine.tokens import PYTHON

pytestmark = pytest.mark.timeout(60)

TAG = "py" + PYTHON.replace(".", "")
FOREIGN = "py399"       # a version no test runs on: 3.99


def test_a_token_names_this_version_and_needs_no_quoting(kit):
    found = kit.explore("philosophers.py:main")
    token = found.failure.token
    assert token.startswith(f"{TAG}:")
    assert shlex.quote(token) == token
    parsed = decode(token)
    assert (parsed.python, str(parsed)) == (PYTHON, token)
    assert parsed.version_note() is None
    assert f"--replay {token}" in found.report()


@pytest.mark.parametrize(("token", "python", "schedule"), [
    ("py311:19.2-21.1-23.2", "3.11", "19.2-21.1-23.2"),
    ("py313:random.1382913032", "3.13", "random.1382913032"),
    ("py312:pct.3.200.1729", "3.12", "pct.3.200.1729"),
    ("py3100:default", "3.100", "default"),
    ("19.2-21.1-23.2", None, "19.2-21.1-23.2"),      # printed before tokens had a version
    ("lockstep.2.77", None, "lockstep.2.77"),
    ("py311:lockstep.3.77.3", "3.11", "lockstep.3.77.3"),   # with a catch-up
])
def test_tokens_with_and_without_a_version_are_read(token, python, schedule):
    parsed = decode(token)
    assert (parsed.python, parsed.schedule, str(parsed)) == (python, schedule, token)


@pytest.mark.parametrize("token", [
    f"{TAG}:", f"{TAG}:banana", f"{TAG}:random", f"{TAG}:random.x", "py:1.2", "pyx11:1.2",
    f"{TAG}:{TAG}:1.2", f"{TAG}:1.2 3.4", f"{TAG}:exhaustive.3", f"{TAG}:portfolio.3",
    f"{TAG}:pct.3.200", "python3.11:1.2", f"{TAG}:١.٢",
])
def test_a_malformed_versioned_token_is_refused(token):
    with pytest.raises(ValueError, match="not a schedule token"):
        Settings(replay=token)


def test_an_old_token_without_a_version_still_replays(kit):
    found = kit.explore("lost_update.py:main")
    old = found.failure.token.partition(":")[2]
    replayed = kit.explore("lost_update.py:main", replay=old)
    assert replayed.failure is not None
    assert replayed.failure.message == found.failure.message
    assert replayed.failure.token == found.failure.token    # a failure here is stamped here
    assert replayed.report().splitlines()[1] == (
        f"Found by replaying schedule {old} (made on an unknown Python version, replayed on "
        f"{PYTHON}).")


def test_a_token_from_another_version_is_noted_and_still_replayed(kit):
    found = kit.explore("philosophers.py:main")
    foreign = f"{FOREIGN}:{decode(found.failure.token).schedule}"
    note = decode(foreign).version_note()
    assert note == (f"Note: this schedule was made on Python 3.99 and is replayed on {PYTHON}; "
                    "schedules differ between versions, so it may not fail here.")
    replayed = kit.explore("philosophers.py:main", replay=foreign)
    assert replayed.failure is not None and replayed.failure.bug_class == BugClass.DEADLOCK
    assert replayed.report().splitlines()[1] == (
        f"Found by replaying schedule {foreign} (made on Python 3.99, replayed on {PYTHON}).")


@pytest.mark.parametrize(("token", "made", "advice"), [
    (f"{TAG}:default", f"Python {PYTHON}", "If you fixed the code, run without --replay"),
    (f"{FOREIGN}:default", "Python 3.99", "Replay it on Python 3.99, or run without --replay"),
    ("default", "an unknown Python version", "the token does not say which version made it"),
])
def test_a_replay_that_does_not_fail_says_so_and_why(kit, token, made, advice):
    result = kit.explore("check_then_act.py:fixed", replay=token)
    assert result.failure is None and result.not_reproduced
    assert result.schedules_run == 1
    report = result.report()
    assert report.startswith(
        f"This schedule did not fail here (made on {made}, replayed on {PYTHON}): ")
    assert advice in report
    assert "No failure in" not in report


def test_a_search_that_finds_nothing_is_no_failed_replay(kit):
    result = kit.explore("check_then_act.py:fixed", schedules=5)
    assert result.ok and not result.not_reproduced


def test_a_replay_that_cannot_follow_its_switches_says_why(kit):
    mine = kit.explore("check_then_act.py:fixed", replay=f"{TAG}:0.9")
    assert "Note: the code changed since this schedule was recorded" in mine.report()
    theirs = kit.explore("check_then_act.py:fixed", replay=f"{FOREIGN}:0.9")
    assert ("could not follow this schedule exactly: it was made on Python 3.99, whose "
            "bytecode differs.") in theirs.report()
