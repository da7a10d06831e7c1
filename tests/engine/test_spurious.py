"""Spurious wake-ups (Settings.spurious_wakeups), and the steps_taken, naps and
timed_out_idle probes.

A spurious wake-up is one more decision of the schedule: Condition.wait() returns with no
notify, as POSIX allows. It is off unless asked for, replays from its token, never turns a
lost wake-up into anything but a deadlock, and never fails a waiter that looks again in a
`while`. steps_taken() tells a thread that blocks while it waits from one that keeps looking;
timed_out_idle() names a waiter that only its timeout got going again; naps() counts the
time.sleep() naps of a thread that pauses between looks, however long its pause.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from graders.engine import (
    BugClass,
    Settings,
    explore,
    label,
    most_asleep,
    naps,
    slept_holding,
    steps_taken,
    timed_out_idle,
)

pytestmark = pytest.mark.timeout(60)


def test_an_if_around_wait_passes_without_spurious_wakeups(kit):
    result = kit.explore("spurious.py:main", schedules=150)
    assert result.ok, result.report()


def test_a_spurious_wakeup_breaks_an_if_around_wait_and_replays(kit):
    found = kit.explore("spurious.py:main", spurious_wakeups=1, seed=3)
    assert found.failure is not None and found.failure.bug_class == BugClass.ASSERTION
    assert "spurious wake-up" in found.failure.interleaving
    again = kit.explore("spurious.py:main", spurious_wakeups=1,
                        replay=found.failure.token)
    assert again.failure is not None and again.failure.bug_class == BugClass.ASSERTION
    assert again.failure.interleaving == found.failure.interleaving


@pytest.mark.parametrize("strategy", ["portfolio", "random", "pct"])
def test_a_while_around_wait_survives_spurious_wakeups(kit, strategy):
    result = kit.explore("spurious.py:fixed", strategy=strategy, spurious_wakeups=3,
                         schedules=150)
    assert result.ok, result.report()


def test_a_lost_wakeup_stays_a_deadlock(kit):
    found = kit.explore("spurious.py:lost_wakeup", spurious_wakeups=5, schedules=20)
    assert found.failure is not None and found.failure.bug_class == BugClass.DEADLOCK


def test_a_spinning_thread_takes_steps_and_a_waiting_one_does_not(kit):
    seen: list[dict[str, int]] = []

    def entry(module: Any) -> None:
        threads = [threading.Thread(target=module.spinner, name="spinner"),
                   threading.Thread(target=module.sleeper, name="sleeper")]
        for t in threads:
            t.start()
        time.sleep(0.5)
        before = steps_taken()
        time.sleep(1.0)
        after = steps_taken()
        seen.append({name: after[name] - before[name] for name in ("spinner", "sleeper")})
        module.spinning[0] = False
        with module.cond:
            module.ready.append(1)
            module.cond.notify_all()
        for t in threads:
            t.join()

    result = explore(entry, [kit.programs / "spurious.py"],
                     Settings(schedules=1, strategy="sequential"))
    assert result.ok, result.report()
    assert seen[0]["sleeper"] == 0
    assert seen[0]["spinner"] > 100


def _timed_waiter(notify: bool) -> tuple[list[list[str]], Any]:
    """A waiter in wait(timeout=1) for a flag main sets (and notifies, if ``notify``)."""
    seen: list[list[str]] = []

    def entry(module: Any) -> None:
        cond, ready = threading.Condition(), []

        def waiter() -> None:
            with cond:
                while not ready:
                    cond.wait(timeout=1.0)

        t = threading.Thread(target=waiter, name="waiter")
        t.start()
        with cond:
            ready.append(1)
            if notify:
                cond.notify_all()
        t.join()
        seen.append(timed_out_idle())

    return seen, entry


@pytest.mark.parametrize("notify", [True, False])
def test_a_timeout_that_alone_lets_the_run_go_on_is_named(kit, notify):
    seen, entry = _timed_waiter(notify)
    result = explore(entry, [kit.programs / "spurious.py"], Settings(schedules=200))
    assert result.ok, result.report()
    rescued = [names for names in seen if names]
    if notify:      # a timeout may still run out while main is slow: never while it is idle
        assert not rescued
    else:           # the schedules where the waiter waited before main set the flag
        assert rescued and all(names == ["waiter"] for names in rescued)
        assert len(rescued) < len(seen)


def test_naps_count_the_sleeps_of_a_poller_and_see_it_asleep(kit):
    seen: list[dict[str, tuple[int, bool]]] = []

    def entry(module: Any) -> None:
        cond, ready = threading.Condition(), []

        def poller() -> None:
            while not ready:
                time.sleep(5.0)           # a long pause between looks

        def waiter() -> None:
            with cond:
                while not ready:
                    cond.wait()

        threads = [threading.Thread(target=poller, name="poller"),
                   threading.Thread(target=waiter, name="waiter")]
        for t in threads:
            t.start()
        time.sleep(0.01)
        seen.append(naps())
        time.sleep(12.0)
        seen.append(naps())
        with cond:
            ready.append(1)
            cond.notify_all()
        for t in threads:
            t.join()

    result = explore(entry, [kit.programs / "spurious.py"],
                     Settings(schedules=1, strategy="sequential"))
    assert result.ok, result.report()
    first, later = seen
    assert first["poller"] == (1, True) and first["waiter"] == (0, False)
    assert later["poller"] == (3, True) and later["waiter"] == (0, False)


def test_sleeps_under_a_lock_and_side_by_side_are_seen_wherever_they_are(kit):
    seen: list[Any] = []

    def entry(module: Any) -> None:
        lock = label(threading.Lock(), "the stove")
        nap = lambda: time.sleep(0.5)          # noqa: E731 - slow work outside any def

        def under() -> None:
            with lock:
                nap()

        def beside() -> None:
            time.sleep(0.5)

        threads = [threading.Thread(target=under, name="under"),
                   threading.Thread(target=beside, name="beside")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seen.append((slept_holding(), most_asleep()))

    result = explore(entry, [kit.programs / "spurious.py"],
                     Settings(schedules=1, strategy="sequential"))
    assert result.ok, result.report()
    assert seen == [([("under", "the stove", 1)], 2)]


def test_steps_taken_needs_a_run():
    with pytest.raises(RuntimeError):
        steps_taken()


@pytest.mark.parametrize("when_idle", [False, True])
def test_timed_waits_run_out_only_when_nobody_can_run_if_asked(kit, when_idle):
    """Settings.timeouts_when_idle: while main works, a timed Condition.wait() does not run
    out (without it, some schedules let the clock pass and the waiter time out)."""
    timeouts: list[int] = []

    def entry(module: Any) -> None:
        cond, ready, work = threading.Condition(), [], []
        out = [0]

        def waiter() -> None:
            with cond:
                while not ready:
                    if not cond.wait(timeout=1.0):
                        out[0] += 1

        t = threading.Thread(target=waiter, name="waiter")
        t.start()
        for i in range(60):
            work.append(i)
        with cond:
            ready.append(1)
            cond.notify_all()
        t.join()
        timeouts.append(out[0])

    result = explore(entry, [kit.programs / "spurious.py"],
                     Settings(schedules=150, timeouts_when_idle=when_idle))
    assert result.ok, result.report()
    assert (max(timeouts) == 0) == when_idle

