"""``python -m graders nbgrader export``: an nbgrader course made from the kit's topics.

The course folder gets

``nbgrader_config.py``
    the per-cell timeout, ``Autograde.exclude_overwriting`` for every topic's student files,
    the two preprocessor changes of :mod:`graders.platforms.nbgrader_hooks`, and the tools
    of the Python running nbgrader first on PATH (:mod:`graders.interpreter_tools`), so no
    virtual environment needs activating;
``gradebook.db``
    nbgrader's database, created whole (see :func:`make_gradebook`) unless it exists;
``source/<topic>/<topic>.ipynb``
    one assignment per topic, one notebook each:

    * the exercise's README (what to do) as a read-only Markdown cell;
    * one code cell per student file, starting with ``%%writefile <file>``: the reference
      solution from ``solutions/<topic>/`` where every difference from the starter in
      ``exercises/<topic>/`` lies between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
      with the starter's lines for each region in the cell's metadata, so the released
      notebook holds the starter exactly (see ``StarterSolutions``). Running the cell
      writes the student's module next to the notebook; ``nbgrader autograde`` runs it again
      and so grades exactly the code the notebook shows;
    * one read-only grade cell per check (``grade_id`` ``<topic>-<check>``, the check's
      points): ``check("<topic>", "<check>", points=N)`` runs the check in a child process and
      ends the cell with the points earned, the number nbgrader scores. A hidden check's call
      sits between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``: students see
      its name and points, the cell runs in full only when nbgrader grades.

Nothing of ``solutions/`` goes anywhere but the instructor's ``source/`` folder: nbgrader
removes the solution regions when it generates the student version.
"""

from __future__ import annotations

import difflib
import os
import re
import secrets
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.catalog import Topic
from graders.grading.limits import Limits
from graders.interpreter_tools import find_tool, put_scripts_on_path

from .one_submission import DEFAULT_TIMEOUT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SCHEMA_VERSION = 3
#: The kernel the notebooks name; ``python -m ipykernel install --user`` provides it.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
#: Seconds a cell may run beyond its check's own limit before nbgrader interrupts it.
CELL_MARGIN = 30
#: nbgrader's database, in the course folder (its default ``CourseDirectory.db_url``).
GRADEBOOK = "gradebook.db"


@dataclass(frozen=True)
class Merged:
    """One student file as a notebook cell: the text, and the starter's lines per region."""

    text: str
    starter: list[list[str]]


def merge(starter: str, solution: str) -> Merged:
    """The solution with each difference from the starter between solution markers."""
    a, b = starter.splitlines(), solution.splitlines()
    out: list[str] = []
    regions: list[list[str]] = []
    opcodes = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            out.extend(b[j1:j2])
            continue
        old, new = a[i1:i2], b[j1:j2]
        indent = _indent(new) if any(line.strip() for line in new) else _indent(old)
        out.append(indent + BEGIN)
        out.extend(new)
        out.append(indent + END)
        regions.append(old)
    return Merged("\n".join(out), regions)


def _indent(lines: Iterable[str]) -> str:
    widths = [re.match(r"[ \t]*", line).group(0) for line in lines if line.strip()]
    return min(widths, key=len) if widths else ""


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
          points: float | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                               "schema_version": SCHEMA_VERSION, "solution": solution}
    if grade:
        meta["points"] = points
    return meta


def _readme(t: Topic) -> str:
    path = t.exercise_dir() / "README.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else f"# {t.title}\n"
    text = text.split("\n## Check your work", 1)[0].rstrip()
    files = ", ".join(f"`{f}`" for f in t.files)
    many = len(t.files) > 1
    return (f"{text}\n\n## In this notebook\n\n"
            f"Edit the code cell{'s' if many else ''} below ({files}) where the `TODO`s are "
            f"and run {'them' if many else 'it'}: `%%writefile` saves the module next to this "
            "notebook. Then run the cells under **Checks**. Each runs one check of the "
            "grader in a separate process and ends with the points it earned; a failing "
            "check prints what went wrong and the schedule that shows it. Stuck? In a "
            f"terminal: `python -m graders hint {t.name}`.")


def _check_source(t: Topic, name: str, points: int, hidden: bool) -> str:
    call = f'check("{t.name}", "{name}", points={points}{", hidden=True" if hidden else ""})'
    plural = "s" if points != 1 else ""
    if not hidden:
        return (f"# Check `{name}` ({points} point{plural}): runs the grader in a separate "
                "process.\nfrom graders.platforms.notebook import check\n\n" + call)
    return (f"# Hidden check `{name}` ({points} point{plural}): it runs when your notebook "
            f"is graded.\n{BEGIN_HIDDEN}\nfrom graders.platforms.notebook import check\n\n"
            f"{call}\n{END_HIDDEN}")


