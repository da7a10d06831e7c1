"""The operating system's walls around one submission: namespaces, a private filesystem view,
an unprivileged user.

A check runs the student's code in a process of its own; a policy inside that process (the
audit hook of :mod:`graders.grading.guard`) lives in the attacker's address space and can
only ever be a second line. The boundary is drawn here, by Linux, before any of the kit's
grading code (let alone the student's) runs in the grading child:

* **New user, mount, PID, network, IPC and UTS namespaces.** The grading child becomes PID 1
  of a PID namespace of its own (when it dies, the kernel kills everything the submission
  started), sees no network interface but a loopback that is down, and shares no System V
  IPC with the machine.
* **A private filesystem view.** A fresh tmpfs becomes the root: only the Python
  installation (its prefixes and site-packages), the system's ``/usr`` libraries and the
  kit's own ``graders/`` package are bound into it, read-only and ``nosuid``. The
  submission's files are copied into a size-capped tmpfs at the same path they had, and
  ``/tmp`` and ``/dev/shm`` are small tmpfs too. There is no ``solutions/``, no
  SUBMISSIONS_DIR, no output folder, no home, no other student's scratch, and a ``/proc``
  that shows only the submission's own processes.
* **Unprivileged users.** As root, the namespace's root (the supervisor, which runs no
  student code) maps to one otherwise unused uid of the machine, and the workers that run
  student code drop to a second one: they cannot signal, trace or read the descriptors of
  the supervisor, and ``no_new_privs`` keeps a set-uid program from giving anything back.
  As an ordinary user the instructor's own uid is the only one that can be mapped, so each
  worker enters a nested user namespace instead: it still cannot trace the supervisor or
  open its descriptors, but it can signal it, which ends in "not graded", never in a grade.

Where user namespaces are not available (another OS, a container that forbids them), a root
grader still drops the workers to an unprivileged uid; anything less is ``none``, which
:func:`best_mode` refuses unless the instructor says the submissions are trusted. The mode in
use is printed by ``grade`` and recorded in every result (:func:`best_mode` picks it once
per run, :func:`allocate` gives each sandbox its ids).

Linux's calls are reached through ``ctypes`` (Python 3.11 has no ``os.unshare``); they run in
the grading child before the kit's audit hook is installed and before any student file is
imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import itertools
import os
import signal
import site
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graders.childproc import proctable

NAMESPACES, UNPRIVILEGED_USER, NONE = "namespaces", "unprivileged-user", "none"

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
ALL_NAMESPACES = (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
                  | CLONE_NEWUTS)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38

#: Inside the namespace: the worker's uid and gid (the supervisor is the namespace's root).
WORKER_ID = 1000
#: Outer uids for a root grader: two per sandbox, from a range no account uses.
OUTER_BASE, OUTER_SLOTS = 2_100_000_000, 50_000
_slots = itertools.count()


@dataclass(frozen=True)
class Isolation:
    """Which walls a submission gets, and the ids it runs under outside them."""

    mode: str
    outer_root: int = -1        # the supervisor's uid (and gid) outside the namespace
    outer_worker: int = -1      # the workers' uid outside (-1: the same as the supervisor's)

    def describe(self) -> str:
        if self.mode == NAMESPACES:
            who = ("unprivileged uids" if self.outer_worker >= 0
                   else "the grader's own uid, workers in nested user namespaces")
            return ("namespaces (user, mount, PID, network, IPC; private read-only filesystem "
                    f"view, capped scratch; {who})")
        if self.mode == UNPRIVILEGED_USER:
            return ("unprivileged user (no user namespaces here: workers run as a uid of "
                    "their own, but see the machine's files)")
        return "none (submissions are trusted: they run as the grader's own user)"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Isolation:
        return cls(**data)


class IsolationError(Exception):
    """The walls could not be built, or would be too weak for untrusted code."""


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def _prctl(option: int, value: int) -> None:
    _check(_libc().prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0),
                         ctypes.c_ulong(0), ctypes.c_ulong(0)), f"prctl {option}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc().mount(source.encode() if source else None, target.encode(),
                         fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                         data.encode() if data else None), f"mount {target}")


@functools.cache
def namespaces_work() -> bool:
    """Whether this machine lets the grader make every namespace a sandbox needs (probed
    once, in a throw-away interpreter: forking the grader, which runs threads, is unsafe)."""
    if not sys.platform.startswith("linux"):
        return False
    kit = str(Path(__file__).resolve().parents[2])
    probe = subprocess.run(
        [sys.executable, "-c", "from graders.grading.isolation import _probe; _probe()"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": kit},
        stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
    return probe.returncode == 0 and probe.stdout.strip() == b"walls"


def _probe() -> None:
    """Build a whole sandbox around an empty submission and say so from inside: a machine
    that allows namespaces but not, say, mounting ``/proc`` in one must not be taken for a
    machine where grading works."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="graders-probe-") as tmp:
        folders = {name: Path(tmp, name) for name in ("root", "work", "capture")}
        for folder in folders.values():
            folder.mkdir()
        iso = allocate(NAMESPACES)
        if iso.outer_root > 0:
            os.chown(folders["capture"], iso.outer_root, iso.outer_root)
        kit = Path(__file__).resolve().parents[2]
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                enter({"isolation": iso.to_json(), "readonly": readonly_paths(kit),
                       "scratch_mb": 1, **{k: str(v) for k, v in folders.items()}})
                drop_worker(iso)
                os.write(1, b"walls" if os.listdir("/proc") else b"")
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(1)


