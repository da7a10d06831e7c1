"""The sample outputs marked in the READMEs are what the checks print today (on the Python
they were made on; elsewhere their first line, the requirement), so they cannot drift."""

from __future__ import annotations

from graders import samples
from graders.catalog import KIT


def test_every_marked_sample_is_what_the_check_prints() -> None:
    assert samples.stale() == []


def test_the_front_door_and_the_topics_carry_samples() -> None:
    marked = {"front door" if s.path == KIT / "README.md" else s.path.parent.name
              for path in samples.readmes() for s in samples.find(path)}
    assert {"front door", "mutex", "deadlock", "abandoned_lock", "daemon_threads"} <= marked
