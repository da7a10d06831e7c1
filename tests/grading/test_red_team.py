"""The red team: submissions written against the kit's public source by a student who wants
a grade they did not earn, or wants to harm the grader, each graded through the real
sandbox (``sandbox.grade``: a child process inside the operating system's walls).

Each attack is the data_race starter (which loses updates, so it earns 0 of 3) plus the
attack. It must score no more than that, or be flagged for review by the integrity scan;
a canary file outside the sandbox, the kit's own files and the other students' results must
be unchanged; a secret in the grader's environment must appear nowhere; and the grader must
finish. Attacks that only the operating system can stop are tried here; those that a
process can always do to itself are the integrity scan's (tests/grading/test_scan.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grading_helpers import ROOT, grade_cli, solution, starter, starter_points, write_submission

from graders.catalog import KIT, topic
from graders.childproc import proctable as procs
from graders.grading import isolation, sandbox
from graders.grading.limits import Limits
from graders.grading.submissions import Submission

pytestmark = pytest.mark.skipif(not isolation.namespaces_work(),
                                reason="this machine offers no user namespaces")

RACE = topic("data_race")
PLAN = sandbox.Plan((RACE,), schedules=40, seed=0, limits=Limits(timeout=20))


def shop(at_import: str) -> str:
    return starter("data_race").replace("import threading\n",
                                        "import threading\n" + at_import + "\n", 1)


def kit_digest() -> str:
    h = hashlib.sha256()
    for path in sorted((KIT / "graders").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path).encode() + path.read_bytes())
    for path in sorted((KIT / "solutions" / "data_race").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "canary.txt"
    path.write_text("untouched")
    path.chmod(0o666)                       # even a world-writable file must stay as it is
    return path


def grade(tmp_path: Path, name: str, text: str):
    folder = write_submission(tmp_path / "class", name, {"exercises/data_race/shop.py": text})
    return sandbox.grade(Submission(name, folder, "folder"), PLAN)


def escape_through(tmp_path: Path, canary: Path) -> dict[str, str]:
    """Attacks that reach for the machine's files: every way out we know of."""
    victim = tmp_path / "class" / "victim" / "exercises" / "data_race" / "shop.py"
    return {
        "write the canary": f"open({str(canary)!r}, 'w').write('owned')",
        "symlink to the canary": (f"import os\nos.symlink({str(canary)!r}, 'link')\n"
                                  "open('link', 'w').write('owned')"),
        "symlink to the supervisor's descriptors": (
            "import os\nos.symlink('/proc/1/fd', 'fds')\n"
            "[open(f'fds/{n}', 'w').write('{\"passed\": true}') for n in os.listdir('fds')]"),
        "a thread runs os.system": (
            "import threading, os\n"
            f"t = threading.Thread(target=os.system, args=('echo owned > {canary}',))\n"
            "t.start(); t.join()"),
        "overwrite the kit's check": (
            f"open({str(KIT / 'graders' / 'checks' / 'data_race.py')!r}, 'a').write('#')"),
        "overwrite a classmate": f"open({str(victim)!r}, 'w').write('owned')",
        "read the reference solution": (
            f"exec(open({str(KIT / 'solutions' / 'data_race' / 'shop.py')!r}).read())"),
    }


def test_the_walls_hold_against_every_escape(tmp_path: Path, canary: Path) -> None:
    before = kit_digest()
    write_submission(tmp_path / "class", "victim",
                     {"exercises/data_race/shop.py": solution("data_race")})
    victim = (tmp_path / "class" / "victim" / "exercises" / "data_race" / "shop.py")
    honest = victim.read_bytes()
    for name, attack in escape_through(tmp_path, canary).items():
        result = grade(tmp_path, name.replace(" ", "_").replace("'", ""), shop(attack))
        assert result.score <= starter_points("data_race"), (
            name, [c.message for c in result.checks])
        assert canary.read_text() == "untouched", name
        assert victim.read_bytes() == honest, name
    assert kit_digest() == before


def test_a_secret_in_the_graders_environment_reaches_no_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADERS_TEST_API_TOKEN", "sk-very-secret-4711")
    text = shop("import os, sys\n"
                "print(sorted(os.environ.items()), sys.argv, os.listdir('/'))\n"
                "print(open('/proc/1/cmdline').read())\n"
                "raise SystemExit(str(dict(os.environ)))")
    folder = write_submission(tmp_path / "class", "snoop", {"exercises/data_race/shop.py": text})
    out = tmp_path / "out"
    run = grade_cli(str(folder.parent), "--topics", "data_race", "--schedules", "20",
                    "--out", str(out))
    assert run.returncode == 0, run.stderr
    for path in out.rglob("*"):
        if path.is_file():
            assert b"sk-very-secret-4711" not in path.read_bytes(), path
    assert "sk-very-secret-4711" not in run.stdout + run.stderr


