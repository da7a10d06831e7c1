"""``python -m graders dev-check [TOPIC ...]``: prove every grader against its fixes.

For each topic the untouched starter must fail with the topic's bug class, the solution and
every alternative fix must pass, and every wrong fix must fail with its listed class; the
checks named in topics.toml, graders/checks/TOPIC.py and the topic's test file must agree,
and topics.toml may hold no key it does not use (:mod:`graders.consistency`). Exit 0 when
all hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os

from graders import consistency, devcheck
from graders.catalog import CatalogError, topic, topics
from graders.settings import argument, whole

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "prove each topic's checks: starters fail, solutions pass, listed fixes as expected"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topics", nargs="*", metavar="TOPIC",
                        help="topics to check (default: all)")
    parser.add_argument("--jobs", type=argument("jobs", whole(1)),
                        default=os.cpu_count() or 1, metavar="N",
                        help="processes to use (default: the number of CPUs)")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        chosen = [topic(name).name for name in args.topics] or list(topics())
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    ok = True
    for name in chosen:
        for problem in devcheck.layout_problems(topic(name)):
            ok = False
            out.failure(f"LAYOUT {problem}")
        for problem in consistency.problems(topic(name)):
            ok = False
            out.failure(f"NAMES  {problem}")
    rows = []
    for result in devcheck.run(chosen, jobs=args.jobs):
        c = result.case
        seconds = sum(o.seconds for o in result.outcomes)
        expect = c.expected()
        line = f"{c.topic:<14} {c.variant:<38} {seconds:5.1f}s  expected {expect}"
        if not result.ok:
            line += f"; got {result.got}"
        if result.ok:
            out.success("ok   " + line)
        else:
            ok = False
            out.failure("BAD  " + line)
            for o in result.outcomes:
                if not o.passed and o.check not in c.fails:
                    out.report(o.report())
                    break
        rows.append(result)
    bad = sum(not r.ok for r in rows)
    out.plain(f"{len(rows) - bad} of {len(rows)} cases as expected across {len(chosen)} topics.")
    return EXIT_OK if ok else EXIT_FAILURE