def best_mode(*, trusted: bool = False) -> str:
    """The strongest isolation this machine offers; :class:`IsolationError` if that is
    ``none`` and the submissions are not declared ``trusted``."""
    if namespaces_work():
        return NAMESPACES
    if os.geteuid() == 0:
        return UNPRIVILEGED_USER
    if trusted:
        return NONE
    raise IsolationError(
        "this machine offers no isolation for untrusted code (no user namespaces, and the "
        "grader is not root, so it cannot run submissions as another user). Grade as root, "
        "or on Linux with user namespaces enabled, or pass --trusted if you trust every "
        "submission.")


def allocate(mode: str) -> Isolation:
    """The ids one sandbox of ``mode`` runs under: as root, two uids of its own (so two
    sandboxes graded at once cannot signal each other either)."""
    if mode == NAMESPACES:
        if os.geteuid() != 0:
            return Isolation(NAMESPACES, os.geteuid(), -1)
        outer = OUTER_BASE + 2 * ((os.getpid() * 7 + next(_slots)) % OUTER_SLOTS)
        return Isolation(NAMESPACES, outer, outer + 1)
    if mode == UNPRIVILEGED_USER:
        outer = OUTER_BASE + 2 * ((os.getpid() * 7 + next(_slots)) % OUTER_SLOTS)
        return Isolation(UNPRIVILEGED_USER, 0, outer + 1)
    return Isolation(NONE)


def describe(mode: str) -> str:
    """One line for the instructor: which walls the submissions get."""
    return allocate(mode).describe()


# ------------------------------------------------------------------ the filesystem view
@functools.cache
def readonly_paths(kit: Path) -> tuple[str, ...]:
    """Host folders the sandbox sees read-only: the Python installation, its site-packages,
    the system's libraries, and the kit's ``graders`` package (not the kit's checkout)."""
    wanted = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              *site.getsitepackages(), "/usr", *_importable(kit), *_link_folders()]
    wanted += [str(Path(p).resolve()) for p in list(wanted)]
    for name in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.isdir(name) and not os.path.islink(name):
            wanted.append(name)
    found: list[str] = []
    for path in sorted(set(wanted), key=len):
        if os.path.exists(path) and not any(path.startswith(p.rstrip("/") + "/")
                                            or path == p for p in found):
            found.append(path)
    return tuple(found)


def _link_folders() -> list[str]:
    """The folders along the chain of symbolic links from ``sys.executable`` to the real
    interpreter: a venv's ``bin/python`` may point through a folder outside every prefix
    (a version manager's shims), and a check that starts Python again must find it."""
    folders, path = [], sys.executable
    for _ in range(16):
        folders.append(os.path.dirname(os.path.abspath(path)))
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        path = os.path.join(os.path.dirname(path), target)
    return folders


