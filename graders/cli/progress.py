"""``python -m graders progress``: each topic's state, and how far through the course you are.

The states come from the runs of ``python -m graders check`` (and ``watch``) in this folder:
see :mod:`graders.progress`.
"""

from __future__ import annotations

import argparse

from graders import progress

from . import EXIT_OK
from .output import Output

HELP = "show each topic's state (not started, failing check X, done) and the course's progress"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser   # no options


def run(args: argparse.Namespace, out: Output) -> int:
    for s in progress.standings():
        line = f"{s.topic:<18} {s.describe()}"
        if s.state == "done":
            out.success(line)
        elif s.state == "failing":
            out.failure(line)
        else:
            out.plain(line)
    out.plain(progress.bar())
    return EXIT_OK
