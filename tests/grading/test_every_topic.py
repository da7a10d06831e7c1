"""For every topic whose code can see the machine (tests/machine_facing.py: child processes,
pools, real threads, the clock, an event loop, MPI, a library imported fresh), and one that
stands for the topics on the engine's path alone: grading in the sandbox gives the starter
and the solution the verdicts topics.toml promises for them (the solution passes every
check; the starter fails exactly the listed checks, the first with the listed class), so
none of the sandbox's guards (the audit hook, the integrity comparison, the limits) trips
on honest code.

The promise is what the dev check proves in-process (tests/topics/test_dev_check.py runs
the same two cases there), so holding the sandbox to it compares the two without running
every topic a second time in this process."""

from __future__ import annotations

from pathlib import Path

import pytest
from machine_facing import machine_facing

from graders import devcheck
from graders.catalog import topics
from graders.grading import sandbox
from graders.grading.submissions import Submission


@pytest.mark.slow
@pytest.mark.parametrize("name", machine_facing())
@pytest.mark.parametrize("variant", ["starter", "solution"])
def test_the_sandbox_keeps_the_topics_promise(tmp_path: Path, name: str, variant: str) -> None:
    t = topics()[name]
    case = next(c for c in devcheck.cases(t) if c.variant == variant)
    folder = tmp_path / "student" / "exercises" / name
    folder.mkdir(parents=True)
    for file in t.files:
        (folder / file).write_bytes((case.folder / file).read_bytes())
    graded = sandbox.grade(Submission("student", tmp_path / "student", "folder"),
                           sandbox.Plan((t,)))
    assert [c.check for c in graded.checks] == [c.name for c in t.checks]
    assert all(c.status in ("passed", "failed") for c in graded.checks), \
        [(c.check, c.status, c.message) for c in graded.checks]
    failed = [c for c in graded.checks if c.status == "failed"]
    got = devcheck.PASS if not failed else \
        f"{failed[0].bug_class}: {', '.join(c.check for c in failed)}"
    assert got == case.expected(), "\n\n".join(c.message for c in failed)
