"""PrairieLearn: an externally graded question per topic, and the grader's results.json.

``python -m graders prairielearn question --course DIR --topics T ...`` writes, into a
PrairieLearn course folder,

``questions/concurrency_kit/<topic>/``
    ``info.json`` (external grading on, entry point ``/grade/tests/run.sh``, the kit from
    ``serverFilesCourse``), ``question.html`` (the exercise's README and one
    ``pl-file-editor`` per student file, opened on the starter), the starter files, and
    ``tests/run.sh``;
``serverFilesCourse/concurrency_kit/``
    the ``graders`` package, which the grading container sees as
    ``/grade/serverFilesCourse/concurrency_kit``.

``tests/run.sh`` runs ``python3 -m graders prairielearn run``, which grades
``/grade/student`` and writes ``/grade/results/results.json``: ``score`` between 0 and 1,
one test per check with ``points``, ``max_points`` and the check's message (a hidden check:
its name and points only).
"""

from __future__ import annotations

import html
import json
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graders.catalog import Topic
from graders.grading import formats

from .runner import KIT_ROOT, grade_root

#: PrairieLearn's Python grading image; it must provide Python 3.11 or newer.
IMAGE = "prairielearn/grader-python"
KIT_DIR = "concurrency_kit"
UUID_NAMESPACE = uuid.UUID("6f1c7e0a-3d1e-4a52-9d0e-2b8f4c1e9a77")


def run(student: Path, results_path: Path, chosen: Sequence[Topic]) -> dict[str, Any]:
    """Grade ``student`` and write results.json, rendered by
    :mod:`graders.grading.formats.prairielearn`; a failure of the grader itself is
    reported as not gradable, so it costs the student no attempt."""
    try:
        text = formats.prairielearn.dumps(grade_root(student, chosen), chosen)
    except Exception as exc:  # PrairieLearn must get a results.json
        text = json.dumps({"gradable": False, "score": 0.0, "format_errors": [
            f"The grader failed: {type(exc).__name__}: {exc}. Please tell your instructor."]})
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(text, encoding="utf-8")
    return json.loads(text)


RUN_SH = """#!/bin/bash
# PrairieLearn runs this in the grading container: /grade/student holds the submitted files.
export PYTHONPATH=/grade/serverFilesCourse/{kit}
mkdir -p /grade/results
python3 -m graders prairielearn run --student /grade/student \\
    --results /grade/results/results.json --topics {topic}
"""


def _question_html(t: Topic) -> str:
    readme = t.exercise_dir() / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {t.title}"
    text = text.split("\n## Check your work", 1)[0].rstrip()
    editors = "".join(
        f'\n<pl-file-editor file-name="{name}" ace-mode="ace/mode/python" '
        f'source-file-name="starter/{name}"></pl-file-editor>' for name in t.files)
    return (f'<pl-question-panel>\n<markdown>\n{html.escape(text, quote=False)}\n</markdown>\n'
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


def copy_kit(course: Path) -> Path:
    """Copy the ``graders`` package into ``serverFilesCourse/concurrency_kit/``."""
    dest = course / "serverFilesCourse" / KIT_DIR / "graders"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(KIT_ROOT / "graders", dest,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest
