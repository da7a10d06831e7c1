"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benchmarks" / "programs"


@pytest.fixture
def programs() -> Path:
    """The folder of small buggy and correct programs shared by tests and benchmarks."""
    return PROGRAMS
