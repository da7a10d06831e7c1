"""``python -m graders topics``: the topics in curriculum order, with their points."""

from __future__ import annotations

import argparse

from graders.catalog import topics

from . import EXIT_OK
from .output import Output

HELP = "list the topics, in curriculum order"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, out: Output) -> int:
    listed = list(topics().values())
    width = max([18, *(len(t.name) for t in listed)])   # the names line up, however long
    for i, t in enumerate(listed, 1):
        out.plain(f"{i:2}. {t.name:<{width}} {t.points:>2} points  {t.title}")
    return EXIT_OK