def _importable(kit: Path) -> list[str]:
    """What Python can import from the kit's folder, and nothing else of it: the
    ``graders`` package, and beside it the packages a course copied there (PrairieLearn's
    serverFilesCourse holds the topics' required libraries so), never ``solutions/``,
    ``exercises/`` or ``tests/`` of a checkout (they are not packages)."""
    found = []
    for entry in sorted(kit.iterdir()):
        if entry.is_symlink():
            continue
        if (entry.is_dir() and ((entry / "__init__.py").is_file()
                                or entry.name.endswith(".dist-info"))) or \
                (entry.is_file() and entry.suffix == ".py"):
            found.append(str(entry))
    return found


def _read_tree(folder: str) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, by relative path."""
    tree: dict[str, bytes | None] = {}
    for here, dirs, files in os.walk(folder):
        rel = os.path.relpath(here, folder)
        for d in dirs:
            tree[os.path.normpath(os.path.join(rel, d))] = None
        for f in files:
            with open(os.path.join(here, f), "rb") as handle:
                tree[os.path.normpath(os.path.join(rel, f))] = handle.read()
    return tree


def _write_tree(folder: str, tree: dict[str, bytes | None], owner: int) -> None:
    for rel in sorted(tree, key=lambda p: p.count(os.sep)):
        path = os.path.join(folder, rel)
        data = tree[rel]
        if data is None:
            os.makedirs(path, exist_ok=True)
        else:
            with open(path, "wb") as handle:
                handle.write(data)
        os.chown(path, owner, owner)


def _bind(source_fd: int, target: str, *, writable: bool = False) -> None:
    if os.path.isdir(f"/proc/self/fd/{source_fd}"):
        os.makedirs(target, exist_ok=True)
    else:                                       # a single module: a file to mount it on
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w"):
            pass
    _mount(f"/proc/self/fd/{source_fd}", target, None, MS_BIND | MS_REC)
    if not writable:
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        try:
            _mount(None, target, None, flags)
        except OSError:                        # a source mounted noexec must stay so
            _mount(None, target, None, flags | MS_NOEXEC)


def _make_root(root: str) -> None:
    """Mount the view's empty tmpfs root and step into it. Run before the namespace's ids
    take effect: the host folders above ``root`` may be closed to the sandbox's uid, so every
    later step works relative to this working directory (sources come as descriptors)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)          # nothing leaks back to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755,uid=0,gid=0")
    os.chdir(root)


def _fill_root(plan: dict[str, Any], sources: dict[str, int], work: dict[str, bytes | None],
               owner: int) -> None:
    """Bind, mount and copy everything the view holds into the working directory (the
    tmpfs root), then make it the process's root."""
    scratch = f"size={plan['scratch_mb']}m,mode=1777"
    for path in ("tmp", "dev/shm"):
        os.makedirs(path, exist_ok=True)
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, scratch)
    for path, fd in sources.items():            # after /tmp: the host's sources may be in it
        _bind(fd, "." + path, writable=path == plan["capture"])
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        if os.path.islink("/" + name) and not os.path.lexists(name):
            os.symlink(os.readlink("/" + name), name)
    for device in ("null", "zero", "full", "random", "urandom"):
        with open(f"dev/{device}", "w"):
            pass
        _mount(f"/dev/{device}", f"dev/{device}", None, MS_BIND)
    for name, to in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                     ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(to, f"dev/{name}")
    os.makedirs("proc", exist_ok=True)
    _mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    target = "." + plan["work"]
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={plan['scratch_mb']}m,mode=755")
    _write_tree(target, work, owner)
    os.chown(target, owner, owner)
    os.chroot(".")
    os.chdir(plan["work"])


# ------------------------------------------------------------------ entering
def _wait_and_exit(pid: int) -> None:
    """Mirror child ``pid``'s end as this process's own (never returns). The grader sends
    SIGUSR1 to every process of a submission it stops, for thread dumps: the processes that
    only wait must outlive it, or the sandbox would die before the dumps are written."""
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _write_maps(pid: int, iso: Isolation) -> None:
    lines = f"0 {iso.outer_root} 1\n"
    if iso.outer_worker >= 0:
        lines += f"{WORKER_ID} {iso.outer_worker} 1\n"
    with open(f"/proc/{pid}/setgroups", "w") as f:
        f.write("deny")
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(lines)


