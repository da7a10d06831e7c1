"""The child's audit hook: what submitted code may not do while a check runs.

:func:`install` adds a hook with :func:`sys.addaudithook` in the child, after the kit is
imported and before the first worker is forked. Audit hooks cannot be removed, so every
worker and every process a worker forks runs under it; in the supervisor itself (which never
runs student code) it does nothing. It is engine-independent: it sees the interpreter's own
audit events, whichever way the code reached them.

* **Processes.** When submitted code is on the stack, ``os.fork`` and ``os.forkpty`` are
  counted and refused past the cap (``--max-processes``), a forked child may fork no
  further, and starting a program (``os.exec*``, ``os.posix_spawn``, ``os.system``,
  ``subprocess``, which goes through ``_posixsubprocess.fork_exec``) is refused outright: a
  new program would run without this hook, so it could not be held to the cap. The kit's
  own checks may start programs (some run a multiprocessing exercise in a child
  interpreter with a cap of its own). The supervisor's process-tree sweeps and the
  parent's stand behind this (see :mod:`graders.grading.supervisor`).
* **Reaching into the grader.** From submitted code (a frame whose file is one of the
  copied student files, or a ``<string>`` compiled by it): ``sys._getframe``,
  ``sys._current_frames``, ``gc.get_objects`` and friends, ``ctypes``, replacing a
  function's code (``object.__setattr__``), building code objects (``code.__new__``),
  compiling code under another file's name, sending signals, reading ``/proc``, and
  writing files outside the submission's scratch folder. ``sys.settrace``,
  ``sys.setprofile``, ``sys.monitoring``, raw ``_thread`` threads and ``greenlet``'s
  entry points are refused by wrappers instead (:func:`protect_functions` says why).
* **Output of forked processes** goes to /dev/null (several processes writing to one
  captured file interleave differently on every run, and feedback must not).
* **Integrity between runs.** The engine loads the student's files afresh in every run
  (an ``exec`` audit event of a student code object). The first such event of a check
  takes an :mod:`~graders.grading.integrity` snapshot; the next ones compare against it,
  so a patch made while one run imported the student's module is seen before the next
  run uses it. Each of the first :data:`LOOK_EVERY_LOAD` loads looks, then the 16th, the
  32nd, ... only: a look costs about a sixth of a short run (0.35 ms, over a thousand runs
  per check), and what it adds is an earlier verdict, since the worker compares the whole
  interpreter again once the check is over (a patch still in place then is seen; one made
  and undone within a run is seen by no look). The functions' code and defaults are
  compared only when one of them was set since the last look (setting them raises an
  audit event, whoever does it; reading a function's ``__code__`` raises one too, about a
  thousand per look otherwise).

Each refusal raises ``PermissionError`` in the student's code and is recorded; the
supervisor turns any record into a failed check with a message naming what was refused.
"""

from __future__ import annotations

import _thread
import os
import sys
import types
from builtins import (  # noqa: UP029 - pinned: submitted code may replace builtins
    any,
    bytes,
    getattr,
    hasattr,
    int,
    isinstance,
    len,
    list,
    set,
    str,
    tuple,
)
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import integrity

PROCESS_STARTS = frozenset({"os.fork", "os.forkpty"})
PROGRAM_STARTS = frozenset({"os.exec", "os.posix_spawn", "os.spawn", "os.system",
                            "os.startfile", "subprocess.Popen"})
#: Refused when the Python frame that triggered them is submitted code.
FROM_STUDENT_FRAME = {
    "sys._getframe": "sys._getframe() (reaching into the grader's frames)",
    "sys._current_frames": "sys._current_frames() (reaching into the grader's frames)",
    "object.__setattr__": "replacing a function's code or a class's identity",
    "code.__new__": "building code objects",
    "_thread.start_new_thread": "raw _thread threads (use threading.Thread)",
}
#: Refused when submitted code is anywhere on the calling stack.
UNDER_STUDENT_FRAME = {
    "gc.get_objects": "gc.get_objects() (reaching into the grader's objects)",
    "gc.get_referrers": "gc.get_referrers() (reaching into the grader's objects)",
    "gc.get_referents": "gc.get_referents() (reaching into the grader's objects)",
    "os.kill": "sending signals to processes",
    "os.killpg": "sending signals to processes",
    "signal.pthread_kill": "sending signals to threads",
}
#: The loads of a check that each get an integrity look; after them, only the 16th, 32nd...
LOOK_EVERY_LOAD = 8


