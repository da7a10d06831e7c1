"""Resource limits for one submission, set in the child with ``resource.setrlimit``.

The parent decides the numbers (from the command line) and passes them to the child in its
configuration; the child applies them to itself before any student code runs, so every
process it forks inherits them. Each worker gets its own CPU budget after the fork.

``RLIMIT_NPROC`` is not used: Linux counts every thread of the user against it (the engine
runs real threads, and a busy instructor account has hundreds), and root ignores it. The
process cap is enforced by the child's audit hook and by the process-group sweeps of the
child and the parent instead (see :mod:`graders.grading.guard`).
"""

from __future__ import annotations

import resource
import signal
from dataclasses import asdict, dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are per check unless named otherwise."""

    timeout: float = 30.0          # CPU seconds for one check (graders.grading.patience)
    idle: float | None = None      # seconds in which a check's processes use no CPU at all
    backstop_factor: float = 10.0  # times ``timeout`` on the clock: stopped whatever it did
    memory_mb: int = 2048          # address space of each process
    max_processes: int = 16        # processes the submission may fork (per check)
    open_files: int = 256
    output_mb: int = 2             # largest file a process may write (captured output too)
    scratch_mb: int = 64           # the submission's writable folders, in all (namespaces)

    @property
    def cpu_seconds(self) -> int:
        """CPU limit of each process of a check: a little more than the check's budget, so
        the supervisor normally stops it first and leaves a thread dump."""
        return int(self.timeout) + 5

    @property
    def idle_seconds(self) -> float:
        """How long a check may use no CPU at all (blocked outside the engine): ``idle`` if
        set, else 10 s, or the CPU budget if that is shorter."""
        return self.idle if self.idle is not None else min(10.0, self.timeout)

    @property
    def backstop(self) -> float:
        """Wall-clock seconds after which a check stops whatever it did: far beyond what a
        correct check takes even on a heavily loaded machine."""
        return self.backstop_factor * self.timeout

    def submission_timeout(self, checks: int) -> float:
        """The parent's hard limit for a whole submission of ``checks`` checks."""
        return checks * (self.backstop + 5.0) + 30.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Limits:
        return cls(**data)  # type: ignore[arg-type]


def _set(which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def apply_process_limits(limits: Limits) -> None:
    """Limits every process of the submission inherits (called once, in the child)."""
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_AS, limits.memory_mb * MIB)
    _set(resource.RLIMIT_NOFILE, limits.open_files)
    _set(resource.RLIMIT_FSIZE, limits.output_mb * MIB)
    # Past the file-size limit a write fails with EFBIG instead of killing the process, so
    # endless printing ends as an OSError in the student's code.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def apply_check_cpu_limit(limits: Limits) -> None:
    """The CPU budget of one check (called in each worker right after the fork)."""
    _set(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 2)
