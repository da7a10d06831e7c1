"""Helpers for the platform tests: the checkout, a clean Jupyter environment, sample code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from graders.interpreter_tools import scripts_folders

ROOT = Path(__file__).resolve().parents[2]


def jupyter_env(base: Path) -> dict[str, str]:
    """An environment whose Jupyter and IPython settings all live under ``base``, with a
    ``python3`` kernel spec that runs this interpreter (where the kit is installed)."""
    kernels = base / "jupyter-path" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (concurrency kit tests)", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "GRADERS_"))}
    env.update(JUPYTER_PATH=str(base / "jupyter-path"),
               JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
               JUPYTER_DATA_DIR=str(base / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
               IPYTHONDIR=str(base / "ipython"), NO_COLOR="1")
    return env


def without_virtualenv(env: dict[str, str], decoys: Path) -> dict[str, str]:
    """``env`` as a shell with no virtual environment activated has it: VIRTUAL_ENV unset,
    no venv's ``bin`` (nor this interpreter's scripts folder) on PATH. ``decoys`` goes first
    on PATH with an ``alembic`` that fails loudly, so a tool found through PATH instead of
    through the interpreter running the kit shows."""
    scripts = {str(Path(p).resolve()) for p in scripts_folders()}

    def in_a_venv(folder: str) -> bool:
        path = Path(folder)
        return (path.parent / "pyvenv.cfg").is_file() or str(path.resolve()) in scripts

    decoys.mkdir(parents=True, exist_ok=True)
    decoy = decoys / "alembic"
    decoy.write_text("#!/bin/sh\necho 'alembic was taken from PATH' >&2\nexit 3\n")
    decoy.chmod(0o755)
    kept = [p for p in env.get("PATH", "").split(os.pathsep) if p and not in_a_venv(p)]
    clean = {k: v for k, v in env.items() if k != "VIRTUAL_ENV"}
    clean["PATH"] = os.pathsep.join([str(decoys), *kept])
    return clean


@pytest.fixture(scope="session")
def make_jupyter_env() -> Callable[[Path], dict[str, str]]:
    return jupyter_env


@pytest.fixture(scope="session")
def make_bare_env() -> Callable[[dict[str, str], Path], dict[str, str]]:
    return without_virtualenv
