"""Run a student's multiprocessing code in a child interpreter that a check controls.

Not a topic: :mod:`graders.childproc.launch` starts this file as a script, in its own
session with a hard timeout, and reads what it writes. It uses the standard library only, so
that worker processes started with 'spawn' or 'forkserver' (which import this file again as
``__mp_main__``) start quickly.

What it does, in the driver and in every worker process alike (module level, below):

* wraps the student's task function (``GRADERS_PD_MODULE``.``GRADERS_PD_PROBE``) in a probe
  that records which process ran each call, and that lets a call wait until a second call is
  in flight (so a pool of several workers really hands work to several of them however
  quick each task is), and the scenario's *held* task until another call has finished (so
  a program that collects results as they arrive shows it, on every machine);
* counts the processes the program starts (a scenario may start ``cap`` of them; the count
  is reported, not enforced), refuses to start more than HARD_CAP (the machine may run as
  root, where ``RLIMIT_NPROC`` does not bind), and lets worker processes start none of
  their own;
* shows the student's code the course machine: COURSE_CPUS CPUs (``GRADERS_PD_CPUS``, set by
  :mod:`graders.childproc.launch` from :data:`graders.checks.support.COURSE_CPUS`), whatever
  the grading machine has: ``os.cpu_count()``, ``os.process_cpu_count()`` (3.13),
  ``multiprocessing.cpu_count()``, ``os.sched_getaffinity(0)`` and the ``os.sysconf``
  processor counts all say so, and so do the default sizes of ``ThreadPoolExecutor``,
  ``ProcessPoolExecutor`` and ``multiprocessing.Pool`` (they read those functions).

Waiting is never timed against the clock: a call that waits for another one gives up only
when the rest of the program has been idle (every other process and thread asleep, using no
CPU) for a while, which a slow or busy machine does not cause (a process that has work is
runnable, not asleep). So the verdicts are the same on a fast machine and on a loaded one.

In the driver only (``main``), for each scenario of the configuration: set the start method,
call the student's function (a watcher thread ends a ``join()`` on a worker that can never
end: the main thread joins, no task is under way and nothing else has run for
STUCK_SECONDS; it writes down where and kills the workers so the call goes on), then look
for child processes left behind (alive, or exited but never reaped), kill them, and write
one JSON line with what happened.

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
ENV_CPUS = "GRADERS_PD_CPUS"

#: The CPU count the student's code sees (the course machine), unless GRADERS_PD_CPUS says.
COURSE_CPUS = 4
#: Most processes one scenario may start before the driver refuses (a runaway program).
HARD_CAP = 12
#: How long the rest of the program must stay idle before a waiting call stops waiting.
IDLE_SECONDS = 0.6
#: How long everything must stay idle while the main thread joins a worker before the worker
#: is known to wait for ever (it is then killed, so that the call can go on).
STUCK_SECONDS = 1.0


class TooManyProcesses(RuntimeError):
    """Raised instead of starting a process the scenario does not allow."""


# ------------------------------------------------------------------ in every process
#: True in a driver and its workers; importing this file anywhere else changes nothing.
ACTIVE = bool(os.environ.get(ENV_DIR))


def _course_cpus() -> int:
    try:
        return max(1, int(os.environ.get(ENV_CPUS, COURSE_CPUS)))
    except ValueError:
        return COURSE_CPUS


def pin_machine(cpus: int) -> None:
    """Make every way Python reads the machine's CPU count say ``cpus``."""
    def cpu_count() -> int:
        return cpus

    def sched_getaffinity(pid: int) -> set[int]:
        return set(range(cpus))

    real_sysconf = os.sysconf
    names = {"SC_NPROCESSORS_ONLN", "SC_NPROCESSORS_CONF"}
    numbers = {os.sysconf_names[n] for n in names if n in getattr(os, "sysconf_names", {})}

    def sysconf(name: str | int) -> int:
        if name in names or name in numbers:
            return cpus
        return real_sysconf(name)

    os.cpu_count = cpu_count
    os.process_cpu_count = cpu_count  # type: ignore[attr-defined]  # 3.13 reads this one
    os.sched_getaffinity = sched_getaffinity  # type: ignore[assignment]
    os.sysconf = sysconf  # type: ignore[assignment]


