"""The failure a student reads: what went wrong, in words, and the interleaving that led there.

A run's verdict is recorded as facts (:mod:`.findings`); :func:`words` turns it into the
message and details of the report. The interleaving is a table with a column per thread;
each row is a source line one thread ran (consecutive instructions of one line are one
row). A ``*`` marks a row where the scheduler switched threads although the previous one
could have gone on: after shrinking, those are exactly the switches the bug needs.
"""

from __future__ import annotations

import ast
import dis
import linecache
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType

from .findings import Misuse, Raised, Stated, Stuck, Verdict, line_of
from .scheduler import LogEntry, Run
from .verdicts import BugClass
from .waitfor import describe, label_of

WIDTH = 40

_line = line_of


_ins_cache: dict[CodeType, dict[int, dis.Instruction]] = {}


def _pending(code: CodeType, offset: int) -> str:
    """What the instruction at ``offset`` is about to do, in words ('write count')."""
    table = _ins_cache.get(code)
    if table is None:
        table = _ins_cache[code] = {i.offset: i for i in dis.get_instructions(code)}
    ins = table.get(offset)
    if ins is None:
        return ""
    name, arg = ins.opname, ins.argval
    if name.startswith("STORE_") and name not in ("STORE_FAST",):
        return f"writes {'.' if name == 'STORE_ATTR' else ''}{arg}" if isinstance(
            arg, str) else "writes"
    if name in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_ATTR", "LOAD_CLASSDEREF"):
        return f"reads {'.' if name == 'LOAD_ATTR' else ''}{arg}"
    if name in ("BINARY_SUBSCR", "BINARY_SLICE"):
        return "reads an item"
    if name.startswith("CALL"):
        return "makes a call"
    if name == "BINARY_OP":
        return f"computes {ins.argrepr}"
    return ""


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe(run: Run, ev: LogEntry) -> tuple[str, str]:
    """(key, text) for an event; events with the same key on one thread merge."""
    if ev.code is not None:
        line = _line(ev.code, ev.offset)
        source = linecache.getline(ev.code.co_filename, line).strip()
        key = f"{ev.code.co_filename}:{line}"
        text = f"{source}  (line {line})"
    else:
        key = f"op:{ev.note}:{id(ev.obj)}"
        name = getattr(ev.obj, "name", None) if ev.note in ("join", "start", "is_alive") else None
        what = name if isinstance(name, str) else (
            label_of(run, ev.obj) if ev.obj is not None else "")
        text = f"{ev.note} {what}".strip()
    return key, text


def names_of(run: Run) -> dict[int, str]:
    return {t.tid: t.name for t in run.threads}


@dataclass
class _Row:
    """One row of the table: a source line (or a primitive operation) one thread ran."""

    tid: int | None               # None: the "..." row where the middle is left out
    key: str                      # rows of one thread with the same key merge
    text: str
    mark: bool                    # the scheduler switched threads here
    note: str | None = None       # "<- worker paused before it writes count"



def interleaving(run: Run, last: int = 14) -> str:
    """The last ``last`` rows of the run's interleaving as a text table."""
    rows: list[_Row] = []
    preempt_next: set[int] = set()
    last_event: dict[int, LogEntry] = {}
    names = names_of(run)
    for ev in run.events:
        if ev.note == "switch":
            preempt_next.add(ev.tid)
            if rows:
                row = rows[-1]
                paused = last_event.get(row.tid) if row.tid is not None else None
                if paused is not None and paused.code is not None:
                    doing = _pending(paused.code, paused.offset)
                    who = names.get(row.tid, "") if row.tid is not None else ""
                    row.note = f"{who} paused before it {doing}" if doing else f"{who} paused"
            continue
        if ev.note == "blocked":
            if rows and rows[-1].tid == ev.tid:
                rows[-1].note = f"{names.get(ev.tid, '')} waits"
            last_event.pop(ev.tid, None)
            continue
        last_event[ev.tid] = ev
        if ev.code is not None and ev.code.co_name != "<module>" and _line(
                ev.code, ev.offset) == ev.code.co_firstlineno:
            continue    # the 'def' line: frame bookkeeping (unwinding), not a statement
        key, text = _describe(run, ev)
        mark = ev.tid in preempt_next
        preempt_next.discard(ev.tid)
        if rows and rows[-1].tid == ev.tid and rows[-1].key == key and not mark:
            continue
        rows.append(_Row(ev.tid, key, text, mark))
    marks = [i for i, r in enumerate(rows) if r.mark]
    if 0 < len(marks) <= 6 and len(rows) - marks[0] + 3 > last:
        start = max(0, marks[0] - 3)
        if len(rows) - start <= last + 10:
            rows = rows[start:]
        else:
            rows = [*rows[start:start + last], _Row(None, "", "", False), *rows[-6:]]
    else:
        rows = rows[-last:]
    if not rows:
        return ""
    tids = sorted({r.tid for r in rows if r.tid is not None})
    limit = WIDTH if len(tids) <= 3 else 30
    col = {tid: i for i, tid in enumerate(tids)}
    widths = [len(_cell(names[t], limit)) for t in tids]
    for r in rows:
        if r.tid is not None:
            i = col[r.tid]
            widths[i] = max(widths[i], len(_cell(r.text, limit)))
    header = " | ".join(_cell(names[t], limit).ljust(w) for t, w in zip(tids, widths,
                                                                          strict=True))
    out = ["    " + header.rstrip()]
    for r in rows:
        if r.tid is None:
            out.append("    ...")
            continue
        cells = [""] * len(tids)
        cells[col[r.tid]] = _cell(r.text, limit)
        line = " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        if r.note:
            line += f"   <- {r.note}"
        out.append(("  * " if r.mark else "    ") + line.rstrip())
    return "\n".join(out)


