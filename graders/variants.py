"""Wrong and alternative fixes as small diffs against the topic's reference solution.

A fix is ``solutions/<topic>/<kind>/<fix>.diff``: a header of ``#`` lines saying what the fix
breaks or which design it shows, then a unified diff against the files of
``solutions/<topic>/`` (paths relative to that folder). Keeping only the difference means a
change to the reference reaches every fix at once, and a fix whose lines no longer match
the reference fails loudly and names itself instead of drifting silently as a copy would.

The applier is strict: hunks apply in order and every context and removed line must match
the reference exactly. A hunk may sit at another line than it says (lines were added or
removed above it) if its lines match in exactly one place; there is no fuzz.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import KIT, Topic, topic

KINDS = ("wrong", "alternative")
NO_NEWLINE = "\\ No newline at end of file\n"
_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


class VariantError(Exception):
    """A fix's diff is missing, malformed, or no longer matches the reference."""


@dataclass(frozen=True)
class Fix:
    """One wrong or alternative fix of a topic: its ``.diff`` file."""

    topic: str
    path: Path

    @classmethod
    def of(cls, t: Topic, kind: str, name: str) -> Fix:
        return cls(t.name, t.solution_dir() / kind / f"{name}.diff")

    @classmethod
    def parse(cls, spec: str) -> Fix:
        """``TOPIC/KIND/FIX`` (or the diff's path under ``solutions/``) as a Fix."""
        parts = spec.removeprefix("solutions/").removesuffix(".diff").split("/")
        if len(parts) != 3 or parts[1] not in KINDS or not parts[2].isidentifier():
            raise VariantError(f"{spec!r} is not TOPIC/KIND/FIX with KIND one of "
                               f"{', '.join(KINDS)} (e.g. mutex/wrong/no_lock)")
        return cls.of(topic(parts[0]), parts[1], parts[2])

    @property
    def kind(self) -> str:
        return self.path.parent.name

    @property
    def name(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        return f"{self.topic}/{self.kind}/{self.name}"

    def shown(self) -> str:
        """The diff's path as a person at the kit's root would type it."""
        return str(self.path.relative_to(KIT)) if self.path.is_relative_to(KIT) else str(
            self.path)


@dataclass(frozen=True)
class Hunk:
    number: int                 # counted across the whole diff, from 1, for messages
    file: str
    start: int                  # the reference line it says it starts at
    old: tuple[str, ...]        # context and removed lines
    new: tuple[str, ...]        # context and added lines
    text: str                   # as written, for a .rej file


@dataclass(frozen=True)
class Patch:
    header: str                 # the leading ``#`` lines, verbatim
    hunks: dict[str, tuple[Hunk, ...]]   # file name -> its hunks, in order


def fixes(t: Topic) -> list[Fix]:
    """Every fix of the topic on disk, listed in topics.toml or not."""
    return [Fix(t.name, p) for kind in KINDS
            for p in sorted((t.solution_dir() / kind).glob("*.diff"))]


def strays(t: Topic) -> list[Path]:
    """What lies in the topic's ``wrong/`` and ``alternative/`` folders but is no diff."""
    return [p for kind in KINDS if (t.solution_dir() / kind).is_dir()
            for p in sorted((t.solution_dir() / kind).iterdir()) if p.suffix != ".diff"]


def header(fix: Fix) -> str:
    """The header a new diff starts with: what topics.toml says of the fix, if anything."""
    t = topic(fix.topic)
    if fix.name in t.wrong and fix.kind == "wrong":
        return f"# Fails with: {t.wrong[fix.name].bug}\n"
    if fix.name in t.alternative and fix.kind == "alternative":
        return f"# Shows: {t.alternative[fix.name]}\n"
    return "# What this fix breaks, or the design it shows: say it here in one line.\n"


def lines(text: str) -> list[str]:
    """``text`` split after every newline only (a form feed or a lone CR is no line end)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def read(fix: Fix) -> Patch:
    """The fix's diff, parsed; a VariantError names the file and line of any mistake."""
    if not fix.path.is_file():
        raise VariantError(f"{fix.shown()}: no such fix; start one with: python -m graders "
                           f"dev variant new {fix}")
    text = fix.path.read_bytes().decode("utf-8")
    return _parse(lines(text), fix.shown())


def _parse(rows: list[str], where: str) -> Patch:
    i = 0
    while i < len(rows) and rows[i].startswith("#"):
        i += 1
    if i == 0:
        raise VariantError(f"{where}: no header: start with '# ' lines saying what the fix "
                           "breaks or which design it shows")
    head, hunks, number = "".join(rows[:i]), {}, 0
    while i < len(rows):
        if not (rows[i].startswith("--- ") and i + 1 < len(rows)
                and rows[i + 1].startswith("+++ ")):
            raise VariantError(f"{where}:{i + 1}: expected '--- FILE' and '+++ FILE'")
        name = rows[i][4:].split("\t")[0].rstrip("\n")
        if rows[i + 1][4:].split("\t")[0].rstrip("\n") != name:
            raise VariantError(f"{where}:{i + 2}: '+++' names another file than '---'")
        if name in hunks:
            raise VariantError(f"{where}:{i + 1}: {name} appears twice")
        i += 2
        file_hunks: list[Hunk] = []
        while i < len(rows) and rows[i].startswith("@@"):
            number += 1
            hunk, i = _parse_hunk(rows, i, where, name, number)
            if file_hunks and hunk.start < file_hunks[-1].start + len(file_hunks[-1].old):
                raise VariantError(f"{where}:{i}: hunk {number} overlaps or precedes the one "
                                   "before it")
            file_hunks.append(hunk)
        if not file_hunks:
            raise VariantError(f"{where}:{i + 1}: {name} has no hunk")
        hunks[name] = tuple(file_hunks)
    return Patch(head, hunks)


def _parse_hunk(rows: list[str], i: int, where: str, name: str,
                number: int) -> tuple[Hunk, int]:
    """The hunk whose ``@@`` line is ``rows[i]``, and the index of the row after it."""
    match = _HUNK.match(rows[i])
    if match is None:
        raise VariantError(f"{where}:{i + 1}: a malformed hunk line {rows[i].rstrip()!r}")
    start, old_len = int(match[1]), int(match[2] or 1)
    new_len = int(match[4] or 1)
    old: list[str] = []
    new: list[str] = []
    first = i
    i += 1
    while len(old) < old_len or len(new) < new_len:
        row = rows[i] if i < len(rows) else ""
        tag, body = row[:1], row[1:]
        if row == "\n":             # an editor dropped the space of an empty context line
            tag, body = " ", "\n"
        if tag not in " -+" or not row:
            raise VariantError(f"{where}:{i + 1}: hunk {number} ends before its "
                               f"{old_len} old and {new_len} new lines")
        if tag in " -":
            old.append(body)
        if tag in " +":
            new.append(body)
        i += 1
        if i < len(rows) and rows[i] == NO_NEWLINE:
            for side in (old, new) if tag == " " else (old,) if tag == "-" else (new,):
                side[-1] = side[-1].removesuffix("\n")
            i += 1
    if len(old) != old_len or len(new) != new_len:
        raise VariantError(f"{where}:{i}: hunk {number} has more lines than its @@ line says")
    return Hunk(number, name, start, tuple(old), tuple(new), "".join(rows[first:i])), i


def _apply(text: str, hunks: tuple[Hunk, ...]) -> tuple[str, list[Hunk]]:
    """``text`` with every hunk that matches applied, and the hunks that do not."""
    src = lines(text)
    out: list[str] = []
    done = shift = 0
    failed = []
    for hunk in hunks:
        at = _locate(src, hunk, done, shift)
        if at is None:
            failed.append(hunk)
            continue
        out += src[done:at]
        out += hunk.new
        done = at + len(hunk.old)
        shift = at - _index(hunk)
    return "".join(out + src[done:]), failed


def _index(hunk: Hunk) -> int:
    """Where the hunk says its old lines start, from 0 (an empty old side follows the line)."""
    return hunk.start - 1 if hunk.old else hunk.start


def _locate(src: list[str], hunk: Hunk, done: int, shift: int) -> int | None:
    """Where the hunk's old lines stand, at or after ``done``: where the hunk says (moved by
    as much as the hunks before it moved), else the only place they match; None if none."""
    size = len(hunk.old)
    expected = _index(hunk) + shift
    if done <= expected <= len(src) - size and tuple(src[expected:expected + size]) == hunk.old:
        return expected
    if not hunk.old:
        return None
    places = [i for i in range(done, len(src) - size + 1)
              if tuple(src[i:i + size]) == hunk.old]
    return places[0] if len(places) == 1 else None


def reference(t: Topic) -> dict[str, str]:
    """The topic's reference solution: file name -> text."""
    return read_folder(t, t.solution_dir())


def read_folder(t: Topic, folder: Path) -> dict[str, str]:
    """The topic's files in ``folder``: file name -> text, byte for byte."""
    missing = [name for name in t.files if not (folder / name).is_file()]
    if missing:
        raise VariantError(f"{folder}: {', '.join(missing)} missing")
    return {name: (folder / name).read_bytes().decode("utf-8") for name in t.files}


def write_folder(files: Mapping[str, str], folder: Path) -> None:
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("utf-8"))


