"""Run a student's multiprocessing code in a child interpreter that a check controls.

Not a topic: :mod:`graders.childproc.launch` starts this file as a script, in its own
session with a hard timeout, and reads what it writes. It uses the standard library only, so
that worker processes started with 'spawn' or 'forkserver' (which import this file again as
``__mp_main__``) start quickly.

What it does, in the driver and in every worker process alike (module level, below):

* wraps the student's task function (``GRADERS_PD_MODULE``.``GRADERS_PD_PROBE``) in a probe
  that records which process ran each call, and that lets a call wait (boundedly) until a
  second call is in flight, so a pool of several workers really hands work to several of
  them however quick each task is;
* refuses to start more processes than the scenario allows, and lets worker processes start
  none of their own (the machine may run as root, where ``RLIMIT_NPROC`` does not bind);
* pretends the machine has 8 CPUs, so a pool sized from the CPU count behaves the same
  everywhere.

In the driver only (``main``), for each scenario of the configuration: set the start method,
call the student's function, then look for child processes left behind (alive, or exited but
never reaped), kill them, and write one JSON line with what happened.

    python -P process_driver.py CONFIG.json RESULTS.jsonl
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import signal
import sys
import threading
import time
import traceback
import types

ENV_FOLDER = "GRADERS_PD_FOLDER"
ENV_MODULE = "GRADERS_PD_MODULE"
ENV_PROBE = "GRADERS_PD_PROBE"
ENV_DIR = "GRADERS_PD_DIR"
ENV_DRIVER = "GRADERS_PD_DRIVER"
ENV_WAIT = "GRADERS_PD_WAIT"

FAKE_CPUS = 8


class TooManyProcesses(RuntimeError):
    """Raised instead of starting a process the scenario does not allow."""


# ------------------------------------------------------------------ in every process
#: True in a driver and its workers; importing this file anywhere else changes nothing.
ACTIVE = bool(os.environ.get(ENV_DIR))


def _fake_cpu_count() -> int:
    return FAKE_CPUS


if ACTIVE:
    os.cpu_count = _fake_cpu_count
    if hasattr(os, "process_cpu_count"):
        os.process_cpu_count = _fake_cpu_count  # type: ignore[attr-defined]

_allowed = [0]
_started = [0]


def _install_cap() -> None:
    import multiprocessing.process as mpp

    real_start = mpp.BaseProcess.start

    def start(self: object) -> None:
        driver = os.environ.get(ENV_DRIVER)
        if driver is not None and str(os.getpid()) != driver:
            raise TooManyProcesses(
                "a worker process tried to start a process of its own; the check lets only "
                "the main program start worker processes")
        if _started[0] >= _allowed[0]:
            raise TooManyProcesses(
                f"the program tried to start more than {_allowed[0]} worker processes, the "
                f"number it was asked to use (workers={_allowed[0]})")
        _started[0] += 1
        real_start(self)  # type: ignore[arg-type]

    mpp.BaseProcess.start = start  # type: ignore[method-assign]


if ACTIVE:
    _install_cap()

_seq = itertools.count()


def _touch(path: str) -> None:
    with contextlib.suppress(OSError), open(path, "x"):
        pass


def _rendezvous(root: str) -> str | None:
    """Record this call; until two calls have been seen in flight at once, wait for that.

    The first calls of a scenario wait (at most GRADERS_PD_WAIT seconds, once per driver
    run) for a second call to start while they are still running; after that nobody waits.
    A pool of several workers then always hands work to at least two of them, however
    quick each task and however slowly the second worker started.
    """
    try:
        with open(os.path.join(root, "current")) as f:
            scenario = f.read().strip()
    except OSError:
        return None
    here = os.path.join(root, scenario)
    me = f"{os.getpid()}-{threading.get_ident()}-{next(_seq)}"
    _touch(os.path.join(here, f"enter-{me}"))
    try:
        names = os.listdir(here)
    except OSError:
        return None
    exited = {n[5:] for n in names if n.startswith("exit-")}
    overlapped = os.path.join(here, "overlapped")
    gave_up = os.path.join(root, "gave-up")
    deadline = time.monotonic() + float(os.environ.get(ENV_WAIT, "4"))
    while not (os.path.exists(overlapped) or os.path.exists(gave_up)):
        names = os.listdir(here)
        if any(n.startswith("enter-") and n[6:] != me and n[6:] not in exited for n in names):
            _touch(overlapped)
            break
        if time.monotonic() > deadline:
            _touch(gave_up)
            break
        time.sleep(0.005)
    return os.path.join(here, f"exit-{me}")


def _install_probe() -> None:
    folder, module, probe, root = (os.environ.get(k) for k in (ENV_FOLDER, ENV_MODULE,
                                                               ENV_PROBE, ENV_DIR))
    if not (folder and module):
        return
    if folder not in sys.path:
        sys.path.insert(0, folder)
    mod = importlib.import_module(module)
    if not probe or not root:
        return
    original = getattr(mod, probe, None)
    if not callable(original) or getattr(original, "_graders_probe", False):
        return

    def watched(*args: object, **kwargs: object) -> object:
        done = _rendezvous(root)
        try:
            return original(*args, **kwargs)
        finally:
            if done is not None:
                _touch(done)

    watched.__module__ = module
    watched.__name__ = watched.__qualname__ = probe
    watched.__doc__ = original.__doc__
    watched._graders_probe = True  # type: ignore[attr-defined]
    setattr(mod, probe, watched)


if ACTIVE and __name__ != "__main__":
    # A worker process importing the driver as __mp_main__ (spawn, forkserver): the probe
    # must be in place before the worker unpickles its task. An import error is left for
    # the worker to meet again, and report, when it unpickles the task.
    with contextlib.suppress(Exception):
        _install_probe()


# ------------------------------------------------------------------ the driver only
_proctable: list[types.ModuleType] = []


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state letter) for every process, from the kit's one ``/proc``
    reader (:mod:`graders.childproc.proctable`, loaded by path once: this script runs with
    ``-P`` and without the kit on ``sys.path``)."""
    if not _proctable:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "proctable", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "proctable.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _proctable.append(module)
    table = _proctable[0].table()
    return {pid: (ppid, state) for pid, (state, ppid, _, _) in table.items()}


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _helpers() -> set[int]:
    """multiprocessing's own helper processes: the resource tracker and the fork server."""
    pids = set()
    try:
        from multiprocessing import resource_tracker

        pid = getattr(resource_tracker._resource_tracker, "_pid", None)
        if pid:
            pids.add(pid)
    except ImportError:
        pass
    try:
        from multiprocessing import forkserver

        pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
        if pid:
            pids.add(pid)
    except ImportError:
        pass
    return pids


