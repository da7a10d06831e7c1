"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# pytester drives the plugin's tests (tests/plugin). pytest accepts pytest_plugins only in
# the top-level conftest of a run, so it is declared here rather than in tests/plugin/.
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benchmarks" / "programs"


@pytest.fixture
def programs() -> Path:
    """The folder of small buggy and correct programs shared by tests and benchmarks."""
    return PROGRAMS
