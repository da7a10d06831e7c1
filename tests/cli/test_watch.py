"""The student's loop, tried as a student would: watch mode in a real terminal (tmux), and the
progress and reset commands it leans on.

Everything runs in a temporary folder holding copies of two topics' exercise folders; the
kit's own exercises are never touched.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit_env import without_kit_settings

from graders import progress, variants
from graders.catalog import KIT, topic, topics
from graders.cli import main


def _copy_topics(tmp: Path, *names: str) -> Path:
    for name in names:
        shutil.copytree(topic(name).exercise_dir(), tmp / "exercises" / name)
    return tmp


class Terminal:
    """A tmux pane of its own server, read whole (with its scrollback)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *words: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *words], capture_output=True,
                              text=True, check=False, timeout=30)
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", "watch")

    def wait_for(self, text: str, count: int = 1, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(text) >= count:
                return screen
            time.sleep(0.5)
        raise AssertionError(f"{text!r} (x{count}) never appeared; the screen:\n"
                             f"{self.screen()[-3000:]}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed for the watch-mode test (apt install tmux)")
    term = Terminal(f"graders-watch-{tmp_path.name}")
    try:
        yield term
    finally:
        term.tmux("kill-server")


@pytest.mark.slow
def test_watch_mode_as_a_student_uses_it(tmp_path: Path, terminal: Terminal) -> None:
    folder = _copy_topics(tmp_path / "kit", "data_race", "mutex")
    env = without_kit_settings(keep=("GRADERS_RESULTS_KEY",))
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()
                       if k in ("PATH", "HOME", "LANG", "GRADERS_RESULTS_KEY"))
    command = (f"cd {shlex.quote(str(folder))} && env {exports} {shlex.quote(sys.executable)} "
               "-m graders watch data_race; echo EXITED $?; stty -a; sleep 600")
    terminal.tmux("new-session", "-d", "-s", "watch", "-x", "200", "-y", "50", command)
    shop = folder / "exercises" / "data_race" / "shop.py"

    terminal.wait_for("Save shop.py")                       # the starter fails first
    assert "FAIL no_lost_updates" in terminal.screen()
    with variants.checkout("data_race", next(
            f for f in variants.fixes(topic("data_race")) if f.kind == "wrong").path) as wrong:
        shop.write_text((wrong / "shop.py").read_text())    # a wrong fix: still failing
    terminal.wait_for("Save shop.py", count=2)
    terminal.tmux("send-keys", "-t", "watch", "h")
    terminal.wait_for("Hint 1 of")
    shop.write_text((topic("data_race").solution_dir() / "shop.py").read_text())
    screen = terminal.wait_for("On to mutex.")              # all pass: on to the next topic
    assert f"1/{len(topics())} topics done" in screen   # out of every topic in the catalogue
    terminal.wait_for("Save kitchen.py")
    terminal.tmux("send-keys", "-t", "watch", "C-c")
    screen = terminal.wait_for("EXITED 0")
    assert "Stopped watching." in screen
    settings = screen[screen.index("EXITED 0"):]
    assert " icanon" in settings and " echo" in settings     # the terminal is as it was


def test_progress_lists_every_topic_and_the_bar(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    progress.record("mutex", None)
    progress.record("deadlock", "everyone_eats")
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "mutex              done" in out
    assert "deadlock           failing check everyone_eats" in out
    assert "data_race          not started" in out
    assert out.rstrip().endswith(f"1/{len(progress.standings())} topics done")
    assert not list((tmp_path / ".graders").glob("*.tmp"))   # written whole


def test_check_records_a_full_run_on_the_exercise_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _copy_topics(tmp_path, "mutex")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "mutex"]) == 1
    (standing,) = [s for s in progress.standings() if s.topic == "mutex"]
    assert (standing.state, standing.check) == ("failing", topic("mutex").fails[0])
    shutil.copy(topic("mutex").solution_dir() / "kitchen.py", tmp_path / "exercises/mutex")
    assert main(["check", "mutex", "--only", "exact_tally"]) == 0   # a partial run: no record
    assert [s.state for s in progress.standings() if s.topic == "mutex"] == ["failing"]
    assert main(["check", "mutex"]) == 0
    assert [s.state for s in progress.standings() if s.topic == "mutex"] == ["done"]


def test_reset_restores_the_starter_and_keeps_a_backup(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if subprocess.run(["git", "-C", str(KIT), "rev-parse", "--git-dir"],
                      capture_output=True, check=False).returncode != 0:
        pytest.fail("the kit is not a git checkout here; reset needs one")
    _copy_topics(tmp_path, "mutex")
    monkeypatch.chdir(tmp_path)
    kitchen = tmp_path / "exercises" / "mutex" / "kitchen.py"
    kitchen.write_text("# my attempt\n")
    assert main(["reset", "mutex", "--from", "HEAD"]) == 0
    starter = subprocess.run(["git", "-C", str(KIT), "show", "HEAD:exercises/mutex/kitchen.py"],
                             capture_output=True, text=True, check=True).stdout
    assert kitchen.read_text() == starter
    (backup,) = (tmp_path / ".graders" / "backup").iterdir()
    assert (backup / "kitchen.py").read_text() == "# my attempt\n"
