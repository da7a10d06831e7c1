"""Run one benchmark program under interleave-test and print one JSON line per seed.

interleave-test needs Python 3.12+ (it is built on sys.monitoring); run it with an
interpreter that has it installed (run.py makes a throwaway venv)::

    python3.12 benchmarks/adapters/interleave_adapter.py benchmarks/programs/racy_counter.py \
        --strategy random --budget 200 --seeds 0 1 2

``concurrent.futures.thread`` is imported before exploring: imported lazily inside a run,
under the tool's patched ``threading``, it fails with an ImportError that the tool reports as
a failure of the program.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from programs import Program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("program")
    parser.add_argument("--strategy", default="random", choices=["random", "pct", "dfs"])
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="interleave-test's wall-clock limit per schedule")
    args = parser.parse_args()
    import concurrent.futures.thread  # noqa: F401 - imported before the tool patches

    import interleave_test as it

    program = Program(args.program)

    def model() -> None:
        # The whole program, module body included, runs inside the tool's model, so the
        # locks it makes at import are the tool's; main() starts and joins its own threads.
        program.load().main()

    model.__name__ = program.name
    base = {"tool": f"interleave-test {version('interleave-test')}",
            "python": platform.python_version(), "program": program.name,
            "strategy": args.strategy, "budget": args.budget, "expressible": True}
    for seed in args.seeds:
        start = time.perf_counter()
        try:
            result = it.explore(model, iterations=args.budget, seed=seed,
                                strategy=args.strategy, timeout=args.timeout,
                                raise_on_failure=False)
        except Exception as exc:
            row = {"found": False, "kind": "tool-error",
                   "explanation": f"{type(exc).__name__}: {exc}"[:160]}
        else:
            failure = result.failure
            row = {"found": failure is not None,
                   "kind": failure.kind if failure is not None else None,
                   "executions": result.schedules_run,
                   "explanation": (f"{type(failure.exception).__name__}: {failure.exception}"
                                   if failure is not None and failure.exception is not None
                                   else "")[:160]}
        row["seconds"] = time.perf_counter() - start
        print(json.dumps({**base, "seed": seed, **row}), flush=True)


if __name__ == "__main__":
    main()