def _left_behind(method: str, known: set[int]) -> list[dict[str, object]]:
    """Child processes still there: alive, or (not under forkserver) exited and unreaped."""
    if not os.path.isdir("/proc"):
        import multiprocessing

        return [{"pid": p.pid, "state": "alive", "name": p.name}
                for p in multiprocessing.active_children()]
    me = os.getpid()
    helpers = _helpers()
    deadline = time.monotonic() + (1.0 if method == "forkserver" else 0.0)
    while True:
        table = _processes()
        found = []
        todo = [me]
        while todo:
            parent = todo.pop()
            for pid, (ppid, state) in table.items():
                if ppid != parent:
                    continue
                todo.append(pid)
                if pid in helpers or pid in known:
                    continue
                if state == "Z" and parent in helpers:
                    continue   # the fork server reaps its children itself
                found.append({"pid": pid, "state": "zombie" if state == "Z" else "alive",
                              "parent": ppid, "cmd": _cmdline(pid)[:120]})
        if not found or time.monotonic() >= deadline:
            return found
        if all(f["state"] == "zombie" for f in found):
            return found
        time.sleep(0.05)


def _kill(leftovers: list[dict[str, object]]) -> None:
    for item in leftovers:
        with contextlib.suppress(OSError):
            os.kill(int(item["pid"]), signal.SIGKILL)  # type: ignore[call-overload]
    for item in leftovers:
        if item.get("parent") == os.getpid():
            with contextlib.suppress(OSError):
                os.waitpid(int(item["pid"]), 0)  # type: ignore[call-overload]
    try:
        import multiprocessing

        multiprocessing.active_children()
    except Exception:
        pass


