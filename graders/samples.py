"""Sample outputs in the READMEs, written from real runs so they cannot drift.

A README marks a sample with two lines::

    <!-- sample: TOPIC CHECK (written by `python -m graders dev samples`; do not edit) -->
    <!-- end of the sample -->

and ``python -m graders dev samples`` writes between them what the check prints today when
it runs on the topic's untouched starter, as ``pytest exercises/TOPIC`` shows it (a long
interleaving is cut to its last rows, the steps that led to the failure). ``--check``
compares instead. A sample names the Python it was made on; on another version the
schedules found may differ, so there only its first line (the requirement) is compared.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import KIT, topic
from graders.checking import run_check
from graders.engine import Settings

BEGIN = re.compile(r"<!-- sample: (?P<topic>\w+) (?P<check>\w+) \(written by "
                   r"`python -m graders dev samples`; do not edit\) -->\n")
END = "<!-- end of the sample -->"
ROWS = 12         # interleaving rows kept (the last ones)
FENCE = "```"


@dataclass(frozen=True)
class Sample:
    path: Path
    topic: str
    check: str
    start: int    # where the text between the markers starts
    end: int      # where the end marker starts


def find(path: Path) -> list[Sample]:
    """The samples marked in the file at ``path``."""
    text = path.read_text()
    found = []
    for m in BEGIN.finditer(text):
        end = text.find(END, m.end())
        if end < 0:
            raise ValueError(f"{path}: the sample of {m['topic']} {m['check']} has no end "
                             f"line {END!r}")
        found.append(Sample(path, m["topic"], m["check"], m.end(), end))
    return found


def render(topic_name: str, check: str) -> str:
    """The block a sample holds: a text fence around what the check prints on the starter."""
    t = topic(topic_name)
    outcome = run_check(t.name, check, t.exercise_dir(), Settings())
    if outcome.passed:
        raise ValueError(f"{t.name}: the untouched starter passes {check}, so there is no "
                         "failure to show")
    node = f"exercises/{t.name}/test_{t.name}.py::test_{check}"
    lines = shortened(outcome.message(f"pytest '{node}' --replay {{token}}").splitlines())
    return "\n".join([FENCE + "text", *lines, FENCE, ""])


def shortened(lines: list[str]) -> list[str]:
    """The report with its interleaving cut to the threads' names and its last :data:`ROWS`
    rows (the steps that led to the failure)."""
    out: list[str] = []
    table: list[str] | None = None
    for line in [*lines, ""]:
        if table is not None and line.startswith(" "):
            table.append(line)
            continue
        if table is not None:
            names, rows = table[:1], table[1:]
            out += names + (["  ...", *rows[-ROWS:]] if len(rows) > ROWS else rows)
            table = None
        if line.startswith("Interleaving"):
            table = []
        out.append(line)
    return out[:-1]


def readmes() -> list[Path]:
    return [KIT / "README.md", *sorted((KIT / "exercises").glob("*/README.md"))]


def _same_python(block: str) -> bool:
    made = re.search(r"Python (\d+\.\d+)\)", block)
    return made is None or made.group(1) == f"{sys.version_info[0]}.{sys.version_info[1]}"


def stale() -> list[str]:
    """A line for each sample out of step with a fresh run."""
    problems = []
    for path in readmes():
        text = path.read_text()
        for s in find(path):
            now, fresh = text[s.start:s.end], render(s.topic, s.check)
            if not _same_python(now):
                now, fresh = now.splitlines()[1], fresh.splitlines()[1]
            if now != fresh:
                problems.append(f"{path.relative_to(KIT)}: the sample of {s.topic} {s.check} "
                                "is out of date (python -m graders dev samples)")
    return problems


def write() -> list[Path]:
    """Write every sample anew; return the files changed."""
    changed = []
    for path in readmes():
        text = path.read_text()
        new = text
        for s in reversed(find(path)):
            new = new[:s.start] + render(s.topic, s.check) + new[s.end:]
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed
