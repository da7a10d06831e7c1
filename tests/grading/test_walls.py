"""The operating system's walls around a submission (:mod:`graders.grading.isolation`),
tried from inside by a small program that plays the part of a worker: what it can see,
write, reach and signal. Linux with user namespaces only (the grading machine's case);
elsewhere the tests say why they do not apply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graders.catalog import KIT
from graders.grading import isolation

pytestmark = pytest.mark.skipif(not isolation.namespaces_work(),
                                reason="this machine offers no user namespaces")

PROBE = r'''
import json, os, socket, sys
from graders.grading import isolation
plan = json.loads(sys.argv[1])
isolation.enter(plan)
facts = {"pid": os.getpid(), "root_entries": sorted(os.listdir("/"))}
pid = os.fork()
if pid == 0:
    isolation.drop_worker(isolation.Isolation.from_json(plan["isolation"]))
    seen = {"uid": os.getuid(), "cwd": os.getcwd(), "work": sorted(os.listdir("."))}
    def attempt(name, action):
        try:
            action()
            seen[name] = "allowed"
        except OSError as exc:
            seen[name] = type(exc).__name__
    attempt("read_secret", lambda: open(plan["secret"]).read())
    attempt("read_solutions", lambda: os.listdir(plan["solutions"]))
    attempt("write_kit", lambda: open(plan["kit_file"], "a").write("#"))
    attempt("write_canary", lambda: open(plan["canary"], "w").write("changed"))
    attempt("supervisor_fds", lambda: os.listdir("/proc/1/fd"))
    attempt("signal_supervisor", lambda: os.kill(1, 0))
    attempt("network", lambda: socket.create_connection(("127.0.0.1", 9), timeout=2))
    attempt("fill_scratch", lambda: open("big", "wb").write(b"x" * (64 << 20)))
    attempt("write_work", lambda: open("mine.txt", "w").write("ok"))
    seen["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    os.write(1, json.dumps(seen).encode())
    os._exit(0)
os.waitpid(pid, 0)
'''


def run_probe(tmp_path: Path) -> dict[str, object]:
    work, capture, root = tmp_path / "work", tmp_path / "capture", tmp_path / "root"
    for folder in (work, capture, root):
        folder.mkdir()
    (work / "shop.py").write_text("count = 0\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    canary = tmp_path / "canary.txt"
    canary.write_text("untouched")
    iso = isolation.allocate(isolation.best_mode())
    if iso.outer_root > 0:
        os.chown(capture, iso.outer_root, iso.outer_root)
    plan = {"isolation": iso.to_json(), "root": str(root), "work": str(work),
            "capture": str(capture), "readonly": isolation.readonly_paths(KIT),
            "scratch_mb": 16, "secret": str(secret), "canary": str(canary),
            "solutions": str(KIT / "solutions"),
            "kit_file": str(KIT / "graders" / "topics.toml")}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(plan)], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(KIT)},
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert canary.read_text() == "untouched"
    return json.loads(done.stdout)


def test_a_worker_sees_only_its_own_files_and_processes(tmp_path: Path) -> None:
    seen = run_probe(tmp_path)
    assert seen["cwd"] == str(tmp_path / "work")
    assert seen["work"] == ["shop.py"]
    assert seen["uid"] == isolation.WORKER_ID
    assert seen["read_secret"] != "allowed"           # the instructor's files are not there
    assert seen["read_solutions"] != "allowed"
    assert seen["write_kit"] != "allowed"             # the kit is read-only
    assert seen["write_canary"] != "allowed"
    assert seen["pids"] == [1, 2]                     # its own PID namespace
    assert seen["write_work"] == "allowed"


def test_a_worker_cannot_reach_the_supervisor_or_the_network(tmp_path: Path) -> None:
    seen = run_probe(tmp_path)
    assert seen["supervisor_fds"] != "allowed"
    if os.geteuid() == 0:                             # a uid of its own only as root
        assert seen["signal_supervisor"] != "allowed"
    assert seen["network"] != "allowed"


def test_the_scratch_is_capped(tmp_path: Path) -> None:
    seen = run_probe(tmp_path)
    assert seen["fill_scratch"] == "OSError"          # ENOSPC at the 16 MiB cap


def test_without_namespaces_root_drops_to_a_user_and_others_must_say_trusted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "namespaces_work", lambda: False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert isolation.best_mode() == isolation.UNPRIVILEGED_USER
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(isolation.IsolationError, match="--trusted"):
        isolation.best_mode()
    assert isolation.best_mode(trusted=True) == isolation.NONE


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run code as another user")
def test_the_unprivileged_user_mode_grades_as_another_uid(tmp_path: Path) -> None:
    from grading_helpers import solution, write_submission

    from graders.catalog import topic
    from graders.grading import sandbox
    from graders.grading.submissions import Submission

    text = solution("data_race").replace(
        "import threading\n", "import os\nimport threading\nprint('uid', os.getuid())\n", 1)
    folder = write_submission(tmp_path / "class", "ada", {"exercises/data_race/shop.py": text})
    plan = sandbox.Plan((topic("data_race"),), schedules=20,
                        isolation=isolation.UNPRIVILEGED_USER)
    result = sandbox.grade(Submission("ada", folder, "folder"), plan)
    assert result.score == result.max_score, [c.message for c in result.checks]
    assert result.settings["isolation"] == isolation.UNPRIVILEGED_USER
    uids = {line.split()[1] for c in result.checks for line in c.output.splitlines()
            if line.startswith("uid ")}
    assert uids and "0" not in uids
