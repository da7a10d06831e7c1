"""``python -m graders explore``: exit codes, the report, replay, one-line errors."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders import cli

ROOT = Path(__file__).resolve().parents[2]

RACY = "benchmarks/programs/racy_counter.py:main"


def replay_line(stdout: str) -> str:
    lines = stdout.splitlines()
    return lines[lines.index("Replay:") + 1].strip()


def test_no_failure_exits_0_with_one_summary_line(graders, own_programs):
    done = graders("explore", f"{own_programs}/safe_counter.py:main", "--schedules", "25")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"No failure in 25 schedules, seed 0, Python {sys.version_info[0]}.{sys.version_info[1]}."]
    assert done.stderr == ""


def test_failure_exits_1_with_report_and_exact_replay_command(graders):
    done = graders("explore", RACY, "--schedules", "50", "--seed", "0")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("An assertion in your code failed: assert count == 6 "
                                  "(racy_counter.py, line 20): Lost update")
    assert "Interleaving" in done.stdout
    assert "bug class: assertion" in done.stdout.splitlines()
    words = shlex.split(replay_line(done.stdout))
    assert words[:4] == ["python", "-m", "graders", "explore"]
    assert words[4:6] == [RACY, "--replay"]
    assert len(words) == 7
    assert "\x1b[" not in done.stdout        # plain text when stdout is not a terminal


def test_printed_replay_command_reproduces_the_same_bug(graders):
    first = graders("explore", RACY, "--schedules", "50")
    assert first.returncode == 1
    command = shlex.split(replay_line(first.stdout))
    assert command[:3] == ["python", "-m", "graders"]
    again = graders(*command[3:])
    assert again.returncode == 1, again.stderr
    token = command[-1]
    assert f"Found by replaying schedule {token}" in again.stdout
    assert again.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    assert "bug class: assertion" in again.stdout.splitlines()
    # and the replay's own replay line is the same command
    assert shlex.split(replay_line(again.stdout)) == command


def test_a_replay_that_does_not_fail_exits_1_and_says_why(graders, own_programs):
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    safe = f"{own_programs}/safe_counter.py:main"
    foreign = graders("explore", safe, "--replay", "py399:default")
    assert foreign.returncode == 1, foreign.stderr
    lines = foreign.stdout.splitlines()
    assert lines[0] == (f"Note: this schedule was made on Python 3.99 and is replayed on "
                        f"{here}; schedules differ between versions, so it may not fail here.")
    assert lines[1].startswith(f"This schedule did not fail here (made on Python 3.99, "
                               f"replayed on {here}): ")
    old = graders("explore", safe, "--replay", "default")
    assert old.returncode == 1, old.stderr
    assert old.stdout.startswith("This schedule did not fail here (made on an unknown Python "
                                 f"version, replayed on {here}): ")


def test_strategy_and_seed_are_passed_through(graders):
    # on one core's schedule (no switch unless a thread blocks) the race never shows
    calm = graders("explore", RACY, "--strategy", "sequential", "--schedules", "7",
                   "--seed", "3")
    assert calm.returncode == 0, calm.stderr
    assert calm.stdout.startswith("No failure in 7 schedules, seed 3,")
    found = graders("explore", RACY, "--strategy", "random", "--schedules", "100")
    assert found.returncode == 1, found.stderr
    assert "(strategy random," in found.stdout


def test_max_steps_given_is_part_of_the_replay_command(graders):
    done = graders("explore", RACY, "--schedules", "50", "--max-steps", "9000")
    assert done.returncode == 1
    assert shlex.split(replay_line(done.stdout))[4:7] == [RACY, "--max-steps", "9000"]


def _syntax_error(tmp_path: Path) -> str:
    bad = tmp_path / "broken.py"
    bad.write_text("def main(:\n    pass\n")
    return f"{bad}:main"


@pytest.mark.parametrize(("args", "expected"), [
    (["explore", "benchmarks/programs/no_such_file.py:main"], "file not found"),
    (["explore", "SYNTAX"], "SyntaxError"),
    (["explore", "benchmarks/programs/racy_counter.py:nope"], "no function named 'nope'"),
    (["explore", "tests/cli/programs/safe_counter.py:not_a_function"], "is not a function"),
    (["explore", "benchmarks/programs/racy_counter.py"], "expected PATH/TO/FILE.py:FUNCTION"),
    (["explore", RACY, "--replay", "not-a-token"], "is not a schedule token"),
    (["explore", "benchmarks/programs/racy_counter.py:nope", "--replay", "1.1"],
     "no function named 'nope'"),
    (["explore", RACY, "--schedules", "abc"], "'abc' is not a whole number"),
    (["explore", RACY, "--schedules", "0"], "'0' is less than 1"),
    (["explore", RACY, "--strategy", "fastest"], "unknown strategy 'fastest'"),
    (["explore"], "required: FILE.py:FUNCTION"),
    ([], "choose a command"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_usage_and_load_errors_exit_2_with_one_line(graders, tmp_path, args, expected):
    args = [_syntax_error(tmp_path) if a == "SYNTAX" else a for a in args]
    done = graders(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("graders")
    assert " error: " in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in done.stderr


def test_ctrl_c_exits_130_with_one_line(own_programs, tmp_path):
    started = tmp_path / "started"
    # (faulthandler: a child that does not end is made to show where each thread stood)
    env = {**os.environ, "NO_COLOR": "1", "GRADERS_TEST_STARTED": str(started),
           "PYTHONFAULTHANDLER": "1"}
    # A runner started in the background by a shell without job control (`... &` in a
    # script) ignores SIGINT, and an ignored signal stays ignored across exec: the child
    # would never see this Ctrl-C. Give it the disposition a terminal's command has.
    child = subprocess.Popen(
        [sys.executable, "-m", "graders", "explore", f"{own_programs}/busy.py:main",
         "--schedules", "1000000"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the exploration did not start"
        child.send_signal(signal.SIGINT)
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGABRT)
            _, err = child.communicate(timeout=30)
            pytest.fail(f"still running 60 s after Ctrl-C; where it stood:\n{err[-8000:]}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130
    assert err.splitlines() == ["graders explore: interrupted."]
    assert out == ""


def test_every_registered_command_has_the_module_interface():
    for name in cli.COMMANDS:
        module = cli.load(name)
        assert isinstance(module.HELP, str) and module.HELP
        assert callable(module.add_arguments)
        assert callable(module.run)


def test_main_in_process_returns_the_exit_code(capsys):
    assert cli.main(["explore", RACY, "--schedules", "0"]) == 2
    assert "'0' is less than 1" in capsys.readouterr().err


def test_an_async_target_runs_on_the_controlled_loop_and_replays(graders):
    target = "tests/engine/programs/aio_programs.py:oversold"
    first = graders("explore", target, "--schedules", "50")
    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines()[0] == "sold 2 of 1 item"
    assert "Task-3 (buy_later)" in first.stdout
    command = shlex.split(replay_line(first.stdout))
    again = graders(*command[3:])
    assert again.returncode == 1, again.stderr
    assert again.stdout.splitlines()[0] == "sold 2 of 1 item"