def look_due(load: int) -> bool:
    """Does the ``load``-th load of the student's module (counted from 1) get a look?"""
    return load <= LOOK_EVERY_LOAD or load & (load - 1) == 0


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


@dataclass
class GuardState:
    """What the hook knows and has seen; one per child, reset in each worker."""

    supervisor: int
    student_roots: tuple[str, ...]
    scratch: str
    max_processes: int = 0
    worker: int = 0
    started: int = 0
    refusals: list[str] = field(default_factory=list)
    process_refusals: int = 0
    in_run_baseline: integrity.Snapshot | None = None
    in_run_index: integrity.Index | None = None
    in_run_changes: list[str] = field(default_factory=list)
    #: a function's code or defaults were set since the last integrity look
    functions_touched: bool = True
    #: the student's module was loaded this many times in this check (once per run)
    loads: int = 0

    def enter_worker(self, max_processes: int) -> None:
        """Called in a freshly forked worker, before the check."""
        self.worker = os.getpid()
        self.max_processes = max_processes
        self.started = 0
        self.refusals.clear()
        self.process_refusals = 0
        self.in_run_baseline = None
        self.in_run_index = None
        self.in_run_changes.clear()
        self.functions_touched = True
        self.loads = 0


class _Probe(Exception):
    pass


def caller() -> types.FrameType | None:
    """The frame that triggered an audit event or called a guarded function: the first one
    outside this file, found without ``sys._getframe`` (which is itself audited)."""
    try:
        raise _Probe
    except _Probe as probe:
        tb = probe.__traceback__
        frame = tb.tb_frame if tb is not None else None
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame


def _untrusted(filename: str, roots: tuple[str, ...]) -> bool:
    """Submitted code: a copied student file, or source it compiled itself (``<string>``)."""
    return filename.startswith(roots) or (
        filename.startswith("<") and not filename.startswith("<frozen"))


