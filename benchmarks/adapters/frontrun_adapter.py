"""Run one benchmark program under frontrun and print one JSON line per exploration.

Run it with an interpreter that has frontrun installed (run.py makes a throwaway venv)::

    python benchmarks/adapters/frontrun_adapter.py benchmarks/programs/racy_counter.py \
        --strategy dpor --budget 200
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
from split import NotExpressible, Split, probe


def explore_once(program: Program, n: int, strategy: str, budget: int,
                 seed: int | None) -> dict:
    import frontrun

    workers = [(lambda state, i=i: state.run_worker(i)) for i in range(n)]
    options: dict = {"strategy": strategy, "reproduce_on_failure": 0}
    if strategy == "dpor":
        options["max_executions"] = budget
    else:
        options["max_attempts"] = budget
        options["seed"] = seed
    start = time.perf_counter()
    result = frontrun.explore(setup=lambda: Split(program), workers=workers,
                              invariant=lambda s: s.finish(), **options)
    seconds = time.perf_counter() - start
    explanation = (result.explanation or "").strip()
    if result.property_holds is False:
        kind = "deadlock" if "eadlock" in explanation.split("\n")[0] else "invariant"
    elif result.property_holds is None:
        kind = "inconclusive"
    else:
        kind = None
    return {
        "found": result.property_holds is False,
        "kind": kind,
        "executions": result.num_explored,
        "seconds": seconds,
        "explanation": explanation.split("\n")[0][:160],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("program")
    parser.add_argument("--strategy", default="dpor", choices=["dpor", "random"])
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    args = parser.parse_args()
    program = Program(args.program)
    base = {"tool": f"frontrun {version('frontrun')}", "python": platform.python_version(),
            "program": program.name, "strategy": args.strategy, "budget": args.budget}
    try:
        n = probe(program)
    except NotExpressible as exc:
        print(json.dumps({**base, "expressible": False, "why": str(exc)}), flush=True)
        return
    seeds = args.seeds if args.strategy == "random" else [None]
    for seed in seeds:
        try:
            row = explore_once(program, n, args.strategy, args.budget, seed)
        except Exception as exc:
            row = {"found": False, "kind": "tool-error",
                   "explanation": f"{type(exc).__name__}: {exc}"[:160]}
        print(json.dumps({**base, "expressible": True, "seed": seed, "workers": n, **row}),
              flush=True)


if __name__ == "__main__":
    main()
