"""The instructor repository's CI: the dev check and the kit's tests on Python 3.11-3.13.

``python -m graders course-ci --out DIR`` writes ``DIR/.github/workflows/course-ci.yml``:
on every push and pull request, for each of Python 3.11, 3.12 and 3.13, it installs the
kit with its development tools and runs ``python -m graders dev-check`` (every starter
fails with its bug class, every solution and listed fix behaves as topics.toml says) and
then the test suite. Schedules depend on the Python version (bytecode differs), which is
why every version the course supports gets its own job.
"""

from __future__ import annotations

from collections.abc import Sequence

PYTHONS = ("3.11", "3.12", "3.13")


def workflow(pythons: Sequence[str] = PYTHONS, *, tests: bool = True,
             extras: str = "dev") -> str:
    """The text of ``.github/workflows/course-ci.yml``."""
    versions = ", ".join(f'"{v}"' for v in pythons)
    test_step = ("      - name: The kit's own tests\n"
                 "        run: python -m pytest -q -n auto\n") if tests else ""
    return f"""# Made by `python -m graders course-ci` (concurrency kit).
# Every push: each starter fails with its bug class, each solution and listed fix behaves
# as graders/topics.toml says, on every Python version the course supports.
name: Course CI
"on":
  push:
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  dev-check:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        python-version: [{versions}]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python-version }}}}
      - name: Install the kit
        run: python -m pip install -e '.[{extras}]'
      - name: Dev check (starters fail, solutions pass)
        run: python -m graders dev-check --jobs 2
{test_step}"""
