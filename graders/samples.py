"""Sample outputs in the READMEs, written from real runs so they cannot drift.

A README marks a sample with two lines::

    <!-- sample: TOPIC WHAT [wrong/FIX] [lines=N] (written by ...; do not edit) -->
    <!-- end of the sample -->

(the parenthesis in full: ``(written by `python -m graders dev samples`; do not edit)``),
and ``python -m graders dev samples`` writes between them, as a ```text fence, what a real
run prints today. WHAT says which run:

``CHECK`` (or ``CHECK,CHECK,...``)
    the failure report of that check of TOPIC as ``pytest exercises/TOPIC`` shows it, on
    the untouched starter, or with ``wrong/FIX`` on that wrong fix (one listed in
    topics.toml, applied to the reference solution by :mod:`graders.variants`). A long
    interleaving is cut to its last rows, the steps that led to the failure. Several checks
    are shown one after another, each under pytest's header line.
``passing``
    pytest's line for the topic's test file when every check passes, what a student sees
    when done: a dot for each test in the file. (The dev check, which the suite runs,
    proves that the reference solution passes every one; running them all again here
    would make this command minutes slower.)
``prints=FILE``
    what ``python FILE`` prints, run in the reference solution's folder.

``lines=N`` keeps the first N lines of each report (or of the output), then ``...``. Any
other word, a check the topic does not show, or a fix topics.toml does not list is an error
that names the file and line.

``--check`` compares instead. The schedules a check finds depend on the Python version, so
check reports are compared in full only on :data:`MADE_ON`, the Python they are written on;
elsewhere only the lines that do not depend on a schedule are (pytest's headers and the
``Requirement not met:`` lines). ``passing`` and ``prints`` samples are compared in full.

Every other fence in a README holds code (```python, ```bash, ```toml, ```diff) or follows
the line :data:`DRAWN` (a figure drawn by hand); :func:`unmarked` finds any that does not,
an output block that nothing would keep true.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import KIT, CatalogError, Topic, topic
from graders.checking import CheckOutcome, pytest_ending, pytest_report, run_check
from graders.engine import Settings
from graders.variants import Fix, VariantError, checkout

MARK = "<!-- sample:"
BEGIN = re.compile(r"<!-- sample: (?P<spec>[^()]+) \(written by "
                   r"`python -m graders dev samples`; do not edit\) -->")
END = "<!-- end of the sample -->"
DRAWN = "<!-- drawn by hand, not output -->"
CODE = frozenset({"python", "bash", "toml", "diff"})
MADE_ON = "3.11"  # the Python every sample is written on
ROWS = 12         # interleaving rows kept (the last ones)
WIDTH = 80        # pytest's terminal width when its output is not a terminal
FENCE = "```"
OPENING = re.compile(r"```(?P<info>\S*)\s*$")


@dataclass(frozen=True)
class Sample:
    """One sample marked in a README: where it is, and which run it shows."""

    path: Path
    line: int                    # of the begin marker, from 1
    topic: str
    checks: tuple[str, ...]      # for a report; empty for passing and prints
    what: str                    # "report", "passing" or "prints"
    fix: str | None = None       # a wrong fix's name
    program: str | None = None   # for prints
    lines: int | None = None
    start: int = 0               # where the text between the markers starts
    end: int = 0                 # where the end marker starts
    spec: str = ""               # the marker's words, as written

    @property
    def where(self) -> str:
        return f"{_shown(self.path)}:{self.line}"


def find(path: Path) -> list[Sample]:
    """The samples marked in the file at ``path``; a ValueError names the file and line of a
    marker that does not parse or has no end."""
    text = path.read_text()
    found = []
    offset = 0
    for number, row in enumerate(text.splitlines(keepends=True), 1):
        offset += len(row)
        if not row.startswith(MARK):
            continue
        where = f"{_shown(path)}:{number}"
        m = BEGIN.fullmatch(row.rstrip("\n"))
        if m is None:
            raise ValueError(f"{where}: a sample marker must read '<!-- sample: TOPIC WHAT "
                             "[wrong/FIX] [lines=N] (written by `python -m graders dev "
                             "samples`; do not edit) -->'")
        end = text.find(END, offset)
        nested = text.find(MARK, offset)
        if end < 0 or 0 <= nested < end:
            raise ValueError(f"{where}: the sample has no end line {END!r}")
        found.append(_parse(m["spec"], path, number, offset, end, where))
    return found


def _parse(spec: str, path: Path, line: int, start: int, end: int, where: str) -> Sample:
    """The sample a marker's words describe, checked against the catalogue."""
    words = spec.split()
    if len(words) < 2:
        raise ValueError(f"{where}: a sample names a topic and what to show")
    try:
        t = topic(words[0])
    except CatalogError as exc:
        raise ValueError(f"{where}: {exc}") from None
    fix = lines = None
    for word in words[2:]:
        if word.startswith("wrong/") and fix is None:
            fix = word.removeprefix("wrong/")
            if fix not in t.wrong:
                raise ValueError(f"{where}: topics.toml lists no wrong fix {fix!r} of "
                                 f"{t.name}")
        elif re.fullmatch(r"lines=[1-9]\d*", word) and lines is None:
            lines = int(word.removeprefix("lines="))
        else:
            raise ValueError(f"{where}: unknown word {word!r} (after TOPIC WHAT come only "
                             "wrong/FIX and lines=N)")
    what = words[1]
    if what == "passing" or what.startswith("prints="):
        program = what.removeprefix("prints=") if what != "passing" else None
        if fix is not None:
            raise ValueError(f"{where}: {what} runs the reference solution, not a wrong fix")
        if program is not None and program not in t.files:
            raise ValueError(f"{where}: {program!r} is not a file of {t.name} "
                             f"({', '.join(t.files)})")
        kind = "passing" if program is None else "prints"
        return Sample(path, line, t.name, (), kind, None, program, lines, start, end, spec)
    checks = tuple(what.split(","))
    shown = [c.name for c in t.checks if not c.hidden]
    for check in checks:
        if check not in shown:
            raise ValueError(f"{where}: unknown kind {check!r}: not passing, prints=FILE or "
                             f"a check {t.name} shows ({', '.join(shown)})")
    return Sample(path, line, t.name, checks, "report", fix, None, lines, start, end, spec)


