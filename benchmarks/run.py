"""The engine's benchmark: how fast and how surely it finds the bugs in benchmarks/programs/.

Not a test: it measures and prints, and writes a markdown table (and the raw figures as JSON
beside it). What it measures, per program:

* our engine with the default portfolio and the default budget (200 schedules), over several
  seeds: found or not, schedules and seconds to the first failure, schedules per second;
* false alarms of the engine in 1,000 schedules of each correct program;
* the time to a deadlock verdict, for the whole exploration and for the one deadlocking run;
* the engine's overhead per traced instruction, against plain execution;
* plain real-thread stress (no engine), with the default switch interval and with
  ``sys.setswitchinterval(1e-6)``;
* other engines from PyPI, each in a throwaway venv under /tmp: frontrun (DPOR and its random
  strategy) and interleave-test (on Python 3.12+), through thin adapters in
  benchmarks/adapters/.

Usage::

    python benchmarks/run.py                 # the full benchmark (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick         # a few programs, small budgets (under a minute)
    python benchmarks/run.py --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import platform
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watching import watching  # (beside this file: a script's folder is on sys.path)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROGRAMS = HERE / "programs"
ADAPTERS = HERE / "adapters"
sys.path.insert(0, str(ROOT))

PY = platform.python_version()

#: Every benchmark program: (file stem, expected verdict), None for a correct program.
#: The expected verdict names the engine's bug class that counts as "found".
CATALOG: dict[str, tuple[str, ...] | None] = {
    "racy_counter": ("assertion",),
    "racy_counter_tmp": ("assertion",),
    "check_then_act": ("assertion",),
    "lock_per_thread": ("assertion",),
    "lock_read_only": ("assertion",),
    "philosophers_3": ("deadlock",),
    "philosophers_5": ("deadlock",),
    "recursive_lock": ("self-deadlock",),
    "abandoned_lock": ("deadlock",),
    "if_not_while": ("exception", "assertion"),
    "homemade_barrier": ("livelock", "assertion"),
    "semaphore_order": ("deadlock",),
    "rwlock_check_outside": ("assertion",),
    "event_clear_race": ("deadlock",),
    "condition_no_predicate": ("deadlock",),
    "polite_philosophers": ("livelock",),
    "sleep_not_join": ("assertion",),
    "fib_alternation": ("assertion",),
    "condition_notify_one": ("deadlock",),
    "stalled_writer": ("assertion",),
    "exec_counter": ("assertion",),
    "counter_lock": None,
    "philosophers_ordered": None,
    "rwlock_fair": None,
    "queue_producer_consumer": None,
    "condition_while": None,
    "barrier": None,
    "threadpool_map": None,
    "spin_while_main_sleeps": None,
}
QUICK = ["racy_counter", "check_then_act", "philosophers_3", "semaphore_order",
         "counter_lock", "condition_while"]
DEADLOCKS = {"philosophers_3", "philosophers_5", "semaphore_order", "abandoned_lock",
             "recursive_lock", "event_clear_race", "condition_no_predicate",
             "condition_notify_one"}

TOOLS_DIR = Path("/tmp/concurrency-kit-bench")
FRONTRUN_SPEC = "frontrun==0.7.0"
INTERLEAVE_SPEC = "interleave-test"
RWLOCK_SPEC = "readerwriterlock==1.0.10"


@dataclass
class Config:
    quick: bool
    seeds: list[int]
    budget: int
    alarm_schedules: int
    stress_runs: int
    stress_cap: float
    hang_after: float
    tool_seeds: list[int]
    tool_alarm_budget: int
    tool_timeout: float
    programs: list[str]


def config(quick: bool, only: list[str] | None) -> Config:
    programs = only or (QUICK if quick else list(CATALOG))
    if quick:
        return Config(True, [0, 1, 2], 200, 200, 50, 1.0, 2.0, [0], 100, 2.0, programs)
    return Config(False, [0, 1, 2, 3, 4], 200, 1000, 200, 4.0, 2.0, [0, 1, 2, 3, 4], 500, 5.0,
                  programs)


def say(*parts: object) -> None:
    print(*parts, flush=True)


def docstring(name: str) -> str:
    tree = ast.parse((PROGRAMS / f"{name}.py").read_text())
    return (ast.get_docstring(tree) or "").strip().splitlines()[0]


# ---------------------------------------------------------------------------- our engine
@contextlib.contextmanager
def counting_steps() -> Iterator[list[int]]:
    """Count the scheduling points of every run the engine makes."""
    totals = [0, 0]

    def count(strategy: Any, run: Any) -> None:
        totals[0] += run.steps
        totals[1] += 1

    with watching(count):
        yield totals


def engine_program(name: str, cfg: Config) -> dict[str, Any]:
    from graders.engine import Settings, explore_target

    target = f"{PROGRAMS / name}.py:main"
    expected = CATALOG[name]
    out: dict[str, Any] = {"program": name, "python": PY, "buggy": expected is not None}
    if expected is None:
        with counting_steps() as steps:
            r = explore_target(target, Settings(schedules=cfg.alarm_schedules, seed=0))
        out["alarm"] = {
            "schedules": r.schedules_run, "seconds": r.seconds, "seed": 0,
            "false_alarms": 0 if r.failure is None else 1,
            "first": None if r.failure is None else {
                "schedule": r.failure.schedule, "bug_class": str(r.failure.bug_class),
                "message": r.failure.message, "token": r.failure.token},
            "steps_per_schedule": steps[0] / max(steps[1], 1),
        }
        out["rate"] = r.schedules_run / r.seconds
        out["steps"] = out["alarm"]["steps_per_schedule"]
        return out
    seeds = []
    total_runs = total_steps = 0
    total_seconds = 0.0
    for seed in cfg.seeds:
        with counting_steps() as steps:
            r = explore_target(target, Settings(schedules=cfg.budget, seed=seed, shrink=False))
        total_runs += steps[1]
        total_steps += steps[0]
        total_seconds += r.seconds
        f = r.failure
        row: dict[str, Any] = {"seed": seed, "schedules_run": r.schedules_run,
                               "seconds": r.seconds, "found": False}
        if f is not None:
            cls = str(f.bug_class)
            row.update(found=cls in expected, bug_class=cls, schedule=f.schedule,
                       token=f.token, message=f.message.splitlines()[0][:140])
            # A deadlock found by the chase of a lock-order cycle comes after the whole
            # budget ran without one: at the chase's schedule, not among the first.
            row["verdict_at"] = r.schedules_run if r.chased is not None else f.schedule
        seeds.append(row)
    out["seeds"] = seeds
    out["rate"] = total_runs / total_seconds if total_seconds else 0.0
    out["steps"] = total_steps / max(total_runs, 1)
    first = next((s for s in seeds if s["found"]), None)
    if first is not None:
        out["replay"] = {"seed": first["seed"], "token": first["token"], "python": PY}
    if name in DEADLOCKS and first is not None:
        out["deadlock_run_ms"] = deadlock_run_ms(target, first["token"])
    return out


def deadlock_run_ms(target: str, token: str, repeat: int = 15) -> float:
    """Median wall time of the one run that deadlocks, from its start to the verdict."""
    from graders.engine import Settings, explore_target

    times = []
    for _ in range(repeat):
        r = explore_target(target, Settings(replay=token, shrink=False))
        times.append(r.seconds)
    return statistics.median(times) * 1000


OTHER_PYTHONS = ("3.12.1", "3.13.0")


def other_pythons(cfg: Config) -> dict[str, Any]:
    """The engine suite (3 seeds, 200-schedule false-alarm runs) under other CPythons."""
    out: dict[str, Any] = {}
    for version in OTHER_PYTHONS:
        base = os.path.expanduser(f"~/.pyenv/versions/{version}/bin/python")
        if version == PY or not Path(base).exists():
            continue
        py, why = ensure_venv(f"kit-{version}", base, [RWLOCK_SPEC])
        if py is None:
            out[version] = {"unavailable": why}
            continue
        target = TOOLS_DIR / f"engine-{version}.json"
        cmd = [str(py), str(HERE / "run.py"), "--engine-json", str(target),
               "--only", *cfg.programs]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
        if done.returncode != 0 or not target.exists():
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            out[version] = {"unavailable": tail[:160]}
            continue
        out[version] = json.loads(target.read_text())
        say(f"  engine on Python {version}: {time.perf_counter() - t0:.0f}s")
    return out


def engine_suite(cfg: Config) -> dict[str, Any]:
    results = {}
    for name in cfg.programs:
        t0 = time.perf_counter()
        results[name] = engine_program(name, cfg)
        say(f"  engine  {name:<24} {time.perf_counter() - t0:6.1f}s  {summary(results[name])}")
    return {"python": PY, "programs": results}


def summary(res: dict[str, Any]) -> str:
    if not res["buggy"]:
        a = res["alarm"]
        return f"false alarms {a['false_alarms']} in {a['schedules']}, {res['rate']:.0f} sched/s"
    found = sum(s["found"] for s in res["seeds"])
    at = [s["verdict_at"] for s in res["seeds"] if s["found"]]
    med = statistics.median(at) if at else None
    return f"found {found}/{len(res['seeds'])}, median schedule {med}, {res['rate']:.0f} sched/s"


# ---------------------------------------------------------------------------- overhead
def overhead(n: int = 20_000, repeat: int = 5) -> dict[str, Any]:
    """ns per traced instruction: the loop workload under the engine vs. plain execution."""
    from graders.engine import Settings, explore

    sys.path.insert(0, str(ADAPTERS))
    from programs import Program

    path = HERE / "workloads" / "loop.py"
    program = Program(path)

    def plain(k: int) -> float:
        module = program.load(reimport_libraries=False)
        t = time.perf_counter()
        module.main(k)
        return time.perf_counter() - t

    def under_trace(k: int) -> tuple[float, int]:
        module = program.load(reimport_libraries=False)
        count = [0]
        code = module.main.__code__

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "opcode":
                count[0] += 1
            return local

        def global_(frame: Any, event: str, arg: Any) -> Any:
            if frame.f_code is code:
                frame.f_trace_opcodes = True
                frame.f_trace_lines = False
                return local
            return None

        t = time.perf_counter()
        sys.settrace(global_)
        try:
            module.main(k)
        finally:
            sys.settrace(None)
        return time.perf_counter() - t, count[0]

    def engine(k: int) -> tuple[float, int]:
        settings = Settings(schedules=1, strategy="sequential", max_steps=10**8,
                            lock_order=False, shrink=False)
        with counting_steps() as steps:
            t = time.perf_counter()
            r = explore(lambda m: m.main(k), [path], settings)
            elapsed = time.perf_counter() - t
        assert r.failure is None, r.report()
        return elapsed, steps[0]

    best: dict[str, float] = {}
    for _ in range(repeat):
        for label, fn in (("plain", plain), ("plain0", lambda: plain(0))):
            t = fn(n) if label == "plain" else fn()
            best[label] = min(best.get(label, 1e9), t)
        t, instructions = under_trace(n)
        best["trace"] = min(best.get("trace", 1e9), t)
        t0, _ = under_trace(0)
        best["trace0"] = min(best.get("trace0", 1e9), t0)
        t, points = engine(n)
        best["engine"] = min(best.get("engine", 1e9), t)
        t0, points0 = engine(0)
        best["engine0"] = min(best.get("engine0", 1e9), t0)
    plain_s = best["plain"] - best["plain0"]
    trace_s = best["trace"] - best["trace0"]
    engine_s = best["engine"] - best["engine0"]
    points -= points0
    return {
        "python": PY, "iterations": n, "instructions": instructions,
        "scheduling_points": points,
        "plain_ns_per_instruction": plain_s / instructions * 1e9,
        "settrace_ns_per_instruction": trace_s / instructions * 1e9,
        "engine_ns_per_instruction": engine_s / instructions * 1e9,
        "engine_overhead_ns_per_instruction": (engine_s - plain_s) / instructions * 1e9,
        "engine_ns_per_scheduling_point": engine_s / max(points, 1) * 1e9,
        "engine_fixed_ms_per_schedule": best["engine0"] * 1000,
        "slowdown": engine_s / plain_s if plain_s > 0 else float("inf"),
    }


# ---------------------------------------------------------------------------- stress
def stress(name: str, switch: float | None, cfg: Config) -> dict[str, Any]:
    """Run the program on real threads in a subprocess until it fails, hangs or the cap."""
    cmd = [sys.executable, str(HERE / "stress.py"), str(PROGRAMS / f"{name}.py"),
           "--runs", str(cfg.stress_runs), "--cap", str(cfg.stress_cap)]
    if switch is not None:
        cmd += ["--switch", repr(switch)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    last: dict[str, Any] = {"run": 0, "ok": True}
    out: dict[str, Any] = {"python": PY, "switch": switch}
    while True:
        try:
            line = lines.get(timeout=cfg.hang_after)
        except queue.Empty:
            os.killpg(proc.pid, signal.SIGKILL)
            out.update(failed=True, runs=last["run"] + 1, why="hung (deadlock or livelock)")
            break
        if line is None:
            out.update(failed=not last["ok"], runs=last["run"], why=last.get("why"))
            break
        with contextlib.suppress(ValueError):
            last = json.loads(line)
    proc.wait()
    out["seconds"] = time.perf_counter() - t0
    return out


def stress_suite(cfg: Config) -> dict[str, Any]:
    results = {}
    for name in cfg.programs:
        row = {"default": stress(name, None, cfg), "tiny": stress(name, 1e-6, cfg)}
        results[name] = row
        say(f"  stress  {name:<24} default: {stress_text(row['default'], cfg)};"
            f" 1e-6: {stress_text(row['tiny'], cfg)}")
    return {"python": PY, "programs": results, "runs": cfg.stress_runs, "cap": cfg.stress_cap}


def stress_text(r: dict[str, Any], cfg: Config) -> str:
    if r["failed"]:
        hung = "hung" if str(r.get("why", "")).startswith("hung") else "failed"
        return f"{hung} at run {r['runs']}"
    return f"0 in {r['runs']}"


# ---------------------------------------------------------------------------- other tools
def ensure_venv(name: str, python: str, packages: list[str]) -> tuple[Path | None, str]:
    """A throwaway venv under /tmp with ``packages``; (its python, '') or (None, why not)."""
    if not shutil.which(python) and not Path(python).exists():
        return None, f"{python} not found"
    venv = TOOLS_DIR / name
    py = venv / "bin" / "python"
    stamp = venv / "installed.txt"
    if stamp.exists() and stamp.read_text() == " ".join(packages):
        return py, ""
    say(f"  installing {' '.join(packages)} into {venv}")
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"venv failed: {made.stderr.strip()[-200:]}"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", *packages],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        return None, f"pip install failed: {pip.stderr.strip().splitlines()[-1:]}"
    stamp.write_text(" ".join(packages))
    return py, ""


def run_adapter(cmd: list[str], limit: float) -> list[dict[str, Any]]:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, cwd=ROOT,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        return [{"found": False, "kind": "tool-timeout",
                 "explanation": f"no answer within {limit:g}s"}]
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
    if not rows:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        rows.append({"found": False, "kind": "tool-error", "explanation": tail[:160]})
    return rows


def tools_suite(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    py311 = sys.executable
    fr_py, why = ensure_venv(f"frontrun-{platform.python_version()}", py311,
                             [FRONTRUN_SPEC, RWLOCK_SPEC])
    il_base = os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python")
    if sys.version_info >= (3, 12):
        il_base = sys.executable
    il_py, il_why = ensure_venv("interleave-test-3.12", il_base, [INTERLEAVE_SPEC, RWLOCK_SPEC])
    tools = {}
    if fr_py is not None:
        frontrun_cli = str(fr_py.parent / "frontrun")
        adapter = str(ADAPTERS / "frontrun_adapter.py")
        # frontrun.explore() asks to run under its CLI wrapper ("frontrun python ...").
        tools["frontrun-dpor"] = lambda name, budget, seeds, adapter=adapter: [
            frontrun_cli, "python", adapter, str(PROGRAMS / f"{name}.py"), "--strategy", "dpor",
            "--budget", str(budget)]
        tools["frontrun-random"] = lambda name, budget, seeds, adapter=adapter: [
            frontrun_cli, "python", adapter, str(PROGRAMS / f"{name}.py"), "--strategy",
            "random", "--budget", str(budget), "--seeds", *map(str, seeds)]
    else:
        out["frontrun-dpor"] = out["frontrun-random"] = {"unavailable": why}
    if il_py is not None:
        adapter = str(ADAPTERS / "interleave_adapter.py")
        tools["interleave-test"] = lambda name, budget, seeds, adapter=adapter: [
            str(il_py), adapter, str(PROGRAMS / f"{name}.py"), "--strategy", "random",
            "--budget", str(budget), "--timeout", str(cfg.tool_timeout),
            "--seeds", *map(str, seeds)]
    else:
        out["interleave-test"] = {"unavailable": il_why}
    for tool, make in tools.items():
        results = {}
        for name in cfg.programs:
            buggy = CATALOG[name] is not None
            seeds = cfg.tool_seeds if buggy else cfg.tool_seeds[:1]
            budget = cfg.budget if buggy else cfg.tool_alarm_budget
            limit = 30 + len(seeds) * (cfg.tool_timeout * 3 + budget * 0.05)
            t0 = time.perf_counter()
            rows = run_adapter(make(name, budget, seeds), limit)
            results[name] = {"rows": rows, "budget": budget,
                             "wall": time.perf_counter() - t0}
            say(f"  {tool:<15} {name:<24} {time.perf_counter() - t0:6.1f}s  "
                f"{tool_text(results[name], buggy)}")
        out[tool] = {"programs": results,
                     "tool": next((r["tool"] for p in results.values() for r in p["rows"]
                                   if "tool" in r), tool),
                     "python": next((r["python"] for p in results.values() for r in p["rows"]
                                     if "python" in r), "?")}
    return out


def tool_text(res: dict[str, Any], buggy: bool) -> str:
    rows = res["rows"]
    if rows and rows[0].get("expressible") is False:
        return "cannot express: " + rows[0]["why"]
    errors = [r for r in rows if r.get("kind") in ("tool-error", "tool-timeout", "inconclusive")]
    found = [r for r in rows if r.get("found")]
    if buggy:
        text = f"found {len(found)}/{len(rows)}"
        if found:
            text += f", median {statistics.median(r['executions'] for r in found):g} executions"
    else:
        text = f"false alarms {len(found)}"
        if rows and "executions" in rows[0]:
            text += f" in {rows[0]['executions']}"
    if errors:
        text += f"; {len(errors)} {errors[0]['kind']}: {errors[0].get('explanation', '')[:70]}"
    return text


# ---------------------------------------------------------------------------- report
def fmt(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def engine_cells(res: dict[str, Any]) -> tuple[str, str, str, str]:
    """found, schedules to first failure (median), seconds (median), schedules/s."""
    if not res["buggy"]:
        return ("–", "–", "–", fmt(res["rate"]))
    seeds = res["seeds"]
    found = [s for s in seeds if s["found"]]
    at = [s["verdict_at"] for s in found]
    secs = [s["seconds"] for s in found]
    classes = sorted({s["bug_class"] for s in found})
    f = f"{len(found)}/{len(seeds)} ({', '.join(classes)})" if found else f"0/{len(seeds)}"
    spread = f" [{min(at)}–{max(at)}]" if at else ""
    return (f, (fmt(statistics.median(at), 0 if len(at) % 2 else 1) + spread) if at else "–",
            fmt(statistics.median(secs) if secs else None, 3), fmt(res["rate"]))


def tool_cells(tool: dict[str, Any] | None, name: str) -> str:
    if tool is None:
        return "not run"
    if "unavailable" in tool:
        return "unavailable"
    res = tool["programs"].get(name)
    if res is None:
        return "not run"
    rows = res["rows"]
    buggy = CATALOG[name] is not None
    if rows and rows[0].get("expressible") is False:
        return "cannot express†"
    problems = [r for r in rows if r.get("kind") in ("tool-error", "tool-timeout",
                                                      "inconclusive")]
    found = [r for r in rows if r.get("found")]
    if buggy:
        if not found:
            if problems:
                return f"0/{len(rows)} ({problems[0]['kind']})"
            return f"0/{len(rows)}"
        med = statistics.median(r["executions"] for r in found)
        secs = statistics.median(r["seconds"] for r in found)
        text = f"{len(found)}/{len(rows)}, {med:g} ex, {secs:.2f}s"
        if problems:
            text += f" ({len(problems)} {problems[0]['kind']})"
        return text
    row = rows[0]
    if row.get("kind") in ("tool-error", "tool-timeout", "inconclusive"):
        return f"{row['kind']}"
    rate = row["executions"] / row["seconds"] if row.get("seconds") else 0
    alarms = "0 alarms" if not row.get("found") else f"ALARM ({row.get('kind')})"
    return f"{alarms} in {row['executions']}, {rate:.0f}/s"


def tool_rate(tool: dict[str, Any] | None) -> float | None:
    """Median executions per second over the correct programs the tool ran to the end."""
    if tool is None or "programs" not in tool:
        return None
    rates = []
    for name, res in tool["programs"].items():
        if CATALOG[name] is not None:
            continue
        for r in res["rows"]:
            if r.get("expressible") is False or r.get("kind") or not r.get("seconds"):
                continue
            rates.append(r["executions"] / r["seconds"])
    return statistics.median(rates) if rates else None


def stress_cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "not run"
    if r["failed"]:
        how = "hang" if str(r.get("why", "")).startswith("hung") else "fail"
        return f"{how} @ run {r['runs']}"
    return f"0 in {r['runs']} ({r['seconds']:.1f}s)"


def targets(data: dict[str, Any]) -> list[tuple[str, bool, str]]:
    eng = data["engine"]["programs"]
    buggy = [r for r in eng.values() if r["buggy"]]
    correct = [r for r in eng.values() if not r["buggy"]]
    rows = []
    missed = [r["program"] for r in buggy if not all(s["found"] for s in r["seeds"])]
    rows.append(("every bug found within the default budget (200 schedules), every seed",
                 not missed, "all found" if not missed else "missed: " + ", ".join(missed)))
    slow = []
    for r in buggy:
        at = [s["verdict_at"] for s in r["seeds"] if s["found"]]
        if at and statistics.median(at) > 5:
            slow.append(f"{r['program']} ({statistics.median(at):g})")
    rows.append(("median <= 5 schedules to the first failure", not slow,
                 "met on every program" if not slow else "over 5: " + ", ".join(slow)))
    alarms = [r["program"] for r in correct if r["alarm"]["false_alarms"]]
    n = correct[0]["alarm"]["schedules"] if correct else 0
    rows.append((f"0 false alarms ({n} schedules per correct program)", not alarms,
                 "none" if not alarms else "alarms on " + ", ".join(alarms)))
    near = [r for r in eng.values() if 50 <= r["steps"] <= 200 and not r["buggy"]]
    rates = [r["rate"] for r in near]
    med_rate = statistics.median(rates) if rates else None
    rows.append((">= 1,000 schedules/s on programs of ~100 steps", bool(
        med_rate and med_rate >= 1000), f"median {fmt(med_rate)} schedules/s over "
        f"{len(near)} correct programs of 50–200 steps" if rates else "no such program"))
    ours = statistics.median(r["rate"] for r in correct) if correct else None
    fr = tool_rate(data.get("tools", {}).get("frontrun-dpor"))
    fr_random = tool_rate(data.get("tools", {}).get("frontrun-random"))
    best_fr = max([x for x in (fr, fr_random) if x], default=None)
    if ours and best_fr:
        rows.append(("at least twice frontrun's schedules/s", ours >= 2 * best_fr,
                     f"ours {ours:,.0f}/s (median, correct programs) vs frontrun "
                     f"{best_fr:,.0f}/s (best of DPOR {fmt(fr)}, random {fmt(fr_random)}): "
                     f"{ours / best_fr:.1f}x"))
    dl = [(r["program"], r["deadlock_run_ms"]) for r in eng.values() if "deadlock_run_ms" in r]
    phil = [r for r in eng.values() if r["program"].startswith("philosophers_") and r["buggy"]]
    explore_ms = []
    for r in phil:
        secs = [s["seconds"] for s in r["seeds"] if s["found"]]
        if secs:
            explore_ms.append((r["program"], statistics.median(secs) * 1000))
    if dl:
        worst = max(ms for _, ms in dl)
        rows.append(("a deadlock verdict in < 50 ms (the deadlocking run)", worst < 50,
                     "; ".join(f"{p} {ms:.1f} ms" for p, ms in dl)))
    if explore_ms:
        worst = max(ms for _, ms in explore_ms)
        rows.append(("a deadlock verdict in < 50 ms (whole exploration, philosophers)",
                     worst < 50, "; ".join(f"{p} {ms:,.0f} ms (median)" for p, ms in explore_ms)))
    return rows


COLUMNS = """\
* **expected**: the bug the program has (its docstring), or *correct*.
* **found (seeds)**: in how many of the seeds the engine, with the default portfolio and the
  default budget of 200 schedules, reported the program, and under which bug class. A
  deadlock that no schedule of the budget showed, while the lock-order graph had a cycle,
  is hunted after the budget by a search aimed at that cycle (runs of `contend`).
