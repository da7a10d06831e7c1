"""Course CI's promise, topic by topic: every grader fails its untouched starter and every
listed wrong fix on exactly the checks topics.toml lists (the first with the listed class,
each failure with a hint written for it), and passes its solution and every alternative."""

from __future__ import annotations

import pytest

from graders import devcheck
from graders.catalog import topics
from graders.engine import Settings

TOPICS = list(topics())


@pytest.mark.parametrize("name", TOPICS)
def test_topic_layout(name: str) -> None:
    assert devcheck.layout_problems(topics()[name]) == []


def _case_param(case: devcheck.Case) -> object:
    """Each topic's starter is in the quick tier (it fails early); its solution and listed
    wrong and alternative fixes, whose passing checks each explore the whole budget, only in
    the full one. The quick tier explores the solution briefly instead (below)."""
    marks = () if case.variant == "starter" else (pytest.mark.slow,)
    return pytest.param(case, marks=marks, id=f"{case.topic}:{case.variant}")


@pytest.mark.parametrize("case", [_case_param(c) for t in TOPICS
                                  for c in devcheck.cases(topics()[t])])
def test_case_behaves_as_listed(case: devcheck.Case) -> None:
    result = devcheck.verify(case)
    failing = next((o for o in result.outcomes if not o.passed), None)
    detail = failing.message() if failing is not None else "every check passed"
    assert result.ok, f"expected {case.expected()}, got {result.got}:\n{detail}"


#: Schedules per check of the quick tier's look at each solution: enough to run every
#: scenario of every check and catch a check that no longer loads, runs or passes correct
#: code; the full tier holds the solution to the students' budget.
BRIEF = Settings(schedules=20)


@pytest.mark.parametrize("name", TOPICS)
def test_solution_passes_a_brief_exploration(name: str) -> None:
    case = next(c for c in devcheck.cases(topics()[name]) if c.variant == "solution")
    result = devcheck.verify(case, BRIEF)
    failing = next((o for o in result.outcomes if not o.passed), None)
    assert result.ok, failing.message() if failing is not None else result.got


def test_dev_check_command_passes() -> None:
    """The command over one topic (the cheapest: its cases are the ones above, so this
    proves the command's wiring, not the topic again)."""
    from graders.cli import main

    assert main(["dev-check", "scheduling", "--jobs", "1"]) == 0
