"""``python -m graders dev readme``: write each README's list of requirements from topics.toml.

Also writes ``docs/requirements.md``. ``--check`` changes nothing and exits 1 when a file is
out of step (what the dev check and the suite run).
"""

from __future__ import annotations

import argparse

from graders import requirements

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "write each topic README's list of requirements (and docs/requirements.md) from topics.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file is out of step")


def run(args: argparse.Namespace, out: Output) -> int:
    if args.check:
        stale = requirements.stale()
        for path in stale:
            out.failure(f"{path} is out of step with graders/topics.toml "
                        "(python -m graders dev readme)")
        return EXIT_FAILURE if stale else EXIT_OK
    try:
        changed = requirements.write()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for path in changed:
        out.success(f"wrote {path}")
    if not changed:
        out.plain("Every list of requirements is up to date.")
    return EXIT_OK