def install(state: GuardState, after_fork: list[Callable[[], None]]) -> None:
    """Add the audit hook; ``state`` is the only handle on it (keep it private).

    ``after_fork`` is a list of functions the bootstrap runs first in every forked child."""
    supervisor = state.supervisor
    roots = state.student_roots
    getpid = os.getpid
    get_ident = _thread.get_ident
    busy: set[int] = set()      # threads inside the hook: its own events are not policed
    function_parts = integrity.FUNCTION_PARTS
    policed = frozenset({*PROCESS_STARTS, *PROGRAM_STARTS, *FROM_STUDENT_FRAME,
                         *UNDER_STUDENT_FRAME, "open", "os.listdir", "os.scandir", "exec",
                         "compile"})

    def untrusted(filename: str) -> bool:
        return _untrusted(filename, roots)

    def student_on_stack(frame: types.FrameType | None) -> bool:
        depth = 0
        while frame is not None and depth < 200:
            if untrusted(frame.f_code.co_filename):
                return True
            frame = frame.f_back
            depth += 1
        return False

    def refuse(what: str) -> None:
        if len(state.refusals) < 20:
            state.refusals.append(what)
        raise PermissionError(f"grading does not allow {what} in submitted code")

    def outside_scratch(path: object) -> bool:
        if isinstance(path, int):
            return False
        try:
            text = os.fsdecode(path)  # type: ignore[arg-type]
        except TypeError:
            return False
        full = os.path.normpath(os.path.join(os.getcwd(), text))
        return not (full == "/dev/null" or full.startswith(state.scratch + os.sep))

    def on_open(args: tuple[object, ...]) -> None:
        path, mode, flags = (*tuple(args), None, None, None)[:3]
        if isinstance(path, int):
            return
        text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS != 0)
        proc = os.path.normpath(os.path.join(os.getcwd(), text)).startswith("/proc/")
        if (proc or (writing and outside_scratch(path))) and student_on_stack(caller()):
            refuse(f"opening {text!r}" + (" for writing" if writing else "")
                   + " (only the submission's scratch folder is writable, /proc is closed)")

    def take_touched() -> bool:
        touched, state.functions_touched = state.functions_touched, False
        return touched

    def on_exec(args: tuple[object, ...]) -> None:
        code = args[0] if args else None
        if not isinstance(code, types.CodeType) or not code.co_filename.startswith(roots):
            return
        # The engine is loading the student's module for a new run.
        state.loads += 1
        if state.in_run_baseline is None:
            take_touched()
            state.in_run_baseline, state.in_run_index = integrity.indexed()
        elif not state.in_run_changes and look_due(state.loads) and (
                state.in_run_index is None
                or not integrity.unchanged(state.in_run_index, functions=take_touched())):
            now, index = integrity.indexed()
            changes = integrity.compare(state.in_run_baseline, now)
            state.in_run_changes.extend(changes[:10])
            if not changes:   # something harmless moved (a class gained data): look from here
                state.in_run_index = index
        if state.in_run_changes:
            # The verdict is decided (tampering): the runs left would only explore a patched
            # interpreter, and a patch that wraps itself again at each load (a start() that
            # calls the previous start()) grows slower with every run. Stop loading.
            raise RuntimeError("the modules the checks rely on were changed: "
                               + "; ".join(state.in_run_changes[:3]))

    def hook(event: str, args: tuple[object, ...]) -> None:
        # Most events are none of these (the engine's tracer alone raises millions of
        # ``object.__getattr__`` for ``frame.f_code``): they leave at the first test.
        if event not in policed and not event.startswith("ctypes."):
            return
        if event == "object.__setattr__" and len(args) > 1 and args[1] in function_parts:
            state.functions_touched = True      # by anyone: the next look compares them
        if getpid() == supervisor:
            return
        me = get_ident()
        if me in busy:
            return
        if event in PROCESS_STARTS or event in PROGRAM_STARTS:
            # The kit's own checks may start processes (a child interpreter that runs a
            # multiprocessing program, with its own cap); submitted code is held to ours.
            busy.add(me)
            try:
                if not student_on_stack(caller()):
                    return
            finally:
                busy.discard(me)
            refusal = None
            if event in PROGRAM_STARTS:
                refusal = "starting programs (os.exec*, os.system, subprocess, posix_spawn)"
            elif getpid() != state.worker:
                refusal = "a forked process forking again"
            else:
                state.started += 1
                if state.started > state.max_processes:
                    refusal = f"more than {state.max_processes} processes"
            if refusal is not None:
                state.process_refusals += 1
                refuse(refusal)
            return
        busy.add(me)
        try:
            if event in FROM_STUDENT_FRAME:
                frame = caller()
                if frame is not None and untrusted(frame.f_code.co_filename):
                    refuse(FROM_STUDENT_FRAME[event])
            elif event in UNDER_STUDENT_FRAME or event.startswith("ctypes."):
                if student_on_stack(caller()):
                    refuse(UNDER_STUDENT_FRAME.get(event, "ctypes (raw memory and C calls)"))
            elif event == "open":
                on_open(args)
            elif event in ("os.listdir", "os.scandir"):
                path = args[0] if args else "."
                text = os.fsdecode(path) if isinstance(path, (str, bytes)) else ""
                full = os.path.normpath(os.path.join(os.getcwd(), text or "."))
                if full.startswith("/proc") and student_on_stack(caller()):
                    refuse("listing /proc")
            elif event == "exec":
                on_exec(args)
            elif event == "compile" and len(args) > 1:
                name = os.fsdecode(args[1]) if isinstance(args[1], (str, bytes)) else ""
                # (a ``<frozen ...>`` name is the standard library's: this hook trusts it)
                if name.startswith("<frozen") or not (
                        name.startswith("<") or name.startswith(roots)):
                    frame = caller()
                    if frame is not None and untrusted(frame.f_code.co_filename):
                        refuse(f"compiling code under another file's name ({name!r})")
        finally:
            busy.discard(me)

    def silence_forked_child() -> None:
        # A process the submission forked writes to /dev/null: several processes writing
        # to one captured file interleave differently on every run, and feedback must not.
        if state.worker and getpid() != state.worker:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)

    sys.addaudithook(hook)
    after_fork.append(silence_forked_child)