def patched(fix: Fix) -> tuple[Patch, dict[str, str], list[Hunk]]:
    """The fix's diff, every file of the topic with it applied, and the hunks that did not
    apply (for an author to redo by hand)."""
    t = topic(fix.topic)
    patch = read(fix)
    result = reference(t)
    failed: list[Hunk] = []
    for name, hunks in patch.hunks.items():
        if name not in result:
            raise VariantError(f"{fix.shown()}: {name} is not a file of topic {t.name} "
                               f"({', '.join(t.files)})")
        result[name], missed = _apply(result[name], hunks)
        failed += missed
    return patch, result, failed


def files(fix: Fix) -> dict[str, str]:
    """Every file of the fix's topic with the fix applied: file name -> text."""
    _, result, failed = patched(fix)
    if failed:
        hunk = failed[0]
        raise VariantError(f"{fix.shown()}: hunk {hunk.number} ({hunk.file}, line "
                           f"{hunk.start}) does not match the reference; was the reference "
                           f"edited? run: python -m graders dev variant edit {fix}")
    return result


@contextmanager
def materialised(fix: Fix) -> Iterator[Path]:
    """A temporary folder holding every file of the fix's topic, patched or not; it is
    removed on leaving the ``with`` block."""
    result = files(fix)
    with tempfile.TemporaryDirectory(prefix=f"graders-{fix.topic}-{fix.name}-") as tmp:
        write_folder(result, Path(tmp))
        yield Path(tmp)


