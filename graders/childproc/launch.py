"""Checks that run the student's code in a child process: a hard timeout, nothing left behind.

Some properties cannot be judged on the engine's controlled threads: work spread over
processes, a program that must exit, a simulator that might loop forever. Those checks start
a child interpreter in a session of its own (so that it and everything it started can be
killed at once), give it a generous time budget as a backstop (a verdict never depends on how
fast the code ran), and read what it wrote to a file.

``run_processes`` drives ``process_driver.py`` (beside this module): the student's functions
under chosen start methods, with a probe on a task function reporting which processes ran
it. One driver run serves every check of a folder: it is remembered by the folder's contents
and the seed.

The student's code sees the course machine, not the grading one: the driver makes every CPU
count Python can read say :data:`~graders.checks.support.COURSE_CPUS`, and it never judges
by the clock: a probe waiting for a second call gives up, and a ``join()`` on a worker that
waits for ever is ended, only when nothing else in the program has run for a while (every
process and thread asleep, no CPU used), which a slow or loaded machine does not cause. So a
verdict is the same on 2 cores and on 64, on an idle machine and on a loaded one. (``wait``
of :func:`run_processes` is only a backstop for a probe's wait in a program that stays busy.)
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.checks.support import COURSE_CPUS, student_file, verdict
from graders.engine import Exploration, LoadError, Settings

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "process_driver.py"

#: Seconds a child may run before it is killed: a backstop for a hang, never a verdict.
BUDGET = 45.0
#: Most worker processes a scenario may ask for (the machine may run as root).
MOST_WORKERS = 4


# ------------------------------------------------------------------ one child
@dataclass
class ChildRun:
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    seconds: float


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_child(argv: Sequence[str], *, timeout: float = BUDGET, env: dict[str, str] | None = None,
              cwd: str | Path | None = None) -> ChildRun:
    """Run ``argv`` in a new session; kill the whole session on timeout, and after it exits.

    Output goes to files, not pipes, so a grandchild that keeps a pipe open cannot make the
    wait last longer than the budget.
    """
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            proc.wait()
        except BaseException:
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            _kill_group(proc.pid)
        out.seek(0)
        err.seek(0)
        return ChildRun(None if timed_out else proc.returncode, timed_out,
                        out.read()[-20_000:], err.read()[-20_000:], time.monotonic() - start)


def folder_digest(folder: Path) -> str:
    """A fingerprint of the ``.py`` files in ``folder``: any edit gives a new one."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.py")):
        h.update(path.name.encode())
        with contextlib.suppress(OSError):
            h.update(path.read_bytes())
    return h.hexdigest()


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADERS_PD_", "PYTEST_"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", **extra)
    env.pop("PYTHONSTARTUP", None)
    return env


