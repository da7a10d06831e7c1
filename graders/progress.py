"""Where a student stands in the course: each topic not started, failing a check, or done.

``python -m graders check`` (and so watch mode, which runs it) records each run on a topic's
exercise folder in ``.graders/progress.json`` in the current folder, written whole or not at
all (a temporary file, then a rename), so an interrupted run never leaves half a file.
``python -m graders progress`` reads it back.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graders.catalog import topics

STATE = Path(".graders") / "progress.json"


@dataclass(frozen=True)
class Standing:
    """One topic's state: ``done``, ``failing`` (the first failing ``check``) or
    ``not started``."""

    topic: str
    state: str
    check: str = ""

    def describe(self) -> str:
        return f"failing check {self.check}" if self.state == "failing" else self.state


def _load(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(topic: str, failing: str | None, path: Path = STATE) -> None:
    """Remember the latest run of ``topic``: done, or the first check that failed."""
    data = _load(path)
    data[topic] = {"state": "failing" if failing else "done", "check": failing or "",
                   "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def standings(path: Path = STATE) -> list[Standing]:
    """Every topic in curriculum order, with its state."""
    data = _load(path)
    out = []
    for name in topics():
        entry = data.get(name)
        if not isinstance(entry, dict) or entry.get("state") not in ("done", "failing"):
            out.append(Standing(name, "not started"))
        else:
            out.append(Standing(name, str(entry["state"]), str(entry.get("check", ""))))
    return out


def bar(path: Path = STATE, width: int = 28) -> str:
    """``Course: [#######.....] 3/14 topics done``."""
    done = sum(s.state == "done" for s in standings(path))
    total = len(topics())
    filled = round(width * done / total) if total else 0
    return f"Course: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} topics done"


def next_topic(after: str | None = None, path: Path = STATE,
               among: Collection[str] | None = None) -> str | None:
    """The first topic not done (after ``after`` in curriculum order, then from the start),
    of those ``among`` names (default: all)."""
    order = [s for s in standings(path) if among is None or s.topic in among or
             s.topic == after]
    names = [s.topic for s in order]
    start = names.index(after) + 1 if after in names else 0
    for s in order[start:] + order[:start]:
        if s.state != "done" and s.topic != after:
            return s.topic
    return None
