"""``python -m graders course-ci --out DIR``: CI for the instructor's repository.

Writes ``DIR/.github/workflows/course-ci.yml``, which runs the dev check (and the kit's own
tests) on Python 3.11, 3.12 and 3.13 (see :mod:`graders.platforms.course_ci`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from graders.platforms.course_ci import PYTHONS, workflow

from . import EXIT_OK, UsageError
from .output import Output

HELP = "write a GitHub Actions workflow running the dev check on Python 3.11-3.13"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="the instructor repository's folder")
    parser.add_argument("--python", nargs="+", default=list(PYTHONS), metavar="VERSION",
                        help=f"Python versions to test (default {' '.join(PYTHONS)})")
    parser.add_argument("--no-tests", action="store_true",
                        help="run only the dev check, not the kit's own test suite")
    parser.add_argument("--force", action="store_true", help="replace an existing workflow")


def run(args: argparse.Namespace, out: Output) -> int:
    bad = [v for v in args.python if not v.startswith("3.") or not v[2:].isdigit()
           or int(v[2:]) < 11]
    if bad:
        raise UsageError(f"--python {bad[0]}: the kit needs Python 3.11 or newer (3.N)")
    path = args.out / ".github" / "workflows" / "course-ci.yml"
    text = workflow(args.python, tests=not args.no_tests)
    if path.exists() and path.read_text(encoding="utf-8") != text and not args.force:
        raise UsageError(f"{path} exists and differs; use --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.plain(f"wrote {path} (dev check on Python {', '.join(args.python)})")
    return EXIT_OK
