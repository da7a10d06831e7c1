"""``python -m graders classroom workflow|report``: GitHub Classroom autograding.

``workflow --out DIR [--topics T ...] [--kit SPEC]`` writes
``DIR/.github/workflows/classroom.yml`` for the assignment's template repository;
``report [--root DIR] [--topics T ...] [--output FILE]`` is what that workflow runs: it grades
the checkout and appends one base64 result per check to ``FILE`` (``$GITHUB_OUTPUT``). When
the grader itself fails it writes no result and exits 1 with a ``::error`` annotation: the
grading step fails, the reporter step after it does not run, and Classroom records no
points, where a reported 0 would count as the student's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graders.platforms import classroom
from graders.platforms.one_submission import DEFAULT_TIMEOUT, NotGraded, grade_root, select_topics

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "GitHub Classroom: write the students' workflow, or grade and report as it does"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    wf = actions.add_parser("workflow", help="write .github/workflows/classroom.yml",
                            description="Write the workflow for the assignment's template "
                            "repository.")
    wf.add_argument("--out", type=Path, required=True, metavar="DIR",
                    help="the template repository's folder")
    wf.add_argument("--topics", nargs="+", metavar="TOPIC",
                    help="topics this assignment grades (default: all)")
    wf.add_argument("--kit", default=".", metavar="SPEC",
                    help="what pip installs as the kit (default '.': the repository itself; "
                    "a pinned 'git+https://...@TAG' keeps the grader out of students' reach)")
    wf.add_argument("--python", default="3.11", metavar="VERSION")
    wf.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                    help="seconds one check may run")
    wf.add_argument("--force", action="store_true", help="replace an existing workflow")
    rep = actions.add_parser("report", help="grade a checkout, write the Classroom outputs",
                             description="Grade the checkout and append one result per "
                             "check to the output file ($GITHUB_OUTPUT).")
    rep.add_argument("--root", type=Path, default=Path("."), metavar="DIR")
    rep.add_argument("--topics", nargs="+", metavar="TOPIC")
    rep.add_argument("--output", type=Path, metavar="FILE",
                     help="append name=value lines here (default: print them)")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        chosen = select_topics(args.topics)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.action == "workflow":
        path = args.out / ".github" / "workflows" / "classroom.yml"
        text = classroom.workflow(chosen, kit=args.kit, python=args.python,
                                  timeout=args.timeout)
        if path.exists() and path.read_text(encoding="utf-8") != text and not args.force:
            raise UsageError(f"{path} exists and differs; use --force to replace it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.plain(f"wrote {path} ({sum(t.points for t in chosen)} points, "
                  f"{sum(len(t.checks) for t in chosen)} checks)")
        return EXIT_OK
    if not args.root.is_dir():
        raise UsageError(f"{args.root}: no such folder")
    try:
        result = grade_root(args.root, chosen)
    except NotGraded as exc:
        # A failed step, before the reporter: Classroom records no points, and the run's
        # summary shows this annotation to staff.
        text = str(exc).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        out.failure(f"::error title=Not graded::{text}")
        return EXIT_FAILURE
    for c in result.checks:
        line = f"{'PASS' if c.passed else 'FAIL'} {c.name} ({c.earned}/{c.points})"
        (out.success if c.passed else out.failure)(line)
    for note in result.notes:
        out.note(f"Note: {note}")
    out.plain(f"Total: {result.score}/{result.max_score} points")
    lines = classroom.output_lines(result, chosen)
    if args.output is None:
        for line in lines:
            out.plain(line)
    else:
        with args.output.open("a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
    return EXIT_OK