* **schedules to 1st failure**: the 1-based index of the schedule whose run failed, median
  over the seeds [min–max]. For a deadlock the chase found, the budget and its runs.
* **s to 1st failure**: wall seconds of the exploration up to and including the failing
  schedule (shrinking off), median over the seeds that found it.
* **schedules/s**: schedules explored per wall second (for a correct program, over its
  false-alarm run; for a buggy one, over all its seeds' runs, which are short, so fixed costs
  weigh more). **steps**: the engine's scheduling points per schedule, on average.
* **false alarms**: failures the engine reported on a correct program in the false-alarm
  run (it stops at the first, so 1 means "at least one").
* **stress**: the program run again and again on real threads, without any engine, in a
  subprocess (load fresh, run `main`, check); "fail @ run k" is the first failing run, "hang
  @ run k" a run that made no progress for the hang timeout (a deadlock or livelock), "0 in
  N" no failure in N runs (runs stop at the time cap). *default* keeps the interpreter's
  switch interval (5 ms); *1e-6* calls `sys.setswitchinterval(1e-6)` first.
* **frontrun DPOR / random, interleave-test**: the same program under that tool through the
  adapters in `benchmarks/adapters/`, budget 200 executions for a buggy program (random
  strategies: over the same number of seeds; DPOR is deterministic, one run) and 500 for
  a correct one; "k/n, e ex, s" = found in k of n explorations, median executions and
  seconds to the failure. *inconclusive* (frontrun) and *hang* are the tools' own verdicts
  when a run did not finish within their per-run timeout. † *cannot express*: the program
  does not fit the tool's `explore(setup, workers, invariant)` shape (see the adapters).
