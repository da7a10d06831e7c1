"""``python -m graders check TOPIC [--path DIR]``: run a topic's checks against any folder.

The same checks grade the starter, the reference solution or a student's copy. Exit 0 when
every check passes, 1 when one fails (with the report and the topic's first hint), 2 for a
usage error (unknown topic, missing folder). Code that class grading's integrity scan would
flag is listed at the end as a warning (it changes no check and no exit status). A full run
on the exercise folder is recorded for ``python -m graders progress``.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
from pathlib import Path

from graders import progress
from graders.catalog import CatalogError, topic
from graders.checking import run_check
from graders.engine import Settings, decode, with_settings
from graders.grading.scan import scan_folder
from graders.settings import argument

from . import EXIT_FAILURE, EXIT_OK, PROG, UsageError
from .explore import _token
from .output import Output

HELP = "run a topic's checks against a folder (the starter, a solution, a student's copy)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", help="the topic's name, e.g. data_race")
    parser.add_argument("--path", type=Path, metavar="DIR",
                        help="the folder holding the topic's files (default exercises/TOPIC)")
    parser.add_argument("--only", metavar="CHECK", help="run just this check")
    parser.add_argument("--hidden", action="store_true",
                        help="also run the topic's hidden checks")
    parser.add_argument("--schedules", type=argument("schedules"), metavar="N")
    parser.add_argument("--seed", type=argument("seed"), metavar="S")
    parser.add_argument("--replay", type=_token, metavar="TOKEN",
                        help="replay one schedule (use with --only)")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        t = topic(args.topic)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    folder = args.path if args.path is not None else Path("exercises") / t.name
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    names = [c.name for c in t.checks if args.hidden or not c.hidden]
    if args.only is not None:
        if args.only not in {c.name for c in t.checks}:
            raise UsageError(f"topic {t.name!r} has no check {args.only!r}; its checks are: "
                             f"{', '.join(c.name for c in t.checks)}")
        names = [args.only]
    if args.replay is not None and args.only is None:
        raise UsageError("--replay needs --only CHECK: a schedule belongs to one check")
    settings = with_settings(Settings(), schedules=args.schedules, seed=args.seed,
                             replay=args.replay)
    if args.replay is not None:
        note = decode(args.replay).version_note()
        if note is not None:
            out.note(note)
    earned = total = 0
    failed = False
    first_failed: str | None = None
    for name in names:
        outcome = run_check(t.name, name, folder, settings)
        total += outcome.points
        earned += outcome.earned
        exploration = outcome.exploration
        if exploration is not None and exploration.not_reproduced:
            # A replay is a request to see a known failure: one that did not happen here
            # proves nothing either way, so it is not a PASS.
            failed = True
            out.failure(f"NOT REPRODUCED {name}")
            out.report(exploration.report())
            continue
        if outcome.passed:
            out.success(f"PASS {name} ({outcome.points}/{outcome.points})")
            continue
        failed = True
        first_failed = first_failed or name
        out.failure(f"FAIL {name} (0/{outcome.points})")
        command = (f"{PROG} check {t.name} --path {shlex.quote(str(folder))} --only {name} "
                   "--replay {token}")
        out.report(outcome.message(command))
    flagged = scan_folder(folder, t.files, t.allow, str(folder))
    if flagged:
        out.note("The grader will ask your instructor to review this code before its points "
                 "count:")
        for finding in flagged:
            out.note(f"  {finding}")
    out.plain(f"{t.name}: {earned}/{total} points")
    if args.path is None and args.only is None and args.replay is None:
        with contextlib.suppress(OSError):   # a read-only folder only loses the record
            progress.record(t.name, first_failed)
    return EXIT_FAILURE if failed else EXIT_OK
