"""Gradescope: the autograder zip, its ``run_autograder``, and results.json.

``python -m graders gradescope build --out autograder.zip [--topics ...]`` writes a zip with,
at its root (Gradescope's autograder specification):

``setup.sh``
    run once when Gradescope builds the image: finds (or installs) Python 3.11+, makes
    ``/autograder/venv`` and installs the kit into it from ``kit/`` (editable, so the
    kit's ``topics.toml`` is read from ``/autograder/source/kit``);
``run_autograder``
    run for every submission: grades ``/autograder/submission`` and writes
    ``/autograder/results/results.json``. ``GRADERS_AUTOGRADER_ROOT`` (default
    ``/autograder``) moves the whole tree and ``GRADERS_PYTHON`` the interpreter, so the
    script runs the same way in a test;
``kit/``
    the kit itself: ``pyproject.toml``, ``setup.py``, ``README.md`` and the ``graders``
    package's sources (no exercises, no solutions; setup.sh compiles the engine's hot path
    where the image has a C compiler).

The submission may hold the kit's ``exercises/<topic>/`` tree (a GitHub or Bitbucket
submission of a student's checkout), ``<topic>/`` folders, or just the files. It is graded
in the kit's sandbox (:mod:`graders.grading`) and results.json is rendered by
:mod:`graders.grading.formats.gradescope`, as ``python -m graders grade`` does. When the
grader itself fails (a package missing in the image, a crash of the kit), ``run_autograder``
prints why for staff, writes no results.json and exits 1 (see :func:`run`).
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from graders.catalog import Topic, topics
from graders.engine import native
from graders.grading import formats

from .one_submission import KIT_ROOT, grade_root

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# GRADERS_AUTOGRADER_ROOT (default /autograder) moves the whole tree, as in run_autograder.
set -euo pipefail
ROOT="${GRADERS_AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
PYTHON=""
# The image's own python3 first when it is new enough, else the newest python3.1x.
for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    # Ubuntu 22.04 images ship Python 3.10; the kit needs 3.11 or newer.
    apt-get update
    apt-get install -y python3.11 python3.11-venv
    PYTHON="$(command -v python3.11)"
fi
if ! "$PYTHON" -m venv "$ROOT/venv"; then
    apt-get update
    apt-get install -y "python3.$("$PYTHON" -c 'import sys; print(sys.version_info[1])')-venv"
    "$PYTHON" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install -e "$ROOT/source/kit"
"$ROOT/venv/bin/python" -m graders topics
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission.
ROOT="${{GRADERS_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADERS_PYTHON:-$ROOT/venv/bin/python}}"
export PYTHONPATH="$ROOT/source/kit"
mkdir -p "$ROOT/results"
exec "$PYTHON" -m graders gradescope run --submission "$ROOT/submission" \\
    --results "$ROOT/results/results.json"{topics}
"""


def kit_files() -> list[tuple[str, Path]]:
    """(name in the zip, file) for the kit: pyproject.toml, setup.py, README.md, the graders
    package (its sources: the image compiles the engine's hot path itself, where it can)."""
    files = [(name, KIT_ROOT / name) for name in ("pyproject.toml", "setup.py", "README.md")
             if (KIT_ROOT / name).is_file()]
    for path in sorted((KIT_ROOT / "graders").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" \
                and not any(path.match(built) for built in native.BUILT_FILES):
            files.append((path.relative_to(KIT_ROOT).as_posix(), path))
    return files


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build(out: Path, chosen: Sequence[Topic]) -> int:
    """Write the autograder zip; returns the total points (set the assignment to it)."""
    every = list(topics())
    names = [t.name for t in chosen]
    topic_args = "" if names == every else " --topics " + " ".join(names)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.format(topics=topic_args).encode(),
             executable=True)
        for name, path in kit_files():
            _add(zf, f"kit/{name}", path.read_bytes())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buffer.getvalue())
    return sum(t.points for t in chosen)


def run(submission: Path, results_path: Path, chosen: Sequence[Topic]) -> dict[str, object]:
    """Grade ``submission`` and write results.json.

    When the grader itself fails, :class:`~graders.platforms.one_submission.NotGraded` propagates
    and no results.json is left behind: Gradescope's specification reports a missing one as
    "The autograder failed to execute correctly" (to staff, with run_autograder's output, and
    to the student, with no score), the only autograder failure it defines; a results.json
    would record a score.
    """
    results_path.unlink(missing_ok=True)
    data = formats.gradescope.render(grade_root(submission, chosen))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data
