"""For every topic in topics.toml: grading in the sandbox gives each check the verdict the
check gives in-process, on the topic's starter and on its solution, so none of the
sandbox's guards (the audit hook, the integrity comparison, the limits) trips on honest
code of any topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.catalog import topics
from graders.checking import run_topic
from graders.grading import sandbox
from graders.grading.submissions import Submission


@pytest.mark.slow
@pytest.mark.parametrize("name", list(topics()))
@pytest.mark.parametrize("variant", ["starter", "solution"])
def test_the_sandbox_agrees_with_the_checks(tmp_path: Path, name: str, variant: str) -> None:
    t = topics()[name]
    source = t.exercise_dir() if variant == "starter" else t.solution_dir()
    folder = tmp_path / "student" / "exercises" / name
    folder.mkdir(parents=True)
    for file in t.files:
        (folder / file).write_bytes((source / file).read_bytes())
    graded = sandbox.grade(Submission("student", tmp_path / "student", "folder"),
                           sandbox.Plan((t,)))
    direct = run_topic(t, source)
    assert [(c.check, c.passed) for c in graded.checks] == [(o.check, o.passed) for o in direct]
    for check, outcome in zip(graded.checks, direct, strict=True):
        if not outcome.passed:
            assert check.bug_class == outcome.bug_class, check.message