def _callers(folder: str) -> list[int]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted({int(n.split("-")[1]) for n in names if n.startswith("enter-")})


def _plain(value: object) -> object:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return {"repr": repr(value)[:300]}


def _call(mod: object, scenario: dict[str, object], method: str) -> dict[str, object]:
    import multiprocessing

    multiprocessing.set_start_method(method, force=True)
    _allowed[0] = int(scenario["cap"])  # type: ignore[call-overload]
    _started[0] = 0
    out: dict[str, object] = {"method": method}
    try:
        fn = getattr(mod, str(scenario["function"]))
        value = fn(*scenario["args"])  # type: ignore[misc]
    except BaseException as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{os.path.basename(f.filename)}, line {f.lineno}"
                      for f in reversed(frames)
                      if f.filename.startswith(os.environ[ENV_FOLDER])), "")
        out["error"] = {"type": type(exc).__name__, "message": str(exc)[:500], "where": where}
    else:
        out["value"] = _plain(value)
        out["exact"] = out["value"] == scenario.get("expect")
    out["started"] = _started[0]
    _allowed[0] = 0
    return out


def main(argv: list[str]) -> int:
    config_path, results_path = argv
    with open(config_path) as f:
        config = json.load(f)
    os.environ[ENV_DRIVER] = str(os.getpid())
    root = os.environ[ENV_DIR]
    results = open(results_path, "a", buffering=1)  # noqa: SIM115 - one line per scenario

    def emit(record: dict[str, object]) -> None:
        results.write(json.dumps(record) + "\n")
        results.flush()
        os.fsync(results.fileno())

    try:
        _install_probe()
        mod = importlib.import_module(os.environ[ENV_MODULE])
    except BaseException as exc:
        emit({"load_error": f"{type(exc).__name__}: {exc}",
              "trace": traceback.format_exc(limit=-3)})
        return 0
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)
    reported: set[int] = set()
    for index, scenario in enumerate(config["scenarios"]):
        name = str(scenario["name"])
        emit({"scenario": name, "phase": "start"})
        here = os.path.join(root, str(index))
        os.makedirs(here, exist_ok=True)
        with open(os.path.join(root, "current"), "w") as f:
            f.write(str(index))
        if index:
            # Each scenario gets the module as a fresh import: nothing a previous call kept
            # in a global (a pool, a cache) carries over.
            sys.modules.pop(os.environ[ENV_MODULE], None)
            try:
                _install_probe()
                mod = importlib.import_module(os.environ[ENV_MODULE])
            except BaseException as exc:
                emit({"load_error": f"{type(exc).__name__}: {exc}"})
                return 0
        began = time.monotonic()
        out = _call(mod, scenario, scenario["method"])
        out["call_seconds"] = round(time.monotonic() - began, 3)
        out["callers"] = _callers(here)
        leftovers = _left_behind(scenario["method"], reported)
        _kill(leftovers)
        reported.update(int(x["pid"]) for x in leftovers)  # type: ignore[call-overload]
        out["leftovers"] = leftovers
        out["gave_up"] = os.path.exists(os.path.join(root, "gave-up"))
        if scenario.get("reference") and ("error" in out or not out.get("exact")):
            again = os.path.join(root, f"{index}-fork")
            os.makedirs(again, exist_ok=True)
            with open(os.path.join(root, "current"), "w") as f:
                f.write(f"{index}-fork")
            ref = _call(mod, scenario, str(scenario["reference"]))
            stray = _left_behind("fork", reported)
            _kill(stray)
            reported.update(int(x["pid"]) for x in stray)  # type: ignore[call-overload]
            out["reference"] = {k: ref[k] for k in ("method", "error", "exact") if k in ref}
        out.update(scenario=name, phase="end", driver=os.getpid(),
                   seconds=round(time.monotonic() - began, 3))
        emit(out)
    emit({"phase": "done"})
    results.close()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
