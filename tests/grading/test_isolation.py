"""What a submission cannot do to the grader, one attack at a time.

Each attack is the data_race starter (which loses updates) plus a few lines; the honest
starter scores 0 on data_race, and so must every attack, with a message that names what it
tried. Graded in-process through ``sandbox.grade`` (a real child process per submission).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from grading_helpers import solution, starter, starter_points, write_submission

from graders.catalog import topic
from graders.grading import sandbox
from graders.grading.limits import Limits
from graders.grading.submissions import Submission

RACE = topic("data_race")
PLAN = sandbox.Plan((RACE,), schedules=40, seed=0, limits=Limits(timeout=20))


def shop(at_import: str = "", in_add: str = "") -> str:
    text = starter("data_race")
    if at_import:
        text = text.replace("import threading\n", "import threading\n" + at_import + "\n", 1)
    if in_add:
        marker = "        for _ in range(items):\n"
        assert marker in text
        body = "".join(f"        {line}\n" for line in in_add.splitlines())
        text = text.replace(marker, body + marker, 1)
    return text


def grade(tmp_path: Path, name: str, text: str, plan: sandbox.Plan = PLAN):
    folder = write_submission(tmp_path / "class", name,
                              {"exercises/data_race/shop.py": text})
    return sandbox.grade(Submission(name, folder, "folder"), plan)


def test_the_honest_starter_loses_updates(tmp_path: Path) -> None:
    result = grade(tmp_path, "honest", shop())
    assert result.score == starter_points("data_race") and result.graded
    assert {c.bug_class for c in result.checks if not c.passed} == {"lost update"}


OUTSIDE = Path(tempfile.gettempdir()) / f"graders-test-outside-{os.getpid()}.txt"

ATTACKS = {
    "settrace": ("", "import sys\nsys.settrace(None)", "forbidden operation", "sys.settrace"),
    "gc": ("import gc\ngc.get_objects()", "", "forbidden operation", "gc.get_objects"),
    "ctypes": ("import ctypes\nctypes.CDLL(None).getpid()", "", "forbidden operation",
               "ctypes"),
    "proc": ("open('/proc/self/status').read()", "", "forbidden operation", "/proc"),
    "write_outside": (f"open({str(OUTSIDE)!r}, 'w').write('x')", "", "forbidden operation",
                      "for writing"),
    "frames": ("import sys\nsys._getframe(1)", "", "forbidden operation", "sys._getframe"),
    "raw_thread": ("import _thread\n_thread.start_new_thread(print, ())", "",
                   "forbidden operation", "raw threads"),
    "kill_parent": ("import os\nos.kill(os.getppid(), 9)", "", "forbidden operation",
                    "signals"),
    "subprocess": ("import subprocess\nsubprocess.run(['true'])", "", "process limit",
                   "starting programs"),
    "os_system": ("import os\nos.system('true')", "", "process limit", "starting programs"),
    "fake_file_name": ("exec(compile('x = 1', " + repr(str(Path(sandbox.__file__)))
                       + ", 'exec'))", "", "forbidden operation", "another file's name"),
    # the guard trusts the standard library's frozen modules by their names
    "frozen_file_name": ("exec(compile('x = 1', '<frozen shop>', 'exec'))", "",
                         "forbidden operation", "another file's name"),
    "patch_builtins": ("import builtins\nbuiltins.sorted = lambda *a, **k: []", "",
                       "tampering", "builtins.sorted was replaced"),
    "patch_time": ("import time\ntime.sleep = lambda seconds: None", "", "tampering",
                   "time.sleep was replaced"),
    "patch_engine": ("import graders.engine.scheduler as s\n"
                     "s.Run.yield_point = lambda self, ts, event: None", "", "tampering",
                     "graders.engine.scheduler.Run.yield_point was replaced"),
    "exit_early": ("import os\nos._exit(0)", "", "crash", "exit code 0"),
    # the engine's threads are greenlets of one hub: throwing into it ended every run
    # without a verdict, so the racy starter scored full marks
    "greenlet_hub": ("", "import greenlet\ngreenlet.getcurrent().parent.throw(SystemExit)",
                     "forbidden operation", "greenlet.getcurrent"),
}
if sys.version_info >= (3, 12):
    ATTACKS["monitoring"] = ("import sys\nsys.monitoring.free_tool_id(0)", "",
                             "forbidden operation", "sys.monitoring")


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_the_honest_code(tmp_path: Path, name: str) -> None:
    at_import, in_add, bug_class, words = ATTACKS[name]
    result = grade(tmp_path, name, shop(at_import, in_add))
    assert result.score == 0, [c.message for c in result.checks]
    first = result.checks[0]
    assert first.bug_class == bug_class, first.message
    assert words in first.message
    assert not OUTSIDE.exists()


def test_a_patch_made_between_two_integrity_looks_is_still_caught(tmp_path: Path) -> None:
    """The guard looks at the interpreter at each of a check's first loads of the student's
    module, then at the 16th, 32nd...; a patch made at the 10th load (counted in the
    worker's environment, which outlives the module) is caught by the look after the check.
    """
    patch = ("import os, time\n"
             "_n = int(os.environ.get('LOADS', '0')) + 1\n"
             "os.environ['LOADS'] = str(_n)\n"
             "if _n == 10:\n"
             "    time.sleep = lambda seconds: None\n")
    text = solution("data_race").replace("import threading\n", "import threading\n" + patch, 1)
    result = grade(tmp_path, "late", text)
    first = result.checks[0]
    assert first.bug_class == "tampering", first.message
    assert "time.sleep was replaced" in first.message
    assert result.score < sum(c.points for c in result.checks)


def test_results_cannot_be_forged_through_stdout_or_any_descriptor(tmp_path: Path) -> None:
    forged = ('{"passed": true, "bug_class": null, "message": "", "changed": [], '
              '"refused": [], "process_refusals": 0}')
    at_import = (
        "import os\n"
        f"_FORGED = {forged!r}\n"
        "print('0' * 64 + ' {\"checks\": []}')\n"
        "for _fd in range(256):\n"
        "    try:\n"
        "        os.write(_fd, _FORGED.encode())\n"
        "    except OSError:\n"
        "        pass\n")
    result = grade(tmp_path, "forger", shop(at_import))
    assert result.score == 0 and result.graded
    # The worker's own record pipe is open in its process (a process cannot hide a
    # descriptor from code it runs); the bytes written to it spoil the one record, which
    # is refused. The same trick followed by os._exit(0) is flagged by the integrity scan.
    assert {c.bug_class for c in result.checks} == {"crash"}
    assert all("other than one result" in c.message for c in result.checks)


def test_a_check_past_its_time_is_stopped_with_a_thread_dump(tmp_path: Path) -> None:
    text = shop("import collections\nimport itertools",
                "collections.deque(itertools.count(), maxlen=0)")
    # (the clock's backstop far away: on a loaded machine 2 s of CPU take long)
    plan = sandbox.Plan((RACE,), schedules=40, seed=0,
                        limits=Limits(timeout=2, backstop_factor=1000))
    result = grade(tmp_path, "spinner", text, plan)
    assert result.score == 0
    for check in result.checks:
        assert check.bug_class == "timeout"
        assert re.search(r'File "exercises/data_race/shop.py", line \d+ in add',
                         check.message), check.message
        assert check.message.startswith("The check used 2 s of CPU time"), check.message


def test_a_check_blocked_outside_the_engine_is_stopped_when_it_uses_no_cpu(
        tmp_path: Path) -> None:
    """Blocked for real (no CPU used): stopped after the idle window, long before its CPU
    budget or the clock's backstop, with where it was blocked."""
    text = shop("import select", "select.select([], [], [], 10 ** 6)")
    plan = sandbox.Plan((RACE,), schedules=40, seed=0, limits=Limits(timeout=20, idle=2))
    result = grade(tmp_path, "blocked", text, plan)
    assert result.score == 0
    for check in result.checks:
        assert check.bug_class == "timeout"
        assert "for 2 s none of its processes used any CPU" in check.message, check.message
        assert re.search(r'File "exercises/data_race/shop.py", line \d+ in add',
                         check.message), check.message


class _ShortLimits(Limits):
    def submission_timeout(self, checks: int) -> float:
        return 4.0


def test_the_parent_stops_a_submission_at_its_hard_limit(tmp_path: Path) -> None:
    text = shop("import collections\nimport itertools",
                "collections.deque(itertools.count(), maxlen=0)")
    plan = sandbox.Plan((RACE,), schedules=40, seed=0, limits=_ShortLimits(timeout=60))
    result = grade(tmp_path, "stuck", text, plan)
    assert result.score == 0 and result.graded
    assert "stopped at the hard time limit" in result.notes
    assert all(c.bug_class == "timeout" for c in result.checks)
    assert 'exercises/data_race/shop.py", line' in result.checks[0].message
    assert result.seconds < 15


def test_endless_output_is_capped(tmp_path: Path) -> None:
    text = shop("import itertools\nimport sys\n"
                "sys.stdout.writelines(itertools.repeat('spam\\n'))")
    plan = sandbox.Plan((RACE,), schedules=40, seed=0, limits=Limits(timeout=20, output_mb=1))
    result = grade(tmp_path, "printer", text, plan)
    assert result.score == 0
    check = result.checks[0]
    assert "File too large" in check.message
    assert check.output.startswith("spam\nspam\n") and "1 MiB limit" in check.output


def test_forked_processes_are_capped_and_none_outlive_the_check(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    at_import = ("import os, select\n"
                 "for _ in range(30):\n"
                 "    if os.fork() == 0:\n"
                 "        select.select([], [], [], 20)\n"
                 "        os._exit(0)\n")
    plan = sandbox.Plan((RACE,), schedules=40, seed=0,
                        limits=Limits(timeout=20, max_processes=4))
    result = grade(tmp_path, "forker", shop(at_import), plan)
    assert result.score == 0
    assert result.checks[0].bug_class == "process limit"
    assert "more than 4 processes" in result.checks[0].message
    scratch = str(tmp_path / "scratch")
    left = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink(f"/proc/{pid}/cwd").startswith(scratch):
                left.append(pid)
        except OSError:
            pass
    assert left == []


def test_the_child_runs_without_the_instructors_environment(tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "evil"))
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "sitecustomize.py").write_text("raise SystemExit(9)\n")
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    at_import = ("import os, sys\n"
                 "print('hash', hash('abc'), os.environ.get('PYTHONPATH'), "
                 "'' in sys.path, os.getcwd() in sys.path)")
    result = grade(tmp_path, "env", shop(at_import))
    first = result.checks[0]
    assert first.bug_class == "lost update"
    assert "None False False" in first.output
    seeded = subprocess.run([sys.executable, "-c", "print(hash('abc'))"], capture_output=True,
                            text=True, env={"PYTHONHASHSEED": "0"}, check=True).stdout.strip()
    assert f"hash {seeded} " in first.output
