"""Finding and stopping every process a submission started, from ``/proc`` (Linux).

Used by the child's supervisor after each check and by the parent when a submission hits
its hard limit. Processes are found as *descendants* (by parent pid) and as members of a
process group or session; the supervisor is a child subreaper, so a process whose parent
died is re-parented to it and stays findable even after ``setsid``. Everything found is
frozen with ``SIGSTOP`` before any of it is killed, so nothing forks while we look.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator


def table() -> dict[int, tuple[str, int, int, int]]:
    """pid -> (state, parent pid, process group, session) of every process."""
    found: dict[int, tuple[str, int, int, int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            fields = _stat(int(name))
            found[int(name)] = (fields[0].decode(), int(fields[1]), int(fields[2]),
                                int(fields[3]))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _stat(pid: int) -> list[bytes]:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        raw = f.read()
    return raw[raw.rfind(b")") + 2:].split()


def alive(info: tuple[str, int, int, int]) -> bool:
    return info[0] not in ("Z", "X")


def descendants(root: int, procs: dict[int, tuple[str, int, int, int]] | None = None
                ) -> list[int]:
    """Live processes below ``root`` (children, their children...)."""
    procs = table() if procs is None else procs
    children: dict[int, list[int]] = {}
    for pid, info in procs.items():
        children.setdefault(info[1], []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.append(pid)
        todo.extend(children.get(pid, []))
    return [p for p in found if alive(procs[p])]


def members(*, group: int | None = None, session: int | None = None,
            procs: dict[int, tuple[str, int, int, int]] | None = None) -> list[int]:
    """Live processes of a process group or a session."""
    procs = table() if procs is None else procs
    return [pid for pid, info in procs.items() if alive(info) and (
        (group is not None and info[2] == group) or (session is not None and info[3] == session))]


def signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def kill(*, tree: int | None = None, group: int | None = None, session: int | None = None,
         include_root: bool = False, keep: int | None = None) -> None:
    """Freeze, then SIGKILL, everything below ``tree`` (and ``tree`` itself if asked), in
    ``group`` and in ``session``; repeat until nothing is left."""
    for _ in range(20):
        procs = table()
        victims: set[int] = set()
        if tree is not None:
            victims.update(descendants(tree, procs))
            if include_root and tree in procs and alive(procs[tree]):
                victims.add(tree)
        victims.update(members(group=group, session=session, procs=procs))
        victims.discard(os.getpid())
        if keep is not None:
            victims.discard(keep)
        if not victims:
            return
        ordered = sorted(victims)
        signal_all(ordered, signal.SIGSTOP)
        signal_all(ordered, signal.SIGKILL)
        time.sleep(0.01)


def reap_children() -> None:
    """Collect the exit status of every finished child (orphans re-parented to us)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@contextlib.contextmanager
def exit_watch(pid: int) -> Iterator[list[int]]:
    """Descriptors that become readable when the child ``pid`` exits: its ``pidfd`` (Linux
    5.3+), or none where the kernel or the platform has none. A wait for a child's result
    selects on them with its pipe, and so wakes at the exit instead of at its next poll."""
    try:
        fds = [os.pidfd_open(pid)]
    except (AttributeError, OSError):
        fds = []
    try:
        yield fds
    finally:
        for fd in fds:
            os.close(fd)


def become_subreaper() -> bool:
    """Orphans below this process are re-parented to it instead of to init (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0     # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def die_with_parent(parent: int) -> None:
    """Be killed when ``parent`` dies (Linux), so nothing outlives a killed grader."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(75)


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used by ``pids`` and by the children each has reaped (user + system, from
    ``/proc/<pid>/stat``); a process gone meanwhile counts nothing."""
    ticks = 0
    for pid in pids:
        try:
            ticks += sum(int(x) for x in _stat(pid)[11:15])   # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / _TICK
