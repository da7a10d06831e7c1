"""A probe watches a function wherever the submission keeps it, not only under its name.

A check that wraps ``bake`` by assigning ``module.bake`` never sees a call made through a
default argument (``def bake_two_trays(loaves, bake=bake)``), a dict or a
``functools.partial``: correct code then failed thread_lifecycle's checks for trays the
probe never saw baked, and mutex's starter with ``prepare_dish`` kept in a dict scored 3 of
4, its lock around the slow work unseen. Each solution below keeps the probed functions in
such places and must pass every check; the starter must fail as the plain starter does."""

from __future__ import annotations

from pathlib import Path

import pytest
from topic_copies import edited_copy

from graders.catalog import topic
from graders.checking import run_topic
from graders.engine import Settings

BRIEF = Settings(schedules=30)

#: topic, file, and the edits that make its functions keep the probed ones as defaults.
CASES = {
    "thread_lifecycle": ("bakery.py", {
        "def bake_one_tray(loaves):": "def bake_one_tray(loaves, bake=bake):",
        "def bake_two_trays(loaves):": "def bake_two_trays(loaves, bake=bake):",
        "def bake_batches(batches, loaves):": "def bake_batches(batches, loaves, bake=bake):"}),
    "producer_consumer": ("bakery.py", {
        "def baker(rack, me, loaves):": "def baker(rack, me, loaves, bake=bake):",
        "def packer(rack, me):": "def packer(rack, me, pack=pack):",
        "def run_bakery(bakers, packers, loaves, rack_size):":
            "def run_bakery(bakers, packers, loaves, rack_size, baker=baker, packer=packer):"}),
    "reader_writer": ("planner.py", {
        "    def meetings_on(self, day):": "    def meetings_on(self, day, read_day=read_day):",
        "    def book(self, day, meeting):":
            "    def book(self, day, meeting, read_day=read_day, write_day=write_day):"}),
    "try_lock": ("tally.py", {"def clerk(board, box):":
                              "def clerk(board, box, read_ballot=read_ballot):"}),
    "mutex": ("kitchen.py", {"    def cook(self, dishes):":
                             "    def cook(self, dishes, prepare_dish=prepare_dish):"}),
}


#: topic, file, and edits that call the probed functions through a dict or a partial.
HIDDEN = {
    "thread_lifecycle": ("bakery.py", {
        "def bake_one_tray(loaves):": "_OVEN = {'bake': bake}\n\n\ndef bake_one_tray(loaves):",
        "target=bake,": "target=_OVEN['bake'],"}),
    "mutex": ("kitchen.py", {
        "class Kitchen:": "_TOOLS = {'prep': prepare_dish}\n\n\nclass Kitchen:",
        "prepare_dish(threading.current_thread().name)":
            "_TOOLS['prep'](threading.current_thread().name)"}),
    "reader_writer": ("planner.py", {
        "import threading": "import functools\nimport threading",
        "    def meetings_on(self, day):":
            "    def meetings_on(self, day, read_day=functools.partial(read_day)):"}),
}


#: every case above, as "where/topic"
SOLUTIONS = {**{f"default/{t}": v for t, v in CASES.items()},
             **{f"container/{t}": v for t, v in HIDDEN.items()}}


@pytest.mark.parametrize("case", sorted(SOLUTIONS))
def test_a_solution_keeping_the_probed_functions_elsewhere_passes(
        tmp_path: Path, case: str) -> None:
    file, edits = SOLUTIONS[case]
    name = case.split("/")[1]
    folder = edited_copy(tmp_path, "solutions", name, file, edits)
    failed = [o.message() for o in run_topic(topic(name), folder, BRIEF) if not o.passed]
    assert not failed, failed


def test_a_starter_calling_the_probed_function_through_a_dict_fails_as_the_starter(
        tmp_path: Path) -> None:
    file, edits = HIDDEN["mutex"]
    hidden = edited_copy(tmp_path / "hidden", "exercises", "mutex", file, edits)
    plain = edited_copy(tmp_path / "plain", "exercises", "mutex", file, {})

    assert _failing(hidden) == _failing(plain) != []


#: the starter's slow work under the lock, done by other code than prepare_dish: a probe on
#: prepare_dish never sees it, the engine sees a time.sleep() under the lock.
ELSEWHERE = {
    "helper": {"class Kitchen:": "def _chop(cook):\n    time.sleep(0.05)\n\n\nclass Kitchen:",
               "prepare_dish(threading.current_thread().name)":
                   "_chop(threading.current_thread().name)"},
    "lambda": {"class Kitchen:": "_PREP = lambda cook: time.sleep(0.05)\n\n\nclass Kitchen:",
               "prepare_dish(threading.current_thread().name)":
                   "_PREP(threading.current_thread().name)"},
}


@pytest.mark.parametrize("how", sorted(ELSEWHERE))
def test_slow_work_under_the_lock_outside_the_probed_function_fails_as_the_starter(
        tmp_path: Path, how: str) -> None:
    hidden = edited_copy(tmp_path / "hidden", "exercises", "mutex", "kitchen.py",
                         ELSEWHERE[how])
    plain = edited_copy(tmp_path / "plain", "exercises", "mutex", "kitchen.py", {})

    assert _failing(hidden) == _failing(plain) != []


def _failing(folder: Path) -> list[str]:
    """The mutex checks that fail on ``folder``."""
    return [o.check for o in run_topic(topic("mutex"), folder, BRIEF) if not o.passed]
