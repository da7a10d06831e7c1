"""Grade one submission in a fresh child process (the parent side).

For each submission the parent:

1. reads only the files the checks name (:mod:`graders.grading.submissions`) and copies
   them into a new scratch folder ``<tmp>/work/<topic>/``;
2. starts ``python -S -P -s -B graders/grading/bootstrap.py CONFIG`` with
   ``start_new_session=True``, a from-scratch environment (``PYTHONHASHSEED=0``, no
   ``PYTHONPATH``), the scratch folder as its working directory, stdout and stderr to
   capped files, a result pipe passed with ``pass_fds`` and a stdin pipe into which it
   writes a fresh 32-byte HMAC key and closes (see :mod:`graders.grading.supervisor`);
3. reads the result pipe while the child runs and enforces a hard wall clock for the whole
   submission: at the limit it sends ``SIGUSR1`` to every process of the submission (each
   worker has ``faulthandler`` registered on it and writes a thread dump), then freezes
   and kills the child's whole process tree and session;
4. accepts the verdicts only if the child exited 0 and the pipe carried exactly one line
   signed with this submission's key, listing exactly the planned checks in order.

Anything else (the child crashed, the line was missing, forged or incomplete) is the grader's
failure, not the student's: every check gets bug class :data:`~.model.INFRASTRUCTURE`, as do
the checks the child itself could not run (a package a topic requires is missing, the kit's
check code raised), and the result says ``graded = False``.

Nothing the student's code prints is ever parsed: stdout and stderr only become feedback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graders import hints
from graders.bugclasses import Bug
from graders.catalog import KIT, CheckInfo, Topic
from graders.childproc import proctable as procs

from . import channel
from . import isolation as walls
from .limits import Limits
from .model import INFRASTRUCTURE, CheckResult, SubmissionResult
from .submissions import Files, Submission, materialize

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
#: Files whose content decides a verdict: a change to any of them regrades on --resume.
KIT_FILES = ("graders/topics.toml", "graders/catalog.py", "graders/checking.py",
             "graders/bugclasses.py",
             "graders/checks", "graders/engine", "graders/grading/bootstrap.py",
             "graders/grading/supervisor.py", "graders/grading/guard.py",
             "graders/grading/integrity.py", "graders/grading/isolation.py",
             "graders/grading/limits.py", "graders/grading/patience.py",
             "graders/childproc", "graders/grading/channel.py")


@dataclass(frozen=True)
class Plan:
    """What to grade and how, the same for every submission of a run."""

    topics: tuple[Topic, ...]
    schedules: int = 200
    seed: int = 0
    limits: Limits = field(default_factory=Limits)
    #: :mod:`.isolation`'s mode; by default the strongest this machine offers, never refused
    #: (the platforms' containers are their own walls; ``grade`` chooses it explicitly).
    isolation: str = field(default_factory=lambda: walls.best_mode(trusted=True))

    def checks(self) -> list[tuple[Topic, CheckInfo]]:
        return [(t, c) for t in self.topics for c in t.checks]

    def settings(self) -> dict[str, Any]:
        return {"topics": [t.name for t in self.topics], "schedules": self.schedules,
                "seed": self.seed, "limits": self.limits.to_json(),
                "isolation": self.isolation,
                "python": ".".join(map(str, sys.version_info[:3]))}

    def digest(self, files: Files) -> str:
        h = hashlib.sha256()
        h.update(files.digest().encode())
        h.update(kit_fingerprint().encode())
        h.update(json.dumps(self.settings(), sort_keys=True).encode())
        return "sha256:" + h.hexdigest()


@cache
def kit_fingerprint() -> str:
    h = hashlib.sha256()
    for name in KIT_FILES:
        path = KIT / name
        paths = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for p in paths:
            h.update(str(p.relative_to(KIT)).encode() + b"\0")
            with contextlib.suppress(OSError):
                h.update(p.read_bytes())
    return h.hexdigest()


def child_env(scratch: Path) -> dict[str, str]:
    """The child's whole environment: nothing of the instructor's shell leaks in."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8", "MALLOC_ARENA_MAX": "2", "HOME": str(scratch),
            "TMPDIR": str(scratch / ".tmp")}


#: A submission's scratch folder in the system's temporary folder: ``graders-<pid>-XXXX``.
SCRATCH_PREFIX = "graders-"