class Runs:
    """The runs the samples need, each made once: a check on a starter or a wrong fix, and
    a program's output."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str | None, str], CheckOutcome] = {}
        self._printed: dict[tuple[str, str], str] = {}

    def check(self, topic_name: str, fix: str | None, check: str) -> CheckOutcome:
        """``check`` run on the untouched starter, or on the wrong fix named ``fix``."""
        key = (topic_name, fix, check)
        if key not in self._checks:
            t = topic(topic_name)
            source = t.exercise_dir() if fix is None else Fix.of(t, "wrong", fix).path
            try:
                with checkout(t.name, source) as folder:
                    self._checks[key] = run_check(t.name, check, folder, Settings())
            except VariantError as exc:
                raise ValueError(str(exc)) from None
        return self._checks[key]

    def printed(self, topic_name: str, program: str) -> str:
        """What ``python program`` prints in the topic's reference solution's folder."""
        key = (topic_name, program)
        if key not in self._printed:
            folder = topic(topic_name).solution_dir()
            done = subprocess.run([sys.executable, program], cwd=folder, capture_output=True,
                                  text=True, timeout=60, check=False)
            if done.returncode != 0:
                raise ValueError(f"python {program} in {_shown(folder)} exited with "
                                 f"{done.returncode}: {done.stderr.strip()[-500:]}")
            self._printed[key] = done.stdout
        return self._printed[key]


def render(sample: Sample, runs: Runs) -> str:
    """The block a sample holds: a text fence around what its run prints."""
    t = topic(sample.topic)
    if sample.what == "passing":
        body = [progress_line(t, "." * len(tests(t)))]
    elif sample.what == "prints":
        assert sample.program is not None
        body = _cut(runs.printed(t.name, sample.program).splitlines(), sample.lines)
    else:
        body = []
        for check in sample.checks:
            if len(sample.checks) > 1:
                body.append(header(f"test_{check}"))
            body += _cut(shortened(_report(t, check, sample.fix, runs).splitlines()),
                         sample.lines)
    return "\n".join([FENCE + "text", *body, FENCE, ""])


def _report(t: Topic, check: str, fix: str | None, runs: Runs) -> str:
    """What pytest shows when ``check`` fails on the starter (or on wrong fix ``fix``), run
    from the kit's folder for the first time (no failing schedule remembered)."""
    outcome = runs.check(t.name, fix, check)
    if outcome.passed:
        on = "the untouched starter" if fix is None else f"wrong fix {fix}"
        raise ValueError(f"{t.name}: {on} passes {check}, so there is no failure to show")
    if outcome.load_error is not None:
        return outcome.load_error
    assert outcome.exploration is not None and outcome.exploration.failure is not None
    node = f"exercises/{t.name}/test_{t.name}.py::test_{check}"
    failure = outcome.exploration.failure
    # where the plugin draws the interleaving, as a path from the kit's folder
    drawn = failure.timeline is not None and bool(failure.interleaving)
    picture = f"exercises/{t.name}/.graders/test_{check}.html" if drawn else None
    return (pytest_report(outcome.requirement, outcome.exploration,
                          f"pytest '{node}' --replay {{token}}")
            + pytest_ending(picture, None, outcome.hint, t.name))


