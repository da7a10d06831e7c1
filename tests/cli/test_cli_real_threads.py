"""Real threads as a second signal: ``--real-threads N`` and ``run_real_threads``."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.engine import LoadError
from graders.engine.realthreads import run_real_threads

HERE = Path(__file__).resolve().parent / "programs"


def test_real_threads_line_beside_a_passing_verdict(graders, own_programs):
    done = graders("explore", f"{own_programs}/safe_counter.py:main", "--schedules", "5",
                   "--real-threads", "3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "real threads: no failure in 3 runs (switch interval 1e-06 s).")


def test_exit_code_follows_the_engine_not_the_real_threads(graders, own_programs):
    done = graders("explore", f"{own_programs}/engine_only.py:main", "--schedules", "3",
                   "--real-threads", "2")
    assert done.returncode == 0, done.stderr
    # (the program gives the scheduler no choice: its one schedule is every schedule)
    assert done.stdout.startswith("No failure in 1 schedule (the program never left")
    assert ("real threads: 2 of 2 runs failed; the first (run 1): AssertionError: "
            "running on real threads (_thread locks)") in done.stdout


def test_a_hang_on_real_threads_shows_where_each_thread_was(graders, own_programs):
    done = graders("explore", f"{own_programs}/crossed_locks.py:main", "--schedules", "5",
                   "--real-threads", "2", "--real-threads-timeout", "1")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("Deadlock:")
    assert "real threads: run 1 of 2 did not end within 1 s (a hang)." in done.stdout
    tail = done.stdout[done.stdout.index("real threads:"):]
    assert "Thread one:" in tail and "Thread two:" in tail
    assert "crossed_locks.py" in tail


def test_run_real_threads_counts_failures_and_keeps_the_first():
    result = run_real_threads(f"{HERE}/engine_only.py:main", 3, 10.0)
    assert (result.runs, result.completed, result.failed) == (3, 3, 3)
    assert result.first_failed_run == 1
    assert not result.hung and not result.ok
    assert "Traceback" in (result.first_failure or "")


def test_run_real_threads_reports_exceptions_in_threads(tmp_path):
    program = tmp_path / "thread_boom.py"
    program.write_text(
        "import threading\n\n"
        "def main():\n"
        "    def boom():\n"
        "        raise ValueError('boom in a worker')\n"
        "    t = threading.Thread(target=boom, name='worker')\n"
        "    t.start()\n"
        "    t.join()\n")
    result = run_real_threads(f"{program}:main", 2, 10.0)
    assert result.failed == 2
    assert "In thread worker:" in (result.first_failure or "")
    assert result.headline().endswith("ValueError: boom in a worker")


def test_run_real_threads_gives_load_errors(tmp_path):
    with pytest.raises(LoadError, match="file not found"):
        run_real_threads(f"{tmp_path}/missing.py:main", 1, 5.0)
    with pytest.raises(LoadError, match="no function named 'nope'"):
        run_real_threads(f"{HERE}/safe_counter.py:nope", 1, 5.0)
    with pytest.raises(LoadError, match=r"expected PATH/TO/FILE\.py:FUNCTION"):
        run_real_threads(f"{HERE}/safe_counter.py", 1, 5.0)


def test_run_real_threads_reports_a_run_that_ends_the_process(tmp_path):
    program = tmp_path / "quits.py"
    program.write_text("import os\n\ndef main():\n    os._exit(3)\n")
    result = run_real_threads(f"{program}:main", 4, 10.0)
    assert result.crashed and not result.hung
    assert (result.completed, result.failed, result.exit_code) == (0, 1, 3)
    assert result.headline() == "real threads: run 1 of 4 ended the process (exit code 3)."
