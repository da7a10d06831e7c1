"""Helpers for the command-line tests: run ``python -m graders`` as a child process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kit_env import without_kit_settings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "programs"


def run_graders(*args: str, env: dict[str, str] | None = None,
                cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m graders ARGS`` from the checkout's root, output captured as text."""
    full_env = {**without_kit_settings(keep=("GRADERS_RESULTS_KEY",)), "NO_COLOR": "1",
                **(env or {})}
    return subprocess.run([sys.executable, "-m", "graders", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def graders() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_graders


@pytest.fixture
def own_programs() -> Path:
    """Programs written for these tests (relative to the checkout's root)."""
    return HERE.relative_to(ROOT)
