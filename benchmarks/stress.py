"""Run one benchmark program again and again on real threads, without the engine.

Prints one JSON line per run (``{"run": i, "ok": bool, "why": ...}``) and flushes it, so the
parent (run.py) can tell a hung run (a deadlock or livelock on real threads) by silence and
kill this process. Each run loads the program fresh, so module-level state starts anew.

    python benchmarks/stress.py benchmarks/programs/racy_counter.py --runs 200 --switch 1e-6
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "adapters"))

from programs import Program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("program")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--switch", type=float, default=None,
                        help="sys.setswitchinterval value (default: leave the interpreter's)")
    parser.add_argument("--cap", type=float, default=10.0, help="stop after this many seconds")
    args = parser.parse_args()
    if args.switch is not None:
        sys.setswitchinterval(args.switch)
    program = Program(args.program)
    escaped: list[str] = []

    def hook(info: threading.ExceptHookArgs) -> None:
        escaped.append(f"{info.thread.name if info.thread else '?'} raised "
                       f"{info.exc_type.__name__}: {info.exc_value}")

    threading.excepthook = hook
    start = time.perf_counter()
    for i in range(1, args.runs + 1):
        escaped.clear()
        why = None
        try:
            program.load(reimport_libraries=False).main()
        except BaseException as exc:
            why = f"{type(exc).__name__}: {exc}"
        if why is None and escaped:
            why = escaped[0]
        print(json.dumps({"run": i, "ok": why is None, "why": why}), flush=True)
        if why is not None or time.perf_counter() - start > args.cap:
            break


if __name__ == "__main__":
    main()