@contextmanager
def checkout(topic_name: str, source: Path) -> Iterator[Path]:
    """The folder to run a topic's checks on: ``source`` itself when it is a folder (a
    starter, a solution), a fix's ``.diff`` materialised into a temporary one."""
    if source.is_dir():
        yield source
        return
    with materialised(Fix(topic_name, source)) as folder:
        yield folder


def diff(t: Topic, fixed: Mapping[str, str]) -> str:
    """The unified diff from the topic's reference to ``fixed`` (file name -> text)."""
    out = []
    for name, old in reference(t).items():
        for row in difflib.unified_diff(lines(old), lines(fixed[name]), name, name):
            out.append(row if row.endswith("\n") else row + "\n" + NO_NEWLINE)
    return "".join(out)


def save(fix: Fix, head: str, fixed: Mapping[str, str]) -> bool:
    """Write the fix's diff (``head``, then the diff to ``fixed``); False if it already said
    exactly that. A fix that changes nothing is refused."""
    body = diff(topic(fix.topic), fixed)
    if not body:
        raise VariantError(f"{fix}: no difference from the reference, so nothing to save")
    text = head + body
    if fix.path.is_file() and fix.path.read_bytes() == text.encode("utf-8"):
        return False
    fix.path.parent.mkdir(parents=True, exist_ok=True)
    fix.path.write_bytes(text.encode("utf-8"))
    return True
