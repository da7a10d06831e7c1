"""A topic's starter or solution copied into a test's folder, with a few lines changed.

Tests of the checks try small variations of the shipped code (a count in floats, a probed
function kept as a default argument) without adding a listed fix for each."""

from __future__ import annotations

import shutil
from pathlib import Path

from graders.catalog import KIT


def edited_copy(tmp_path: Path, kind: str, topic: str, file: str,
                edits: dict[str, str]) -> Path:
    """``KIT/kind/topic`` ("exercises" or "solutions") copied under ``tmp_path``, with each
    old text of ``edits`` in ``file`` replaced by its new one (each must be there)."""
    folder = tmp_path / topic
    shutil.copytree(KIT / kind / topic, folder)
    text = (folder / file).read_text()
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    (folder / file).write_text(text)
    return folder
