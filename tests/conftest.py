"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session", autouse=True)
def results_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Grading seals stored results with a key in the instructor's home; the tests keep
    theirs in a temporary folder (inherited by every grader they start)."""
    path = tmp_path_factory.mktemp("instructor") / "results.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADERS_RESULTS_KEY", str(path))
        yield path
