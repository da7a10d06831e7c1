"""What ``grade`` shows while it works, and the table at the end.

On a terminal: a rich progress bar with the count, the elapsed time, the rate and the time
left, and a running tally (checks failed, submissions with errors, the slowest
submissions); elsewhere (a pipe, CI logs, ``NO_COLOR``): one plain line per submission as
it finishes, and for a class of 20 or more a status line with the same figures at every
tenth of the class (and, while submissions finish, at least once a minute). The summary
is a table either way; a submission the grader could not grade shows "error: not
graded", never a score, and one whose code the integrity scan flagged shows "review" until
it is accepted, followed by the flagged lines and the command that releases the points
(:func:`review`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from graders.catalog import Topic

from .model import REVIEW, SubmissionResult

#: How many of the slowest submissions the progress names.
SLOWEST = 3
#: A class at least this large gets status lines between the plain per-submission lines.
STATUS_FROM = 20
#: ... one at every tenth of the class, and at least this often (seconds).
STATUS_EVERY = 60.0


def duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``2 h 05 min``: as precise as an estimate deserves."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Receives the runner's events; a context manager around the grading.

    At course scale the bar (or, off a terminal, a status line at every tenth of the class)
    says what an instructor waits on: submissions per minute, the time left (from the
    submissions graded in this run; reused ones take no time and are left out of the rate),
    failed checks and submissions with errors so far, and the slowest submissions, which are
    where to look first when a run takes longer than it should."""

    def __init__(self, out: Any, total: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.out = out
        self.total = total
        self.clock = clock
        self.start = clock()
        self.count = 0
        self.graded = 0            # graded in this run (not reused)
        self.failed_checks = 0
        self.troubled = 0          # submissions with a check that could not run (error)
        self.slowest: list[tuple[float, str]] = []
        self._last_status = self.start
        self._next_tenth = 1
        self._bar: Any = None
        self._task: Any = None
        if getattr(out, "styled", False):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as Bar,
            )

            console = Console(file=out.stream, highlight=False)
            self._bar = Bar(SpinnerColumn(), TextColumn("grading"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.fields[pace]}"),
                            TextColumn("{task.fields[tally]}"),
                            console=console, transient=False)
            self._task = self._bar.add_task("grading", total=total, pace=self.pace(),
                                            tally=self._tally())

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _say(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line, highlight=False)
        else:
            self.out.plain(line)

    def _tally(self) -> str:
        text = (f"{self.failed_checks} check{'s' if self.failed_checks != 1 else ''} failed, "
                f"{self.troubled} with errors")
        if self.slowest:
            text += "; slowest: " + ", ".join(f"{name} {seconds:.1f} s"
                                              for seconds, name in self.slowest)
        return text

    def pace(self) -> str:
        """Submissions per minute and the time left, once one was graded in this run."""
        if not self.graded:
            return "ETA -"
        elapsed = max(self.clock() - self.start, 1e-9)
        per_minute = 60.0 * self.graded / elapsed
        left = (self.total - self.count) * elapsed / self.graded
        return f"{per_minute:.1f}/min, ETA {duration(left)}"

    def status(self) -> str:
        """One line for logs: where the run stands."""
        return f"  {self.count}/{self.total} done, {self.pace()}; {self._tally()}"

    def __call__(self, event: str, student: str, result: SubmissionResult | None) -> None:
        if event == "broken seal":
            self._say(f"  {student}: the stored result's seal does not match (it was changed "
                      "after grading); graded again")
            return
        if event == "started" or result is None:
            return
        self.count += 1
        self.failed_checks += result.failures()
        if not result.graded or any(c.status == "error" for c in result.checks):
            self.troubled += 1
        if event != "reused":
            self.graded += 1
            self.slowest = sorted([*self.slowest, (result.seconds, student)],
                                  reverse=True)[:SLOWEST]
        how = "reused" if event == "reused" else f"{result.seconds:.1f} s"
        score = result.withheld() or f"{result.score}/{result.max_score}"
        if self._bar is not None:
            self._bar.update(self._task, advance=1, pace=self.pace(), tally=self._tally())
            self._bar.console.print(f"  {student}: {score} ({how})", highlight=False)
            return
        self.out.plain(f"[{self.count}/{self.total}] {student}: {score} ({how})")
        if self.total >= STATUS_FROM and self.count < self.total:
            now = self.clock()
            tenth = self.count * 10 >= self._next_tenth * self.total
            if tenth or now - self._last_status >= STATUS_EVERY:
                while self._next_tenth * self.total <= self.count * 10:
                    self._next_tenth += 1
                self._last_status = now
                self.out.plain(self.status())


def _note(result: SubmissionResult) -> str:
    if not result.graded:
        return "the grader failed: see the feedback"
    flagged = []
    if result.withheld() == REVIEW:
        n = len(result.review)
        flagged = [f"{REVIEW} ({n} flagged line{'s' if n != 1 else ''})"]
    if result.notes:
        return ", ".join([*flagged, result.notes[0]])
    classes = sorted({c.bug_class for c in result.checks if not c.passed and c.bug_class})
    return ", ".join(flagged + classes)


def summary(out: Any, results: Sequence[SubmissionResult], topics: Sequence[Topic]) -> None:
    """The class at a glance: one row per student, a column per topic."""
    header = ["student", *(t.name for t in topics), "total", "%", "failing"]
    rows = []
    for r in results:
        cells = [r.student]
        for t in topics:
            earned, points = r.topic_score(t.name)
            cells.append(r.withheld(t.name) or f"{earned}/{points}")
        held = r.withheld()
        if held is None:
            cells += [f"{r.score}/{r.max_score}", f"{r.percent:.0f}", _note(r)]
        else:
            cells += [held, "", _note(r)]
        rows.append(cells)
    if getattr(out, "styled", False):
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Grades", title_justify="left")
        for i, name in enumerate(header):
            table.add_column(name, justify="right" if 0 < i < len(header) - 1 else "left",
                             overflow="fold")
        for r, cells in zip(results, rows, strict=True):
            style = "green" if r.score == r.max_score else ("red" if r.score == 0 else None)
            style = "yellow" if r.withheld() == REVIEW else style
            table.add_row(*cells, style=style)
        Console(file=out.stream, highlight=False).print(table)
        return
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(str(cell).ljust(w) if i in (0, len(header) - 1) else
                         str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                               strict=True)))
        out.plain(line.rstrip())


def review(out: Any, results: Sequence[SubmissionResult], again: str,
           accept: Collection[str] = ()) -> None:
    """After the table: the flagged lines of each submission in review, and ``again`` (the
    command that releases points, to which the ids are appended)."""
    waiting = [r for r in results if r.withheld() == REVIEW]
    accepted = [r.student for r in results if r.review and r.accepted]
    flagged = {r.student for r in results if r.review}
    if waiting:
        out.note("Flagged for review (the points of these topics are withheld until you "
                 "accept the code):")
        for r in waiting:
            for line in r.flagged():
                out.plain(f"  {r.student}: {line}")
        out.plain(f"After reading the code, release the points with: {again} "
                  + " ".join(r.student for r in waiting))
    if accepted:
        out.plain(f"Accepted after review: {', '.join(accepted)}.")
    idle = [name for name in accept if name not in flagged]
    if idle:
        out.plain(f"Nothing to accept for {', '.join(idle)}: no code of theirs was flagged.")