if ACTIVE:
    pin_machine(_course_cpus())

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
        if _started[0] >= max(_allowed[0], HARD_CAP):
            raise TooManyProcesses(
                f"the program tried to start more than {max(_allowed[0], HARD_CAP)} worker "
                f"processes (it was asked to use {_allowed[0]}); the check stopped it there")
        _started[0] += 1
        real_start(self)  # type: ignore[arg-type]

    mpp.BaseProcess.start = start  # type: ignore[method-assign]


if ACTIVE:
    _install_cap()

_seq = itertools.count()


def _touch(path: str) -> None:
    with contextlib.suppress(OSError), open(path, "x"):
        pass


def _threads_of(pid: int) -> dict[tuple[int, int], tuple[int, str]]:
    """(pid, thread id) -> (CPU ticks used, state letter) for every thread of ``pid``."""
    found = {}
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, IndexError, ValueError), \
                    open(f"/proc/{pid}/task/{task}/stat", "rb") as f:
                raw = f.read()
                fields = raw[raw.rfind(b")") + 2:].split()
                found[(pid, int(task))] = (int(fields[11]) + int(fields[12]),
                                           fields[0].decode())
    return found


def _others() -> dict[tuple[int, int], tuple[int, str]]:
    """Every thread of the driver and its descendants but the calling one."""
    driver = int(os.environ.get(ENV_DRIVER) or os.getppid())
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                raw = f.read()
            children.setdefault(int(raw[raw.rfind(b")") + 2:].split()[1]), []).append(int(name))
        except (OSError, IndexError, ValueError):
            continue
    found: dict[tuple[int, int], tuple[int, str]] = {}
    todo, seen = [driver], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
        found.update(_threads_of(pid))
    found.pop((os.getpid(), threading.get_native_id()), None)
    return found


class _Idle:
    """Tells when the rest of the program has been idle for IDLE_SECONDS: every other thread
    of every process of the driver's tree asleep at every look, using no CPU, and no thread
    or process come or gone."""

    def __init__(self, seconds: float = IDLE_SECONDS, backstop: float | None = None) -> None:
        self.since: float | None = None
        self.seen: dict[tuple[int, int], tuple[int, str]] = {}
        self.proc = os.path.isdir("/proc")
        self.seconds = seconds
        self.backstop = time.monotonic() + (float(os.environ.get(ENV_WAIT, "20"))
                                            if backstop is None else backstop)
        self.next_look = 0.0

    def reset(self) -> None:
        self.since = None
        self.seen = {}

    def long_enough(self) -> bool:
        now = time.monotonic()
        if now > self.backstop or not self.proc:
            # A backstop only (or no /proc to look at): a program busy for that long without
            # ever letting a second call start is not going to.
            return now > self.backstop
        if now < self.next_look:
            return False
        self.next_look = now + 0.05
        others = _others()
        quiet = set(others) == set(self.seen) and all(
            state in "SZXI" and self.seen[key][0] == ticks
            for key, (ticks, state) in others.items())
        self.seen = others
        if not quiet:
            self.since = None
            return False
        if self.since is None:
            self.since = now
        return now - self.since >= self.seconds


def _wait_until(done: object, idle: _Idle) -> bool:
    """Poll ``done()`` until it is true (True) or the rest of the program is idle (False)."""
    while True:
        if done():  # type: ignore[operator]
            return True
        if idle.long_enough():
            return False
        time.sleep(0.005)


def _rendezvous(root: str, args: tuple[object, ...]) -> str | None:
    """Record this call; until two calls have been seen in flight at once, wait for that;
    the scenario's held task then waits until another call has finished.

    Nobody waits for ever: a wait ends when the rest of the program has been idle for a
    while (nothing else can come), not after some number of seconds.
    """
    try:
        with open(os.path.join(root, "current")) as f:
            scenario = f.read().strip()
    except OSError:
        return None
    here = os.path.join(root, scenario)
    me = f"{os.getpid()}-{threading.get_ident()}-{next(_seq)}"
    _touch(os.path.join(here, f"enter-{me}"))
    overlapped = os.path.join(here, "overlapped")
    gave_up = os.path.join(here, "gave-up")

    def second_in_flight() -> bool:
        if os.path.exists(overlapped) or os.path.exists(gave_up):
            return True
        names = os.listdir(here)
        exited = {n[5:] for n in names if n.startswith("exit-")}
        if any(n.startswith("enter-") and n[6:] != me and n[6:] not in exited for n in names):
            _touch(overlapped)
            return True
        return False

    if not _wait_until(second_in_flight, _Idle()):
        _touch(gave_up)
    hold = None
    with contextlib.suppress(OSError, ValueError), open(os.path.join(here, "hold")) as f:
        hold = json.load(f)
    if hold is not None and args and _plain(args[0]) == hold:
        def another_finished() -> bool:
            return any(n.startswith("exit-") for n in os.listdir(here))

        if not _wait_until(another_finished, _Idle()):
            _touch(os.path.join(here, "hold-gave-up"))
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
        done = _rendezvous(root, args)
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


