"""Bugs several switches deep are found within the default budget (issue 13).

``alternation.py`` fails only when two threads' writes strictly alternate after one of them
was held back: five switches, each at one exact point. A random walk and PCT need thousands
of runs for that; the portfolio's hand-off runs give the CPU away right after each shared
write (three times in four), which is that schedule or close to it.
"""

from __future__ import annotations

import pytest

from graders.engine import BugClass
from graders.engine.strategies import HandOff

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("where", ["main", "on_an_attribute", "in_a_closure"])
def test_the_default_portfolio_finds_strict_alternation(kit, where, seed):
    """The shared trail is a global, an attribute or a closure's cell."""
    result = kit.explore(f"alternation.py:{where}", seed=seed, shrink=False)
    assert result.failure is not None, result.report()
    assert result.failure.bug_class == BugClass.ASSERTION
    assert "the turns alternated exactly" in result.failure.message


@pytest.mark.parametrize("where", ["main", "on_an_attribute", "in_a_closure"])
def test_a_random_walk_does_not_find_it_in_the_same_budget(kit, where):
    """What the test above shows: the bug is out of reach of a random walk with the same
    budget."""
    result = kit.explore(f"alternation.py:{where}", strategy="random", shrink=False)
    assert result.ok, result.report()


def test_a_writer_that_always_hands_off_alternates_on_every_write(kit, monkeypatch):
    """With the chance at 1, each write passes the CPU on: every run strictly alternates,
    whatever its seed (which the token alone names)."""
    monkeypatch.setattr(HandOff, "P", 1.0)
    for seed in range(5):
        result = kit.explore("alternation.py:main", replay=f"handoff.{seed}", shrink=False)
        assert result.failure is not None, (seed, result.report())
        assert "the turns alternated exactly" in result.failure.message