def remove_stale_scratch() -> int:
    """Delete the scratch folders of graders that were killed before they could (their pid
    is gone); returns how many. A grader run calls it once before it starts."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        pid = path.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or not path.is_dir() or path.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
            continue                          # its grader is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


class Cancelled(Exception):
    """Grading was stopped from outside (Ctrl-C); the child has been killed."""


def grade(sub: Submission, plan: Plan, files: Files | None = None,
          digest: str | None = None, cancel: threading.Event | None = None
          ) -> SubmissionResult:
    """Grade ``sub`` in a child process; never raises for anything the submission does.

    Setting ``cancel`` kills the child and raises :class:`Cancelled`."""
    files = sub.read(plan.topics) if files is None else files
    start = time.monotonic()
    result = SubmissionResult(
        student=sub.student, source=sub.path.name, kind=sub.kind,
        digest=digest or plan.digest(files), timestamp=files.timestamp(),
        python=".".join(map(str, sys.version_info[:3])), settings=plan.settings())
    result.notes.extend(files.notes)
    result.notes.extend(sorted(set(files.problems.values())))
    tmp = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        records, problem = _run_child(plan, files, tmp, cancel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if problem:
        result.notes.append(problem)
    for (t, info), record in zip(plan.checks(), records, strict=True):
        result.checks.append(_check_result(t, info, record, plan, files))
    result.graded = not any(c.infrastructure for c in result.checks)
    result.seconds = round(time.monotonic() - start, 3)
    return result


def _check_result(t: Topic, info: CheckInfo, record: dict[str, Any], plan: Plan,
                  files: Files) -> CheckResult:
    status = record.get("status", "error")
    # A hint helps with a check the submission failed, not with one the grader could not run.
    failed = status != "passed" and record.get("bug_class") not in (INFRASTRUCTURE,
                                                                     Bug.LOAD_ERROR)
    sources = [files.found.get((t.name, name), b"").decode(errors="replace")
               for name in t.files]
    hint = hints.for_failure(t, info.name, record.get("bug_class"), sources) if failed else None
    return CheckResult(
        topic=t.name, check=info.name, points=info.points, hidden=info.hidden,
        status=status if status in ("passed", "failed", "error") else "error",
        bug_class=record.get("bug_class"), message=str(record.get("message") or ""),
        hint=None if hint is None else hint.text,
        seed=plan.seed, schedules=plan.schedules, schedules_run=record.get("schedules_run"),
        failing_seed=record.get("seed"), token=record.get("token"),
        seconds=float(record.get("seconds") or 0.0), output=str(record.get("output") or ""),
        timeline=_timeline(record) if status == "failed" else None)


#: The largest timeline (as JSON) a check's result keeps; a larger one is dropped.
MAX_TIMELINE = 64 * 1024


def _timeline(record: dict[str, Any]) -> dict[str, Any] | None:
    """The failed check's timeline from the child's record, reshaped to the engine's type by
    :func:`graders.engine.drawing.checked` (the child ran the submission: any value may be
    there) and dropped when it is none or too large."""
    from graders.engine.drawing import checked

    data = checked(record.get("timeline"))
    if data is None:
        return None
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8", "replace"))
    except (TypeError, ValueError):
        return None
    return dict(data) if size <= MAX_TIMELINE else None


def _failed_records(plan: Plan, bug_class: str, message: str) -> list[dict[str, Any]]:
    return [{"topic": t.name, "check": c.name, "status": "error", "bug_class": bug_class,
             "message": message} for t, c in plan.checks()]


def _walls_plan(plan: Plan, tmp: Path, work: Path, capture: Path) -> dict[str, Any]:
    """What :func:`.isolation.enter` builds for this submission, with the host folders it
    needs handed to the ids the sandbox runs under."""
    iso = walls.allocate(plan.isolation)
    root = tmp / "root"
    root.mkdir()
    if iso.mode == walls.NAMESPACES and iso.outer_root > 0:
        os.chown(capture, iso.outer_root, iso.outer_root)     # the supervisor's, only
    elif iso.mode == walls.UNPRIVILEGED_USER:
        tmp.chmod(0o711)                       # the worker's uid may pass, not list
        for path in [work, *work.rglob("*")]:
            os.chown(path, iso.outer_worker, iso.outer_worker)
    return {"isolation": iso.to_json(), "root": str(root), "work": str(work),
            "capture": str(capture), "readonly": walls.readonly_paths(KIT),
            "scratch_mb": plan.limits.scratch_mb}


def _run_child(plan: Plan, files: Files, tmp: Path, cancel: threading.Event | None
               ) -> tuple[list[dict[str, Any]], str | None]:
    """(one record per planned check, a note for the instructor or None)."""
    work, capture = tmp / "work", tmp / "capture"
    work.mkdir()
    capture.mkdir()
    (work / ".tmp").mkdir()
    materialize(files, plan.topics, work)
    key = secrets.token_bytes(channel.KEY_BYTES)
    result_read, result_write = os.pipe()
    key_read, key_write = os.pipe()
    config = {"kit": str(KIT), "parent": os.getpid(), "work": str(work),
              "capture": str(capture), "result_fd": result_write,
              "checks": [{"topic": t.name, "check": c.name, "folder": str(work / t.name)}
                         for t, c in plan.checks()],
              "settings": {"schedules": plan.schedules, "seed": plan.seed},
              "limits": plan.limits.to_json(),
              "isolation": _walls_plan(plan, tmp, work, capture)}
    out = (capture / "supervisor.out").open("wb")
    err = (capture / "supervisor.err").open("wb")
    try:
        child = subprocess.Popen(
            [sys.executable, "-S", "-P", "-s", "-B", str(BOOTSTRAP), json.dumps(config)],
            stdin=key_read, stdout=out, stderr=err, pass_fds=(result_write,), cwd=work,
            env=child_env(work), start_new_session=True, close_fds=True)
    finally:
        out.close()
        err.close()
        os.close(key_read)
        os.close(result_write)
    with contextlib.suppress(OSError):
        os.write(key_write, key)
    os.close(key_write)

    try:
        data, timed_out = _collect(child, result_read, plan, cancel)
    finally:
        os.close(result_read)
    procs.kill(tree=child.pid, session=child.pid)
    if timed_out:
        dump = _dumps(capture)
        text = (f"Grading this submission did not finish within "
                f"{plan.limits.submission_timeout(len(plan.checks())):g} s and was stopped.")
        if dump:
            text += "\nWhere the threads were when it was stopped:\n" + dump
        return _failed_records(plan, "timeout", text), "stopped at the hard time limit"
    if child.returncode != 0:
        tail = _tail(capture / "supervisor.err")
        message = (f"The grading process ended with status {child.returncode} before "
                   f"reporting.{(' Its last words: ' + tail) if tail else ''}")
        return _failed_records(plan, INFRASTRUCTURE, message), message
    try:
        payload = channel.verify(key, data)
    except channel.ChannelError as exc:
        message = f"The grading result was rejected: {exc}."
        return _failed_records(plan, INFRASTRUCTURE, message), message
    records = payload.get("checks")
    expected = [(t.name, c.name) for t, c in plan.checks()]
    if not isinstance(records, list) or [
            (r.get("topic"), r.get("check")) if isinstance(r, dict) else None
            for r in records] != expected:
        message = "The grading result did not list the planned checks."
        return _failed_records(plan, INFRASTRUCTURE, message), message
    return records, None


def _collect(child: subprocess.Popen[bytes], fd: int, plan: Plan,
             cancel: threading.Event | None) -> tuple[bytes, bool]:
    """Read the result pipe until the child exits; stop everything at the hard limit."""
    limit = plan.limits.submission_timeout(len(plan.checks()))
    deadline = time.monotonic() + limit
    crowd = 2 * (plan.limits.max_processes + 8) + 4
    data = bytearray()
    eof = False
    next_count = 0.0
    with procs.exit_watch(child.pid) as exits:
        while True:
            ready, _, _ = select.select(([] if eof else [fd]) + exits, [], [], 0.25)
            if fd in ready:
                chunk = os.read(fd, 1 << 16)
                eof = not chunk
                if len(data) <= channel.MAX_BUNDLE:
                    data += chunk
            if child.poll() is not None:
                break
            if cancel is not None and cancel.is_set():
                procs.kill(tree=child.pid, session=child.pid, include_root=True)
                child.wait()
                raise Cancelled
            now = time.monotonic()
            if now >= next_count:
                next_count = now + 1.0
                if len(procs.descendants(child.pid)) > crowd:
                    procs.kill(tree=child.pid, session=child.pid, include_root=True)
            if now >= deadline:
                every = [child.pid, *procs.descendants(child.pid)]
                procs.signal_all(every, signal.SIGUSR1)
                time.sleep(0.5)
                procs.kill(tree=child.pid, session=child.pid, include_root=True)
                child.wait()
                return bytes(data), True
    # The child has exited; whatever it wrote is in the pipe (a process it left behind that
    # still holds the pipe gets no more than the drain's few seconds).
    drained_by = time.monotonic() + 3.0
    while not eof and time.monotonic() < drained_by:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            break
        chunk = os.read(fd, 1 << 16)
        eof = not chunk
        if len(data) <= channel.MAX_BUNDLE:
            data += chunk
    return bytes(data), False


def _tail(path: Path, limit: int = 600) -> str:
    try:
        text = path.read_bytes()[-limit:].decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return text.splitlines()[-1] if text else ""


def _dumps(capture: Path) -> str:
    from .supervisor import Paths

    paths = Paths(str(capture.parent / "work"), str(KIT))
    parts = []
    for path in [*sorted(capture.glob("*.dump")), capture / "supervisor.err"]:
        try:
            text = path.read_bytes()[:6000].decode("utf-8", "replace").strip()
        except OSError:
            continue
        if text:
            parts.append(paths.dump(text))
    return "\n".join(parts)

