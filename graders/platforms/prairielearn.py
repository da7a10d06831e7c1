"""PrairieLearn: an externally graded question per topic, and the grader's results.json.

``python -m graders prairielearn question --course DIR --topics T ...`` writes, into a
PrairieLearn course folder,

``questions/concurrency_kit/<topic>/``
    ``info.json`` (external grading on, entry point ``/grade/tests/run.sh``, the kit from
    ``serverFilesCourse``), ``question.html`` (the exercise's README and one
    ``pl-file-editor`` per student file, opened on the starter), the starter files, and
    ``tests/run.sh``;
``serverFilesCourse/concurrency_kit/``
    the ``graders`` package and, beside it, the packages the topics ``require`` with their
    own dependencies (``readerwriterlock`` and ``typing_extensions``), copied from the
    environment the command runs in. The grading container sees the folder as
    ``/grade/serverFilesCourse/concurrency_kit``; it has no network by default, so nothing
    can be installed there at grading time, and the stock ``prairielearn/grader-python``
    image lacks ``readerwriterlock``. Grading needs nothing else beyond the standard library
    (no pytest, no rich).

``tests/run.sh`` runs ``python3 -P -m graders prairielearn run``, which grades
``/grade/student`` and writes ``/grade/results/results.json``: ``score`` between 0 and 1,
one test per check with ``points``, ``max_points`` and the check's message (a hidden check:
its name and points only). ``GRADERS_GRADE_ROOT`` (default ``/grade``) moves the whole tree,
so the script runs the same way in a test. When the grader itself fails (a package missing,
a crash of the kit, even ``python3`` failing to start it), results.json says
``"gradable": false`` with the reason: PrairieLearn records no score and charges no attempt.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from graders.catalog import Topic
from graders.engine import native
from graders.grading import formats

from .one_submission import KIT_ROOT, NotGraded, grade_root

#: PrairieLearn's Python grading image; it must provide Python 3.11 or newer.
IMAGE = "prairielearn/grader-python"
KIT_DIR = "concurrency_kit"
UUID_NAMESPACE = uuid.UUID("6f1c7e0a-3d1e-4a52-9d0e-2b8f4c1e9a77")
#: Files of a compiled extension: they would not load under the image's Python.
COMPILED = (".so", ".pyd", ".dylib")


def run(student: Path, results_path: Path, chosen: Sequence[Topic]) -> dict[str, Any]:
    """Grade ``student`` and write results.json, rendered by
    :mod:`graders.grading.formats.prairielearn`; a failure of the grader itself is
    reported as not gradable, so it costs the student no attempt."""
    try:
        data = formats.prairielearn.render(grade_root(student, chosen), chosen)
    except NotGraded as exc:
        data = formats.prairielearn.not_gradable(str(exc))
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


RUN_SH = """#!/bin/bash
# PrairieLearn runs this in the grading container: /grade/student holds the submitted files.
# GRADERS_GRADE_ROOT (default /grade) moves the whole tree, so a test can run this script.
ROOT="${{GRADERS_GRADE_ROOT:-/grade}}"
export PYTHONPATH="$ROOT/serverFilesCourse/{kit}"
mkdir -p "$ROOT/results"
# -P: the kit comes from PYTHONPATH only, never from the current folder.
if ! python3 -P -m graders prairielearn run --student "$ROOT/student" \\
        --results "$ROOT/results/results.json" --topics {topic}; then
    # The grader could not even start: not the student's doing (the job's log says why).
    MESSAGE="Not graded: the grader itself failed to start; this is not a problem with the"
    MESSAGE="$MESSAGE submitted code. For course staff: see this grading job's log."
    printf '{{"gradable": false, "format_errors": ["%s"]}}\\n' "$MESSAGE" \\
        > "$ROOT/results/results.json"
