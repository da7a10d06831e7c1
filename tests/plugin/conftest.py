"""Helpers for the plugin's tests: a throwaway project that pytester runs pytest in.

(pytester itself is enabled in tests/conftest.py: pytest only honours ``pytest_plugins`` in
the top-level conftest of a run.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from kit_env import without_kit_settings

SAFE_COUNTER = '''\
import threading

count = 0
lock = threading.Lock()


def shop(n):
    global count
    for _ in range(n):
        with lock:
            count += 1


def main():
    threads = [threading.Thread(target=shop, args=(3,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count == 6, f"Lost update: expected 6 items, counted {count}"
'''


@pytest.fixture
def project(pytester: pytest.Pytester, programs: Path, monkeypatch: pytest.MonkeyPatch
            ) -> pytest.Pytester:
    """A pytester folder holding ``racy_counter.py`` (buggy) and ``safe_counter.py``.

    The inner pytest runs load this plugin alone (other installed plugins, such as
    hypothesis's, add a second to every inner run); test_plugin_entry_point checks that
    the plugin is also found through its entry point.
    """
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p graders.pytest_plugin")
    for name in set(os.environ) - set(without_kit_settings(keep=("GRADERS_RESULTS_KEY",))):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(programs / "racy_counter.py", pytester.path / "racy_counter.py")
    (pytester.path / "safe_counter.py").write_text(SAFE_COUNTER)
    return pytester
