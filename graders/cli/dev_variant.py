"""``python -m graders dev variant show|edit|new TOPIC/KIND/FIX``: a fix as whole files.

A wrong or alternative fix is stored as a diff against the reference solution
(``solutions/<topic>/<kind>/<fix>.diff``, see :mod:`graders.variants`), but an author thinks
in whole files. ``show`` prints the fixed file(s). ``edit`` materialises the fix into a
temporary folder, opens ``$EDITOR`` on its files (without ``EDITOR``, or with
``--no-editor``, it prints the folder and waits for Enter), then saves the diff back under
its header; ``new`` does the same starting from the reference. A hunk that no longer
applies is left out and written beside its file as ``FILE.rej``, to redo by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from graders import variants
from graders.catalog import CatalogError, topic

from . import EXIT_FAILURE, EXIT_OK, UsageError
from .output import Output

HELP = "show, edit or start a wrong or alternative fix as whole files (stored as a diff)"
ACTIONS = {
    "show": "print the fix's whole file(s), the reference with the diff applied",
    "edit": "open the fix's files in $EDITOR, then save the diff back keeping its header",
    "new": "start a fix from the reference: open it in $EDITOR, then save the diff",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="variant_action", metavar="ACTION", required=True)
    for name, text in ACTIONS.items():
        sub = actions.add_parser(name, help=text, description=text)
        sub.add_argument("fix", metavar="TOPIC/KIND/FIX",
                         help="e.g. mutex/wrong/no_lock (KIND is wrong or alternative)")
        if name != "show":
            sub.add_argument("--no-editor", action="store_true",
                             help="print the folder and wait for Enter instead of opening "
                                  "$EDITOR")


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        fix = variants.Fix.parse(args.fix)
        if args.variant_action == "show":
            return _show(fix, out)
        editor = None if args.no_editor else os.environ.get("EDITOR")
        return _edit(fix, out, editor, new=args.variant_action == "new")
    except (variants.VariantError, CatalogError) as exc:
        raise UsageError(str(exc)) from None


def _show(fix: variants.Fix, out: Output) -> int:
    files = variants.files(fix)
    for name, text in files.items():
        if len(files) > 1:
            out.plain(f"==> {name} <==")
        out.plain(text.removesuffix("\n"))
    return EXIT_OK


def _edit(fix: variants.Fix, out: Output, editor: str | None, *, new: bool) -> int:
    t = topic(fix.topic)
    if new:
        if fix.path.exists():
            raise UsageError(f"{fix.shown()} exists already; change it with: python -m "
                             f"graders dev variant edit {fix}")
        head, files, failed = variants.header(fix), variants.reference(t), []
    else:
        patch, files, failed = variants.patched(fix)
        head = patch.header
    with tempfile.TemporaryDirectory(prefix=f"graders-{fix.topic}-{fix.name}-") as tmp:
        folder = Path(tmp)
        variants.write_folder(files, folder)
        rejects = _write_rejects(failed, folder)
        for hunk in failed:
            out.note(f"hunk {hunk.number} ({hunk.file}, line {hunk.start}) no longer matches "
                     f"the reference: it is left out and kept in {hunk.file}.rej; make that "
                     "change by hand")
        paths = [str(folder / name) for name in t.files] + [str(p) for p in rejects]
        if editor:
            code = subprocess.run([*shlex.split(editor), *paths], check=False).returncode
            if code:
                out.failure(f"the editor exited with status {code}: {fix.shown()} is left as "
                            "it was")
                return EXIT_FAILURE
        else:
            out.plain(f"{fix} is in {folder}: edit it there (check it with: python -m "
                      f"graders check {t.name} --path {folder}), then press Enter to save "
                      f"{fix.shown()} (Ctrl-C leaves it as it was).")
            _wait_for_enter()
        changed = variants.save(fix, head, variants.read_folder(t, folder))
    out.success(f"saved {fix.shown()}" if changed else f"{fix.shown()} is unchanged")
    if new and fix.name not in (t.wrong if fix.kind == "wrong" else t.alternative):
        what = "the bug class it must fail with" if fix.kind == "wrong" else "what it shows"
        out.note(f"now list it in graders/topics.toml, topic {t.name}, [topic.{fix.kind}]: "
                 f"{fix.name} = \"{what}\", and say the same in the diff's first line")
    return EXIT_OK


def _write_rejects(failed: list[variants.Hunk], folder: Path) -> list[Path]:
    """The hunks that did not apply, as ``FILE.rej`` diffs in ``folder``."""
    by_file: dict[str, list[variants.Hunk]] = {}
    for hunk in failed:
        by_file.setdefault(hunk.file, []).append(hunk)
    paths = []
    for name, hunks in by_file.items():
        path = folder / f"{name}.rej"
        path.write_text(f"--- {name}\n+++ {name}\n" + "".join(h.text for h in hunks),
                        encoding="utf-8")
        paths.append(path)
    return paths


def _wait_for_enter() -> None:
    with contextlib.suppress(EOFError):     # no terminal to read from: save the folder now
        input()