# ------------------------------------------------------------------ the verdict in words
def words(run: Run, verdict: Verdict) -> tuple[str, str]:
    """The one-line message and the details a report shows for ``run``'s verdict."""
    if isinstance(verdict, Stated):
        return verdict.message, verdict.details
    if isinstance(verdict, Raised):
        return _raised(verdict, run.settings.traced)
    if isinstance(verdict, Stuck | Misuse):
        return describe(run, verdict)
    raise TypeError(f"a verdict of an unknown kind: {verdict!r}")


def _raised(verdict: Raised, traced: Callable[[str], bool]) -> tuple[str, str]:
    exc = verdict.error
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if verdict.bug_class == BugClass.ASSERTION:
        message = _own_assertion(verdict, traced) or (
            f"Check failed: {exc}" if str(exc) else "A check's assertion failed.")
    else:
        message = f"{verdict.thread} raised {text}"
    return message, _student_traceback(exc, traced)


def _own_assertion(verdict: Raised, traced: Callable[[str], bool]) -> str | None:
    """The words for an AssertionError raised in the code under test itself (an ``assert``
    of the program's own, not a check's): None when the check (or a library) raised it."""
    frames = traceback.extract_tb(verdict.error.__traceback__)
    if not frames or not traced(frames[-1].filename):
        return None
    f = frames[-1]
    where = f"{os.path.basename(f.filename)}, line {f.lineno}"
    if verdict.thread not in (None, "MainThread"):
        where += f", in {verdict.thread}"
    source = (f.line or "").strip()
    try:
        statement = ast.parse(source).body[0] if source else None
    except SyntaxError:       # a statement over several lines: its first line shows it
        statement = None
    if isinstance(statement, ast.Assert):
        source = f"assert {ast.unparse(statement.test)}"
    elif not source.startswith("assert"):
        source = ""
    said = str(verdict.error)
    if source:
        message = f"An assertion in your code failed: {source} ({where})"
    else:
        message = f"Your code raised AssertionError ({where})"
    return f"{message}: {said}" if said else message


def _student_traceback(exc: BaseException, traced: Callable[[str], bool]) -> str:
    """The traceback trimmed to the frames of the code under test (engine frames dropped)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if traced(f.filename)]
    if not frames:
        return ""
    lines = ["Traceback (code under test, most recent call last):"]
    repeats = 0
    for i, f in enumerate(frames):
        # Like Python's own tracebacks: a frame repeated (deep recursion) is shown 3 times.
        same = i > 0 and (f.filename, f.lineno, f.name) == (
            frames[i - 1].filename, frames[i - 1].lineno, frames[i - 1].name)
        repeats = repeats + 1 if same else 0
        if repeats < 3:
            lines.append(f'  File "{f.filename}", line {f.lineno}, in {f.name}')
            if f.line:
                lines.append(f"    {f.line.strip()}")
        if repeats >= 3 and (i + 1 == len(frames) or (f.filename, f.lineno, f.name) != (
                frames[i + 1].filename, frames[i + 1].lineno, frames[i + 1].name)):
            lines.append(f"  [Previous line repeated {repeats - 2} more times]")
    lines.append(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return "\n".join(lines)
