"""Install the stand-ins only while exploring, and load the code under test fresh each run.

The stand-ins replace attributes of the real ``threading``, ``time``, ``queue`` and
``concurrent.futures`` modules (and the CPU count ``os`` reports: :mod:`.machine`) for the
duration of an exploration and are restored after, whatever happens. The code under test
and its sibling modules are imported anew inside every run, after the stand-ins are in
place, so a lock made at import belongs to that run and no state leaks from one schedule
into the next. Libraries that bind the stand-ins at import (``readerwriterlock``'s
``lock_factory=threading.Lock`` default) are imported once per exploration, after the
stand-ins are in place and before its first run, for every run to share: the caller's own
copy never meets a stand-in, and no run pays for the import (or logs its steps).
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.thread
import importlib.util
import itertools
import os
import pkgutil
import queue
import random
import sys
import sysconfig
import threading
import time
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from . import aio, machine, native, primitives, queues, threads, timing
from .verdicts import LoadError

_MISSING = object()

#: Third-party libraries that bind threading primitives when imported: imported once per
#: exploration under the stand-ins, outside any run, for all its runs (never the caller's
#: copy; see Program.libraries_imported). Only for libraries whose import leaves no state
#: a run could change: readerwriterlock makes one lock at import (a real one, outside a
#: run), to read the error a release of an unlocked lock raises, and keeps only that
#: error's type and words. Importing it in every run cost four times a small program's
#: whole run (its classes are typing Protocols).
DEFAULT_FRESH = ("readerwriterlock",)


def _plan() -> list[tuple[Any, str, Any]]:
    return [
        (threading, "Thread", threads.Thread),
        (threading, "Timer", threads.Timer),
        (threading, "Lock", primitives.Lock),
        (threading, "RLock", primitives.RLock),
        (threading, "Condition", primitives.Condition),
        (threading, "Semaphore", primitives.Semaphore),
        (threading, "BoundedSemaphore", primitives.BoundedSemaphore),
        (threading, "Event", primitives.Event),
        (threading, "Barrier", primitives.Barrier),
        (threading, "local", threads.local),
        (threading, "current_thread", threads.current_thread),
        (threading, "currentThread", threads.current_thread),
        (threading, "main_thread", threads.main_thread),
        (threading, "get_ident", threads.get_ident),
        (threading, "get_native_id", threads.get_ident),
        (threading, "enumerate", threads.enumerate_),
        (threading, "active_count", threads.active_count),
        (threading, "activeCount", threads.active_count),
        (threading, "_register_atexit", threads.register_atexit),
        (time, "sleep", timing.sleep),
        (time, "monotonic", timing.monotonic),
        (time, "perf_counter", timing.perf_counter),
        (time, "time", timing.time),
        (time, "monotonic_ns", timing.monotonic_ns),
        (time, "perf_counter_ns", timing.perf_counter_ns),
        (time, "time_ns", timing.time_ns),
        (queue, "SimpleQueue", queues.SimpleQueue),
        (queue, "time", timing.monotonic),
        (concurrent.futures, "ThreadPoolExecutor", queues.ThreadPoolExecutor),
        (concurrent.futures.thread, "ThreadPoolExecutor", queues.ThreadPoolExecutor),
        (sys, "unraisablehook", primitives.quiet_finalizers(sys.unraisablehook)),
        *machine.stand_ins(),
    ]


@contextmanager
def stand_ins_installed() -> Iterator[None]:
    """Replace the real primitives with the engine's for the duration of the block (and
    asyncio's event loops with controlled ones: :mod:`.aio`)."""
    saved = [(mod, name, mod.__dict__.get(name, _MISSING)) for mod, name, _ in _plan()]
    try:
        for mod, name, value in _plan():
            setattr(mod, name, value)
        with aio.installed():
            yield
    finally:
        for mod, name, value in saved:
            if value is _MISSING:
                mod.__dict__.pop(name, None)
            else:
                setattr(mod, name, value)


_STDLIB = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
_SITE = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
# (from a module never compiled: a compiled module's __file__ names its .so wherever it was
# built)
_ENGINE = os.path.dirname(os.path.realpath(native.__file__)) + os.sep


def _locations(names: Sequence[str]) -> tuple[str, ...]:
    """Where the libraries ``names`` live. Usually in site-packages; a kit copied with its
    libraries beside it (a PrairieLearn course's serverFilesCourse) has them elsewhere, and
    their locks must still count as a library's, not as the program's."""
    found: list[str] = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        folders = spec.submodule_search_locations
        if folders:
            found += [os.path.realpath(f) + os.sep for f in folders]
        elif spec.origin:
            found.append(os.path.realpath(spec.origin))
    return tuple(found)


