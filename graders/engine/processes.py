"""Controlled "processes": controlled threads that share nothing but what is sent to them.

A check that asks for processes (``explore(..., processes=Processes())``) runs the program's
``multiprocessing.Process`` objects as controlled threads, so the scheduler owns every switch
between them, as it does between threads, and a protocol deadlock is a wait-for cycle. What
makes such a thread a process is what it does not share, as under the ``spawn`` start method:

* its own copy of the code under test: the same compiled files (so they are traced the same
  way) executed into new module objects in the new process, whose imports of each other
  resolve to that process's copies. A global changed in one process is not seen by another;
* its arguments and every message, pickled by the sender and unpickled by the receiver, so
  each side holds its own copy. A function or class of the code under test travels by name
  and is found again in the receiver's copy. Only the stand-ins made to cross processes
  (pipes, queues, shared values, ``multiprocessing`` locks) travel by reference: they are the
  shared part;
* its pid (``os.getpid()``), its name and its exit code.

Which process holds which end of a pipe is tracked as a real kernel would track handles: the
process that made it, and every process it was passed to, until each closes it or ends. That
is what lets a blocked receive name the processes it waits for (and get ``EOFError`` when
none is left), in :mod:`.channels`.
"""

from __future__ import annotations

import builtins
import io
import multiprocessing
import os
import pickle
import signal
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import primitives, scheduler, threads
from .findings import BLOCKED, DONE
from .primitives import Primitive, step
from .scheduler import Run, ThreadState

#: The main process's pid; the processes it starts get the next numbers, in start order.
MAIN_PID = 1000


@dataclass(frozen=True)
class Processes:
    """What a check asks of the process model.

    ``pipe_capacity``: how many bytes a pipe holds before a ``send`` waits for the reader
    (64 KiB, as on Linux; 0 makes every send wait until its message is received).
    ``eager_limit``: the largest MPI message a blocking ``send`` may leave buffered; a larger
    one waits for its receive (a rendezvous). 0, the default, makes every send a rendezvous,
    so a program that only works thanks to buffering fails on every schedule, not only with
    big messages. ``mpi``: install the ``mpi4py`` stand-in (:mod:`.mpi`). ``sockets``:
    install the TCP socket stand-ins (:mod:`.sockets`), each direction of a connection
    holding ``pipe_capacity`` bytes.
    """

    pipe_capacity: int = 65536
    eager_limit: int = 0
    mpi: bool = False
    sockets: bool = False

    def __post_init__(self) -> None:
        if self.pipe_capacity < 0 or self.eager_limit < 0:
            raise ValueError("pipe_capacity and eager_limit must be at least 0")


class Shared:
    """A stand-in that crosses processes by reference (a pipe end, a queue, a shared value).

    ``_handed(process)`` is told each process that gets a handle on it; ``_ended(process)``
    each process that ended while holding one.
    """

    def _handed(self, process: ProcessState) -> None:
        """``process`` now holds this object (it was passed to it)."""

    def _before_exit(self, run: Run, ts: ThreadState, process: ProcessState) -> None:
        """``process`` is about to end (in its thread ``ts``): wait here for whatever must
        happen first (a queue's items read)."""

    def _ended(self, process: ProcessState) -> None:
        """``process`` has ended: whatever it held of this object is closed."""


class Held(Shared):
    """A Shared stand-in held per process (a pipe end, a queue, a socket): each process
    that gets it holds it until it closes it or ends; the last holder's leaving is
    :meth:`_last_holder_gone`. The subclass sets ``_holders`` and ``_closed_in``."""

    _holders: list[ProcessState]
    _closed_in: set[ProcessState]

    def _handed(self, process: ProcessState) -> None:
        self._closed_in.discard(process)
        if process not in self._holders:
            self._holders.append(process)

    def _ended(self, process: ProcessState) -> None:
        self._release(process)

    def _release(self, process: ProcessState) -> None:
        """``process`` no longer holds this object; wake whoever that may unblock."""
        if process in self._holders:
            self._holders.remove(process)
            if not self._holders:
                self._last_holder_gone()

    def _last_holder_gone(self) -> None:
        """Nobody holds this object any more."""


