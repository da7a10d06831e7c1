"""A count the checks cannot compare is a wrong count, not a reason to look elsewhere.

A red-team submission made data_race's count a float (``self.count = 0.0``) and returned
``shoppers * items``: the checks, seeing no int, judged only the returned value, and the
racy basket passed. mutex's tally had the same hole."""

from __future__ import annotations

from pathlib import Path

from topic_copies import edited_copy

from graders.checking import run_check
from graders.engine import Settings

BRIEF = Settings(schedules=30)


def _starter(tmp_path: Path, topic: str, name: str, edits: dict[str, str]) -> Path:
    return edited_copy(tmp_path, "exercises", topic, name, edits)


def test_a_racy_basket_counting_in_floats_still_loses_updates(tmp_path: Path) -> None:
    folder = _starter(tmp_path, "data_race", "shop.py", {"self.count = 0": "self.count = 0.0"})
    outcome = run_check("data_race", "no_lost_updates", folder, BRIEF)
    assert not outcome.passed and outcome.bug_class == "lost update", outcome.message()


#: A count that adds up and says it equals anything it is compared with.
_AGREEABLE = ("import threading\n\n\nclass Agreeable:\n"
              "    def __add__(self, other):\n        return self\n"
              "    def __eq__(self, other):\n        return True\n"
              "    __hash__ = object.__hash__\n")


def test_a_count_that_is_no_number_is_a_wrong_count(tmp_path: Path) -> None:
    folder = _starter(tmp_path, "data_race", "shop.py", {
        "import threading\n": _AGREEABLE, "self.count = 0": "self.count = Agreeable()"})
    outcome = run_check("data_race", "no_lost_updates", folder, BRIEF)
    assert not outcome.passed and outcome.bug_class == "wrong count", outcome.message()
    assert "not a number" in outcome.message()


def test_a_racy_kitchen_tallying_in_floats_still_loses_updates(tmp_path: Path) -> None:
    folder = _starter(tmp_path, "mutex", "kitchen.py", {"self.served = 0": "self.served = 0.0",
                                                         "with self.lock:": "if True:"})
    outcome = run_check("mutex", "exact_tally", folder, BRIEF)
    assert not outcome.passed and outcome.bug_class in ("lost update", "wrong dish count"), (
        outcome.message())