fi
"""


def _markdown(text: str) -> str:
    """``text`` as it goes inside PrairieLearn's ``<markdown>`` element.

    PrairieLearn renders the Markdown itself and turns fenced code blocks into ``<pl-code>``
    elements that escape their text, so the README goes in as written: escaping ``<`` here
    would show ``&lt;`` in the code. The one exception is a literal ``<markdown>`` or
    ``</markdown>`` tag, which would end the block; PrairieLearn's documented escape is one
    more ``#`` before the ``>`` (``<markdown#>`` shows as ``<markdown>``).
    """
    return re.sub(r"(</?markdown)(#*)>", r"\1\2#>", text)


def _question_html(t: Topic) -> str:
    readme = t.exercise_dir() / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {t.title}"
    text = text.split("\n## Check your work", 1)[0].rstrip()
    editors = "".join(
        f'\n<pl-file-editor file-name="{name}" ace-mode="ace/mode/python" '
        f'source-file-name="starter/{name}"></pl-file-editor>' for name in t.files)
    return (f"<pl-question-panel>\n<markdown>\n{_markdown(text)}\n</markdown>\n"
            f"</pl-question-panel>\n{editors.lstrip()}\n\n"
            "<pl-submission-panel>\n<pl-external-grader-results></pl-external-grader-results>\n"
            "<pl-file-preview></pl-file-preview>\n</pl-submission-panel>\n")


def question(course: Path, t: Topic, timeout: int = 300) -> list[Path]:
    """Write the question of topic ``t`` into the course folder; returns the files."""
    folder = course / "questions" / KIT_DIR / t.name
    info = {"uuid": str(uuid.uuid5(UUID_NAMESPACE, t.name)), "title": t.title,
            "topic": "Concurrency", "tags": ["concurrency-kit", t.name], "type": "v3",
            "singleVariant": True, "gradingMethod": "External",
            "externalGradingOptions": {"enabled": True, "image": IMAGE,
                                       "entrypoint": "/grade/tests/run.sh",
                                       "serverFilesCourse": [f"{KIT_DIR}/"],
                                       "timeout": timeout}}
    written = {folder / "info.json": json.dumps(info, indent=2) + "\n",
               folder / "question.html": _question_html(t),
               folder / "tests" / "run.sh": RUN_SH.format(kit=KIT_DIR, topic=t.name)}
    for name in t.files:
        written[folder / "starter" / name] = (t.exercise_dir() / name).read_text("utf-8")
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "tests" / "run.sh").chmod(0o755)
    return list(written)


# ------------------------------------------------------------------ the kit and its packages
def _project(name: str) -> str:
    """A distribution's name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(names: Iterable[str]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` and, recursively, those they require (extras
    and requirements with a marker that are not installed here are left out)."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(name, True) for name in names]
    while todo:
        name, needed = todo.pop(0)
        if _project(name) in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if not needed:
                continue
            raise ValueError(f"{name} is not installed here, so it cannot be copied beside the "
                             f"kit: python -m pip install {name}, then run this again") from None
        found[_project(name)] = dist
        for requirement in dist.requires or ():
            spec, _, marker = requirement.partition(";")
            if "extra" in marker:
                continue
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
            if match:
                todo.append((match.group(1), not marker.strip()))
    return list(found.values())


def vendor(dist: metadata.Distribution, dest: Path) -> None:
    """Copy one pure-Python distribution (its modules and its ``.dist-info``) into ``dest``,
    replacing an earlier copy of it."""
    files = [f for f in dist.files or () if ".." not in f.parts
             and "__pycache__" not in f.parts and f.suffix != ".pyc"]
    name = dist.metadata["Name"]
    if not files:
        raise ValueError(f"{name}: no list of installed files, so it cannot be copied")
    if any(f.suffix in COMPILED for f in files):
        raise ValueError(f"{name} is not pure Python, so a copy may not load in the grading "
                         "image: build an image with it installed and name it in info.json")
    for old in dest.glob("*.dist-info"):
        if _project(old.name.split("-")[0]) == _project(name):
            shutil.rmtree(old)
    for top in {f.parts[0] for f in files}:
        old = dest / top
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    for f in files:
        target = dest / Path(*f.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(str(f.locate())), target)


def copy_kit(course: Path, chosen: Sequence[Topic]) -> list[str]:
    """Copy the ``graders`` package into ``serverFilesCourse/concurrency_kit/``, and beside
    it the packages the chosen topics require; returns what was copied
    (``graders``, ``readerwriterlock 1.0.10``, ...). Packages copied for other topics
    earlier are left in place."""
    root = course / "serverFilesCourse" / KIT_DIR
    dists = distributions(name for t in chosen for name in t.requires)
    dest = root / "graders"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(KIT_ROOT / "graders", dest,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *native.BUILT_FILES))
    for dist in dists:
        vendor(dist, root)
    return ["graders", *(f"{d.metadata['Name']} {d.version}" for d in dists)]
