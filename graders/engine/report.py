"""The failure a student reads: what went wrong, how to replay it, and the interleaving.

The interleaving is a table with a column per thread; each row is a source line one thread
ran (consecutive instructions of one line are one row). A ``*`` marks a row where the
scheduler switched threads although the previous one could have gone on: after shrinking,
those are exactly the switches the bug needs.
"""

from __future__ import annotations

import dis
import linecache
from types import CodeType

from .scheduler import Event, Run
from .waitfor import label_of

_line_cache: dict[CodeType, dict[int, int]] = {}

WIDTH = 40


def _line(code: CodeType, offset: int) -> int:
    table = _line_cache.get(code)
    if table is None:
        table = {}
        for i, pos in enumerate(code.co_positions()):
            if pos[0] is not None:
                table[i * 2] = pos[0]
        _line_cache[code] = table
    return table.get(offset, code.co_firstlineno)


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


def _describe(run: Run, ev: Event) -> tuple[str, str | None]:
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


def interleaving(run: Run, last: int = 14) -> str:
    """The last ``last`` rows of the run's interleaving as a text table."""
    rows: list[list[object]] = []        # [tid, key, text, preempted, note]
    preempt_next: set[int] = set()
    last_event: dict[int, Event] = {}
    for ev in run.events:
        if ev.note == "switch":
            preempt_next.add(ev.tid)
            if rows:
                paused = last_event.get(int(rows[-1][0]))  # type: ignore[call-overload]
                if paused is not None and paused.code is not None:
                    doing = _pending(paused.code, paused.offset)
                    who = names_of(run).get(int(rows[-1][0]), "")  # type: ignore[call-overload]
                    rows[-1][4] = f"{who} paused before it {doing}" if doing else f"{who} paused"
            continue
        if ev.note == "blocked":
            if rows and rows[-1][0] == ev.tid:
                rows[-1][4] = f"{names_of(run).get(ev.tid, '')} waits"
            last_event.pop(ev.tid, None)
            continue
        last_event[ev.tid] = ev
        if ev.code is not None and ev.code.co_name != "<module>" and _line(
                ev.code, ev.offset) == ev.code.co_firstlineno:
            continue    # the 'def' line: frame bookkeeping (unwinding), not a statement
        key, text = _describe(run, ev)
        mark = ev.tid in preempt_next
        preempt_next.discard(ev.tid)
        if rows and rows[-1][0] == ev.tid and rows[-1][1] == key and not mark:
            continue
        rows.append([ev.tid, key, text, mark, None])
    marks = [i for i, r in enumerate(rows) if r[3]]
    if 0 < len(marks) <= 6 and len(rows) - marks[0] + 3 > last:
        start = max(0, marks[0] - 3)
        if len(rows) - start <= last + 10:
            rows = rows[start:]
        else:
            rows = [*rows[start:start + last], [None, "", "", False, None], *rows[-6:]]
    else:
        rows = rows[-last:]
    if not rows:
        return ""
    tids = sorted({r[0] for r in rows if r[0] is not None})  # type: ignore[type-var]
    names = names_of(run)
    limit = WIDTH if len(tids) <= 3 else 30
    col = {tid: i for i, tid in enumerate(tids)}
    widths = [len(_cell(names[t], limit)) for t in tids]
    for tid, _key, text, _mark, _note in rows:
        if tid is not None:
            i = col[tid]  # type: ignore[index]
            widths[i] = max(widths[i], len(_cell(str(text), limit)))
    header = " | ".join(_cell(names[t], limit).ljust(w) for t, w in zip(tids, widths,
                                                                          strict=True))
    out = ["    " + header.rstrip()]
    for tid, _key, text, mark, note in rows:
        if tid is None:
            out.append("    ...")
            continue
        cells = [""] * len(tids)
        cells[col[tid]] = _cell(str(text), limit)  # type: ignore[index]
        line = " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
        if note:
            line += f"   <- {note}"
        out.append(("  * " if mark else "    ") + line.rstrip())
    return "\n".join(out)
