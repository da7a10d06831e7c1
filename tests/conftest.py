"""Shared fixtures for the kit's own tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------ browser tests
#: Tests that need a real browser (Chromium) carry this marker. They run wherever Chromium
#: is installed (course CI installs it: .ci/run); elsewhere a run deselects them, never
#: skips them, and says so in its summary. Any -m naming the marker runs them, and then they
#: fail loudly where Chromium is missing (pytest -m browser).
BROWSER = "browser"
CHROMIUM = Path("/usr/bin/chromium")


def _browser_runs(config: pytest.Config) -> bool:
    return CHROMIUM.exists() or BROWSER in (config.getoption("markexpr", "") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _slow_first(items)
    if _browser_runs(config):
        return
    left = [item for item in items if item.get_closest_marker(BROWSER) is not None]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item.get_closest_marker(BROWSER) is None]


def pytest_configure(config: pytest.Config) -> None:
    """With xdist, a worker that runs out of tests takes half of what another still has
    queued (``--dist worksteal``), unless the command line chose a mode. Under the default
    mode each worker's queue is fixed as it empties, and one worker ran the dev check's
    last cases alone for over a minute at the end of a whole-suite run on 2 cores while
    the other sat idle (measured: 607 s of tests on one worker, 681 s on the other)."""
    chosen = any(arg == "-d" or arg.startswith("--dist")
                 for arg in config.invocation_params.args)
    if not chosen and config.getoption("dist", "no") == "load":
        config.option.dist = "worksteal"


def _slow_first(items: list[pytest.Item]) -> None:
    """The slow tier's tests run before the quick tier's, each tier in its own order. xdist
    hands tests out in this order, so a whole-suite run ends on many short tests that keep
    both workers busy, not on one long test left to a single worker (a machine-independence
    test collected last kept one core idle for the last five minutes of CI)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the explorations' collections small (see ``pytest_runtest_teardown``)."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Every exploration ends with a full garbage collection, which walks every object the
    process holds: in a test worker that is the kit, pytest, every test item and what the
    tests before kept, 200-700 thousand objects, up to a second per collection (a fifth
    of the suite's CPU, measured). What a finished test left is frozen instead (``gc.freeze``: never
    walked nor freed again), so each collection walks only what the current test made.
    Garbage frozen with it stays in memory; an exploration's own leftovers are gone by then
    (its collection finalized them, inside its stand-ins). docs/engine-profile.md."""
    gc.freeze()


def _browser_files(config: pytest.Config) -> list[Path]:
    """The test files with browser tests among the paths this run collects."""
    given = [Path(str(a).split("::", 1)[0]).resolve() for a in config.args]
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        if f"pytest.mark.{BROWSER}" not in path.read_text(encoding="utf-8"):
            continue
        if any(path == g or g in path.parents for g in given):
            found.append(path)
    return found


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say which browser tests this run left out and how to run them (with xdist too, whose
    workers deselect them without telling the controller)."""
    if _browser_runs(config) or hasattr(config, "workerinput"):
        return
    files = _browser_files(config)
    if files:
        shown = " ".join(str(p.relative_to(ROOT)) for p in files)
        terminalreporter.write_line(
            f"Not run: the browser tests in {shown} (they need Chromium at {CHROMIUM}; on "
            f"Debian: apt-get install chromium); then they run with the rest", yellow=True)
