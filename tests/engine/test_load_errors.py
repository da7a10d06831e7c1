"""Code that cannot be loaded raises LoadError with one clear line, never a verdict."""

from __future__ import annotations

import pytest

from graders.engine import LoadError, Settings, explore, explore_target

pytestmark = pytest.mark.timeout(60)


def load_error(call) -> str:
    with pytest.raises(LoadError) as info:
        call()
    message = str(info.value)
    assert message and "\n" not in message, repr(message)
    return message


def test_missing_file(kit, tmp_path):
    missing = tmp_path / "nowhere.py"
    message = load_error(lambda: explore_target(f"{missing}:main", Settings(schedules=1)))
    assert message == f"{missing}: file not found"


def test_missing_file_through_explore(tmp_path):
    missing = tmp_path / "gone.py"
    message = load_error(lambda: explore(lambda m: None, [missing], Settings(schedules=1)))
    assert "gone.py" in message and "file not found" in message


SYNTAX_ERROR = """\
import threading


def main():
    threading.Thread(target=print).start()
    if True
        pass
"""


def test_syntax_error_names_file_and_line(tmp_path):
    # Written here rather than kept in programs/: linters would stumble over it.
    broken = tmp_path / "broken.py"
    broken.write_text(SYNTAX_ERROR)
    message = load_error(lambda: explore_target(f"{broken}:main", Settings(schedules=1)))
    assert message.startswith(f"{broken}, line 6: ")
    assert message.endswith("(SyntaxError)")


def test_missing_function(kit):
    message = load_error(lambda: kit.explore("lost_update.py:does_not_exist"))
    assert message.endswith("lost_update.py: no function named 'does_not_exist'")


def test_name_that_is_not_a_function(kit):
    message = load_error(lambda: kit.explore("not_callable.py:main"))
    assert message.endswith("not_callable.py: 'main' is not a function")


def test_module_that_raises_at_import(kit):
    message = load_error(lambda: kit.explore("raises_at_import.py:main"))
    assert "raises_at_import.py, line 9, while importing: KeyError: 'wrokers'" in message


@pytest.mark.parametrize("spec", ["no_colon_here.py", ":main", "file.py:", "file.py:not-a-name"])
def test_malformed_target(spec):
    message = load_error(lambda: explore_target(spec, Settings(schedules=1)))
    assert spec in message


@pytest.mark.parametrize("target", ["lost_update.py:does_not_exist", "raises_at_import.py:main"])
def test_replaying_code_that_cannot_load_raises_too(kit, target):
    """A replay runs one schedule, but the code still has to load: same LoadError."""
    load_error(lambda: kit.explore(target, replay="default"))
    load_error(lambda: kit.explore(target, replay="random.12"))


def test_a_remembered_schedule_does_not_hide_a_load_error(kit):
    load_error(lambda: kit.explore("lost_update.py:does_not_exist", first="3.1"))


def test_file_named_like_a_stdlib_module(tmp_path):
    shadow = tmp_path / "queue.py"
    shadow.write_text("def main():\n    pass\n")
    message = load_error(lambda: explore_target(f"{shadow}:main", Settings(schedules=1)))
    assert "hides the standard library module 'queue'" in message


def test_the_engine_still_works_after_load_errors(kit, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text(SYNTAX_ERROR)
    with pytest.raises(LoadError):
        explore_target(f"{broken}:main", Settings(schedules=1))
    with pytest.raises(LoadError):
        kit.explore("raises_at_import.py:main", schedules=1)
    result = kit.explore("check_then_act.py:fixed", schedules=10)
    assert result.ok, result.report()
