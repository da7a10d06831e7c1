"""Install the process stand-ins for one exploration that asks for them.

Only a check that passes ``processes=Processes(...)`` to :func:`~.explorer.explore` gets
them: ``multiprocessing``'s Process, Pool, Pipe, queues, shared values and locks, ``os.getpid``,
with ``mpi=True``, a fake ``mpi4py`` package in ``sys.modules``, and with ``sockets=True``
``socket.socket``, ``create_connection`` and ``create_server`` (:mod:`.sockets`). Every other
exploration, and the threads_processes topic's real child processes
(``graders/childproc/``), see the real modules. Everything is put back afterwards, whatever
happens.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import channels, mpi, pool, processes, scheduler, sharedmem, sockets
from .processes import Processes, ProgramFiles

_real_get_context = multiprocessing.get_context
_real_set_start_method = multiprocessing.set_start_method


class _Context:
    """What ``multiprocessing.get_context(method)`` gives inside a run: the same stand-ins
    (a controlled process has spawn's semantics whatever the method asked for)."""

    def __init__(self, names: dict[str, Any]) -> None:
        vars(self).update(names)

    def get_start_method(self, allow_none: bool = False) -> str:
        return "spawn"


def _plan() -> list[tuple[Any, str, Any]]:
    plan: list[tuple[Any, str, Any]] = [
        (os, "getpid", processes.getpid), (os, "getppid", processes.getppid),
        (multiprocessing, "Process", processes.Process),
        (multiprocessing, "current_process", processes.current_process),
        (multiprocessing, "parent_process", processes.parent_process),
        (multiprocessing, "active_children", processes.active_children),
        *channels.stand_ins(), *sharedmem.stand_ins(), *pool.stand_ins()]
    context = _Context({name: value for mod, name, value in plan if mod is multiprocessing})

    def get_context(method: str | None = None) -> Any:
        if scheduler.here() is None:
            return _real_get_context(method)
        return context

    def set_start_method(method: str | None, force: bool = False) -> None:
        if scheduler.here() is None:
            _real_set_start_method(method, force)

    return [*plan, (multiprocessing, "get_context", get_context),
            (multiprocessing, "set_start_method", set_start_method)]


@contextmanager
def installed(files: ProgramFiles, options: Processes) -> Iterator[None]:
    """The ``multiprocessing`` (and, if asked, ``mpi4py``) stand-ins, for one exploration."""
    plan = _plan() + (sockets.stand_ins() if options.sockets else [])
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in plan]
    modules = mpi.fake_modules() if options.mpi else {}
    displaced = {name: sys.modules.get(name) for name in modules}
    processes.begin(files, options)
    try:
        for mod, name, value in plan:
            setattr(mod, name, value)
        sys.modules.update(modules)
        yield
    finally:
        for mod, name, value in saved:
            setattr(mod, name, value)
        for name, old in displaced.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
        processes.end()

