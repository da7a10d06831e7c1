"""A failing check's interleaving, drawn: the page beside the test file, its path in the
report, and nothing for a test that passes or a failure with no interleaving."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"

TESTS = """
import pytest
from graders.engine import fail


def test_counter(explorer):
    explorer.explore_target("racy_counter.py:main")


@pytest.mark.parametrize("n", [2])
def test_twice(explorer, n):
    explorer.explore_target("safe_counter.py:main")
    explorer.explore_target("racy_counter.py:main")


def test_no_interleaving(explorer):
    explorer.explore(lambda: fail("wrong", "said so"))
"""


def _picture(output: str, test: str) -> str | None:
    # a test's block ends where the next test's or the summary's header begins
    block = re.split(r"\n[_=]", output.split(f"_ {test} _", 1)[1], maxsplit=1)[0]
    found = re.search(r"^Picture of this interleaving: (\S+)$", block, re.MULTILINE)
    return found.group(1) if found else None


def test_a_failure_draws_its_interleaving_beside_the_test_file(project: pytest.Pytester):
    project.makepyfile(test_race=TESTS)
    result = project.runpytest()
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    shown = _picture(out, "test_counter")
    assert shown == str(Path(".graders") / "test_counter.html")
    page = project.path / shown
    root = ET.fromstring(page.read_text().split("\n", 1)[1].encode())
    lanes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane-name"]
    assert lanes == ["MainThread", "shopper-0", "shopper-1"]
    assert "test_race.py::test_counter" in "".join(root.itertext())
    # the second exploration of one test gets a page of its own; a name is made safe
    assert _picture(out, "test_twice[2]") == str(Path(".graders") / "test_twice_2-2.html")
    assert (project.path / ".graders" / "test_twice_2-2.html").is_file()
    # a failure that is no interleaving (a check's own verdict) draws nothing
    assert _picture(out, "test_no_interleaving") is None
    assert sorted(p.name for p in (project.path / ".graders").iterdir()) == [
        "test_counter.html", "test_twice_2-2.html"]


def test_git_ignores_the_pictures() -> None:
    path = "exercises/data_race/.graders/test_no_lost_updates.html"
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT,
                          capture_output=True, check=False)
    assert done.returncode == 0, f"{path} is not ignored by .gitignore"
