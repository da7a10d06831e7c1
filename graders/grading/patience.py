"""When a check has run too long, judged by what the machine gave it, not by the clock.

A wall-clock limit fails correct code on a loaded machine: at a load of 20 on two cores a
check that needs 8 s of CPU takes over a minute. So the supervisor stops a check when

* its processes have used the check's CPU budget (an endless loop: it burns CPU), or
* none of them has used any CPU for ``idle`` seconds (blocked on something that never comes:
  a runnable process gets CPU time on any loaded machine, a blocked one gets none), or
* a wall-clock *backstop*, many times the budget, has passed (code that wakes now and then
  but never finishes); only that one depends on the load, and only far beyond it.

The CPU time is read from ``/proc`` (:func:`graders.childproc.proctable.cpu_seconds`) for
the check's processes, with what the supervisor reaped added by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: CPU time (s) a tree must use within the idle window to count as working.
WORKING = 0.02


@dataclass
class Patience:
    """Watches one check; :meth:`over` says why it should stop (or None)."""

    cpu_budget: float        # CPU seconds of the check's processes
    idle: float              # wall seconds in which they used no CPU
    backstop: float          # wall seconds, whatever they did
    start: float             # when the check started (time.monotonic())
    _busy_at: float = field(init=False)
    _busy_cpu: float = field(init=False, default=0.0)
    used: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._busy_at = self.start

    def over(self, now: float, cpu: float) -> str | None:
        """``"cpu"``, ``"idle"`` or ``"backstop"`` once the check should stop; ``cpu`` is the
        CPU time its processes have used so far."""
        self.used = max(self.used, cpu)
        if self.used - self._busy_cpu >= WORKING:
            self._busy_at, self._busy_cpu = now, self.used
        if self.used >= self.cpu_budget:
            return "cpu"
        if now - self._busy_at >= self.idle:
            return "idle"
        if now - self.start >= self.backstop:
            return "backstop"
        return None
