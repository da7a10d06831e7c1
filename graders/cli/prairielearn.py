"""``python -m graders prairielearn question|run``: PrairieLearn external grading.

``question --course DIR [--topics T ...]`` writes one externally graded question per topic
into a PrairieLearn course, with the kit (and the packages the topics require) in
``serverFilesCourse``; ``run --student DIR --results FILE [--topics T ...]`` is what the
question's ``tests/run.sh`` calls in the grading container (see
:mod:`graders.platforms.prairielearn`). ``run`` exits 0 whenever it wrote results.json, a
not gradable one included: PrairieLearn ignores the file of a job that exits non-zero.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graders.platforms import prairielearn
from graders.platforms.one_submission import select_topics

from . import EXIT_OK, UsageError
from .output import Output

HELP = "PrairieLearn: write externally graded questions, or grade as their grader does"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = actions.add_parser("question", help="write one question per topic into a course",
                           description="Write questions/concurrency_kit/<topic>/ and "
                           "serverFilesCourse/concurrency_kit/ into a PrairieLearn course.")
    q.add_argument("--course", type=Path, required=True, metavar="DIR")
    q.add_argument("--topics", nargs="+", metavar="TOPIC")
    r = actions.add_parser("run", help="grade submitted files, write results.json",
                           description="Grade /grade/student (or --student) and write "
                           "PrairieLearn's results.json.")
    r.add_argument("--student", type=Path, default=Path("/grade/student"), metavar="DIR")
    r.add_argument("--results", type=Path, default=Path("/grade/results/results.json"),
                   metavar="FILE")
    r.add_argument("--topics", nargs="+", metavar="TOPIC")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        chosen = select_topics(args.topics)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.action == "question":
        for t in chosen:
            for path in prairielearn.question(args.course, t):
                out.plain(f"wrote {path}")
        try:
            copied = prairielearn.copy_kit(args.course, chosen)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        kit = args.course / "serverFilesCourse" / prairielearn.KIT_DIR
        out.plain(f"copied to {kit}: {', '.join(copied)}")
        return EXIT_OK
    if not args.student.is_dir():
        raise UsageError(f"{args.student}: no such folder")
    data = prairielearn.run(args.student, args.results, chosen)
    if data["gradable"]:
        out.plain(f"score {data['score']:.3f}: {data['message']}")
    else:
        out.failure(f"not gradable: {data['format_errors'][0]}")
    out.plain(f"wrote {args.results}")
    return EXIT_OK
