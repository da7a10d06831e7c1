"""Stalls: a seeded "this thread got no CPU for a while" in random-walk runs, so that a
program that waits a fixed time for another thread fails however long the wait is, and
correct programs are never held up for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.engine import BugClass, Settings, explore_target
from graders.engine.scheduler import Stall
from graders.engine.strategies import RandomWalk, draw_stall
from graders.engine.tokens import PYTHON, decode

pytestmark = pytest.mark.timeout(300)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks" / "programs"
WRITER = f"{BENCHMARKS / 'stalled_writer.py'}:main"


def _token(schedule: str) -> str:
    major, minor = PYTHON.split(".")
    return f"py{major}{minor}:{schedule}"


def test_a_writer_stalled_past_twenty_naps_is_found_with_the_default_settings():
    result = explore_target(WRITER, Settings())
    f = result.failure
    assert f is not None and f.bug_class == BugClass.ASSERTION, result.report()
    assert f.strategy == "random"
    assert "report taken before the writer finished" in f.message
    assert "In this schedule writer got no CPU while other threads' sleeps and timeouts " \
           "ended 2" in f.details
    # The token holds the stall, and replays it.
    stall = decode(f.token).strategy().stall
    assert stall is not None and stall.tid == 1 and stall.ticks >= 20
    replayed = explore_target(WRITER, Settings(replay=f.token))
    assert replayed.failure is not None, replayed.report()
    assert replayed.failure.message == f.message


def test_a_random_token_without_a_stall_replays_as_before():
    walk = decode(_token("random.2900541789")).strategy()
    assert isinstance(walk, RandomWalk) and walk.stall is None
    assert walk.token() == "random.2900541789"
    with pytest.raises(ValueError):
        decode(_token("random.1.2"))


def test_stalls_are_drawn_in_half_the_runs_and_leave_the_walk_alone():
    stalls = [draw_stall(seed) for seed in range(400)]
    drawn = [s for s in stalls if s is not None]
    assert 150 < len(drawn) < 250
    assert {s.tid for s in drawn} == {1, 2, 3}
    assert min(s.ticks for s in drawn) == 8 and max(s.ticks for s in drawn) == 1024
    assert sum(s.at == 0 for s in drawn) > len(drawn) / 3
    with_stall = RandomWalk.parse(["7", "1", "0", "64"])
    assert with_stall.stall == Stall(1, 0, 64)
    plain = RandomWalk(7)
    assert [with_stall.rng.random() for _ in range(5)] == [plain.rng.random() for _ in range(5)]


@pytest.mark.parametrize("scenario", ["spins_on_a_worker_with_nobody_asleep",
                                      "waits_for_the_worker_to_finish_after_a_nap",
                                      "joins_in_short_slices"])
@pytest.mark.parametrize("stall", ["1.0.1024", "1.1.1024", "1.2.8"])
def test_a_stall_delays_a_thread_and_never_halts_it(kit, scenario, stall):
    """A long stall of the only other thread: it ends when nobody else can go on, after
    STALL_STEPS steps with the clock standing still, or when someone joins the thread, and
    the program finishes."""
    result = kit.explore(f"virtual_time.py:{scenario}", replay=_token(f"random.5.{stall}"))
    assert result.failure is None, result.report()


@pytest.mark.parametrize("scenario", ["spins_on_a_worker_with_nobody_asleep",
                                      "waits_for_the_worker_to_finish_after_a_nap"])
def test_correct_programs_pass_every_run_of_the_mix_stalls_included(kit, scenario):
    result = kit.explore(f"virtual_time.py:{scenario}", schedules=100)
    assert result.ok, result.report()


def test_the_random_walk_asked_for_by_name_never_stalls():
    """Checks that judge fairness ask for the random walk by name: it stays fair."""
    result = explore_target(WRITER, Settings(strategy="random", schedules=200))
    assert result.ok, result.report()


def test_a_check_with_a_deadline_can_ask_for_no_stalls():
    """``stalls=False`` (a check that gives threads a deadline in virtual time to show what
    the code can do): the portfolio's walks never stall, so the stalled writer passes."""
    result = explore_target(WRITER, Settings(stalls=False))
    assert result.ok, result.report()