"""


def markdown(data: dict[str, Any], cfg: Config, command: str, seconds: float) -> str:
    eng = data["engine"]["programs"]
    stress_res = data.get("stress", {}).get("programs", {})
    tools = data.get("tools", {})
    fr_d, fr_r, il = (tools.get(k) for k in ("frontrun-dpor", "frontrun-random",
                                              "interleave-test"))
    ver = {k: (v.get("tool", k), v.get("python", "?")) for k, v in tools.items()
           if isinstance(v, dict) and "programs" in v}
    lines = ["# Engine benchmark", ""]
    lines.append(f"Generated by `{command}` in {seconds / 60:.1f} minutes"
                 f"{' (quick mode: a subset, small budgets)' if cfg.quick else ''}.")
    lines.append("")
    lines.append("## Machine")
    lines.append("")
    m = data["machine"]
    lines.append(f"* `nproc`: {m['nproc']}; CPU: {m['cpu']}; OS: {m['os']}")
    lines.append(f"* engine and stress figures: Python {m['python']} ({m['implementation']})")
    for key, (tool, py) in ver.items():
        lines.append(f"* {key}: {tool} on Python {py}, in a throwaway venv under {TOOLS_DIR}")
    for key, v in tools.items():
        if isinstance(v, dict) and "unavailable" in v:
            lines.append(f"* {key}: unavailable ({v['unavailable']})")
    lines.append("")
    lines.append("## Commands")
    lines.append("")
    lines.append("```bash")
    lines.append("python benchmarks/run.py --out docs/benchmarks.md          # full, ~10 min")
    lines.append("python benchmarks/run.py --quick --out /tmp/quick.md       # ~1 min")
    lines.append("python benchmarks/run.py --only racy_counter philosophers_3  # some programs")
    lines.append("```")
    lines.append("")
    lines.append("`--no-tools` skips frontrun and interleave-test; `--no-stress` skips the "
                 "real-thread runs. The other tools are installed on first use with pip into "
                 f"venvs under `{TOOLS_DIR}` ({FRONTRUN_SPEC}, {INTERLEAVE_SPEC}), never into "
                 "the project's environment. Raw figures, with the Python version of each, "
                 "are written beside the markdown as JSON.")
    lines.append("")
    lines.append("## Results")
    lines.append("")
    head = ("| program | expected | found (seeds) | schedules to 1st failure | s to 1st failure "
            "| false alarms | schedules/s | steps | stress default | stress 1e-6 "
            "| frontrun DPOR | frontrun random | interleave-test |")
    lines.append(head)
    lines.append("|" + "|".join(["---"] * (head.count("|") - 1)) + "|")
    for name in cfg.programs:
        r = eng[name]
        found, at, secs, rate = engine_cells(r)
        expected = docstring(name).split(":", 1)
        what = expected[1].strip() if expected[0] in ("Buggy", "Correct") else docstring(name)
        what = "correct" if not r["buggy"] else what
        alarms = "–" if r["buggy"] else (
            f"{r['alarm']['false_alarms']} in {r['alarm']['schedules']}")
        s = stress_res.get(name, {})
        lines.append(
            f"| `{name}` | {what} | {found} | {at} | {secs} | {alarms} | {rate} "
            f"| {r['steps']:.0f} | {stress_cell(s.get('default'))} "
            f"| {stress_cell(s.get('tiny'))} | {tool_cells(fr_d, name)} "
            f"| {tool_cells(fr_r, name)} | {tool_cells(il, name)} |")
    lines.append("")
    lines.append(f"Engine: Python {data['engine']['python']}, seeds "
                 f"{', '.join(map(str, cfg.seeds))}, budget {cfg.budget}, "
                 f"false-alarm run {cfg.alarm_schedules} schedules (seed 0). Stress: Python "
                 f"{PY}, at most {cfg.stress_runs} runs or {cfg.stress_cap:g} s per program "
                 f"and setting, hang timeout {cfg.hang_after:g} s.")
    lines.append("")
    lines.append("### What the columns mean")
    lines.append("")
    lines.append(COLUMNS)
    lines.append("### Deadlock verdicts")
    lines.append("")
    lines.append("| program | median s to the verdict (exploration) | the deadlocking run alone "
                 "(ms, median of 15 replays) | frontrun DPOR |")
    lines.append("|---|---|---|---|")
    for name in cfg.programs:
        r = eng[name]
        if name not in DEADLOCKS:
            continue
        secs = [s["seconds"] for s in r["seeds"] if s["found"]]
        run_ms = r.get("deadlock_run_ms")
        lines.append(f"| `{name}` | {fmt(statistics.median(secs) if secs else None, 3)} "
                     f"| {fmt(run_ms, 1)} | {tool_cells(fr_d, name)} |")
    lines.append("")
    others = {v: r for v, r in data.get("other_pythons", {}).items() if "programs" in r}
    if others:
        lines.append("### The engine on other Python versions")
        lines.append("")
        lines.append("Seeds 0, 1, 2, budget 200; correct programs: false alarms in 200 "
                     "schedules (seed 0). Schedules differ between versions (the bytecode "
                     "does), so the figures do too.")
        lines.append("")
        vers = sorted(others)
        lines.append("| program | " + " | ".join(
            f"{v}: found, median schedules | {v}: schedules/s" for v in vers) + " |")
        lines.append("|---|" + "---|---|" * len(vers))
        for name in cfg.programs:
            cells = []
            for v in vers:
                r = others[v]["programs"].get(name)
                if r is None:
                    cells += ["–", "–"]
                    continue
                found, at, _secs, rate = engine_cells(r)
                if not r["buggy"]:
                    found = (f"{r['alarm']['false_alarms']} alarms in "
                             f"{r['alarm']['schedules']}")
                    at = ""
                cells += [f"{found} {at}".strip(), rate]
            lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
        for v, r in data.get("other_pythons", {}).items():
            if "unavailable" in r:
                lines.append(f"\nPython {v}: unavailable ({r['unavailable']}).")
        lines.append("")
    ov = data.get("overhead")
    if ov:
        lines.append("### Overhead per traced instruction")
        lines.append("")
        lines.append(
            f"Workload `benchmarks/workloads/loop.py`: one thread, a loop of "
            f"{ov['iterations']:,} iterations of `total = total + i` on a global "
            f"({ov['instructions']:,} bytecode instructions, {ov['scheduling_points']:,} of "
            f"them scheduling points); best of 5, the cost of an empty loop subtracted; "
            f"Python {ov['python']}.")
        lines.append("")
        lines.append("| measure | ns per instruction |")
        lines.append("|---|---|")
        lines.append(f"| plain execution | {ov['plain_ns_per_instruction']:.1f} |")
        lines.append(f"| `sys.settrace` with an empty opcode tracer (the floor of any "
                     f"settrace-based tool) | {ov['settrace_ns_per_instruction']:.1f} |")
        lines.append(f"| under the engine (one schedule) | {ov['engine_ns_per_instruction']:.1f} |")
        lines.append(f"| engine overhead (engine − plain) | "
                     f"{ov['engine_overhead_ns_per_instruction']:.1f} |")
        lines.append("")
        lines.append(f"That is {ov['engine_ns_per_scheduling_point']:,.0f} ns per scheduling "
                     f"point, a {ov['slowdown']:.0f}x slowdown of the loop, plus a fixed "
                     f"{ov['engine_fixed_ms_per_schedule']:.2f} ms per schedule (loading the "
                     f"program, starting its thread) measured with 0 iterations.")
        lines.append("")
    lines.append("### Replayable seeds")
    lines.append("")
    lines.append("Each found bug replays from its seed (the whole exploration) or from its "
                 "token (the one schedule, shrinking off), on the same Python version:")
    lines.append("")
    lines.append("| program | Python | seed | token |")
    lines.append("|---|---|---|---|")
    for name in cfg.programs:
        rp = eng[name].get("replay")
        if rp:
            tok = rp["token"] if len(rp["token"]) <= 60 else rp["token"][:57] + "..."
            lines.append(f"| `{name}` | {rp['python']} | {rp['seed']} | `{tok}` |")
    lines.append("")
    lines.append("```python")
    lines.append("from graders.engine import Settings, explore_target")
    lines.append('explore_target("benchmarks/programs/NAME.py:main", Settings(seed=SEED))'
                 "        # the exploration")
    lines.append('explore_target("benchmarks/programs/NAME.py:main", Settings(replay=TOKEN))'
                 "     # the run")
    lines.append("```")
    lines.append("")
    lines.append("(The JSON file beside this one has the full tokens.)")
    lines.append("")
    lines.append("## Targets")
    lines.append("")
    lines.append("| target | met | figures |")
    lines.append("|---|---|---|")
    rows = targets(data)
    for what, ok, fig in rows:
        lines.append(f"| {what} | {'yes' if ok else '**no**'} | {fig} |")
    lines.append("")
    misses = [r for r in rows if not r[1]]
    if misses:
        lines.append("## Where we miss the targets")
        lines.append("")
        for what, _ok, fig in misses:
            lines.append(f"* **{what}**: {fig}. {WHY.get(what.split(' (')[0], '')}".rstrip())
        lines.append("")
    lines.append(NOTES)
    return "\n".join(lines) + "\n"


#: Everything from this line on in the markdown file is the engine's history, written by
#: hand as each change was measured; a new run rewrites only what comes before it.
HISTORY = "<!-- history: written by hand; benchmarks/run.py keeps it as it is -->"


def write_keeping_history(out: Path, text: str) -> None:
    """Write the generated ``text`` to ``out``, with the hand-written history the file
    already holds after :data:`HISTORY` kept below it."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    kept = old[old.index(HISTORY):] if HISTORY in old else ""
    out.write_text(text + ("\n" + kept if kept else ""), encoding="utf-8")