def enter(plan: dict[str, Any]) -> None:
    """Put the calling process (the grading child, still running only the kit's code) inside
    the walls ``plan`` describes; returns in the process that goes on as the supervisor.

    ``plan``: ``isolation`` (:meth:`Isolation.to_json`), ``root`` (an empty host folder to
    build the view on), ``work`` (the submission's folder), ``capture`` (a host folder the
    supervisor writes its captured output to), ``readonly`` (from :func:`readonly_paths`),
    ``scratch_mb``. The process that called this stays outside as a keeper that ends as
    its sandbox ends; killing it kills the sandbox (every process inside dies with PID 1)."""
    iso = Isolation.from_json(plan["isolation"])
    if iso.mode == UNPRIVILEGED_USER:
        return                      # the workers drop to their uid (see drop_worker)
    if iso.mode != NAMESPACES:
        return
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    creator = os.fork()
    if creator:
        os.close(ready_w)
        os.close(go_r)
        ok = os.read(ready_r, 1) == b"u"
        if ok and os.geteuid() == 0:
            _write_maps(creator, iso)
        elif ok:
            uid, gid = os.geteuid(), os.getegid()
            with open(f"/proc/{creator}/setgroups", "w") as f:
                f.write("deny")
            with open(f"/proc/{creator}/uid_map", "w") as f:
                f.write(f"0 {uid} 1\n")
            with open(f"/proc/{creator}/gid_map", "w") as f:
                f.write(f"0 {gid} 1\n")
        os.write(go_w, b"m")
        _wait_and_exit(creator)
    os.close(ready_r)
    os.close(go_w)
    keeper = os.getppid()
    proctable.die_with_parent(keeper)
    work = _read_tree(plan["work"])
    _unshare(ALL_NAMESPACES)
    os.write(ready_w, b"u")
    if os.read(go_r, 1) != b"m":
        os._exit(1)
    # Still the host's uid here, so the host's folders can be walked; the descriptors are
    # taken in the new mount namespace, where a bind mount's source must live.
    sources = {p: os.open(p, os.O_PATH) for p in [*plan["readonly"], plan["capture"]]}
    _make_root(plan["root"])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    proctable.die_with_parent(keeper)       # a change of ids clears it: set it again
    first = os.fork()                       # the first process of the new PID namespace
    if first:
        _wait_and_exit(first)
    _prctl(PR_SET_PDEATHSIG, 9)             # PID 1: its parent is outside, getppid() is 0
    owner = WORKER_ID if iso.outer_worker >= 0 else 0
    _fill_root(plan, sources, work, owner)
    for fd in sources.values():
        os.close(fd)
    os.close(ready_w)
    os.close(go_r)
    _prctl(PR_SET_DUMPABLE, 0)              # no /proc/1/fd, no ptrace, for anyone inside


def drop_worker(iso: Isolation) -> None:
    """In a worker, right after the fork and before any student code: become the
    unprivileged user, for good."""
    if iso.mode == NAMESPACES and iso.outer_worker >= 0:
        os.setresgid(WORKER_ID, WORKER_ID, WORKER_ID)
        os.setresuid(WORKER_ID, WORKER_ID, WORKER_ID)
    elif iso.mode == NAMESPACES:
        uid, gid = os.geteuid(), os.getegid()
        _unshare(CLONE_NEWUSER)
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{WORKER_ID} {uid} 1\n")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{WORKER_ID} {gid} 1\n")
        os.setresgid(WORKER_ID, WORKER_ID, WORKER_ID)
        os.setresuid(WORKER_ID, WORKER_ID, WORKER_ID)
    elif iso.mode == UNPRIVILEGED_USER:
        with contextlib.suppress(OSError):
            os.setgroups([])
        os.setresgid(iso.outer_worker, iso.outer_worker, iso.outer_worker)
        os.setresuid(iso.outer_worker, iso.outer_worker, iso.outer_worker)
    if iso.mode != NONE:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