def test_the_grader_survives_a_submission_that_signals_everything(tmp_path: Path) -> None:
    write_submission(tmp_path / "class", "honest",
                     {"exercises/data_race/shop.py": solution("data_race")})
    write_submission(tmp_path / "class", "killer", {"exercises/data_race/shop.py": shop(
        "import os, signal\n"
        "for pid in range(1, 4_000_000, 1):\n"
        "    if pid > 70000: break\n"
        "    try: os.kill(pid, signal.SIGKILL)\n"
        "    except OSError: pass\n"
        "os.kill(-1, signal.SIGKILL)")})
    out = tmp_path / "out"
    run = grade_cli(str(tmp_path / "class"), "--topics", "data_race", "--schedules", "20",
                    "--jobs", "2", "--out", str(out))
    assert (out / "grades.csv").is_file() and (out / "sheet.csv").is_file(), run.stderr
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    assert results["honest"]["score"] == topic("data_race").points
    assert results["killer"]["score"] <= starter_points("data_race")


def test_a_flood_fills_only_its_own_capped_scratch(tmp_path: Path, canary: Path) -> None:
    free = os.statvfs(tmp_path)
    before = free.f_bavail * free.f_frsize
    text = shop("import os\n"
                "for where in ('flood', '/tmp/flood', '/dev/shm/flood'):\n"
                "    try:\n"
                "        with open(where, 'wb') as f:\n"
                "            for _ in range(1024):\n"
                "                f.write(b'x' * (1 << 20))\n"      # 1 GiB each, if allowed
                "    except OSError:\n"
                "        pass")
    result = grade(tmp_path, "flood", text)
    assert result.score <= starter_points("data_race")
    after = os.statvfs(tmp_path)
    assert before - after.f_bavail * after.f_frsize < 256 << 20   # the host lost < 256 MiB


def sandbox_processes() -> list[int]:
    """Processes of sandboxes this test process started (their command line names it)."""
    mine = f'"parent": {os.getpid()},'.encode()
    found = []
    for pid, info in procs.table().items():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"bootstrap.py" in cmdline and mine in cmdline and procs.alive(info):
            found.append(pid)
    return found


def test_no_process_of_a_submission_outlives_grading(tmp_path: Path) -> None:
    text = shop("import os, time\n"
                "for _ in range(3):\n"
                "    if os.fork() == 0:\n"
                "        try:\n"
                "            os.setsid()\n"
                "        except OSError:\n"
                "            pass\n"
                "        while True:\n"
                "            time.sleep(1)")
    result = grade(tmp_path, "lingerer", text)
    assert result.score <= starter_points("data_race")
    time.sleep(0.5)
    assert not sandbox_processes()


def test_a_killed_grader_leaves_no_sandbox_running(tmp_path: Path) -> None:
    text = shop("while True:\n    pass")
    folder = write_submission(tmp_path / "class", "orphan", {"exercises/data_race/shop.py": text})
    script = ("import sys\nfrom pathlib import Path\n"
              "from graders.grading import sandbox\n"
              "from graders.grading.submissions import Submission\n"
              "from graders.catalog import topic\n"
              "sandbox.grade(Submission('orphan', Path(sys.argv[1]), 'folder'), "
              "sandbox.Plan((topic('data_race'),), schedules=20))\n")
    grader = subprocess.Popen([sys.executable, "-c", script, str(folder)], cwd=ROOT)
    try:
        sandboxed: list[int] = []
        for _ in range(150):                   # the keeper, the creator, PID 1, a worker
            sandboxed = procs.descendants(grader.pid)
            if len(sandboxed) >= 4:
                break
            time.sleep(0.1)
        assert len(sandboxed) >= 4, sandboxed
    finally:
        grader.kill()
        grader.wait()
    time.sleep(1.0)
    table = procs.table()
    assert not [pid for pid in sandboxed if pid in table and procs.alive(table[pid])]


#: Where a submission might leave something for the one graded after it by the same grader.
LEFT_BEHIND = ("'/tmp/left_behind'", "'/dev/shm/left_behind'", "'left_behind'",
               "os.path.join(os.path.expanduser('~'), 'left_behind')")


