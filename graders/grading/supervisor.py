"""The child process that grades one submission (the *supervisor*), and its workers.

The parent starts ``python -S -P -s -B graders/grading/bootstrap.py CONFIG`` in a new
session (see :mod:`graders.grading.sandbox`); the bootstrap runs ``site``, puts the kit's
folder first on ``sys.path`` and calls :func:`main`. ``-P`` keeps the current folder off the
path, ``-s`` the user's site-packages, and the environment is built from scratch by the
parent (no ``PYTHONPATH``, ``PYTHONSTARTUP`` or ``PYTHONHOME``; ``PYTHONHASHSEED=0``). That
is ``-I`` minus ``-E``: ``-I`` would also ignore ``PYTHONHASHSEED``, and a fixed hash seed
is part of "the same grade every time". The student's files were copied by the parent into
a scratch folder that is never on ``sys.path``; only the files a check names are there.

The supervisor never runs student code. It imports the kit and the packages each topic
``requires`` (topics.toml), sets the resource limits, installs the audit hook
(:mod:`graders.grading.guard`), takes an integrity snapshot
(:mod:`graders.grading.integrity`), then forks one **worker per check**. A worker puts
itself in its own process group, closes every descriptor that leads to the parent or to the
supervisor, sets its CPU limit, runs the one check, compares the snapshot, reports, and
``os._exit``\\ s (so no ``atexit`` hook of the student's ever runs). Each check thus starts
from an interpreter no earlier check's code has touched. The supervisor enforces the check's
time, as CPU used rather than on the clock, so a loaded machine never stops a correct check
(:mod:`graders.grading.patience`; ``SIGUSR1`` for a thread dump through ``faulthandler``,
then ``SIGKILL`` to the worker's whole process tree: the supervisor is a child
subreaper, so nothing a worker starts escapes it, not even after ``setsid``), counts the
processes while the check runs, and kills whatever is left when it ends.

**The grader's failures are not the student's.** A topic whose required package does not
import gets no worker: its checks are reported with bug class ``grader``
(:data:`graders.bugclasses.Bug.GRADER`) and a message naming the package and how to
install it. So is a check whose own code raised with no submitted file on the stack (a bug
of the kit, not of the submission). The parent marks such a submission not graded.

**How the result is kept from forgery.** Three hops:

* *Supervisor to parent.* The result pipe (``result_fd``, passed with ``pass_fds``) and the
  key pipe (the child's stdin, moved off fd 0) are closed in every worker right after the
  fork, before the check starts. The HMAC key is 32 random bytes the parent wrote into that
  stdin pipe and closed: the supervisor reads them only after every worker is gone, so the
  key was never in the memory of a process that ran student code, not even as freed bytes.
  The supervisor signs one bundle with all verdicts and writes it once; the parent accepts
  exactly one line signed with its key, from a child that exited 0, listing exactly the
  planned checks, and writes every file itself.
* *Worker to supervisor.* The worker keeps the write end of its record pipe while the
  check runs, and nothing stops a process writing to its own descriptors. So a record is
  kept only if it is the whole of what came through the pipe: exactly one JSON object, its
  fields of their types and its bug class one the kit knows, from a worker that exited 0.
  The worker writes its own after the check, with functions pinned before any submitted
  code ran (not ``json.dumps``, whose encoder is module state), and only into the pipe it
  was given: one closed and replaced by a file under the same number is tampering, scored
  0. A record the submission wrote is therefore followed by the worker's, and the two are
  not one object, unless the submission also ended its process before the worker could
  write (``os._exit``): that a process can always do to itself, and the integrity scan
  flags it for review, as it flags raw descriptors.
* *stdout and stderr* of every process go to capped files that only ever become feedback
  text; nothing there is parsed.

What this does not defend against: code that, inside its own worker, subverts the check it is
being judged by through means neither the hook nor the integrity comparison sees (walking to
the grader's frames through ``inspect``, for instance); that is contained to its own check.
A root process can also ptrace its parent: for a class you do not trust, run the grader as an
unprivileged user or in a container.
"""

from __future__ import annotations