#: sys.modules at one moment, enough to tell later what was added to it: its length and its
#: last entry (name and module).
_Mark = tuple[int, str, object]


def _mark() -> _Mark | None:
    """Where sys.modules ends now (None if it is empty, or changed while being read)."""
    try:
        for name, module in reversed(sys.modules.items()):
            return len(sys.modules), name, module
    except RuntimeError:    # another thread imported meanwhile
        return None
    return None


def _added_since(mark: _Mark | None) -> list[tuple[str, types.ModuleType]] | None:
    """The entries appended to sys.modules since ``mark``, when that is all that changed;
    None when something else may have (an entry removed, or the mark's own entry moved).

    sys.modules keeps its order, and an entry removed before the mark would leave the
    mark's entry fewer places from the end than the growth in length says. So only the
    new tail is read: comparing every entry, as a snapshot would, touches hundreds of
    module objects per run, and cost more than loading the program (measured: 10-35 us a
    snapshot inside a run, against 4-8 us in a warm loop). The price: an entry replaced
    in place before the mark's goes unseen; only code that rewrites sys.modules does that,
    and the grading scan holds such code for review.
    """
    if mark is None:
        return None
    n, name, module = mark
    extra = len(sys.modules) - n
    if extra < 0:
        return None
    try:
        tail = list(itertools.islice(reversed(sys.modules.items()), extra + 1))
    except RuntimeError:    # another thread imported meanwhile
        return None
    if len(tail) != extra + 1 or tail[-1][0] != name or tail[-1][1] is not module:
        return None
    tail.pop()
    tail.reverse()
    return tail


