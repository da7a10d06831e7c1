"""A check's time is the CPU it used, not the clock: a loaded machine slows a correct check
down but never stops it; an endless loop, a blocked check and a check that trickles on for
ever are each stopped, for their own reason."""

from __future__ import annotations

from graders.grading.patience import Patience


def watch(cpu_per_second: float, seconds: int, budget: float = 30, idle: float = 10,
          backstop: float = 300) -> tuple[str | None, int]:
    """Feed a check using ``cpu_per_second`` of CPU each second; (why it stopped, when)."""
    p = Patience(budget, idle, backstop, start=0.0)
    for t in range(1, seconds + 1):
        why = p.over(float(t), cpu_per_second * t)
        if why:
            return why, t
    return None, seconds


def test_a_loaded_machine_never_stops_a_check_that_keeps_working() -> None:
    # 8 s of CPU at a twentieth of a core: 160 s on the clock, never stopped
    assert watch(0.05, 160) == (None, 160)


def test_an_endless_loop_is_stopped_when_it_has_used_its_cpu_budget() -> None:
    assert watch(1.0, 100) == ("cpu", 30)
    assert watch(0.5, 100) == ("cpu", 60)


def test_a_blocked_check_is_stopped_after_the_idle_window() -> None:
    assert watch(0.0, 100) == ("idle", 10)


def test_work_then_a_block_counts_the_idle_window_from_the_last_work() -> None:
    p = Patience(30, 10, 300, start=0.0)
    assert all(p.over(float(t), 0.5 * t) is None for t in range(1, 6))      # 2.5 s of CPU
    assert all(p.over(float(t), 2.5) is None for t in range(6, 15))
    assert p.over(15.0, 2.5) == "idle"


def test_a_check_that_trickles_on_for_ever_meets_the_backstop() -> None:
    # wakes for 0.03 s of CPU every 2 s: never idle, never near the budget
    p = Patience(30, 10, 300, start=0.0)
    why = None
    for t in range(1, 400):
        why = p.over(float(t), 0.03 * (t // 2))
        if why:
            break
    assert (why, t) == ("backstop", 300)