import contextlib
import errno
import faulthandler
import importlib
import json
import os
import re
import select
import signal
import sys
import sysconfig
import time
from _json import encode_basestring_ascii as _quote
from builtins import (  # noqa: UP029 - pinned: submitted code may replace builtins
    bytes,
    dict,
    hasattr,
    int,
    isinstance,
    len,
    list,
    set,
    sorted,
    str,
    tuple,
)
from pathlib import Path
from typing import Any, TypeGuard

from graders.bugclasses import Bug
from graders.childproc import proctable as procs

from . import guard, integrity, isolation
from .channel import KEY_BYTES, sign
from .limits import Limits, apply_check_cpu_limit, apply_process_limits
from .patience import Patience

MAX_RECORD = 4 * 1024 * 1024
OUTPUT_EXCERPT = 4000
DUMP_EXCERPT = 6000
POLL = 0.05
#: Processes a check's own machinery may run besides the submission's (a child interpreter
#: for a multiprocessing exercise, its workers, resource tracker and fork server).
SLACK = 8


def _read_exactly(fd: int, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, n - len(data))
            if not chunk:
                break
            data += chunk
    return data


#: Pinned when the supervisor starts, before any submitted code: what the worker reports
#: through must not be a function the submission replaced.
_os_write, _os_fstat = os.write, os.fstat


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[_os_write(fd, view):]


def _channel(fd: int) -> tuple[int, int]:
    """Which pipe ``fd`` is: a descriptor closed and opened again on something else (a file
    in the scratch folder) is not the same pipe, whatever its number."""
    st = _os_fstat(fd)
    return st.st_dev, st.st_ino


def _to_json(value: Any) -> str:
    """The record as JSON, written with built-in types and C functions only: ``json.dumps``
    reads module state (its default encoder) that submitted code could have replaced."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:   # (NaN and the infinities are not JSON)
        return float.__repr__(value) if value - value == 0 else "null"
    if kind is str:
        return _quote(value)
    if kind is list or kind is tuple:
        return "[" + ",".join([_to_json(v) for v in value]) + "]"
    if kind is dict:
        return "{" + ",".join([_quote(str(k)) + ":" + _to_json(v)
                               for k, v in dict.items(value)]) + "}"
    return _quote(str(value))


#: The worker's exit status when its result channel was not the pipe it was given: the
#: submission closed it and opened something else under its number.
CHANNEL_REPLACED = 71


# ----------------------------------------------------------------- text
_THREAD_ID = re.compile(r"\b(Current thread|Thread) 0x[0-9a-f]+")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")


class Paths:
    """Turns the scratch folder's paths into the ones the student knows."""

    def __init__(self, work: str, kit: str) -> None:
        self.work = work.rstrip(os.sep)
        self.kit = kit.rstrip(os.sep)
        self.stdlib = sysconfig.get_paths()["stdlib"].rstrip(os.sep)

    def dump(self, text: str) -> str:
        """A faulthandler dump, cut down to the threads that were in the student's code and
        to those frames (the kit's own frames say nothing to a student)."""
        text = self.clean(text)
        threads, current = [], None
        for line in text.splitlines():
            if line.endswith("(most recent call first):"):
                current = [line]
                threads.append(current)
            elif current is not None and line.strip().startswith('File "exercises/'):
                current.append(line)
        kept = ["\n".join(t) for t in threads if len(t) > 1]
        return "\n".join(kept) if kept else text

    def clean(self, text: str) -> str:
        text = re.sub(re.escape(self.work) + r"/([A-Za-z0-9_.-]+)/",
                      lambda m: f"exercises/{m.group(1)}/", text)
        text = text.replace(self.kit + os.sep, "").replace(self.stdlib + os.sep, "<python>/")
        text = _THREAD_ID.sub(lambda m: m.group(1), text)
        return _ADDRESS.sub("0x...", text)      # memory addresses differ from run to run


def _excerpt(path: Path, limit: int) -> tuple[str, int]:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            data = f.read(limit)
    except OSError:
        return "", 0
    return data.decode("utf-8", "replace"), size