def _hold(folder: str, scenario: dict[str, object]) -> None:
    """Tell the probe which task of this scenario to hold back (its first argument)."""
    if scenario.get("hold") is not None:
        with open(os.path.join(folder, "hold"), "w") as f:
            json.dump(scenario["hold"], f)


def _plain(value: object) -> object:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return {"repr": repr(value)[:300]}


def _watch_joins(here: str, main: int, finished: threading.Event,
                 out: dict[str, object]) -> None:
    """While a call runs: when its main thread is blocked in ``Process.join()``, no task is
    under way, and nothing else in the program has run for STUCK_SECONDS (every thread
    asleep, no CPU used), the process it joins is waiting for something only the blocked
    main thread could give: it will never end. Write down where, and kill the worker
    processes so that join() returns and the call can finish."""
    folder = os.environ.get(ENV_FOLDER, "") + os.sep
    process_py = os.path.join("multiprocessing", "process.py")
    idle = _Idle(STUCK_SECONDS, backstop=float("inf"))
    while not finished.wait(0.05):
        frame = sys._current_frames().get(main)
        joined, where, line = None, "", ""
        while frame is not None:
            code = frame.f_code
            if code.co_name == "join" and code.co_filename.endswith(process_py):
                joined = frame.f_locals.get("self")
            if not where and code.co_filename.startswith(folder):
                where = f"{os.path.basename(code.co_filename)}, line {frame.f_lineno}"
                import linecache

                line = linecache.getline(code.co_filename, frame.f_lineno).strip()
            frame = frame.f_back
        try:
            names = os.listdir(here)
        except OSError:
            names = []
        exited = {n[5:] for n in names if n.startswith("exit-")}
        busy = any(n.startswith("enter-") and n[6:] not in exited for n in names)
        if joined is None or busy:
            idle.reset()
            continue
        if not idle.long_enough():
            continue
        out["stuck"] = {"where": where, "line": line[:120],
                        "joined": str(getattr(joined, "name", "")),
                        "pid": getattr(joined, "pid", None)}
        helpers, table = _helpers(), _processes()
        todo = [os.getpid()]
        while todo:   # every descendant but the helpers (the fork server's children too)
            parent = todo.pop()
            for pid, (ppid, _state) in table.items():
                if ppid == parent:
                    todo.append(pid)
                    if pid not in helpers:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
        return


def _call(mod: object, scenario: dict[str, object], method: str) -> dict[str, object]:
    import multiprocessing

    multiprocessing.set_start_method(method, force=True)
    _allowed[0] = int(scenario["cap"])  # type: ignore[call-overload]
    _started[0] = 0
    out: dict[str, object] = {"method": method}
    finished = threading.Event()
    with open(os.path.join(os.environ[ENV_DIR], "current")) as f:
        here = os.path.join(os.environ[ENV_DIR], f.read().strip())
    watcher = threading.Thread(target=_watch_joins, name="graders-join-watch", daemon=True,
                               args=(here, threading.get_ident(), finished, out))
    watcher.start()
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
    finished.set()
    watcher.join()
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
        _hold(here, scenario)
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
        out["gave_up"] = os.path.exists(os.path.join(here, "gave-up"))
        out["held"] = scenario.get("hold") is not None and not os.path.exists(
            os.path.join(here, "hold-gave-up"))
        if scenario.get("reference") and ("error" in out or not out.get("exact")):
            again = os.path.join(root, f"{index}-fork")
            os.makedirs(again, exist_ok=True)
            _hold(again, scenario)
            with open(os.path.join(root, "current"), "w") as f:
                f.write(f"{index}-fork")
            ref = _call(mod, scenario, str(scenario["reference"]))
            stray = _left_behind("fork", reported)
            _kill(stray)
            reported.update(int(x["pid"]) for x in stray)  # type: ignore[call-overload]
            out["reference"] = {k: ref[k] for k in ("method", "error", "exact") if k in ref}
            out["reference"]["callers"] = _callers(again)
            out["reference"]["started"] = ref["started"]
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
