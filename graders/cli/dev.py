"""``python -m graders dev ...``: the course author's tools, one group.

``dev check`` is ``dev-check`` under its group's name; ``dev variant`` shows, edits and
starts the wrong and alternative fixes, which are stored as diffs; ``dev new`` scaffolds a
topic; ``dev readme`` writes each README's list of requirements from topics.toml; ``dev
samples`` writes the READMEs' sample outputs from real runs.
"""

from __future__ import annotations

import argparse

from . import dev_check, dev_new, dev_readme, dev_samples, dev_variant
from .output import Output

HELP = ("course authors' tools: 'dev check' (same as dev-check), 'dev variant show|edit|new', "
        "'dev new TOPIC', 'dev readme', 'dev samples'")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_subparsers(dest="dev_command", metavar="DEV_COMMAND", required=True)
    for name, module in (("check", dev_check), ("variant", dev_variant), ("new", dev_new),
                         ("readme", dev_readme), ("samples", dev_samples)):
        sub = group.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_dev=module.run)


def run(args: argparse.Namespace, out: Output) -> int:
    return int(args._dev(args, out))