@dataclass(eq=False)
class ProcessState:
    """One controlled process: its pid, name, modules, threads and exit code."""

    pid: int
    name: str
    handle: Any                     # the Process object (or the main process's stand-in)
    modules: dict[str, types.ModuleType] = field(default_factory=dict)
    thread: ThreadState | None = None     # its main thread, once started
    parent: ProcessState | None = None
    exitcode: int | None = None
    rank: int = 0                    # its MPI rank (0 in a process mpiexec did not start)
    universe: Any = None             # the MPI ranks it is one of (:mod:`.mpi`), if any
    result: bytes | None = None      # what a rank's function returned, pickled

    def __repr__(self) -> str:
        return f"<process {self.name} pid {self.pid}>"


class World:
    """The processes of one run, and what lets an object cross from one to another."""

    def __init__(self, run: Run, files: ProgramFiles, options: Processes) -> None:
        self.run = run
        self.files = files
        self.options = options
        self.shared: dict[int, Shared] = {}
        self.started = 0                  # Process objects made (for "Process-N" names)
        main = run.main
        self.main = ProcessState(MAIN_PID, "MainProcess", _MainProcess(), thread=main)
        self.main.handle._process = self.main
        self.processes = [self.main]
        #: shared memory segments by name (:mod:`.sharedmem`), until unlinked
        self.segments: dict[str, Any] = {}
        self.segments_made = 0
        if main is not None:
            main.process = self.main
            main.name = "MainProcess"     # how reports name the program's first thread

    def process_of(self, ts: ThreadState) -> ProcessState:
        found: ProcessState | None = ts.process
        return found if found is not None else self.main

    def modules_of(self, proc: ProcessState) -> dict[str, types.ModuleType]:
        """The copies of the code under test ``proc`` runs (the main process: the run's)."""
        if proc is self.main:
            return {m.__name__: m for m in self.run.modules}
        return proc.modules

    def new_process(self, handle: Any, name: str) -> ProcessState:
        ctx = scheduler.here()
        parent = self.process_of(ctx[1]) if ctx is not None else self.main
        proc = ProcessState(MAIN_PID + len(self.processes), name, handle, parent=parent)
        self.processes.append(proc)
        return proc

    def exit(self, proc: ProcessState, ts: ThreadState) -> None:
        """``proc`` ends, in its main thread ``ts``: as Python does, it first waits for its
        non-daemon threads and its queues' feeders."""
        run = self.run
        for t in list(run.threads):
            if t is not ts and t.process is proc and not t.daemon and t.status != DONE:
                step(t.handle, "join")
                if t.status != DONE:
                    run.block(ts, t.done_queue, None, obj=t.handle)
        for obj in list(self.shared.values()):
            obj._before_exit(run, ts, proc)

    def ended(self, proc: ProcessState) -> None:
        """``proc`` has ended: every handle it held is closed (a pipe's reader may now see
        EOF, a writer a broken pipe)."""
        if self.run.aborting:
            return      # the run is over: what the verdict found stays as it was
        for obj in list(self.shared.values()):
            obj._ended(proc)

    # ----------------------------------------------------------- module copies
    def fresh_modules(self, proc: ProcessState) -> None:
        """Load a fresh copy of the code under test into ``proc`` (run in its own thread, so
        whatever the files do at import happens in that process)."""
        builtins_ = dict(vars(builtins))
        real_import = builtins.__import__
        files = self.files

        def import_(name: str, globals_: Any = None, locals_: Any = None,
                    fromlist: Any = (), level: int = 0) -> Any:
            if level == 0 and name in files.names:
                return load(name)
            return real_import(name, globals_, locals_, fromlist, level)

        def load(name: str) -> types.ModuleType:
            module = proc.modules.get(name)
            if module is None:
                path, code = files.code[name]
                module = proc.modules[name] = types.ModuleType(name)
                module.__file__ = path
                module.__dict__["__builtins__"] = builtins_
                exec(code, module.__dict__)
            return module

        builtins_["__import__"] = import_
        for name in files.names:
            load(name)

    # ----------------------------------------------------------- crossing over
    def dumps(self, obj: object) -> tuple[bytes, list[Shared]]:
        """``obj`` pickled as a process sends it, and the shared objects inside it."""
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, self)
        pickler.dump(obj)
        return buffer.getvalue(), pickler.seen

    def loads(self, data: bytes, proc: ProcessState) -> Any:
        """``data`` unpickled in ``proc``: functions and classes of the code under test are
        its own copies, shared objects the very same ones (now held by ``proc`` too)."""
        return _Unpickler(io.BytesIO(data), self, proc).load()


