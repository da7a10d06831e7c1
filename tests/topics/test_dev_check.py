"""Course CI's promise, topic by topic: every grader fails its untouched starter and every
listed wrong fix on exactly the checks topics.toml lists (the first with the listed class,
each failure with a hint written for it), and passes its solution and every alternative."""

from __future__ import annotations

import pytest

from graders import devcheck
from graders.catalog import topics

TOPICS = list(topics())


@pytest.mark.parametrize("name", TOPICS)
def test_topic_layout(name: str) -> None:
    assert devcheck.layout_problems(topics()[name]) == []


def _case_param(case: devcheck.Case) -> object:
    """Each topic's starter and solution are in the quick tier; its listed wrong and
    alternative fixes (nine in ten of the cases) only in the full one."""
    marks = () if case.variant in ("starter", "solution") else (pytest.mark.slow,)
    return pytest.param(case, marks=marks, id=f"{case.topic}:{case.variant}")


@pytest.mark.parametrize("case", [_case_param(c) for t in TOPICS
                                  for c in devcheck.cases(topics()[t])])
def test_case_behaves_as_listed(case: devcheck.Case) -> None:
    result = devcheck.verify(case)
    failing = next((o for o in result.outcomes if not o.passed), None)
    detail = failing.message() if failing is not None else "every check passed"
    assert result.ok, f"expected {case.expected()}, got {result.got}:\n{detail}"


def test_dev_check_command_passes() -> None:
    """The command over one topic (the cheapest: its cases are the ones above, so this
    proves the command's wiring, not the topic again)."""
    from graders.cli import main

    assert main(["dev-check", "scheduling", "--jobs", "1"]) == 0
