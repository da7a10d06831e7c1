"""Grade a student's files for the platforms, through the kit's instructor grading.

The platforms differ in where a submission lies (``/autograder/submission``,
``/grade/student``, a notebook's folder, a repository checkout) and in the file they write;
what runs in between is the same and lives here:

* :func:`locate` finds a topic's files in a submission: ``exercises/<topic>/``,
  ``<topic>/`` or the files themselves at the top, possibly inside one or two wrapping
  folders (a zip of a folder, a whole kit checkout);
* :func:`collect` reads only the files each topic names (``files`` in topics.toml) into a
  :class:`graders.grading.submissions.Files`, so nothing else of a submission (a planted
  ``conftest.py`` or ``threading.py``) ever reaches the grading process;
* :func:`grade_files` grades them with :func:`graders.grading.sandbox.grade`: a fresh
  child process per submission, one forked worker per check, resource limits, an audit
  hook, a wall clock per check and signed results (see :mod:`graders.grading`). The result
  is the one result model (:class:`graders.grading.model.SubmissionResult`) that every
  output format renders.

When the grader itself fails (a package a topic requires is missing where the grader runs,
the grading process or the kit's check code crashed), :func:`grade_files` raises
:class:`NotGraded` instead of returning a score: each platform reports that as an error for
staff (PrairieLearn: not gradable; Gradescope: no results.json; Classroom: a failed step; a
notebook: an exception in the grade cell), never as the student's 0.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import graders
from graders.catalog import Topic, topics
from graders.grading.limits import Limits
from graders.grading.model import CheckResult, SubmissionResult, not_graded_message
from graders.grading.sandbox import Plan, grade
from graders.grading.submissions import MAX_FILE, Files, Submission

__all__ = ["CheckResult", "NotGraded", "SubmissionResult", "check_timeout", "collect",
           "grade_files", "grade_root", "locate", "select_topics", "summary"]

KIT_ROOT = Path(graders.__file__).resolve().parent.parent
DEFAULT_TIMEOUT = Limits.timeout
WRAPPER_DEPTH = 2


def check_timeout() -> float:
    """Wall-clock seconds one check may run: ``GRADERS_CHECK_TIMEOUT``, else the grading
    default (:attr:`Limits.timeout`)."""
    raw = os.environ.get("GRADERS_CHECK_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def select_topics(names: Sequence[str] | None) -> list[Topic]:
    """The named topics in curriculum order (all of them for ``None`` or an empty list);
    a ``ValueError`` names an unknown one together with the known ones."""
    known = topics()
    if not names:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"no topic named {unknown[0]!r}; the topics are: {', '.join(known)}")
    wanted = set(names)
    return [t for t in known.values() if t.name in wanted]


def only_check(t: Topic, check: str) -> Topic:
    """Topic ``t`` reduced to one of its checks (a plan grades every check it lists)."""
    return dataclasses.replace(t, checks=(t.check(check),))


# ------------------------------------------------------------------ finding the files
def _has_files(folder: Path, t: Topic) -> bool:
    return any((folder / name).is_file() and not (folder / name).is_symlink()
               for name in t.files)


def _roots(root: Path) -> list[Path]:
    roots = [root]
    current = root
    for _ in range(WRAPPER_DEPTH):
        try:
            subdirs = [p for p in current.iterdir() if p.is_dir() and not p.is_symlink()
                       and not p.name.startswith((".", "_"))]
        except OSError:
            break
        if len(subdirs) != 1:
            break
        current = subdirs[0]
        roots.append(current)
    return roots


def locate(root: Path, t: Topic) -> Path | None:
    """The folder of ``root`` that holds the files of topic ``t``, or None."""
    for base in _roots(root):
        for candidate in (base / "exercises" / t.name, base / t.name, base):
            if candidate.is_dir() and not candidate.is_symlink() and _has_files(candidate, t):
                return candidate
    return None


def collect(root: Path, chosen: Sequence[Topic], *, exact: bool = False) -> Files:
    """The files of every chosen topic in ``root``; ``exact`` reads them from ``root``
    itself (a notebook's folder) instead of searching with :func:`locate`."""
    files = Files()
    for t in chosen:
        where = root if exact else locate(root, t)
        for name in t.files:
            key = (t.name, name)
            if where is None:
                files.problems[key] = f"no {name} for topic {t.name} in the submission"
                continue
            path = where / name
            if path.is_symlink() or not path.is_file():
                files.problems[key] = f"{name} is missing"
                continue
            info = path.stat()
            if info.st_size > MAX_FILE:
                files.problems[key] = f"{name} is larger than {MAX_FILE // 1024} KiB"
                continue
            files.found[key] = path.read_bytes()
            files.newest = max(files.newest or 0.0, info.st_mtime)
    return files


# ------------------------------------------------------------------ grading
class NotGraded(Exception):
    """The grader could not grade the submission; the message (made by
    :func:`graders.grading.model.not_graded_message`) says so and why, for staff."""


def grade_files(files: Files, chosen: Sequence[Topic], *, student: str = "student",
                source: Path = Path("."), timeout: float | None = None) -> SubmissionResult:
    """Grade ``files`` for the chosen topics in the kit's sandbox; :class:`NotGraded` when
    the grader itself failed."""
    limits = Limits(timeout=check_timeout() if timeout is None else timeout)
    plan = Plan(topics=tuple(chosen), limits=limits)
    try:
        result = grade(Submission(student, source, "folder"), plan, files=files)
    except Exception as exc:
        raise NotGraded(not_graded_message(
            [f"the grader crashed: {type(exc).__name__}: {exc}"])) from exc
    if not result.graded:
        raise NotGraded(result.not_graded_message())
    return result


def grade_root(root: Path, chosen: Sequence[Topic], *, student: str = "student",
               timeout: float | None = None) -> SubmissionResult:
    """Find, read and grade the chosen topics' files in the submission ``root``."""
    return grade_files(collect(root, chosen), chosen, student=student, source=root,
                       timeout=timeout)


def summary(checks: Sequence[CheckResult]) -> tuple[int, int]:
    """(points earned, points possible)."""
    return sum(c.earned for c in checks), sum(c.points for c in checks)
