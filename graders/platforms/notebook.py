"""The one call an nbgrader grade cell makes: ``check(topic, check, points)``.

It grades one check of the kit against the topic's files in the notebook's folder (written
there by the notebook's ``%%writefile`` cells) in the kit's grading sandbox
(:func:`graders.platforms.one_submission.grade_files`: a fresh child process, resource limits, a
wall clock), prints what a student should read, and returns the points earned as a float.
The cell ends with this call, so the number is the cell's output, and nbgrader takes a
number in a grade cell's output as the cell's score (partial credit, between 0 and the
cell's points). Everything is printed to stdout: nbgrader scores a grade cell with any
stderr output as 0.

A hidden check prints its name and points only: no report, schedule, seed or replay line.

When the grader itself fails (a package the topic requires is missing in the kernel's
environment, the grading process crashed), the call raises
:class:`~graders.platforms.one_submission.NotGraded` instead of printing a FAIL line: the cell's
output is that error, naming the problem and saying it is not the student's. nbgrader has no
"not graded" for a grade cell (an error scores 0), so the instructor reads it in the
formgrader, fixes the environment and runs ``nbgrader autograde --force`` again.
"""

from __future__ import annotations

from pathlib import Path

from graders import hints
from graders.catalog import topic as find_topic

from .one_submission import collect, grade_files, only_check

#: The grading sandbox names the replay for a kit checkout; the notebook's files sit in
#: the notebook's folder, so the line gets ``--path .`` (run it in a terminal there, or
#: with ``!`` in a cell).
CHECKOUT_REPLAY = "python -m graders check {topic} --only"
NOTEBOOK_REPLAY = "python -m graders check {topic} --path . --only"


def check(topic: str, check: str, points: float, hidden: bool = False,
          folder: str | Path = ".") -> float:
    """Grade one check on the files in ``folder``; print the verdict; return the points.
    Raises :class:`~graders.platforms.one_submission.NotGraded` when the grader could not grade."""
    one = only_check(find_topic(topic), check)
    where = Path(folder)
    result = grade_files(collect(where, [one], exact=True), [one], source=where)
    outcome = result.checks[0]
    earned = float(points) if outcome.passed else 0.0
    if hidden:
        word = "passed" if outcome.passed else "did not pass"
        unit = "point" if points == 1 else "points"
        print(f"Hidden check {check} {word}: {earned:g} of {points:g} {unit}.")
        return earned
    if outcome.passed:
        print(f"PASS {check} ({earned:g}/{points:g})")
        return earned
    print(f"FAIL {check} (0/{points:g})")
    text = outcome.message.strip().replace(CHECKOUT_REPLAY.format(topic=topic),
                                           NOTEBOOK_REPLAY.format(topic=topic))
    text = text.replace(f"exercises/{topic}/", "./")
    print(text or f"The check failed ({outcome.bug_class or 'failure'}).")
    for note in result.notes:
        print(f"Note: {note}")
    if outcome.output.strip():
        print("What your code printed while the check ran:")
        print(outcome.output.rstrip())
    if outcome.hint:
        print(hints.render(outcome.hint, topic))
    return earned
