"""The environment of a fresh machine, for tests that run the platforms' own scripts and
the commands a newcomer types."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from kit_env import without_kit_settings

from graders.interpreter_tools import scripts_folders


def _in_a_venv(folder: str, scripts: set[str]) -> bool:
    path = Path(folder)
    return (path.parent / "pyvenv.cfg").is_file() or str(path.resolve()) in scripts


def bare_env(first: Path | None = None, env: Mapping[str, str] | None = None
             ) -> dict[str, str]:
    """``env`` (default: this process's) as a machine with no virtual environment has it:
    VIRTUAL_ENV unset, no venv's ``bin`` nor this interpreter's scripts folder on PATH, and
    no kit or Python settings (``GRADERS_*``, ``PYTHON*``), so a script finds only the
    Python it sets up itself; ``first`` goes at the head of PATH."""
    source = os.environ if env is None else env
    scripts = {str(Path(p).resolve()) for p in scripts_folders()}
    kept = [p for p in source.get("PATH", "").split(os.pathsep)
            if p and not _in_a_venv(p, scripts)]
    clean = {k: v for k, v in without_kit_settings(source, also=("PYTHON",)).items()
             if k != "VIRTUAL_ENV"}
    clean["PATH"] = os.pathsep.join([*([str(first)] if first else []), *kept])
    return clean


def decoys(folder: Path, names: Sequence[str] = ("alembic",)) -> Path:
    """A folder of programs named ``names`` that fail loudly: first on PATH, they show a
    tool taken from PATH instead of from the interpreter running the kit."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        decoy = folder / name
        decoy.write_text(f"#!/bin/sh\necho '{name} was taken from PATH' >&2\nexit 3\n")
        decoy.chmod(0o755)
    return folder