@dataclass(frozen=True)
class ProgramFiles:
    """The code under test as each new process loads it: names in load order, and for each
    its file and compiled code (the same code objects, so the tracer sees them)."""

    names: tuple[str, ...]
    code: Mapping[str, tuple[str, types.CodeType]]


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, world: World) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.world = world
        self.seen: list[Shared] = []

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Shared):
            self.world.shared[id(obj)] = obj
            self.seen.append(obj)
            return ("shared", id(obj))
        if isinstance(obj, types.FunctionType | type):
            module = getattr(obj, "__module__", None)
            qualname = getattr(obj, "__qualname__", "")
            if module in self.world.files.names and "<locals>" not in qualname:
                return ("global", module, qualname)
        return None

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Primitive):
            # a threading primitive is a real lock inside: spawn cannot pickle it either
            kind = "RLock" if isinstance(obj, primitives.RLock) else "lock"
            raise TypeError(f"cannot pickle '_thread.{kind}' object")
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, world: World, proc: ProcessState) -> None:
        super().__init__(file)
        self.world = world
        self.proc = proc

    def persistent_load(self, pid: Any) -> Any:
        if pid[0] == "shared":
            obj = self.world.shared[pid[1]]
            obj._handed(self.proc)
            return obj
        _, module, qualname = pid
        found: Any = self.world.modules_of(self.proc)[module]
        for part in qualname.split("."):
            found = getattr(found, part)
        return found


# ------------------------------------------------------------------ the run's world
_setup: tuple[ProgramFiles, Processes] | None = None
_world: World | None = None


def world() -> World:
    """The calling run's processes (made the first time a stand-in needs them)."""
    global _world
    run = scheduler.active
    if run is None or _setup is None:
        raise RuntimeError("multiprocessing stand-ins are used only inside an exploration "
                           "that asks for processes")
    if _world is None or _world.run is not run:
        _world = World(run, *_setup)
    return _world


def here() -> tuple[World, ThreadState, ProcessState]:
    """The world, the calling controlled thread and its process (inside a run only)."""
    ctx = scheduler.here()
    if ctx is None:
        raise RuntimeError("this object was made while the engine explored a program and "
                           "cannot be used outside that run")
    w = world()
    return w, ctx[1], w.process_of(ctx[1])