class Program:
    """The code under test: files traced and loaded fresh in every run."""

    def __init__(self, files: Sequence[str | os.PathLike[str]],
                 fresh: Sequence[str] = DEFAULT_FRESH) -> None:
        self.paths = [Path(f).resolve() for f in files]
        self.fresh = tuple(fresh)
        self._libraries = _SITE + _STDLIB + (_ENGINE, *_locations(self.fresh))
        self.dirs = tuple(sorted({str(p.parent) + os.sep for p in self.paths}))
        self._code: dict[Path, types.CodeType] = {}
        self._traced_cache: dict[str, bool] = {}
        self._library_cache: dict[str, bool] = {}
        self._stale_seen: dict[str, tuple[object, bool]] = {}
        self._displaced: dict[str, types.ModuleType] = {}   # what load() took out, per run
        # where sys.modules ended when load() left it (nothing stale in it), and when
        # unload() left it (what it displaced was stale): see _stale_since
        self._loaded: _Mark | None = None
        self._unloaded: _Mark | None = None
        self._unloaded_displaced: dict[str, types.ModuleType] = {}
        #: the fresh libraries imported for this exploration's runs (libraries_imported)
        self._kept: dict[str, types.ModuleType] = {}
        for path in self.paths:
            self._code[path] = self._compile(path)
        self.names = [self._module_name(p) for p in self.paths]

    def code_objects(self) -> list[types.CodeType]:
        """The compiled files under test (the same code objects run in every run)."""
        return list(self._code.values())

    @staticmethod
    def _compile(path: Path) -> types.CodeType:
        if not path.is_file():
            raise LoadError(f"{path}: file not found")
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"{path}: cannot read it ({exc.strerror})") from None
        try:
            return compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            where = f"{path}, line {exc.lineno}" if exc.lineno else str(path)
            raise LoadError(f"{where}: {exc.msg} (SyntaxError)") from None
        except ValueError as exc:
            raise LoadError(f"{path}: {exc}") from None

    @staticmethod
    def _module_name(path: Path) -> str:
        name = path.stem
        if not name.isidentifier():
            raise LoadError(f"{path}: the file name is not a valid module name")
        if name in sys.stdlib_module_names:
            raise LoadError(
                f"{path}: the file name hides the standard library module {name!r}; rename it")
        return name

    def traced(self, filename: str) -> bool:
        """True for files of the code under test (and modules beside them)."""
        hit = self._traced_cache.get(filename)
        if hit is None:
            hit = self._traced_cache[filename] = filename.startswith(self.dirs) and not (
                os.path.basename(filename).startswith(("test_", "conftest")))
        return hit

    def library(self, filename: str) -> bool:
        """True for the standard library, installed packages, the engine itself and the
        libraries loaded fresh in every run, wherever they are."""
        hit = self._library_cache.get(filename)
        if hit is None:
            real = os.path.realpath(filename)
            if self.traced(filename):
                hit = False
            else:
                hit = real.startswith(self._libraries) or filename.startswith("<")
            self._library_cache[filename] = hit
        return hit

    # ----------------------------------------------------------- per run
    def _stale(self, name: str, module: object) -> bool:
        if name in self.names or name.split(".")[0] in self.fresh:
            return True
        file = getattr(module, "__file__", None)
        return isinstance(file, str) and file.startswith(self.dirs)

    def _stale_names(self) -> list[str]:
        """The names in sys.modules that ``_stale`` picks, remembered per module object.

        Hundreds of modules are loaded and almost none change between runs; checking each one
        anew cost a Python call per module per run, twice, once of them under the tracer.
        """
        seen = self._stale_seen
        names = []
        for name, mod in list(sys.modules.items()):
            hit = seen.get(name)
            if hit is None or hit[0] is not mod:
                hit = seen[name] = (mod, self._stale(name, mod))
            if hit[1]:
                names.append(name)
        return names

    def _stale_since(self, before: _Mark | None, stale: list[str]) -> list[str]:
        """The names ``_stale_names`` would give, knowing those (``stale``) at an earlier
        ``before``: when sys.modules has only grown since, just the new entries need a
        look, where the full scan is a Python call per module (hundreds in a test run),
        twice per run."""
        added = _added_since(before)
        if added is None:
            return self._stale_names()
        return stale + [name for name, module in added if self._stale(name, module)]

    def _named(self, library: str) -> bool:
        """Do the files under test, or the Python files beside them, name ``library``?"""
        files = {*self.paths, *(f for d in self.dirs for f in Path(d).glob("*.py"))}
        needle = library.encode()
        for file in files:
            with suppress(OSError):
                if needle in file.read_bytes():
                    return True
        return False

    @contextmanager
    def libraries_imported(self) -> Iterator[None]:
        """The fresh libraries the code under test names, imported now (with the stand-ins
        installed, outside any run: see DEFAULT_FRESH) with all their submodules, and put
        into sys.modules by every run's ``load`` (the caller's copies are displaced there
        as before). A library that cannot be imported here is imported by the runs, each
        anew, as one a program names only in a way the search cannot see is."""
        wanted = tuple(name for name in self.fresh if self._named(name))
        if not wanted:
            yield
            return

        def ours(name: str) -> bool:
            return name.split(".")[0] in wanted

        callers = {name: m for name, m in list(sys.modules.items()) if ours(name)}
        for name in callers:
            del sys.modules[name]
        try:
            for name in wanted:
                with suppress(Exception):
                    package = importlib.import_module(name)
                    for info in pkgutil.walk_packages(getattr(package, "__path__", []),
                                                      name + "."):
                        with suppress(Exception):
                            importlib.import_module(info.name)
            self._kept = {name: m for name, m in list(sys.modules.items()) if ours(name)}
        finally:
            for name in [name for name in list(sys.modules) if ours(name)]:
                del sys.modules[name]
            sys.modules.update(callers)
        try:
            yield
        finally:
            self._kept = {}

    def load(self) -> list[types.ModuleType]:
        """Import the code under test anew (in a run); ``unload`` undoes it, even when an
        import failed half way."""
        self._loaded = None
        self._displaced = {name: sys.modules[name] for name in self._stale_since(
            self._unloaded, list(self._unloaded_displaced))}
        for name in self._displaced:
            del sys.modules[name]
        self._loaded = _mark()     # nothing stale in it: what the run adds will be
        sys.modules.update(self._kept)     # (after the mark: taken out again by unload)
        for d in reversed(self.dirs):
            sys.path.insert(0, d.rstrip(os.sep))
        modules = []
        for path, name in zip(self.paths, self.names, strict=True):
            module = types.ModuleType(name)
            module.__file__ = str(path)
            sys.modules[name] = module
            exec(self._code[path], module.__dict__)
            modules.append(module)
        return modules

    def unload(self) -> None:
        """Drop what the run imported and put back what ``load`` displaced."""
        for name in self._stale_since(self._loaded, []):
            del sys.modules[name]
        sys.modules.update(self._displaced)
        # Stale now: exactly what was displaced (put back), the next load's starting point.
        self._unloaded, self._unloaded_displaced = _mark(), self._displaced
        self._displaced = {}
        for d in self.dirs:
            with suppress(ValueError):
                sys.path.remove(d.rstrip(os.sep))


@contextmanager
def random_kept() -> Iterator[None]:
    """``random``'s state as it was before, after an exploration whose runs each seed it
    (the program's ``random`` calls give the same numbers in every replay of a run).
    Kept once per exploration, not per run: saving and restoring 625 numbers cost ~25 us
    a run."""
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)