# ----------------------------------------------------------------- the worker
def _worker(spec: dict[str, Any], settings: Any, write_end: int, out_fd: int, dump_fd: int,
            closing: list[int], limits: Limits, state: guard.GuardState,
            baseline: integrity.Snapshot, walls: isolation.Isolation) -> None:
    """Runs in the forked worker; never returns."""
    status = 70
    try:
        os.setpgid(0, 0)
        for fd in closing:
            os.close(fd)
        isolation.drop_worker(walls)
        procs.die_with_parent(state.supervisor)   # after the ids changed, which clear it
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        faulthandler.register(signal.SIGUSR1, file=dump_fd, all_threads=True, chain=False)
        apply_check_cpu_limit(limits)
        for module in (os, sys.modules.get("posix")):
            for name in ("setsid", "setpgid", "setpgrp"):
                if module is not None and hasattr(module, name):
                    setattr(module, name, _no_new_group)
        guard.guard_program_starts()
        state.enter_worker(limits.max_processes)
        channel = _channel(write_end)

        from graders.checking import run_check

        record: dict[str, Any]
        try:
            outcome = run_check(spec["topic"], spec["check"], Path(spec["folder"]), settings)
            record = _outcome_record(outcome)
        except BaseException as exc:
            record = {"error": f"{type(exc).__name__}: {exc}",
                      "kit_error": _raised_by_kit(exc, spec["folder"])}
        changed = integrity.compare(baseline, integrity.take())
        record["changed"] = sorted(set(changed) | set(state.in_run_changes))[:12]
        record["refused"] = list(state.refusals)
        record["process_refusals"] = state.process_refusals
        data = _to_json(record).encode()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        try:
            same = _channel(write_end) == channel
        except OSError:
            same = False
        if not same:
            status = CHANNEL_REPLACED
            return
        _write_all(write_end, data)
        status = 0
    finally:
        os._exit(status)


def _no_new_group(*args: object) -> None:
    raise PermissionError("grading does not allow leaving the process group")


#: OSError numbers of a used-up resource: a submission can leave the kit's next call short.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.EFBIG, errno.ENOSPC, errno.ENOMEM,
                        errno.EAGAIN})


def _raised_by_kit(exc: BaseException, folder: str) -> bool:
    """Did an exception that escaped a check come from the kit's own code?

    Yes for an ordinary error none of whose tracebacks (its cause and context included)
    passes through a submitted file. Exits, interrupts and exhaustion (memory, recursion,
    descriptors, file size) stay the submission's even then: its code may have used up what
    the kit needed next.
    """
    if not isinstance(exc, Exception) or isinstance(exc, MemoryError | RecursionError):
        return False
    if isinstance(exc, OSError) and exc.errno in _EXHAUSTED:
        return False
    root = os.path.realpath(folder) + os.sep
    current: BaseException | None = exc
    for _ in range(20):                       # a chain is short; a cycle must not hang
        if current is None:
            break
        tb = current.__traceback__
        while tb is not None:
            if os.path.realpath(tb.tb_frame.f_code.co_filename).startswith(root):
                return False
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return True


def _outcome_record(outcome: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"passed": bool(outcome.passed), "bug_class": outcome.bug_class,
                              "load_error": outcome.load_error is not None}
    command = f"python -m graders check {outcome.topic} --only {outcome.check} --replay {{token}}"
    record["message"] = outcome.report(command)
    exploration = outcome.exploration
    if exploration is not None:
        record["schedules_run"] = exploration.schedules_run
        failure = exploration.failure
        if failure is not None:
            record.update(token=failure.token or None, seed=failure.seed,
                          strategy=failure.strategy, schedule=failure.schedule)
            if failure.timeline is not None and failure.interleaving:
                record["timeline"] = failure.timeline    # plain data; checked by the parent
    return record


