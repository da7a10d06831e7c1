"""``python -m graders reset TOPIC``: put the topic's starter back, keeping your version.

The starter is the file as the kit's git history has it (``--from REF``, by default the
branch you cloned, else ``HEAD``); your current files are first copied to
``.graders/backup/<topic>-<time>/``, so nothing is lost.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from graders.catalog import KIT, CatalogError, topic

from . import EXIT_OK, UsageError
from .output import Output

HELP = "restore a topic's starter files (your version is kept in .graders/backup/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", help="the topic's name, e.g. data_race")
    parser.add_argument("--from", dest="ref", metavar="REF",
                        help="the git commit or branch to take the starter from "
                             "(default: the branch you cloned, else HEAD)")


def _git(*words: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(KIT), *words], capture_output=True, check=False)


def _starter_ref(ref: str | None) -> str:
    if ref is not None:
        return ref
    upstream = _git("rev-parse", "--verify", "--quiet", "@{upstream}")
    return "@{upstream}" if upstream.returncode == 0 else "HEAD"


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        t = topic(args.topic)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        raise UsageError(f"{KIT} is not a git checkout, so the starter cannot be looked up; "
                         "download the kit again to get the starter")
    ref = _starter_ref(args.ref)
    folder = Path("exercises") / t.name
    starters = {}
    for name in t.files:
        shown = _git("show", f"{ref}:exercises/{t.name}/{name}")
        if shown.returncode != 0:
            raise UsageError(f"git has no exercises/{t.name}/{name} at {ref}: "
                             f"{shown.stderr.decode(errors='replace').strip()}")
        starters[name] = shown.stdout
    backup = Path(".graders") / "backup" / \
        f"{t.name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
    for name, text in starters.items():
        target = folder / name
        if target.is_file():
            backup.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup / name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
        out.plain(f"restored {target}")
    if backup.is_dir():
        out.plain(f"your version is in {backup}")
    return EXIT_OK