def tests(t: Topic) -> list[str]:
    """The tests in the topic's test file, in its order, as pytest collects them."""
    path = t.exercise_dir() / f"test_{t.name}.py"
    return [node.name for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]


def progress_line(t: Topic, marks: str) -> str:
    """pytest's line for the topic's test file: the file, a mark per test, ``[100%]`` at
    the right edge."""
    head = f"exercises/{t.name}/test_{t.name}.py {marks}"
    return head + "[100%]".rjust(WIDTH - 1 - len(head))


def header(title: str) -> str:
    """pytest's header line above a failure: the title between runs of underscores."""
    fill = "_" * max((WIDTH - len(title) - 2) // 2, 1)
    line = f"{fill} {title} {fill}"
    return line + "_" if len(line) < WIDTH else line


def _cut(lines: list[str], keep: int | None) -> list[str]:
    return lines if keep is None or len(lines) <= keep else [*lines[:keep], "..."]


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


def unmarked(path: Path) -> list[str]:
    """A line for each output block in the file at ``path`` that no sample writes: a fence
    that is not code and does not follow :data:`DRAWN`."""
    text = path.read_text()
    spans = [(text.count("\n", 0, s.start), text.count("\n", 0, s.end)) for s in find(path)]
    problems = []
    rows = text.splitlines()
    inside = False
    for i, row in enumerate(rows):
        m = OPENING.fullmatch(row)
        if m is None:
            continue
        if inside:
            inside = False
            continue
        inside = True
        before = next((r for r in reversed(rows[:i]) if r.strip()), "")
        if (m["info"] in CODE or before == DRAWN
                or any(first <= i < last for first, last in spans)):
            continue
        problems.append(f"{_shown(path)}:{i + 1}: an output block that no sample writes "
                        f"(mark it '{MARK} TOPIC WHAT ...', or '{DRAWN}' for a figure)")
    return problems


def _fixed_lines(block: str) -> list[str]:
    """The lines of a report that no schedule changes: headers and requirements."""
    return [line for line in block.splitlines()
            if line.startswith(("Requirement not met:", "____"))]


def stale(paths: list[Path] | None = None) -> list[str]:
    """A line for each sample (in ``paths``, default every README) out of step with a fresh
    run."""
    problems = []
    runs = Runs()
    same_python = f"{sys.version_info[0]}.{sys.version_info[1]}" == MADE_ON
    for path in readmes() if paths is None else paths:
        text = path.read_text()
        for s in find(path):
            now, fresh = text[s.start:s.end], render(s, runs)
            if s.what == "report" and not same_python:
                now, fresh = "\n".join(_fixed_lines(now)), "\n".join(_fixed_lines(fresh))
            if now != fresh:
                problems.append(f"{s.where}: the sample '{s.spec}' is out of date (python -m "
                                "graders dev samples)")
    return problems


def write() -> list[Path]:
    """Write every sample anew; return the files changed. Only on :data:`MADE_ON`: the
    schedules a check finds on another Python may differ."""
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if here != MADE_ON:
        raise ValueError(f"the samples are written on Python {MADE_ON} (graders.samples."
                         f"MADE_ON), whose schedules they show; this is Python {here}")
    changed = []
    runs = Runs()
    for path in readmes():
        text = path.read_text()
        new = text
        for s in reversed(find(path)):
            new = new[:s.start] + render(s, runs) + new[s.end:]
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def _shown(path: Path) -> str:
    return str(path.relative_to(KIT)) if path.is_relative_to(KIT) else str(path)
