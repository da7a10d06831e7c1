"""``python -m graders hint TOPIC``: the topic's hints, one more each time you ask.

Hints go from a nudge to nearly code. Which ones you have seen is remembered in
``.graders/hints.json`` in the current folder; ``--level N`` shows one hint directly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from graders.catalog import CatalogError, topic
from graders.settings import argument, whole

from . import EXIT_OK, UsageError
from .output import Output

HELP = "show the next hint for a topic (a nudge first, nearly code last)"
STATE = Path(".graders") / "hints.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", help="the topic's name, e.g. data_race")
    parser.add_argument("--level", type=argument("level", whole(1)), metavar="N",
                        help="show hint N")
    parser.add_argument("--all", action="store_true", help="show every hint")


def _seen() -> dict[str, int]:
    try:
        data = json.loads(STATE.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        t = topic(args.topic)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    hints = t.hints
    if args.all:
        for i, text in enumerate(hints, 1):
            out.plain(f"Hint {i} of {len(hints)}: {text}")
        return EXIT_OK
    seen = _seen()
    if args.level is not None:
        level = min(args.level, len(hints))
    else:
        level = min(int(seen.get(t.name, 0)) + 1, len(hints))
    out.plain(f"Hint {level} of {len(hints)} for {t.name}: {hints[level - 1]}")
    if level < len(hints):
        out.plain(f"(Run the same command again for hint {level + 1}.)")
    seen[t.name] = max(level, int(seen.get(t.name, 0)))
    try:
        STATE.parent.mkdir(exist_ok=True)
        STATE.write_text(json.dumps(seen, indent=1))
    except OSError:
        pass   # a read-only folder only loses the memory of which hint comes next
    return EXIT_OK