def test_a_submission_leaves_nothing_for_the_next_one(tmp_path: Path) -> None:
    """One grader grades a planter, then a classmate whose code fails at import if it finds
    anything the planter left: a file in /tmp, /dev/shm, the scratch folder or the home, a
    module in ``sys.modules``, a variable in the environment, a module attribute of the
    kit. Each submission starts from a fresh sandbox, so the classmate scores in full."""
    places = ", ".join(LEFT_BEHIND)
    planter = shop(
        "import os, sys\n"
        f"for where in ({places}):\n"
        "    try:\n"
        "        open(where, 'w').write('left behind')\n"
        "    except OSError:\n"
        "        pass\n"
        "sys.modules['left_behind'] = sys\n"
        "os.environ['LEFT_BEHIND'] = '1'\n"
        "import graders\n"
        "graders.LEFT_BEHIND = True")
    grade(tmp_path, "planter", planter)
    probe = ("import os, sys\n"
             "import graders\n"
             f"found = [w for w in ({places}) if os.path.exists(w)]\n"
             "if (found or 'left_behind' in sys.modules or 'LEFT_BEHIND' in os.environ\n"
             "        or hasattr(graders, 'LEFT_BEHIND')):\n"
             "    raise RuntimeError(f'left behind: {found}')\n")
    classmate = solution("data_race").replace("import threading\n",
                                              "import threading\n" + probe, 1)
    result = grade(tmp_path, "classmate", classmate)
    assert result.score == RACE.points, [c.message for c in result.checks]


#: A passing record as a worker writes it, forged by the submission.
_FORGED = ('{"passed": true, "bug_class": null, "message": "", "load_error": false, '
           '"changed": [], "refused": [], "process_refusals": 0}')


def forged_results() -> dict[str, str]:
    """Submissions that write a passing record of their own on the worker's result channel,
    or make the worker's own record say it passed."""
    return {
        # Write the record into the worker's pipe, then close the pipe and open files until
        # one takes its number: the worker's own record would go into that file (kept open
        # past the run, which unloads the module, by a reference atexit holds).
        "the pipe swapped for a file": (
            "import atexit, os, stat\n"
            "_kept = []\n"
            "atexit.register(_kept.clear)   # keeps the files open after the run\n"
            "for _fd in range(3, 64):\n"
            "    try:\n"
            "        _st = os.fstat(_fd)\n"
            "    except OSError:\n"
            "        continue\n"
            "    if stat.S_ISFIFO(_st.st_mode) and os.get_blocking(_fd) is not None:\n"
            "        try:\n"
            f"            os.write(_fd, {_FORGED!r}.encode())\n"
            "        except OSError:\n"
            "            continue\n"
            "        os.close(_fd)\n"
            "        while not _kept or _kept[-1].fileno() != _fd:\n"
            "            _kept.append(open(f'spare{len(_kept)}', 'wb'))\n"
            "            if len(_kept) > 60: break\n"
            "        break\n"),
        # The worker serialises its record after the check: make that say "passed".
        "json.dumps replaced": (
            "import json\n"
            f"setattr([json][0], 'dumps', lambda *a, **k: {_FORGED!r})\n"),
        # A record with a bug class of the wrong type once stopped the writing of every file.
        "a malformed record": (
            "import os, stat\n"
            "for _fd in range(3, 64):\n"
            "    try:\n"
            "        if stat.S_ISFIFO(os.fstat(_fd).st_mode):\n"
            "            os.write(_fd, b'{\"passed\": false, \"bug_class\": [\"lost update\"]}')\n"
            "    except OSError:\n"
            "        pass\n"),
    }


def test_a_result_forged_on_the_workers_channel_earns_nothing(tmp_path: Path) -> None:
    """The worker writes its record with functions pinned before any submitted code ran, and
    only into the very pipe it was given; the supervisor keeps a record only if every field
    has its type and the bug class is one the kit knows."""
    for name, attack in forged_results().items():
        result = grade(tmp_path, name.replace(" ", "_").replace(".", "_"), shop(attack))
        assert result.score <= starter_points("data_race"), (
            name, [c.message for c in result.checks])
    swapped = grade(tmp_path, "swapped_again", shop(forged_results()[
        "the pipe swapped for a file"]))
    assert {c.bug_class for c in swapped.checks} == {"tampering"}, [
        c.message for c in swapped.checks]
