"""``python -m graders nbgrader export --course DIR [--topics T ...]``: an nbgrader course.

Writes ``DIR/nbgrader_config.py``, ``DIR/gradebook.db`` and one source notebook per topic,
``DIR/source/<topic>/<topic>.ipynb`` (see :mod:`graders.platforms.nbgrader_course`). Then,
in ``DIR``, with the same interpreter (``python -m nbgrader ...``, nothing activated):
``generate_assignment <topic>``, ``autograde <topic>``, ``generate_feedback <topic>``,
``export``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from graders.platforms.one_submission import DEFAULT_TIMEOUT, select_topics

from . import EXIT_OK, UsageError
from .output import Output

HELP = "make an nbgrader course: one notebook per topic, graded by the kit's checks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write nbgrader_config.py and source notebooks",
                                description="Write an nbgrader course folder: "
                                "nbgrader_config.py and source/<topic>/<topic>.ipynb.")
    export.add_argument("--course", type=Path, required=True, metavar="DIR",
                        help="the course folder (created if missing)")
    export.add_argument("--topics", nargs="+", metavar="TOPIC",
                        help="topics to export (default: all, in course order)")
    export.add_argument("--hide", nargs="+", default=[], metavar="TOPIC.CHECK",
                        help="also hide these checks (hidden checks show name and points only)")
    export.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"seconds one check may run (default {DEFAULT_TIMEOUT:g})")
    export.add_argument("--force", action="store_true",
                        help="replace existing notebooks and config that differ")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        from graders.platforms.nbgrader_course import ExportError, export
    except ImportError as exc:
        raise UsageError(f"{exc.name or 'nbformat'} is not installed; install the kit with "
                         "pip install -e '.[nbgrader]'") from None
    try:
        chosen = select_topics(args.topics)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for item in args.hide:
        name, _, check = item.partition(".")
        t = next((t for t in chosen if t.name == name), None)
        if t is None or check not in {c.name for c in t.checks}:
            raise UsageError(f"--hide {item}: not a check of an exported topic "
                             "(write TOPIC.CHECK, e.g. deadlock.polite_philosophers)")
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    try:
        written = export(args.course, chosen, timeout=args.timeout, hide=args.hide,
                         force=args.force)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        out.plain(f"wrote {path}")
    first = chosen[0].name
    nbgrader = f"{shlex.quote(sys.executable)} -m nbgrader"
    out.plain(f"Next, in {args.course}: {nbgrader} generate_assignment {first}, then "
              f"{nbgrader} autograde {first} once submissions are in submitted/ (this "
              "Python, where the kit is installed; no environment needs activating).")
    return EXIT_OK
