"""``python -m graders dev samples``: write the READMEs' sample outputs from real runs.

``--check`` changes nothing and exits 1 when a sample is out of date (the suite runs it).
See :mod:`graders.samples` for the markers.
"""

from __future__ import annotations

import argparse

from graders import samples

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "write the sample outputs in the READMEs from real runs (see graders/samples.py)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a sample is out of date")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        if args.check:
            problems = samples.stale()
            for line in problems:
                out.failure(line)
            return EXIT_FAILURE if problems else EXIT_OK
        changed = samples.write()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for path in changed:
        out.success(f"wrote {path}")
    if not changed:
        out.plain("Every sample is up to date.")
    return EXIT_OK
