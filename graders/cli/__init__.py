"""The command line: ``python -m graders COMMAND ...``.

Each command is a module of this package with four names:

``HELP``
    one line for ``python -m graders --help``;
``add_arguments(parser)``
    declares its arguments on an :class:`argparse.ArgumentParser`;
``run(args, out) -> int``
    does the work and returns the exit code; ``out`` is an :class:`~graders.cli.output.Output`.
    It raises :class:`UsageError` (or the engine's ``LoadError``, or a setting's
    :class:`~graders.settings.SettingError`) for a mistake of the person typing: ``main``
    prints it as one line on stderr and exits 2.

Adding a command is one module plus one line in :data:`COMMANDS`.

Exit codes: 0 nothing wrong found, 1 a failure found, 2 a usage or load error,
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from graders.catalog import CatalogError
from graders.engine import LoadError
from graders.settings import SettingError

from .output import Output

#: command name -> module that implements it
COMMANDS: dict[str, str] = {
    "explore": "graders.cli.explore",
    "topics": "graders.cli.topics",
    "check": "graders.cli.check",
    "hint": "graders.cli.hint",
    "watch": "graders.cli.watch",
    "progress": "graders.cli.progress",
    "reset": "graders.cli.reset",
    "dev-check": "graders.cli.dev_check",
    "dev": "graders.cli.dev",
    "nbgrader": "graders.cli.nbgrader",
    "gradescope": "graders.cli.gradescope",
    "classroom": "graders.cli.classroom",
    "prairielearn": "graders.cli.prairielearn",
    "course-ci": "graders.cli.course_ci",
    "grade": "graders.cli.grade",
}

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
PROG = "python -m graders"


class UsageError(Exception):
    """A mistake in the command line or in what it names; shown as one line, exit 2.

    ``UsageError(message, "help")`` also points to the command's ``--help``.
    """


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake becomes one line instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, "help")


def load(name: str) -> ModuleType:
    """The module implementing command ``name``."""
    return importlib.import_module(COMMANDS[name])


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Grade concurrent Python code over seeded "
                    "thread schedules.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        module = load(name)
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), "")
    where = f"graders {command}" if command in COMMANDS else "graders"
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        if args.command is None:
            raise UsageError(f"choose a command: {', '.join(COMMANDS)} "
                             f"(see '{PROG} --help')")
        return int(args._module.run(args, Output.for_stdout()))
    except (UsageError, LoadError, SettingError, CatalogError) as exc:
        text = str(exc.args[0]) if exc.args else str(exc)
        if isinstance(exc, UsageError) and exc.args[1:] == ("help",):
            text += f" (see '{PROG} {command} --help')" if command in COMMANDS \
                else f" (see '{PROG} --help')"
        print(f"{where}: error: {text}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{where}: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
