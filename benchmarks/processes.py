"""How fast the engine finds the protocol deadlocks of controlled processes and MPI ranks.

Not a test: it measures and prints. For each buggy program of
``tests/engine/programs/ipc_protocols.py`` and ``mpi_protocols.py``: on which schedule the
failure is found and how long the first failing run takes alone (its replay), over several
seeds, and the whole exploration (search, shrinking, report). For each correct program: the
schedules per second over 200 schedules (and that none failed).

Usage::

    python benchmarks/processes.py            # about a minute on 2 idle cores
    python benchmarks/processes.py --seeds 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT))

from graders.engine import Processes, Settings, explore, mpiexec  # noqa: E402

PROGRAMS = KIT / "tests" / "engine" / "programs"
IPC, MPI = "ipc_protocols.py", "mpi_protocols.py"

BUGGY: list[tuple[str, str, int | None, dict[str, int]]] = [
    (IPC, "recv_recv", None, {}), (IPC, "send_send", None, {"pipe_capacity": 0}),
    (IPC, "join_then_recv", None, {}), (IPC, "queue_join_then_get", None, {}),
    (IPC, "missing_stop", None, {}), (IPC, "eof_never_comes", None, {}),
    (IPC, "unlocked_counter", None, {}),
    (MPI, "head_to_head", 2, {}), (MPI, "both_receive", 2, {}),
    (MPI, "bcast_only_at_root", 3, {}), (MPI, "barrier_skipped", 3, {}),
    (MPI, "manager_fixed_order", 4, {}),
]
CORRECT: list[tuple[str, str, int | None]] = [
    (IPC, "pingpong", None), (IPC, "with_stop", None), (IPC, "locked_counter", None),
    (MPI, "ordered_exchange", 2), (MPI, "spmd_sum", 4), (MPI, "manager_any_order", 4),
]


def _run(file: str, function: str, size: int | None, settings: Settings,
         options: dict[str, int]) -> tuple[Any, float]:
    def entry(module: Any) -> object:
        target = getattr(module, function)
        return mpiexec(target, size) if size else target()

    start = time.perf_counter()
    result = explore(entry, [PROGRAMS / file], settings,
                     processes=Processes(mpi=size is not None, **options))
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print("| program | found on schedule (per seed) | the failing run alone | whole exploration |")
    print("|---|---|---|---|")
    for file, function, size, options in BUGGY:
        found, alone, whole = [], [], []
        for seed in range(args.seeds):
            result, seconds = _run(file, function, size, Settings(seed=seed), options)
            assert result.failure is not None, f"{function}: not found with seed {seed}"
            found.append(result.failure.schedule)
            whole.append(seconds)
            _, replay = _run(file, function, size,
                             Settings(replay=result.failure.token, shrink=False), options)
            alone.append(replay)
        print(f"| {function} | {', '.join(map(str, found))} | "
              f"{statistics.median(alone) * 1000:.0f} ms | "
              f"{statistics.median(whole) * 1000:.0f} ms |")
    print()
    print("| correct program | schedules | failures | schedules per second |")
    print("|---|---|---|---|")
    for file, function, size in CORRECT:
        result, seconds = _run(file, function, size, Settings(schedules=200), {})
        print(f"| {function} | {result.schedules_run} | {0 if result.ok else 1} | "
              f"{result.schedules_run / seconds:.0f} |")


if __name__ == "__main__":
    main()
