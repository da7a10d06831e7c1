"""``python -m graders gradescope build|run``: a Gradescope autograder made of the kit.

``build --out autograder.zip [--topics T ...]`` writes the zip to upload (setup.sh,
run_autograder, the kit); ``run --submission DIR --results FILE [--topics T ...]`` is what
``run_autograder`` calls for each submission (see :mod:`graders.platforms.gradescope`); it
exits 1 without results.json when the grader itself could not grade the submission.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graders.platforms import gradescope
from graders.platforms.one_submission import NotGraded, select_topics

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "make a Gradescope autograder zip, or grade one submission as it does"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="write the autograder zip to upload",
                               description="Write a Gradescope autograder zip: setup.sh, "
                               "run_autograder and the kit.")
    build.add_argument("--out", type=Path, required=True, metavar="ZIP")
    build.add_argument("--topics", nargs="+", metavar="TOPIC",
                       help="topics this assignment grades (default: all)")
    run_p = actions.add_parser("run", help="grade one submission, write results.json",
                               description="Grade a submission folder and write Gradescope's "
                               "results.json (run_autograder calls this).")
    run_p.add_argument("--submission", type=Path, default=Path("/autograder/submission"),
                       metavar="DIR")
    run_p.add_argument("--results", type=Path,
                       default=Path("/autograder/results/results.json"), metavar="FILE")
    run_p.add_argument("--topics", nargs="+", metavar="TOPIC")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        chosen = select_topics(args.topics)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.action == "build":
        if args.out.suffix != ".zip":
            raise UsageError(f"--out {args.out}: the autograder must be a .zip file")
        points = gradescope.build(args.out, chosen)
        out.plain(f"wrote {args.out} ({len(chosen)} topic{'s' if len(chosen) > 1 else ''}: "
                  f"{', '.join(t.name for t in chosen)})")
        out.plain(f"Set the assignment's autograder points to {points}; upload the zip under "
                  "Configure Autograder, base image Ubuntu 22.04 or newer.")
        return EXIT_OK
    if not args.submission.is_dir():
        raise UsageError(f"{args.submission}: no such folder")
    try:
        data = gradescope.run(args.submission, args.results, chosen)
    except NotGraded as exc:
        out.failure(str(exc))         # Gradescope shows run_autograder's output to staff
        out.plain(f"no {args.results} written: Gradescope reports the autograder failed")
        return EXIT_FAILURE
    out.plain(str(data["output"]))
    out.plain(f"wrote {args.results}")
    return EXIT_OK
