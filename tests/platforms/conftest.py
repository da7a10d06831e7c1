"""Helpers for the platform tests: the checkout, a clean Jupyter environment, sample code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kit_env import without_kit_settings

ROOT = Path(__file__).resolve().parents[2]


def jupyter_env(base: Path) -> dict[str, str]:
    """An environment whose Jupyter and IPython settings all live under ``base``, with a
    ``python3`` kernel spec that runs this interpreter (where the kit is installed)."""
    kernels = base / "jupyter-path" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (concurrency kit tests)", "language": "python"}))
    env = without_kit_settings(also=("JUPYTER",), keep=("GRADERS_RESULTS_KEY",))
    env.update(JUPYTER_PATH=str(base / "jupyter-path"),
               JUPYTER_CONFIG_DIR=str(base / "jupyter-config"),
               JUPYTER_DATA_DIR=str(base / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
               IPYTHONDIR=str(base / "ipython"), NO_COLOR="1")
    return env


@pytest.fixture(scope="session")
def make_jupyter_env() -> Callable[[Path], dict[str, str]]:
    return jupyter_env