def build_notebook(t: Topic, hide: Sequence[str] = ()) -> nbformat.NotebookNode:
    """The source notebook of topic ``t``; ``hide`` names more checks to hide."""
    cells = []
    intro = new_markdown_cell(_readme(t), metadata={
        "nbgrader": _meta(f"{t.name}-readme", locked=True)})
    cells.append(intro)
    for file_name in t.files:
        starter = (t.exercise_dir() / file_name).read_text(encoding="utf-8")
        solution = (t.solution_dir() / file_name).read_text(encoding="utf-8")
        merged = merge(starter, solution)
        source = f"%%writefile {file_name}\n{merged.text}"
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", file_name)
        if merged.starter:
            cell = new_code_cell(source, metadata={
                "nbgrader": _meta(f"{t.name}-{stem}", solution=True),
                "graders": {"starter": merged.starter}})
        else:                          # the student does not change this file
            cell = new_code_cell(source)
        cells.append(cell)
    cells.append(new_markdown_cell(
        "## Checks\n\nRun each cell below after saving your module(s) above. "
        "A hidden check runs only when your notebook is graded.",
        metadata={"nbgrader": _meta(f"{t.name}-checks", locked=True)}))
    for c in t.checks:
        hidden = c.hidden or c.name in hide
        cells.append(new_code_cell(_check_source(t, c.name, c.points, hidden), metadata={
            "nbgrader": _meta(f"{t.name}-{c.name}", grade=True, locked=True,
                              points=c.points)}))
    for i, cell in enumerate(cells):
        cell["id"] = f"{t.name[:50]}-{i:02d}"
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"}})
    return nb


def config_text(chosen: Sequence[Topic], timeout: float) -> str:
    """The course's nbgrader_config.py."""
    exclude = "".join(f"    {t.name!r}: {list(t.files)!r},\n" for t in chosen)
    return f'''"""nbgrader configuration for the concurrency kit's course.

Made by `python -m graders nbgrader export`; run nbgrader from this folder.
"""

import os

from graders.interpreter_tools import put_scripts_on_path
from graders.platforms.nbgrader_hooks import preprocessor_lists

c = get_config()  # noqa: F821 - nbgrader provides get_config

# nbgrader starts helpers (alembic) by bare name: take them from the environment of the
# Python running nbgrader, activated or not.
put_scripts_on_path()

# Each check cell grades one check in the kit's sandbox, which stops the check after
# GRADERS_CHECK_TIMEOUT seconds; nbgrader interrupts any cell after c.Execute.timeout.
os.environ.setdefault("GRADERS_CHECK_TIMEOUT", "{timeout:g}")
c.Execute.timeout = {cell_timeout(timeout)}

# The student's modules are written by the notebook's own cells: never replace them with
# files of the same name from source/ while autograding.
c.Autograde.exclude_overwriting = {{
{exclude}}}

# The released notebook keeps the kit's starter code (not "YOUR CODE HERE"), and feedback
# never shows the code of a hidden check.
_lists = preprocessor_lists()
c.GenerateAssignment.preprocessors = _lists["generate_assignment"]
c.GenerateFeedback.preprocessors = _lists["generate_feedback"]
'''


def cell_timeout(timeout: float) -> int:
    """nbgrader's per-cell limit: the sandbox's limit for one check, and a margin."""
    return int(Limits(timeout=timeout).submission_timeout(1)) + CELL_MARGIN


class ExportError(Exception):
    """The course folder cannot be written as asked."""


def export(course: Path, chosen: Sequence[Topic], *, timeout: float = DEFAULT_TIMEOUT,
           hide: Sequence[str] = (), force: bool = False) -> list[Path]:
    """Write the course; returns the files written. Existing notebooks or a config that
    differ are kept unless ``force``."""
    planned: dict[Path, str] = {course / "nbgrader_config.py": config_text(chosen, timeout)}
    for t in chosen:
        hidden_here = [h.split(".", 1)[1] for h in hide if h.startswith(t.name + ".")]
        nb = build_notebook(t, hidden_here)
        nbformat.validate(nb)
        planned[course / "source" / t.name / f"{t.name}.ipynb"] = nbformat.writes(nb) + "\n"
    clashes = [p for p, text in planned.items()
               if p.exists() and p.read_text(encoding="utf-8") != text]
    if clashes and not force:
        raise ExportError(f"{clashes[0]} exists and differs from what would be written "
                          f"({len(clashes)} such file{'s' if len(clashes) > 1 else ''}); "
                          "use --force to replace")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    gradebook = make_gradebook(course)
    return [*planned, *([gradebook] if gradebook else [])]


def make_gradebook(course: Path) -> Path | None:
    """Create the course's ``gradebook.db`` whole, or not at all; None if it exists.

    nbgrader's first command creates the gradebook's tables, then runs ``alembic`` to stamp
    its schema version; if that fails, the tables stay and every later command takes the
    database for a finished one without a version. Made here instead, with the tools of this
    environment, in a temporary file renamed into place only when complete."""
    db = course / GRADEBOOK
    if db.exists():
        return None
    try:
        from nbgrader.api import Gradebook
    except ImportError as exc:
        raise ExportError(f"{exc.name or 'nbgrader'} is not installed beside {sys.executable}; "
                          "install the kit with pip install -e '.[nbgrader]'") from None
    if find_tool("alembic") is None:
        raise ExportError(f"nbgrader needs the alembic command, which is neither beside "
                          f"{sys.executable} nor on PATH; install the kit with "
                          "pip install -e '.[nbgrader]'")
    put_scripts_on_path()
    tmp = course / f".{GRADEBOOK}.{secrets.token_hex(4)}.tmp"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # SQLAlchemy 2's notes on nbgrader's models
            with Gradebook(f"sqlite:///{tmp}", course_id=""):
                pass
        os.replace(tmp, db)
    except Exception as exc:
        raise ExportError(f"could not create {db}: {type(exc).__name__}: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return db
