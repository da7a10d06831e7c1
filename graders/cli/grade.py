"""``python -m graders grade SUBMISSIONS_DIR``: grade a class, one child process per student.

SUBMISSIONS_DIR holds one folder or one ``.zip`` per student (the student id is its name),
each with the student's ``exercises/`` tree. Every submission is graded in a fresh,
resource-limited Python process (see :mod:`graders.grading`); results go to ``--out``
(default ``grades/``): ``results/<id>.json`` as soon as each student is done, then
``grades.csv`` (nbgrader's columns), ``sheet.csv``, ``junit.xml``, and per student
feedback (Markdown, HTML), Gradescope, GitHub Classroom and PrairieLearn files.

Code the integrity scan flags (:mod:`graders.grading.scan`) is graded, but its topic's points
show as "review" until ``--accept ID`` releases them; the summary lists the flagged lines.

Exit 0 when every submission was graded (whatever the students scored), 1 when some
submission could not be graded (listed in the summary), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from graders.catalog import CatalogError, topic
from graders.grading import formats, isolation, progress, whole_class
from graders.grading.cluster import ClusterError
from graders.grading.limits import Limits
from graders.grading.sandbox import Plan
from graders.grading.submissions import SubmissionError, discover
from graders.settings import argument, seconds, whole

from . import EXIT_FAILURE, EXIT_OK, PROG, UsageError
from .output import Output

HELP = "grade a class: every student's folder or .zip in its own sandboxed process"


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="one folder or .zip per student")
    parser.add_argument("--topics", nargs="+", metavar="TOPIC",
                        help="topics to grade (default: those present in the submissions)")
    parser.add_argument("--jobs", "-j", type=argument("jobs", whole(1)), metavar="N",
                        default=default_jobs(),
                        help="students graded at once (default: the number of CPUs)")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="grade on the workers of this Dask scheduler (tcp://host:8786) "
                        "instead of --jobs children here; needs the cluster extra")
    parser.add_argument("--out", type=Path, default=Path("grades"), metavar="DIR",
                        help="where results go (default: grades/)")
    parser.add_argument("--resume", action="store_true",
                        help="keep results already in --out whose files have not changed")
    parser.add_argument("--accept", nargs="+", default=[], metavar="ID",
                        help="release the points of these students, whose code the integrity "
                        "scan flagged, after you have read it")
    parser.add_argument("--timeout", type=argument("timeout", seconds),
                        default=Limits.timeout, metavar="S",
                        help=f"CPU seconds per check (default {Limits.timeout:g}); a check "
                             "whose processes use no CPU for 10 s (or S, if less) is stopped "
                             "too, and any check after ten times S on the clock")
    parser.add_argument("--memory", type=argument("memory", whole(64)),
                        default=Limits.memory_mb, metavar="MB",
                        help=f"address space per process (default {Limits.memory_mb})")
    parser.add_argument("--max-processes", type=argument("max_processes", whole(0)),
                        default=Limits.max_processes,
                        metavar="N", help="processes a submission may fork per check "
                        f"(default {Limits.max_processes})")
    parser.add_argument("--schedules", type=argument("schedules"), default=200, metavar="N",
                        help="schedules per check (default 200)")
    parser.add_argument("--seed", type=argument("seed"), default=0, metavar="S",
                        help="exploration seed, recorded in every result (default 0)")
    parser.add_argument("--roster", type=Path, metavar="CSV",
                        help="student_id,last_name,first_name,email for grades.csv")
    parser.add_argument("--trusted", action="store_true",
                        help="grade even where the machine offers no isolation (no user "
                        "namespaces and not root): only for submissions you trust")
    parser.add_argument("--duedate", default="", metavar="WHEN",
                        help="the due date to write in grades.csv")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        subs = discover(args.submissions)
    except SubmissionError as exc:
        raise UsageError(str(exc)) from None
    if not subs:
        raise UsageError(f"{args.submissions}: no student folders or .zip files in it")
    unknown = sorted(set(args.accept) - {sub.student for sub in subs})
    if unknown:
        raise UsageError(f"--accept: no submission in {args.submissions} for "
                         f"{', '.join(unknown)}")
    if args.topics:
        try:
            chosen = [topic(name) for name in args.topics]
        except CatalogError as exc:
            raise UsageError(str(exc)) from None
    else:
        chosen = whole_class.topics_found(subs)
        if not chosen:
            raise UsageError(f"{args.submissions}: no exercise files found in any "
                             "submission (expected exercises/<topic>/<file>); name the "
                             "topics with --topics")
    roster = {}
    if args.roster is not None:
        try:
            roster = formats.read_roster(args.roster)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    limits = Limits(timeout=args.timeout, memory_mb=args.memory,
                    max_processes=args.max_processes)
    try:
        mode = isolation.best_mode(trusted=args.trusted)
    except isolation.IsolationError as exc:
        raise UsageError(str(exc)) from None
    plan = Plan(tuple(chosen), args.schedules, args.seed, limits, isolation=mode)
    context = formats.Context(plan.topics, roster, args.duedate)
    names = ", ".join(t.name for t in chosen)
    where = (f"on the Dask cluster at {args.cluster}" if args.cluster
             else f"{args.jobs} at a time")
    out.plain(f"Grading {len(subs)} submission{'s' if len(subs) != 1 else ''} in "
              f"{args.submissions} on {names} ({where}) into {args.out}/")
    out.plain(f"Isolation: {isolation.describe(mode)}")
    try:
        with progress.Progress(out, len(subs)) as shown:
            outcome = whole_class.grade_class(subs, args.out, plan, jobs=args.jobs,
                                              resume=args.resume, context=context,
                                              listener=shown, accept=set(args.accept),
                                              cluster=args.cluster)
    except ClusterError as exc:
        out.failure(f"Grading stopped: {exc}. The results already in {args.out}/results "
                    "are kept; run again with --resume.")
        return EXIT_FAILURE
    progress.summary(out, outcome.results, chosen)
    again = f"{PROG} grade {shlex.quote(str(args.submissions))} --out {shlex.quote(str(args.out))}"
    progress.review(out, outcome.results, f"{again} --resume --accept", args.accept)
    reused = f", {outcome.reused} reused" if outcome.reused else ""
    out.plain(f"Graded {outcome.graded}{reused}. Results in {args.out}/: grades.csv, "
              "sheet.csv, junit.xml, feedback/, gradescope/, classroom/, prairielearn/, "
              "results/.")
    ungraded = [r.student for r in outcome.results if not r.graded]
    if ungraded:
        out.failure(f"Could not grade: {', '.join(ungraded)} (see their feedback notes).")
        return EXIT_FAILURE
    return EXIT_OK
