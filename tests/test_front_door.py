"""The README's quick-start lines, as ``.ci/front_door.py`` (and so ``.ci/run``) reads and
judges them: CI runs exactly what a newcomer copies, in a shell with no venv activated."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_front_door() -> ModuleType:
    spec = importlib.util.spec_from_file_location("front_door", ROOT / ".ci" / "front_door.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


front_door = load_front_door()


def test_the_readme_has_the_two_lines_ci_runs() -> None:
    first, second = front_door.quick_start_lines(ROOT / "README.md")
    assert first.endswith("pytest exercises/data_race")
    assert "'.[dev,nbgrader]'" in second and "pytest" in second
    assert "activate" not in first + second
    assert "front_door.py --line 2" in (ROOT / ".ci" / "run").read_text()


def test_a_newcomer_has_no_virtual_environment(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.setenv("PATH", os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"]))
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    monkeypatch.setenv("GRADERS_SCHEDULES", "3")
    env = front_door.newcomer_env(None, tmp_path / "shims")
    assert env["PATH"].split(os.pathsep) == ["/usr/bin", "/bin"]
    assert "VIRTUAL_ENV" not in env and "GRADERS_SCHEDULES" not in env

    other = tmp_path / "pythons"
    other.mkdir()
    (other / "python3.99").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", os.pathsep.join([str(other), "/bin"]))
    env = front_door.newcomer_env("python3.99", tmp_path / "shims")
    first = Path(env["PATH"].split(os.pathsep)[0])
    assert (first / "python3").resolve() == Path(sys.executable).resolve()


def test_line_one_must_fail_a_check_and_line_two_must_pass() -> None:
    failing = "FAILED exercises/data_race/test_data_race.py::test_no_lost_updates - ...\n"
    assert front_door.verdict(1, 1, failing) is None
    assert front_door.verdict(1, 0, "1 passed") is not None       # the starter must fail
    assert front_door.verdict(1, 1, "pip: error\n") is not None   # a crash is not a check
    assert front_door.verdict(2, 0, "") is None
    assert front_door.verdict(2, 5, "no tests ran") is not None