def require_functions(path: Path, names: Sequence[str]) -> None:
    """A LoadError unless ``path`` parses and defines each of ``names`` at its top level."""
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except SyntaxError as exc:
        where = f"{path}, line {exc.lineno}" if exc.lineno else str(path)
        raise LoadError(f"{where}: {exc.msg} (SyntaxError)") from None
    defined = {node.name for node in tree.body
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    defined |= {t.id for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    defined |= {(a.asname or a.name).split(".")[0] for node in tree.body
                if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names}
    missing = [n for n in names if n not in defined]
    if missing:
        raise LoadError(f"{path}: the check expects {', '.join(f'{n}()' for n in missing)} "
                        f"at the top level of the file, and there is no "
                        f"{' or '.join(repr(n) for n in missing)} (was it renamed?).")


# ------------------------------------------------------------------ the process driver
@dataclass
class Scenario:
    """One call of a student's function under one start method."""

    name: str
    function: str
    args: list[Any]
    method: str
    workers: int
    expect: Any
    call: str                      # how to show the call in a message: census([...], 3)
    hold: Any = None               # a task (its first argument) held until another finished

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "function": self.function, "args": self.args,
                "method": self.method, "cap": min(self.workers, MOST_WORKERS),
                "expect": self.expect, "reference": "fork", "hold": self.hold}


@dataclass
class DriverRun:
    """What the driver reported, scenario by scenario."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_error: str | None = None
    unfinished: str | None = None     # the scenario running when the budget ran out
    crashed: str | None = None        # the driver died: its last words
    seconds: float = 0.0
    driver_pid: int | None = None


_memo: dict[tuple[Any, ...], DriverRun] = {}


def run_processes(folder: Path, module_file: str, probe: str, scenarios: Sequence[Scenario],
                  settings: Settings, *, wait: float = 20.0) -> DriverRun:
    """Run ``scenarios`` in one driver process (remembered per folder contents and seed)."""
    path = student_file(folder, module_file)
    key = (str(Path(folder).resolve()), folder_digest(folder), module_file, probe,
           json.dumps([s.config() for s in scenarios], sort_keys=True), settings.seed)
    if key in _memo:
        return _memo[key]
    module = path.stem
    with tempfile.TemporaryDirectory(prefix="graders-pd-") as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"scenarios": [s.config() for s in scenarios]}))
        results = Path(tmp) / "results.jsonl"
        probes = Path(tmp) / "probes"
        probes.mkdir()
        env = child_env(GRADERS_PD_FOLDER=str(path.parent.resolve()), GRADERS_PD_MODULE=module,
                        GRADERS_PD_PROBE=probe, GRADERS_PD_DIR=str(probes),
                        GRADERS_PD_WAIT=str(wait), GRADERS_PD_CPUS=str(COURSE_CPUS))
        child = run_child([sys.executable, "-P", str(DRIVER), str(config), str(results)],
                          env=env, cwd=tmp)
        lines = results.read_text().splitlines() if results.exists() else []
    run = DriverRun(seconds=child.seconds)
    done = False
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "load_error" in record:
            run.load_error = record["load_error"]
        elif record.get("phase") == "start":
            run.unfinished = record["scenario"]
        elif record.get("phase") == "end":
            run.results[record["scenario"]] = record
            run.unfinished = None
            run.driver_pid = record.get("driver")
        elif record.get("phase") == "done":
            done = True
    if run.load_error is not None:
        raise LoadError(f"{path}: could not import it: {run.load_error}")
    if not done and not child.timed_out:
        tail = (child.stderr.strip().splitlines() or
                [f"(no output; exit status {child.returncode})"])[-3:]
        run.crashed = "\n".join(tail)
    if child.timed_out and run.unfinished is None and not done:
        run.unfinished = next((s.name for s in scenarios if s.name not in run.results), None)
    _memo[key] = run
    return run


# ------------------------------------------------------------------ verdicts
def _error_text(error: dict[str, Any]) -> str:
    where = f" ({error['where']})" if error.get("where") else ""
    return f"{error['type']}: {error['message']}{where}"


def outcome_failure(run: DriverRun, scenario: Scenario, settings: Settings,
                    runs: int) -> Exploration | None:
    """Did the call finish, without an exception, with the exact result? None when it did."""
    if run.crashed is not None and scenario.name not in run.results:
        return verdict(settings, Bug.EXCEPTION,
                       f"The program crashed while running {scenario.call}.",
                       f"Its last words:\n{run.crashed}", runs)
    if scenario.name not in run.results:
        if run.unfinished == scenario.name:
            return verdict(
                settings, Bug.NO_EXIT,
                f"{scenario.call} (start method {scenario.method!r}) did not return within "
                f"{BUDGET:g} seconds, so the program never finishes.",
                "The work itself takes a fraction of a second. Something waits forever: a "
                "join() on a worker that was never told to stop, or a get() for a result "
                "that never comes.", runs)
        return verdict(settings, Bug.NO_EXIT,
                       f"{scenario.call} never ran: an earlier call of the program did not "
                       f"finish within {BUDGET:g} seconds.", "", runs)
    result = run.results[scenario.name]
    error = result.get("error")
    reference = result.get("reference") or {}
    if error is not None and error["type"] == "TooManyProcesses":
        return verdict(settings, Bug.TOO_MANY_PROCESSES,
                       f"{scenario.call} under {scenario.method!r}: {error['message']}.",
                       "Start at most as many worker processes as the `workers` argument "
                       f"says (a pool sized from the CPU count starts {COURSE_CPUS} on the "
                       "course machine).", runs)
    spawn_only = reference and "error" not in reference and reference.get("exact")
    if error is not None:
        if spawn_only:
            return verdict(
                settings, Bug.NOT_SPAWN_SAFE,
                f"{scenario.call} failed under the {scenario.method!r} start method: "
                f"{_error_text(error)}. Under 'fork' it worked.",
                "With 'spawn' and 'forkserver' a worker is a fresh interpreter: it imports "
                "your module and receives its task pickled, so the task must be a function "
                "defined at the top level of the module, and the worker sees module globals "
                "as the import left them, not as the main program changed them.", runs)
        return verdict(settings, Bug.EXCEPTION,
                       f"{scenario.call} raised {_error_text(error)} (start method "
                       f"{scenario.method!r}).", "", runs)
    if not result.get("exact"):
        got = result.get("value")
        shown = got.get("repr") if isinstance(got, dict) and "repr" in got else got
        # The right counts in another order are a wrong result under any start method: the
        # 'fork' run was right only if its held-back block still came first (a loaded
        # machine can make the hold give up).
        if spawn_only and not _reordered(got, scenario.expect):
            return verdict(
                settings, Bug.NOT_SPAWN_SAFE,
                f"{scenario.call} under the {scenario.method!r} start method returned "
                f"{shown}; the right answer, which it gave under 'fork', is "
                f"{scenario.expect}.",
                "A worker started with 'spawn' or 'forkserver' imports your module afresh: "
                "a global the main program set before starting it is not set there. Pass "
                "what a worker needs as arguments.", runs)
        return verdict(settings, Bug.WRONG_RESULT,
                       f"{scenario.call} returned {shown}; the right answer is "
                       f"{scenario.expect}.", "", runs)
    return None


def _reordered(got: object, expect: object) -> bool:
    """``got`` holds exactly the items of ``expect``, in another order."""
    if not (isinstance(got, list) and isinstance(expect, list)) or got == expect:
        return False
    try:
        return sorted(got) == sorted(expect)
    except TypeError:
        return False


def processes_failure(run: DriverRun, scenario: Scenario, settings: Settings, runs: int,
                      task: str, exact_check: str = "") -> Exploration | None:
    """Did the task run in two or more worker processes, none of them the main one?

    Judged from where the task ran, whatever the call returned. When the call failed under
    the scenario's start method before running the task at all, and ran it under 'fork',
    the 'fork' run shows where the work goes (that the call fails is ``exact_check``'s
    business)."""
    result = run.results.get(scenario.name)
    if result is None:
        return unobserved(run, scenario, settings, runs, exact_check)
    callers = [int(p) for p in result.get("callers", [])]
    driver = result.get("driver")
    gave_up = result.get("gave_up")
    reference = result.get("reference") or {}
    if not callers and "error" in result and reference.get("callers"):
        callers = [int(p) for p in reference["callers"]]
        gave_up = False
    if not callers:
        if "error" in result:
            other = f" (see {exact_check})" if exact_check else ""
            return verdict(
                settings, Bug.EXCEPTION,
                f"{scenario.call} raised {_error_text(result['error'])} before calling "
                f"{task}() even once, so where the work runs could not be seen{other}.",
                "", runs)
        return verdict(
            settings, Bug.SINGLE_PROCESS,
            f"{scenario.call} returned without calling {task}() at all.",
            f"The check counts the processes that run {task}(); call it for every item.",
            runs)
    if callers == [driver]:
        return verdict(
            settings, Bug.SINGLE_PROCESS,
            f"{scenario.call}: every call of {task}() ran in the main process. Threads "
            "live inside one process and take turns holding its GIL, "
            "so CPU-bound work on threads does not run in parallel.",
            f"Use worker processes: each has its own interpreter and its own GIL. The "
            f"check asked for {scenario.workers} workers.", runs)
    if len(callers) < 2:
        waited = (f" A call of {task}() waited for a second one to start, until nothing else "
                  "in the program was running; none did." if gave_up else "")
        return verdict(
            settings, Bug.SINGLE_PROCESS,
            f"{scenario.call}: all {task}() calls ran in one worker process (pid "
            f"{callers[0]}), one after another.{waited}",
            "Hand out all the work before waiting for any result (submit everything, then "
            "collect), so that several workers are busy at once.", runs)
    if driver in callers:
        return verdict(
            settings, Bug.WORK_IN_MAIN,
            f"{scenario.call}: some calls of {task}() ran in the main process (pid "
            f"{driver}), some in workers {', '.join(str(p) for p in callers if p != driver)}.",
            "Give every item to the workers; the main program only hands out work and "
            "collects results.", runs)
    return None


def too_many_failure(run: DriverRun, scenario: Scenario, settings: Settings, runs: int,
                     exact_check: str = "") -> Exploration | None:
    """Did the call start at most ``scenario.workers`` processes (under 'fork' too, when it
    failed under the scenario's start method)?"""
    result = run.results.get(scenario.name)
    if result is None:
        return unobserved(run, scenario, settings, runs, exact_check)
    started = int(result.get("started") or 0)
    error = result.get("error") or {}
    if error.get("type") == "TooManyProcesses" or started > scenario.workers:
        most = (f"more than {started}" if error.get("type") == "TooManyProcesses"
                else str(started))
        return verdict(
            settings, Bug.TOO_MANY_PROCESSES,
            f"{scenario.call} (start method {scenario.method!r}) started {most} worker "
            f"processes; it was asked to use {scenario.workers}.",
            "Start at most as many worker processes as the `workers` argument says. A pool "
            "sized from the machine's CPU count (the default size) or a process per item "
            f"depends on the machine or on the input: the course machine has {COURSE_CPUS} "
            "CPUs.", runs)
    return None


def unobserved(run: DriverRun, scenario: Scenario, settings: Settings, runs: int,
                other: str) -> Exploration:
    """One line: the call never returned (or never ran), so nothing could be seen."""
    failure = outcome_failure(run, scenario, settings, runs)
    assert failure is not None and failure.failure is not None
    see = f" (see {other})" if other else ""
    return verdict(settings, failure.failure.bug_class, failure.failure.message + see, "",
                   runs)


def leftovers_failure(run: DriverRun, scenario: Scenario, settings: Settings,
                      runs: int) -> Exploration | None:
    """Was every worker process stopped and reaped once the call returned?"""
    result = run.results.get(scenario.name)
    if result is None:
        return outcome_failure(run, scenario, settings, runs)
    stuck = result.get("stuck")
    if stuck:
        line = f" (`{stuck['line']}`)" if stuck.get("line") else ""
        where = f"at {stuck['where']}{line} " if stuck.get("where") else ""
        who = f"{stuck['joined']} (pid {stuck['pid']})" if stuck.get("joined") else \
            f"pid {stuck['pid']}"
        return verdict(
            settings, Bug.NO_EXIT,
            f"{scenario.call} (start method {scenario.method!r}) would never return: "
            f"{where}it joins {who}, which will never end: for a whole second nothing in the "
            "program ran at all (every process and thread was waiting), so nothing could "
            "ever wake it.",
            "A worker that waits for more work never ends by itself. Tell every worker to "
            "stop (one stop message each) before you join it. (The check killed the workers "
            "so that the call could go on.)", runs)
    left = result.get("leftovers") or []
    if not left:
        return None
    alive = [x for x in left if x["state"] == "alive"]
    zombies = [x for x in left if x["state"] == "zombie"]
    parts = []
    if alive:
        parts.append(f"{len(alive)} worker process{'es' if len(alive) != 1 else ''} still "
                     "running")
    if zombies:
        parts.append(f"{len(zombies)} that exited but {'was' if len(zombies) == 1 else 'were'}"
                     " never joined")
    return verdict(
        settings, Bug.WORKERS_NOT_STOPPED,
        f"After {scenario.call} returned (start method {scenario.method!r}) there "
        f"{'was' if len(left) == 1 else 'were'} {' and '.join(parts)}.",
        "A worker that waits for more work never ends by itself, and Python waits for "
        "non-daemon worker processes before it exits, so the program would never finish. "
        "Tell every worker to stop (one stop message each, or close/shutdown the pool), "
        "then join() each one so that it is reaped.", runs)
