"""Find each student's files in SUBMISSIONS_DIR: one folder or one ``.zip`` per student.

A submission holds the student's ``exercises/`` tree (``exercises/<topic>/<file>``) or the
topic folders directly (``<topic>/<file>``), possibly under one wrapping folder (a zip of
``alice/`` or of a whole kit checkout). The student id is the folder's name, or the zip's
name without ``.zip``.

Only the files the checks name (``files`` in topics.toml) are ever read, and they are copied
into a scratch folder the parent creates; nothing else of a submission (a planted
``conftest.py``, ``threading.py`` or ``sitecustomize.py``) reaches the grading process.

Safety: a zip member is never extracted by its own name, so a ``../`` or absolute name
cannot write anywhere; members with such names, symlinks and encrypted members are
ignored; the archive's member count and declared total size are capped, and each file is
read with a hard cap whatever its header says (zip bombs). In folders, symlinks are not
followed and files must stay inside the submission.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from graders.catalog import Topic

MAX_FILE = 1024 * 1024            # one exercise file
MAX_MEMBERS = 10_000              # entries in one zip
MAX_ZIP_TOTAL = 200 * 1024 * 1024  # declared uncompressed size of one zip
WRAPPER_DEPTH = 2                 # folders that may wrap the exercises


class SubmissionError(Exception):
    """The submissions folder itself is unusable (not one student's problem)."""


@dataclass
class Files:
    """The exercise files of one submission: (topic, file name) -> bytes or a problem."""

    found: dict[tuple[str, str], bytes] = field(default_factory=dict)
    problems: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    newest: float | None = None     # newest modification time among the found files

    def digest(self) -> str:
        h = hashlib.sha256()
        for key in sorted(set(self.found) | set(self.problems)):
            h.update(f"{key[0]}/{key[1]}\0".encode())
            if key in self.found:
                h.update(b"F" + hashlib.sha256(self.found[key]).digest())
            else:
                h.update(b"P" + self.problems[key].encode())
        return h.hexdigest()

    def timestamp(self) -> str:
        """When the newest graded file was last changed, in UTC (nbgrader's format)."""
        if self.newest is None:
            return ""
        return datetime.fromtimestamp(self.newest, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path
    kind: str           # "folder" or "zip"

    def read(self, topics: Sequence[Topic]) -> Files:
        if self.kind == "zip":
            return _read_zip(self.path, topics)
        return _read_folder(self.path, topics)


def discover(folder: Path) -> list[Submission]:
    """Every submission in ``folder``, sorted by student id."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder}: no such folder")
    found: dict[str, Submission] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")) or entry.is_symlink():
            continue
        if entry.is_dir():
            sub = Submission(entry.name, entry, "folder")
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            sub = Submission(entry.name[:-4], entry, "zip")
        else:
            continue
        if sub.student in found:
            raise SubmissionError(
                f"{folder}: two submissions for student {sub.student!r} "
                f"({found[sub.student].path.name} and {entry.name}); keep one")
        found[sub.student] = sub
    names: dict[str, str] = {}
    for student in found:
        other = names.setdefault(safe_name(student), student)
        if other != student:
            raise SubmissionError(f"{folder}: {other!r} and {student!r} would share the "
                                  f"output files {safe_name(student)}.*; rename one")
    return sorted(found.values(), key=lambda s: s.student)


def safe_name(student: str) -> str:
    """A file name for ``student`` (ids come from file names, so this rarely changes them)."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in student)
    return cleaned.lstrip(".") or "_"


# ------------------------------------------------------------------ folders
def _topic_dir(root: Path, topic: str) -> Path | None:
    for base in _roots(root):
        for candidate in (base / "exercises" / topic, base / topic):
            if candidate.is_dir() and not candidate.is_symlink():
                return candidate
    return None


def _roots(root: Path) -> list[Path]:
    """``root`` and the folders that wrap it alone (a zip of a folder, a kit checkout)."""
    roots = [root]
    current = root
    for _ in range(WRAPPER_DEPTH):
        subdirs = [p for p in current.iterdir()
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith((".", "_"))]
        if len(subdirs) != 1:
            break
        current = subdirs[0]
        roots.append(current)
    return roots


def _read_folder(root: Path, topics: Sequence[Topic]) -> Files:
    files = Files()
    real_root = os.path.realpath(root)
    for t in topics:
        where = _topic_dir(root, t.name)
        for name in t.files:
            key = (t.name, name)
            if where is None:
                files.problems[key] = f"no exercises/{t.name}/ folder in the submission"
                continue
            path = where / name
            try:
                info = path.lstat()
            except OSError:
                files.problems[key] = f"exercises/{t.name}/{name} is missing"
                continue
            if stat.S_ISLNK(info.st_mode):
                files.problems[key] = f"exercises/{t.name}/{name} is a symlink (not followed)"
            elif not stat.S_ISREG(info.st_mode):
                files.problems[key] = f"exercises/{t.name}/{name} is not a regular file"
            elif not os.path.realpath(path).startswith(real_root + os.sep):
                files.problems[key] = f"exercises/{t.name}/{name} is outside the submission"
            elif info.st_size > MAX_FILE:
                files.problems[key] = (f"exercises/{t.name}/{name} is larger than "
                                       f"{MAX_FILE // 1024} KiB")
            else:
                with path.open("rb") as f:
                    data = f.read(MAX_FILE + 1)
                if len(data) > MAX_FILE:
                    files.problems[key] = f"exercises/{t.name}/{name} is too large"
                    continue
                files.found[key] = data
                files.newest = max(files.newest or 0.0, info.st_mtime)
    return files


# ------------------------------------------------------------------ zips
def _safe_member(name: str) -> PurePosixPath | None:
    if "\\" in name or "\0" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts) or path.is_absolute():
        return None
    return path


def _read_zip(archive: Path, topics: Sequence[Topic]) -> Files:
    files = Files()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        files.notes.append(f"{archive.name}: not a readable zip ({exc})")
        for t in topics:
            for name in t.files:
                files.problems[(t.name, name)] = f"{archive.name} is not a readable zip"
        return files
    with zf:
        infos = zf.infolist()
        too_big = sum(i.file_size for i in infos) > MAX_ZIP_TOTAL
        if len(infos) > MAX_MEMBERS or too_big:
            reason = (f"more than {MAX_MEMBERS} entries" if len(infos) > MAX_MEMBERS
                      else f"more than {MAX_ZIP_TOTAL // (1024 * 1024)} MiB unpacked")
            files.notes.append(f"{archive.name} was not opened: {reason}")
            for t in topics:
                for name in t.files:
                    files.problems[(t.name, name)] = f"{archive.name} has {reason}"
            return files
        members: dict[PurePosixPath, zipfile.ZipInfo] = {}
        ignored = 0
        for info in infos:
            path = _safe_member(info.filename)
            mode = info.external_attr >> 16
            if path is None or stat.S_ISLNK(mode) or info.flag_bits & 0x1:
                ignored += 1
                continue
            if not info.is_dir():
                members[path] = info
        if ignored:
            files.notes.append(f"{archive.name}: ignored {ignored} entr"
                               f"{'y' if ignored == 1 else 'ies'} with unsafe names, "
                               "symlinks or encryption")
        dirs = {p for m in members for p in m.parents}
        roots = _zip_roots(dirs)
        for t in topics:
            base = next((b for r in roots for b in (r / "exercises" / t.name, r / t.name)
                         if b in dirs), None)
            for name in t.files:
                key = (t.name, name)
                info = members.get(base / name) if base is not None else None
                if base is None:
                    files.problems[key] = f"no exercises/{t.name}/ folder in {archive.name}"
                elif info is None:
                    files.problems[key] = f"exercises/{t.name}/{name} is missing"
                elif info.file_size > MAX_FILE:
                    files.problems[key] = (f"exercises/{t.name}/{name} is larger than "
                                           f"{MAX_FILE // 1024} KiB")
                else:
                    try:
                        with zf.open(info) as f:
                            data = f.read(MAX_FILE + 1)
                    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
                        files.problems[key] = f"exercises/{t.name}/{name}: unreadable ({exc})"
                        continue
                    if len(data) > MAX_FILE:
                        files.problems[key] = f"exercises/{t.name}/{name} is too large"
                        continue
                    files.found[key] = data
                    when = datetime(*info.date_time, tzinfo=UTC).timestamp()
                    files.newest = max(files.newest or 0.0, when)
    return files


def _zip_roots(dirs: set[PurePosixPath]) -> list[PurePosixPath]:
    roots = [PurePosixPath(".")]
    current = PurePosixPath(".")
    for _ in range(WRAPPER_DEPTH):
        subdirs = [d for d in dirs if d.parent == current and d != current
                   and not d.name.startswith((".", "_"))]
        if len(subdirs) != 1:
            break
        current = subdirs[0]
        roots.append(current)
    return roots


def materialize(files: Files, topics: Sequence[Topic], work: Path) -> None:
    """Write the found files into ``work/<topic>/`` (folders are created even when empty,
    so a check reports the missing file by its usual name)."""
    for t in topics:
        folder = work / t.name
        folder.mkdir(parents=True, exist_ok=True)
        for name in t.files:
            data = files.found.get((t.name, name))
            if data is not None:
                (folder / name).write_bytes(data)