# ----------------------------------------------------------------- one check
def _run_one(index: int, spec: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    limits: Limits = ctx["limits"]
    capture: Path = ctx["capture"]
    paths: Paths = ctx["paths"]
    stem = f"{index:02d}-{spec['topic']}-{spec['check']}"
    out_path, dump_path = capture / f"{stem}.out", capture / f"{stem}.dump"
    out_fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    dump_fd = os.open(dump_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _worker(spec, ctx["settings"], write_end, out_fd, dump_fd,
                [read_end, ctx["key_fd"], ctx["result_fd"]], limits, ctx["state"],
                ctx["baseline"], ctx["walls"])
    os.close(out_fd)
    os.close(dump_fd)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)          # also done by the worker; whichever runs first wins

    data = bytearray()
    status: int | None = None
    too_many = False
    timed_out: str | None = None
    patience = Patience(limits.timeout, limits.idle_seconds, limits.backstop, start)
    reaped_before = _reaped_cpu()
    next_count = start
    eof = False
    with procs.exit_watch(pid) as exits:     # (else the exit is seen at a poll)
        while status is None:
            ready, _, _ = select.select(([] if eof else [read_end]) + exits, [], [], POLL)
            if read_end in ready:
                chunk = os.read(read_end, 65536)
                eof = not chunk
                if len(data) < MAX_RECORD:
                    data += chunk
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
                break
            now = time.monotonic()
            if now >= next_count:
                next_count = now + 0.25
                # The supervisor is a subreaper: everything below it belongs to this check.
                below = procs.descendants(os.getpid())
                if len(below) > limits.max_processes + SLACK:
                    too_many = True
                else:
                    timed_out = patience.over(
                        now, procs.cpu_seconds(below) + _reaped_cpu() - reaped_before)
            if too_many or timed_out:
                if timed_out:
                    # faulthandler writes a thread dump of every worker-side process
                    procs.signal_all(procs.descendants(os.getpid()), signal.SIGUSR1)
                    time.sleep(0.3)
                procs.kill(tree=os.getpid(), group=pid)
                status = os.waitpid(pid, 0)[1]
    seconds = time.monotonic() - start
    procs.kill(tree=os.getpid(), group=pid, session=os.getsid(0))
    procs.reap_children()
    os.close(write_end)
    end = time.monotonic() + 0.5
    while not eof and time.monotonic() < end:
        ready, _, _ = select.select([read_end], [], [], POLL)
        if ready:
            chunk = os.read(read_end, 65536)
            eof = not chunk
            if len(data) < MAX_RECORD:
                data += chunk
    os.close(read_end)

    output, size = _excerpt(out_path, OUTPUT_EXCERPT)
    dump, _ = _excerpt(dump_path, DUMP_EXCERPT)
    for path in (out_path, dump_path):
        path.unlink(missing_ok=True)
    if status != 0 and not timed_out and not too_many:
        data = bytearray()        # only a worker that finished cleanly has a record
    record = _verdict(spec, bytes(data), status, timed_out, too_many, paths.dump(dump),
                      limits)
    record["seconds"] = round(seconds, 3)
    record["message"] = paths.clean(record.get("message", ""))
    record["output"] = paths.clean(output)
    if size >= limits.output_mb * 1024 * 1024:
        record["output"] += f"\n[output stopped at the {limits.output_mb} MiB limit]"
    return record


def _reaped_cpu() -> float:
    """CPU time of the supervisor's children that have ended and been reaped (orphans of
    a check included: the supervisor is their subreaper)."""
    t = os.times()
    return t.children_user + t.children_system


#: What a check that was stopped was doing, by the reason :class:`Patience` gave.
_STOPPED = {
    "cpu": "The check used {timeout:g} s of CPU time without finishing and was stopped (an "
           "endless loop the engine cannot interrupt?).",
    "idle": "The check stopped making progress and was stopped: for {idle:g} s none of its "
            "processes used any CPU (code blocked outside the engine, waiting for something "
            "that never comes?).",
    "backstop": "The check did not finish within {backstop:g} s and was stopped (code that "
                "wakes now and then but never finishes?).",
}


def _how_it_ended(status: int, limits: Limits) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"it used more than {limits.cpu_seconds} s of CPU time"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        return f"it was killed by signal {name}"
    return f"the submitted code ended the process with exit code {os.WEXITSTATUS(status)}"


#: A worker's record: each field it may hold and the types it may have.
_FIELDS: dict[str, tuple[type, ...]] = {
    "passed": (bool,), "bug_class": (str, type(None)), "load_error": (bool,),
    "message": (str,), "schedules_run": (int,), "token": (str, type(None)),
    "seed": (int, type(None)), "strategy": (str, type(None)), "schedule": (int, type(None)),
    "timeline": (dict,), "changed": (list,), "refused": (list,), "process_refusals": (int,),
    "error": (str,), "kit_error": (bool,)}
_BUGS = frozenset(Bug)


def _well_formed(record: object) -> TypeGuard[dict[str, Any]]:
    """One JSON object holding only the fields a worker writes, each of its type, and a bug
    class the kit knows: a record forged by submitted code gets no further (it once stopped
    the writing of the class's files on a bug class that was a list)."""
    if not isinstance(record, dict):
        return False
    for key, value in record.items():
        kinds = _FIELDS.get(key)
        if kinds is None or type(value) not in kinds:
            return False
    if record.get("bug_class") is not None and record["bug_class"] not in _BUGS:
        return False
    return all(type(item) is str for key in ("changed", "refused")
               for item in record.get(key, []))


def _verdict(spec: dict[str, Any], data: bytes, status: int, timed_out: str | None,
             too_many: bool, dump: str, limits: Limits) -> dict[str, Any]:
    base = {"topic": spec["topic"], "check": spec["check"]}
    if timed_out:
        text = _STOPPED[timed_out].format(timeout=limits.timeout, idle=limits.idle_seconds,
                                          backstop=limits.backstop)
        if dump.strip():
            text += "\nWhere the threads were when it was stopped:\n" + dump.rstrip()
        return {**base, "status": "error", "bug_class": Bug.TIMEOUT, "message": text}
    if too_many:
        return {**base, "status": "error", "bug_class": Bug.PROCESS_LIMIT,
                "message": f"The submission ran more than {limits.max_processes} processes at "
                           "once while the check ran; they were all stopped."}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == CHANNEL_REPLACED:
        return {**base, "status": "failed", "bug_class": Bug.TAMPERING,
                "message": "The submission closed the check's result channel and opened "
                           "something else in its place, so this check scores 0."}
    try:
        record = json.loads(data) if data else None
    except ValueError:
        record = None
    if not _well_formed(record):
        how = _how_it_ended(status, limits)
        if data:
            how = "it sent something other than one result"
        return {**base, "status": "error", "bug_class": Bug.CRASH,
                "message": f"The check's process ended before reporting: {how}. Look for "
                           "os._exit, sys.exit or a crash in code that runs at import."}
    result = {**base, **{k: record.get(k) for k in
                         ("token", "seed", "strategy", "schedule", "schedules_run")}}
    refused = [str(r) for r in record.get("refused") or []]
    changed = [str(c) for c in record.get("changed") or []]
    if changed:
        return {**result, "status": "failed", "bug_class": Bug.TAMPERING,
                "message": "The submission changed the modules the checks rely on (threading, "
                           "time, queue, random, builtins or the grader itself), so this "
                           "check scores 0:\n" + "\n".join(f"  {c}" for c in changed)}
    if record.get("process_refusals"):
        return {**result, "status": "failed", "bug_class": Bug.PROCESS_LIMIT,
                "message": "The submission tried to start processes or programs beyond what "
                           f"grading allows (at most {limits.max_processes} forks, no "
                           "programs), so this check scores 0. Refused: "
                           + "; ".join(sorted(set(refused))) + "."}
    if refused:
        return {**result, "status": "failed", "bug_class": Bug.FORBIDDEN_OPERATION,
                "message": "The submission tried " + "; ".join(sorted(set(refused)))
                           + ", which grading does not allow, so this check scores 0."}
    if "error" in record:
        if record.get("kit_error"):
            return {**result, "status": "error", "bug_class": Bug.GRADER,
                    "message": f"The kit's own check code failed with {record['error']}, "
                               "outside the submitted code."}
        return {**result, "status": "error", "bug_class": Bug.CRASH,
                "message": f"The check stopped with {record['error']}."}
    passed = bool(record.get("passed"))
    status_word = "passed" if passed else ("error" if record.get("load_error") else "failed")
    if status_word == "failed" and record.get("timeline") is not None:
        result["timeline"] = record["timeline"]
    return {**result, "status": status_word, "bug_class": record.get("bug_class"),
            "message": str(record.get("message") or "")}


# ----------------------------------------------------------------- main
def _missing_package(topic_name: str) -> str | None:
    """Why this interpreter cannot grade ``topic_name`` (a package it ``requires`` does not
    import), or None. Called in the supervisor before any student code runs.

    Each package is imported, not only looked up with ``find_spec``: one whose own dependency
    is missing is found and still fails. The engine imports such libraries afresh in every
    run, so this first import changes no verdict.
    """
    from graders.catalog import topic

    for name in topic(topic_name).requires:
        try:
            importlib.import_module(name)
        except Exception as exc:
            lacking = getattr(exc, "name", None) or name
            python = ".".join(map(str, sys.version_info[:3]))
            return (f"The {topic_name} checks need the package {name}, which the grading "
                    f"interpreter ({sys.executable}, Python {python}) cannot import "
                    f"({type(exc).__name__}: {exc}). Install {lacking} where the grader runs "
                    f"({sys.executable} -m pip install {lacking}); for a PrairieLearn course, "
                    "rerun `python -m graders prairielearn question` where it is installed: "
                    "it copies the package beside the kit.")
    return None


def _import_all(package: str) -> None:
    """Import every module of ``package`` now, so none appears for the first time in a
    worker (where the integrity comparison would take it for an addition)."""
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        importlib.import_module(info.name)


def main(after_fork: list[Any] | None = None) -> None:
    config = json.loads(sys.argv[1])
    procs.die_with_parent(int(config["parent"]))
    # From here on this process is the supervisor inside the submission's walls (PID 1 of
    # its namespaces, in its private view of the filesystem); the caller stays outside.
    isolation.enter(config["isolation"])
    walls = isolation.Isolation.from_json(config["isolation"]["isolation"])
    key_fd = os.dup(0)                       # the key stays unread in this pipe for now
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    procs.become_subreaper()
    limits = Limits.from_json(config["limits"])
    apply_process_limits(limits)
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)

    kit = str(Path(config["kit"]).resolve())
    import graders
    import graders.checking
    from graders.checks import checks_of
    from graders.engine import Settings

    _import_all("graders.engine")

    if not str(Path(graders.__file__).resolve()).startswith(kit + os.sep):
        raise SystemExit(f"the kit was imported from {graders.__file__}, not from {kit}")
    for spec in config["checks"]:
        checks_of(spec["topic"])
    missing = {name: _missing_package(name) for name in {s["topic"] for s in config["checks"]}}

    work = str(Path(config["work"]).resolve())
    state = guard.GuardState(supervisor=os.getpid(), student_roots=(work + os.sep,),
                             scratch=work)
    guard.install(state, after_fork if after_fork is not None else [])
    guard.protect_functions(state)
    baseline = integrity.take()
    ctx = {"limits": limits, "capture": Path(config["capture"]), "paths": Paths(work, kit),
           "settings": Settings(schedules=int(config["settings"]["schedules"]),
                                seed=int(config["settings"]["seed"])),
           "key_fd": key_fd, "result_fd": int(config["result_fd"]), "state": state,
           "walls": walls,
           "baseline": baseline}
    records = [_run_one(i, spec, ctx) if missing[spec["topic"]] is None else
               {"topic": spec["topic"], "check": spec["check"], "status": "error",
                "bug_class": Bug.GRADER, "message": missing[spec["topic"]]}
               for i, spec in enumerate(config["checks"], 1)]
    key = _read_exactly(key_fd, KEY_BYTES, time.monotonic() + 5)
    os.close(key_fd)
    if len(key) != KEY_BYTES:
        os._exit(3)
    python = ".".join(map(str, sys.version_info[:3]))
    _write_all(ctx["result_fd"], sign(key, {"checks": records, "python": python}))
    os.close(ctx["result_fd"])
    os._exit(0)
