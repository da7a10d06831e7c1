"""Finding a submission's files, the grade cell's call, course CI, and usage errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kit_env import without_kit_settings

from graders.catalog import topic
from graders.platforms import notebook
from graders.platforms.course_ci import workflow
from graders.platforms.one_submission import collect, locate

ROOT = Path(__file__).resolve().parents[2]


def graders(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = without_kit_settings(keep=("GRADERS_RESULTS_KEY",))
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("layout", ["exercises/data_race", "data_race", ".",
                                    "wrap/exercises/data_race", "a/b/data_race"])
def test_locate(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / layout
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "exercises/data_race/shop.py", folder)
    assert locate(tmp_path, topic("data_race")) == folder
    assert locate(tmp_path, topic("mutex")) is None


def test_collect_reads_only_named_files(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text("x = 1\n")
    (tmp_path / "threading.py").write_text("raise SystemExit\n")
    (tmp_path / "kitchen.py").symlink_to(ROOT / "solutions/mutex/kitchen.py")
    files = collect(tmp_path, [topic("data_race"), topic("mutex")])
    assert set(files.found) == {("data_race", "shop.py")}
    assert ("mutex", "kitchen.py") in files.problems


def test_grade_cell_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(ROOT / "exercises/deadlock/dining.py", tmp_path)
    assert notebook.check("deadlock", "everyone_eats", points=2, folder=tmp_path) == 0.0
    out, err = capsys.readouterr()
    requirement = topic("deadlock").check("everyone_eats").requirement
    assert out.startswith(f"FAIL everyone_eats (0/2)\nRequirement not met: {requirement}\n"
                          "Deadlock:")
    assert "python -m graders check deadlock --path . --only everyone_eats --replay" in out
    assert err == ""
    hidden = notebook.check("deadlock", "polite_philosophers", points=2, hidden=True,
                            folder=tmp_path)
    out, _ = capsys.readouterr()
    assert hidden == 0.0
    assert out == "Hidden check polite_philosophers did not pass: 0 of 2 points.\n"
    shutil.copy(ROOT / "solutions/deadlock/dining.py", tmp_path)
    assert notebook.check("deadlock", "everyone_eats", points=2, folder=tmp_path) == 2.0
    assert capsys.readouterr().out == "PASS everyone_eats (2/2)\n"


def test_grade_cell_stops_code_that_hangs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Code that blocks outside the engine (here at import) costs the check, not the cell."""
    (tmp_path / "shop.py").write_text("import select\nselect.select([], [], [], 600)\n")
    monkeypatch.setenv("GRADERS_CHECK_TIMEOUT", "3")
    assert notebook.check("data_race", "no_lost_updates", points=2, folder=tmp_path) == 0.0
    out = capsys.readouterr().out
    assert out.startswith("FAIL no_lost_updates (0/2)")
    assert "3 s" in out


def test_course_ci_workflow(tmp_path: Path) -> None:
    done = graders("course-ci", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / ".github" / "workflows" / "course-ci.yml").read_text()
    assert text == workflow()
    assert 'python-version: ["3.11", "3.12", "3.13"]' in text
    assert "python -m graders dev-check" in text
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(text)
    job = doc["jobs"]["dev-check"]
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    runs = [s.get("run", "") for s in job["steps"]]
    assert "python -m pip install -e '.[dev]'" in runs
    assert any(r.startswith("python -m graders dev-check") for r in runs)


@pytest.mark.parametrize("args", [
    ("gradescope", "build", "--out", "autograder.txt"),
    ("gradescope", "build", "--out", "a.zip", "--topics", "no_such_topic"),
    ("classroom", "workflow", "--out", ".", "--topics", "nope"),
    ("nbgrader", "export", "--course", "c", "--hide", "deadlock.nope", "--topics", "deadlock"),
    ("course-ci", "--out", ".", "--python", "3.9"),
    ("nbgrader",),
])
def test_usage_errors(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = graders(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "error:" in done.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_export_keeps_edited_files(tmp_path: Path) -> None:
    pytest.importorskip("nbformat")
    assert graders("nbgrader", "export", "--course", str(tmp_path), "--topics",
                   "data_race").returncode == 0
    config = tmp_path / "nbgrader_config.py"
    config.write_text(config.read_text() + "c.Execute.timeout = 500\n")
    again = graders("nbgrader", "export", "--course", str(tmp_path), "--topics", "data_race")
    assert again.returncode == 2 and "--force" in again.stderr
    assert graders("nbgrader", "export", "--course", str(tmp_path), "--topics",
                   "data_race", "--force").returncode == 0
    assert "500" not in config.read_text()