# ------------------------------------------------------------------ Process
class _MainProcess:
    """What ``multiprocessing.current_process()`` gives in the main process."""

    name = "MainProcess"
    daemon = False
    exitcode = None
    _process: ProcessState

    @property
    def pid(self) -> int:
        return self._process.pid

    ident = pid

    def is_alive(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<_MainProcess name='MainProcess' parent=None started>"


#: What Thread and Process keep on a Process object for the engine; the rest of its
#: ``__dict__`` is the program's own (a subclass's fields), pickled into the child.
_ENGINE_FIELDS = frozenset({"_target", "_name", "_args", "_kwargs", "_daemonic", "_state",
                            "_started", "_initialized", "_world", "_proc", "_parent",
                            "_payload"})


class Process(threads.Thread):
    """``multiprocessing.Process``: a controlled thread with a process's own state. A
    subclass that overrides ``run`` works too: the object is pickled into the child, as
    under spawn, and ``run`` is called on the child's copy."""

    def __init__(self, group: None = None, target: Callable[..., object] | None = None,
                 name: str | None = None, args: Iterable[Any] = (),
                 kwargs: Mapping[str, Any] | None = None, *, daemon: bool | None = None) -> None:
        w, _ts, me = here()
        w.started += 1
        super().__init__(group, target, name or f"Process-{w.started}", args, kwargs,
                         daemon=bool(daemon) if daemon is not None else False)
        self._world = w
        self._proc: ProcessState | None = None
        self._parent = me
        self._payload = b""

    def start(self) -> None:
        if self._started:
            raise AssertionError("cannot start a process twice")
        if self._parent is not here()[2]:
            raise AssertionError("can only start a process object created by current "
                                 "process")
        w = self._world
        # spawn: the object, its target and arguments are pickled now, in the parent; what
        # cannot be pickled (a lambda, a threading.Lock) fails here, as under spawn.
        own = {k: v for k, v in vars(self).items() if k not in _ENGINE_FIELDS}
        data, handed = w.dumps((type(self), own, self._target, self._args, self._kwargs))
        proc = w.new_process(self, self._name)
        for obj in handed:
            obj._handed(proc)
        self._proc = proc
        self._payload = data
        super().start()
        assert self._state is not None
        self._state.process = proc
        proc.thread = self._state

    def _bootstrap(self) -> None:
        proc = self._proc
        assert proc is not None
        w = self._world
        assert self._state is not None
        try:
            try:
                if self._state.killed is not None:      # terminated before it first ran
                    raise self._state.killed
                w.fresh_modules(proc)
                cls, own, target, args, kwargs = w.loads(self._payload, proc)
                child = cls.__new__(cls)          # the child's copy of this Process object
                vars(child).update({k: v for k, v in vars(self).items()
                                    if k in _ENGINE_FIELDS})
                vars(child).update(own)
                child._target, child._args, child._kwargs = target, args, kwargs
                child.run()
                proc.exitcode = 0
            except Terminated:
                raise
            except SystemExit as exc:
                proc.exitcode = _exit_code(exc.code)
            # (any other exception ends the run with its report, as in a thread)
            w.exit(proc, self._state)
        except Terminated as exc:
            proc.exitcode = exc.code
        w.ended(proc)

    def terminate(self) -> None:
        """End the process where it stands (SIGTERM: exit code -15)."""
        self._signal(-signal.SIGTERM)

    def kill(self) -> None:
        """End the process where it stands (SIGKILL: exit code -9)."""
        self._signal(-signal.SIGKILL)

    def _signal(self, code: int) -> None:
        run, ts = step(self, "terminate")
        proc = self._proc
        if proc is None:
            raise AttributeError("'NoneType' object has no attribute 'terminate'")
        for t in list(run.threads):
            if t.process is proc and t.status != DONE:
                t.killed = Terminated(code)
                if t is not ts and t.status == BLOCKED:
                    run.wake(t, None)      # it raises Terminated as soon as it runs
        if ts.process is proc:
            raise Terminated(code)

    @property
    def exitcode(self) -> int | None:
        if self._proc is None or self._state is None or self._state.status != DONE:
            return None
        return self._proc.exitcode

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    ident = pid

    def close(self) -> None:
        if self._state is not None and self._state.status != DONE:
            raise ValueError("Cannot close a process while it is still running. You should "
                             "first call join() or terminate().")

    def __repr__(self) -> str:
        status = "initial"
        if self._state is not None:
            status = ("started" if self._state.status != DONE
                      else f"stopped exitcode={self.exitcode}")
        return f"<{type(self).__name__} name={self._name!r} {status}>"


class Terminated(SystemExit):
    """Raised in every thread of a terminated process the next time it runs; ends each
    quietly, as SystemExit ends a thread."""

    code: int


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


# ------------------------------------------------------------------ module functions
_real_getpid = os.getpid
_real_getppid = os.getppid
_real_current_process = multiprocessing.current_process
_real_parent_process = multiprocessing.parent_process
_real_active_children = multiprocessing.active_children


def getpid() -> int:
    if scheduler.here() is None:
        return _real_getpid()
    return here()[2].pid


def getppid() -> int:
    if scheduler.here() is None:
        return _real_getppid()
    parent = here()[2].parent
    return parent.pid if parent is not None else _real_getppid()


def current_process() -> Any:
    if scheduler.here() is None:
        return _real_current_process()
    return here()[2].handle


def parent_process() -> Any:
    if scheduler.here() is None:
        return _real_parent_process()
    parent = here()[2].parent
    return None if parent is None else parent.handle


def active_children() -> list[Any]:
    if scheduler.here() is None:
        return _real_active_children()
    w, _ts, me = here()
    return [p.handle for p in w.processes if p.parent is me and p.thread is not None
            and p.thread.status != DONE]


def program_files(names: Iterable[str], paths: Iterable[object],
                  code: Iterable[types.CodeType]) -> ProgramFiles:
    """The code under test as :class:`World` loads it into each new process."""
    names = tuple(names)
    return ProgramFiles(names, dict(zip(names, zip(map(str, paths), code, strict=True),
                                        strict=True)))


def begin(files: ProgramFiles, options: Processes) -> None:
    """An exploration with processes starts (:func:`.ipc.installed`)."""
    global _setup, _world
    _setup, _world = (files, options), None


def end() -> None:
    """The exploration is over: no world is left behind."""
    global _setup, _world
    _setup, _world = None, None