#: Why a target is missed, by target (the causes, found by profiling and by reading the run
#: logs; they do not depend on the exact figures).
WHY: dict[str, str] = {
    "every bug found within the default budget": (
        "*polite_philosophers*: its livelock lasts only while the two philosophers stay in "
        "step forever. By design the engine hands unfair strategies to a random walk a "
        "quarter of the way into the step budget, and PCT drops a woken sleeper below "
        "everyone, so that polling with a back-off is not called a livelock; a random walk "
        "breaks the symmetry and the run ends. Lockstep (which is kept) never puts them in "
        "step: `main` starts philosopher-0 several steps before philosopher-1, so under "
        "round-robin philosopher-0 holds both forks before philosopher-1 takes its first "
        "(seen in the run's event log). A fix, if the course wants this verdict: start "
        "lockstep's round-robin only once every started thread has reached its first "
        "synchronisation operation. On real threads this program never livelocked either. "
        "*if_not_while* and *event_clear_race*: a seed or two misses them in 200 schedules "
        "(see the next item)."),
    "median <= 5 schedules to the first failure": (
        "The slow ones need switches at two to four precise points: lost wake-ups and `if` "
        "around `wait` (a switch in the narrow gap after a notify, a set or a release), "
        "and the programs added for issue 13 on purpose (*fib_alternation*: exact "
        "alternation four times over; *condition_notify_one*: one condition variable "
        "shared by producers and consumers; *stalled_writer*: a writer descheduled for "
        "twenty of the reader's naps; *polite_philosophers*, started without a gate, "
        "livelocked by state). The portfolio's `sync` and `handoff` slots aim their "
        "switches at those points and the random walk may stall a thread, so each is "
        "found by every seed within the budget; but each strategy has one schedule in "
        "six, so the median lands past 5."),
    ">= 1,000 schedules/s on programs of ~100 steps": (
        "The hand-offs between controlled threads no longer cost the operating system "
        "anything (they are greenlet switches on one OS thread, 0.85 µs a round trip), "
        "so a schedule's time is its CPU: the tracer's call before every instruction of "
        "the code under test on 3.11 (`sys.monitoring` on 3.12+), `Run.yield_point` and "
        "`_pick` at each scheduling point, the strategy's choice at each decision, and per "
        "run the program's fresh load, its threads' set-up and the explorer's two hand-offs "
        "to the run's OS thread. Where each goes, and what was cut, is in "
        "docs/engine-profile.md (`python benchmarks/speed.py --profile`)."),
    "at least twice frontrun's schedules/s": (
        "frontrun's random strategy runs 110–200 executions/s here (its DPOR about 33/s, "
        "interleave-test on 3.12 about 40/s). On 3.11 we are 1.3x (the readerwriterlock "
        "and queue programs, whose library code is long) to 2.6x faster than frontrun's "
        "random strategy, 4–12x faster than its DPOR; on 3.12/3.13, where the engine uses "
        "`sys.monitoring`, about twice the 3.11 rate (the table above). The causes of our "
        "cost are in the previous item."),
}
NOTES = """## Notes on the other tools

* **frontrun 0.7.0** needs its CLI wrapper (`frontrun python ...`), which the benchmark uses.
  Its API is `explore(setup, workers, invariant)`: the adapter (`benchmarks/adapters/split.py`)
  runs `main` on a helper thread, records the threads it starts and pauses it at its first
  `join`; the recorded targets become the workers and the invariant lets `main` finish its
  assertions. Two programs do not fit that shape (marked †): `threadpool_map` (its threads
  are started by `ThreadPoolExecutor`) and `sleep_not_join` (`main` reads the result before
  joining). Its DPOR strategy timed out (*inconclusive*, after its 5 s per-run timeout) on
  every program that waits on a `Condition`, an `Event` or a `Semaphore`, correct ones
  included; the same happens with a plain frontrun test written from its README (workers on a
  `threading.Condition`), so it is not the adapter. Its random strategy handles conditions
  but reports the event/semaphore deadlocks as *inconclusive* (`max_ops` exhausted).
* **interleave-test 0.1.0** (Python 3.12+) takes a function that starts and joins its own
  threads, like ours, so the adapter only loads the program fresh inside the model. It has no
  livelock verdict: the home-made barrier is reported as a hang after its per-schedule wall
  timeout (set to 5 s here; its default is 30 s). It missed the five-philosopher deadlock and
  `if_not_while` in 200 schedules.
* **Real threads** found only the deterministic hangs (a self-deadlock, an abandoned lock)
  and, with a 1 µs switch interval, now and then a deadlock after tens to hundreds of runs
  (which ones changes from run to run: see the stress columns): every data race stayed
  hidden in 200 runs.
"""


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "os": platform.platform(terse=True),
            "python": PY, "implementation": platform.python_implementation()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few programs, small budgets")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"),
                        help="where to write the markdown (JSON goes beside it)")
    parser.add_argument("--only", nargs="+", choices=list(CATALOG), help="these programs only")
    parser.add_argument("--no-tools", action="store_true", help="skip frontrun, interleave-test")
    parser.add_argument("--no-stress", action="store_true", help="skip the real-thread runs")
    parser.add_argument("--no-other-pythons", action="store_true",
                        help="skip the engine runs under CPython 3.12 and 3.13")
    parser.add_argument("--from-json", metavar="FILE",
                        help="measure nothing: write the markdown again from a JSON file")
    parser.add_argument("--engine-json", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_json:
        cfg = config(True, args.only or list(CATALOG))
        Path(args.engine_json).write_text(json.dumps(engine_suite(cfg), default=str))
        return
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        cfg = Config(**data["config"])
        text = markdown(data, cfg, data.get("command", "python benchmarks/run.py"),
                        data["seconds"])
        write_keeping_history(Path(args.out), text)
        say(text)
        return
    cfg = config(args.quick, args.only)
    command = "python benchmarks/run.py" + "".join(
        f" {a}" for a in sys.argv[1:])
    start = time.perf_counter()
    data: dict[str, Any] = {"machine": machine(), "config": cfg.__dict__}
    say(f"Engine, Python {PY}: {len(cfg.programs)} programs, seeds {cfg.seeds}")
    data["engine"] = engine_suite(cfg)
    if not args.no_other_pythons:
        say("Engine on other Python versions (3 seeds, 200-schedule false-alarm runs)")
        data["other_pythons"] = other_pythons(cfg)
    say("Overhead per traced instruction")
    data["overhead"] = overhead()
    ov = data["overhead"]
    say(f"  {ov['engine_overhead_ns_per_instruction']:.0f} ns/instruction over plain "
        f"{ov['plain_ns_per_instruction']:.1f} ns; settrace floor "
        f"{ov['settrace_ns_per_instruction']:.0f} ns")
    if not args.no_stress:
        say("Real-thread stress")
        data["stress"] = stress_suite(cfg)
    if not args.no_tools:
        say("Other tools")
        data["tools"] = tools_suite(cfg)
    seconds = time.perf_counter() - start
    data["seconds"] = seconds
    data["command"] = command
    text = markdown(data, cfg, command, seconds)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_keeping_history(out, text)
    out.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str))
    say("")
    say(text)
    say(f"Wrote {out} and {out.with_suffix('.json')} in {seconds:.0f}s")


if __name__ == "__main__":
    main()