def protect_functions(state: GuardState) -> None:
    """Only the engine may install trace functions or ``sys.monitoring`` callbacks, or start
    raw threads (which would run the student's code outside the engine's control).

    Not an audit rule: CPython itself raises the ``sys.settrace`` event from C, on top of
    the student's frame, when a trace function raises (the engine's does, to unwind a
    thread), so the event cannot tell a call from that; and ``_thread`` is audited only
    from 3.12. Instead these functions are replaced, in the supervisor before the
    integrity snapshot, by wrappers that refuse a call made directly by submitted code.
    Replacing a wrapper is itself caught by the integrity comparison."""
    roots = state.student_roots
    supervisor = state.supervisor

    def guarded(real: Any, what: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = caller()
            if (os.getpid() != supervisor and frame is not None
                    and _untrusted(frame.f_code.co_filename, roots)):
                if len(state.refusals) < 20:
                    state.refusals.append(what)
                raise PermissionError(f"grading does not allow {what} in submitted code")
            return real(*args, **kwargs)

        wrapper.__name__ = getattr(real, "__name__", "wrapper")
        wrapper.__doc__ = getattr(real, "__doc__", None)
        return wrapper

    for name in ("settrace", "setprofile"):
        setattr(sys, name, guarded(getattr(sys, name), f"sys.{name}() (the engine owns "
                                   "tracing)"))
    import threading

    for module in (_thread, threading):
        for name in ("start_new_thread", "start_new", "_start_new_thread",
                     "start_joinable_thread", "_start_joinable_thread"):
            if hasattr(module, name):
                setattr(module, name, guarded(getattr(module, name),
                                              "raw threads (use threading.Thread)"))
    try:
        import greenlet
        import greenlet._greenlet as green_core
    except ImportError:     # the engine then runs controlled threads on OS threads
        pass
    else:
        # The engine's controlled threads are greenlets of one hub (graders.engine.scheduler,
        # which keeps its own references): a greenlet reached from submitted code could
        # switch to or throw into the hub or another thread, outside the scheduler.
        for module in (greenlet, green_core):
            for name in ("getcurrent", "greenlet", "settrace", "gettrace"):
                if hasattr(module, name):
                    setattr(module, name, guarded(getattr(module, name),
                                                  f"greenlet.{name} (the engine owns the "
                                                  "switches between threads)"))
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        for name in ("use_tool_id", "free_tool_id", "set_events", "set_local_events",
                     "register_callback", "restart_events"):
            if hasattr(monitoring, name):
                setattr(monitoring, name, guarded(getattr(monitoring, name),
                                                  f"sys.monitoring.{name}() (the engine "
                                                  "owns tracing)"))


def guard_program_starts() -> None:
    """``subprocess`` forks and execs inside C (``_posixsubprocess.fork_exec``); the
    ``subprocess.Popen`` audit event covers ``Popen`` but not ``multiprocessing``'s direct
    calls. Route every call through an ``os.exec`` audit event first, which the hook refuses
    when submitted code is on the stack. Called in each worker."""
    import _posixsubprocess

    real = _posixsubprocess.fork_exec

    def fork_exec(*args: object, **kwargs: object) -> int:
        sys.audit("os.exec", "fork_exec")
        return real(*args, **kwargs)

    _posixsubprocess.fork_exec = fork_exec  # type: ignore[attr-defined]
    sub = sys.modules.get("subprocess")
    if sub is not None and hasattr(sub, "_fork_exec"):
        sub._fork_exec = fork_exec  # type: ignore[attr-defined]
