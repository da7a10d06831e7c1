"""Same code and seed, same report; and every failure's token replays to the same report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graders.engine import BugClass, Settings, decode, explore_target

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]

#: (target, settings, the bug class it must show)
FAILING = [
    ("lost_update.py:main", {}, BugClass.ASSERTION),
    ("check_then_act.py:main", {}, BugClass.ASSERTION),
    ("philosophers.py:main", {}, BugClass.DEADLOCK),
    ("self_deadlock.py:in_worker", {}, BugClass.SELF_DEADLOCK),
    ("if_not_while.py:main", {}, BugClass.EXCEPTION),
    ("sleep_not_lock.py:main", {}, BugClass.ASSERTION),
    ("worker_errors.py:main", {}, BugClass.EXCEPTION),
    ("cannot_exit.py:main", {}, BugClass.CANNOT_EXIT),
    ("cannot_exit.py:spinner_never_stops", {"strategy": "random", "max_steps": 2000},
     BugClass.CANNOT_EXIT),
    ("handoff.py:forgotten_waiter", {"strategy": "random"}, BugClass.SELF_DEADLOCK),
    ("endless.py:main", {"max_steps": 2000}, BugClass.LIVELOCK),
    ("starvation.py:main", {"strategy": "random", "starvation_bound": 2}, BugClass.STARVATION),
    ("lock_order.py:concurrent", {"schedules": 1, "strategy": "sequential"},
     BugClass.DEADLOCK),
    ("lucky_draw.py:main", {}, BugClass.EXCEPTION),
    ("alternation.py:main", {"strategy": "handoff"}, BugClass.ASSERTION),
]
IDS = [f"{t.split(':')[0][:-3]}-{t.split(':')[1]}" for t, _, _ in FAILING]


def body(report: str) -> list[str]:
    """The report without its second line, which says how the failure was found."""
    lines = report.splitlines()
    return lines[:1] + lines[2:]


@pytest.mark.parametrize(("target", "settings", "bug"), FAILING, ids=IDS)
def test_same_seed_same_report(kit, target, settings, bug):
    first = kit.explore(target, seed=7, **settings)
    second = kit.explore(target, seed=7, **settings)
    assert first.failure is not None and first.failure.bug_class == bug, first.report()
    assert second.report() == first.report()
    assert second.schedules_run == first.schedules_run


@pytest.mark.parametrize(("target", "settings", "bug"), FAILING, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_replay_round_trip(kit, target, settings, bug, seed):
    found = kit.explore(target, seed=seed, **settings)
    assert found.failure is not None, f"no failure to replay in {found.schedules_run} runs"
    assert found.failure.bug_class == bug
    token = found.failure.token
    decode(token)    # a token the Settings accept
    replayed = kit.explore(target, replay=token, **settings)
    assert replayed.failure is not None, f"replaying {token} found nothing"
    assert replayed.failure.bug_class == bug
    assert replayed.failure.token == token
    assert replayed.schedules_run == 1
    assert body(replayed.report()) == body(found.report())
    assert replayed.report().splitlines()[1].startswith(f"Found by replaying schedule {token}")
    # A replay is a replay: twice the same.
    again = kit.explore(target, replay=token, **settings)
    assert again.report() == replayed.report()


def test_a_passing_exploration_reports_the_same_summary(kit):
    a = kit.explore("check_then_act.py:fixed", schedules=30, seed=3)
    b = kit.explore("check_then_act.py:fixed", schedules=30, seed=3)
    assert a.ok and b.ok
    assert a.report() == b.report() == "No failure in 30 schedules, seed 3, Python {}.".format(
        f"{sys.version_info.major}.{sys.version_info.minor}")


def test_different_seeds_explore_differently(kit):
    """The seed matters: not every seed finds the lost update on the same schedule."""
    found_on = {kit.explore("lost_update.py:main", seed=s).failure.schedule for s in range(6)}
    assert len(found_on) > 1


_CHILD = """
import sys
from graders.engine import Settings, explore_target
result = explore_target(sys.argv[1], Settings(seed=5))
sys.stdout.write(result.report())
"""


@pytest.mark.parametrize("target", ["philosophers.py:main", "lost_update.py:main"])
def test_same_report_in_fresh_processes_with_different_hash_seeds(kit, target):
    """Nothing in a report depends on object addresses or string hashing."""
    reports = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        child = subprocess.run([sys.executable, "-c", _CHILD, kit.spec(target)], env=env,
                               capture_output=True, text=True, timeout=50, check=False)
        assert child.returncode == 0, child.stderr
        reports.append(child.stdout)
    assert reports[0] == reports[1]
    assert reports[0] == kit.explore(target, seed=5).report()


def test_replay_needs_neither_seed_nor_strategy(kit):
    found = kit.explore("philosophers.py:main", seed=2, strategy="random")
    token = found.failure.token
    replayed = explore_target(kit.spec("philosophers.py:main"),
                              Settings(replay=token, seed=99, strategy="pct"))
    assert body(replayed.report()) == body(found.report())


@pytest.mark.parametrize("token", ["", "12", "1.2.3-x", "banana", "random.", "3.1 4.0"])
def test_a_malformed_token_is_refused_up_front(token):
    with pytest.raises(ValueError, match="not a schedule token"):
        Settings(replay=token)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("target", "settings", "bug"), FAILING, ids=IDS)
def test_replay_round_trip_over_many_seeds(kit, target, settings, bug):
    """The quick round trip above, over ten more seeds (found schedules, shrinking and
    tokens all differ from seed to seed)."""
    for seed in range(2, 12):
        found = kit.explore(target, seed=seed, **settings)
        assert found.failure is not None and found.failure.bug_class == bug, (seed, found.report())
        replayed = kit.explore(target, replay=found.failure.token, **settings)
        assert replayed.failure is not None, (seed, found.failure.token)
        assert body(replayed.report()) == body(found.report()), (seed, found.failure.token)


def test_the_last_failure_is_tried_first(kit):
    found = kit.explore("philosophers.py:main", seed=4)
    again = kit.explore("philosophers.py:main", seed=4, first=found.failure.token)
    assert again.schedules_run == 1
    assert again.failure.bug_class == BugClass.DEADLOCK
    assert again.failure.details == found.failure.details
    assert "(This is the schedule that failed last time; it was tried first.)" in again.notes


@pytest.mark.parametrize("first", ["default", "not a token"])
def test_a_remembered_schedule_that_passes_or_is_garbage_changes_nothing(kit, first):
    plain = kit.explore("lost_update.py:main", seed=4)
    primed = kit.explore("lost_update.py:main", seed=4, first=first)
    assert body(primed.report()) == body(plain.report())


def _runs_made(kit: object, draw: bool) -> tuple[int, int]:
    """Two threads add under a lock, with the portfolio: (runs made, schedules counted)."""
    import random
    import threading

    made = []

    def entry() -> None:
        if draw:
            random.random()
        made.append(1)
        lock, total = threading.Lock(), [0]

        def add() -> None:
            for _ in range(3):
                with lock:
                    total[0] += 1

        threads = [threading.Thread(target=add) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    from graders.engine import explore
    result = explore(entry, [], Settings(schedules=120))
    assert result.ok, result.report()
    return len(made), result.schedules_run


def test_a_run_known_to_repeat_an_earlier_one_is_not_made_again(kit):
    # The lockstep and contend strategies choose without their seed; with no random number
    # drawn, their second run with the same key would be the first one again.
    made, counted = _runs_made(kit, draw=False)
    assert counted == 120 and made < 110
    # A program that draws gets other numbers in every run: each run is made.
    assert _runs_made(kit, draw=True) == (120, 120)


def test_a_program_that_leaves_no_choice_is_explored_once(kit):
    from graders.engine import explore

    result = explore(lambda: sum(range(10)), [], Settings(schedules=50))
    assert result.ok and result.schedules_run == 1 and result.complete
    assert "never left the scheduler a choice" in result.report()
    # Drawing a random number: another run may draw another one, so every run is made.
    import random
    drawn = explore(lambda: random.random(), [], Settings(schedules=50))
    assert drawn.ok and drawn.schedules_run == 50 and not drawn.complete


def test_a_declared_scenario_lets_its_repeats_go_unmade(kit):
    """A check that draws its day through draw_scenario: a later run with the key and the
    day of an earlier one ends at the draw; with one more draw of the program's own, every
    run is made."""
    import random
    import threading

    from graders.engine import draw_scenario, explore

    def runs(extra_draw: bool) -> list[int]:
        days: list[int] = []

        def entry() -> None:
            day = draw_scenario(lambda: random.Random(random.getrandbits(32)).choice((1, 2)))
            if extra_draw:
                random.random()
            days.append(day)
            threads = [threading.Thread(target=len, args=((),)) for _ in range(day + 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

        result = explore(entry, [], Settings(schedules=120))
        assert result.ok and result.schedules_run == 120, result.report()
        return days

    declared, undeclared = runs(False), runs(True)
    assert len(undeclared) == 120 and set(undeclared) == {1, 2}
    assert len(declared) < 110 and set(declared) == {1, 2}


def test_the_strategies_draw_the_numbers_randrange_draws():
    """The strategies' own ``randrange`` (compiled, without random.py's Python calls) gives
    the very numbers ``random.Random.randrange`` gives, so that seeds and replay tokens
    mean the same schedules as they did with it."""
    import random

    from graders.engine.strategies import _below

    for seed in range(50):
        ours, theirs = random.Random(seed), random.Random(seed)
        for n in (1, 2, 3, 5, 7, 8, 64, 1000, 2**40 + 3):
            assert [_below(ours, n) for _ in range(20)] == [
                theirs.randrange(n) for _ in range(20)]
