"""Judge a student's CPU scheduling simulator, in a child interpreter the check controls.

Not a topic: ``graders/checks/scheduling.py`` runs this file as a script (standard library
only) with a hard time budget, because a simulator under construction may loop forever. Each
call of the student's code also gets an alarm of a few seconds, so one endless loop is
reported as such and the other checks still run.

    python -P simulator_driver.py SIMULATOR.py SEED JOB_SETS RESULTS.jsonl

Writes one JSON line per check: ``{"check", "ok", "bug_class", "message", "details",
"runs"}``. The reference rules here are the ones the exercise's README states. A bug class is
written as its word in graders/bugclasses.py (this script imports nothing of the kit);
``run_check`` refuses any other.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import random
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

CALL_SECONDS = 5.0

RefJob = tuple[str, int, int, int]        # name, arrival, burst, priority


class Verdict(Exception):
    def __init__(self, bug_class: str, message: str, details: str = "", call: str = "") -> None:
        super().__init__(message)
        self.bug_class, self.message, self.details = bug_class, message, details
        self.call = call          # the call whose schedule broke a promise, if that is what


class EndlessLoop(Exception):
    pass


#: How many cases (schedules, reports, charts) the running check has tried so far.
tried = [0]


# ------------------------------------------------------------------ the reference rules
def _tie(jobs: Sequence[RefJob], i: int) -> tuple[int, int]:
    return jobs[i][1], i                     # earlier arrival first, then listed first


def reference(algorithm: str, jobs: Sequence[RefJob], **params: int | None) -> list[int | None]:
    """The job index that runs at each tick (None: idle), by the README's rules."""
    n = len(jobs)
    left = [b for _, _, b, _ in jobs]
    ticks: list[int | None] = []
    t = 0
    current: int | None = None
    used = 0
    queue: deque[int] = deque()               # round-robin, and multilevel's interactive
    batch: deque[int] = deque()               # multilevel's batch queue (FCFS)
    q = params.get("quantum") or 0
    aging = params.get("aging")

    def ready(now: int) -> list[int]:
        return [i for i in range(n) if jobs[i][1] <= now and left[i] > 0]

    while any(left):
        arrived = sorted((i for i in range(n) if jobs[i][1] == t), key=lambda i: _tie(jobs, i))
        if algorithm in ("fcfs", "sjn", "priority"):
            if current is None or left[current] == 0:
                current = None
                r = ready(t)
                if r:
                    if algorithm == "fcfs":
                        current = min(r, key=lambda i: _tie(jobs, i))
                    elif algorithm == "sjn":
                        current = min(r, key=lambda i: (jobs[i][2], *_tie(jobs, i)))
                    else:
                        def urgency(i: int, now: int = t) -> int:
                            p = jobs[i][3]
                            return p - (now - jobs[i][1]) // aging if aging else p
                        current = min(r, key=lambda i: (urgency(i), *_tie(jobs, i)))
        elif algorithm == "srt":
            r = ready(t)
            current = min(r, key=lambda i: (left[i], *_tie(jobs, i))) if r else None
        elif algorithm == "round_robin":
            queue.extend(arrived)
            if current is not None and (left[current] == 0 or used == q):
                if left[current]:
                    queue.append(current)
                current = None
            if current is None and queue:
                current, used = queue.popleft(), 0
        elif algorithm == "multilevel":
            for i in arrived:
                (queue if jobs[i][3] == 0 else batch).append(i)
            if current is not None and left[current] == 0:
                current = None
            if current is not None:
                if jobs[current][3] == 0 and used == q:
                    queue.append(current)
                    current = None
                elif jobs[current][3] != 0 and queue:
                    batch.appendleft(current)
                    current = None
            if current is None:
                if queue:
                    current, used = queue.popleft(), 0
                elif batch:
                    current, used = batch.popleft(), 0
        else:
            raise ValueError(algorithm)
        ticks.append(current)
        if current is not None:
            left[current] -= 1
            used += 1
        t += 1
    return ticks


def reference_stats(jobs: Sequence[RefJob], ticks: Sequence[int | None]) -> dict[str, Any]:
    per = {}
    for i, (name, arrival, burst, _p) in enumerate(jobs):
        mine = [t for t, who in enumerate(ticks) if who == i]
        completion = mine[-1] + 1
        per[name] = {"completion": completion, "turnaround": completion - arrival,
                     "waiting": completion - arrival - burst, "response": mine[0] - arrival}
    n = len(jobs)
    span = max(s["completion"] for s in per.values()) - min(j[1] for j in jobs)
    return {"jobs": per,
            "average_waiting": sum(s["waiting"] for s in per.values()) / n,
            "average_turnaround": sum(s["turnaround"] for s in per.values()) / n,
            "average_response": sum(s["response"] for s in per.values()) / n,
            "throughput": n / span}


def slices_of(ticks: Sequence[int | None], jobs: Sequence[RefJob]) -> list[tuple[str | None,
                                                                                 int, int]]:
    out: list[tuple[str | None, int, int]] = []
    for t, who in enumerate(ticks):
        name = jobs[who][0] if who is not None else None
        if out and out[-1][0] == name and out[-1][2] == t:
            out[-1] = (name, out[-1][1], t + 1)
        else:
            out.append((name, t, t + 1))
    return out


def reference_gantt(pieces: Sequence[tuple[str | None, int, int]]) -> str:
    if not pieces:
        return ""
    boxes, ticks = "", ""
    for job, start, _end in pieces:
        label = job if job is not None else "idle"
        width = max(len(label), len(str(start))) + 2
        boxes += "|" + label.center(width)
        ticks += str(start).ljust(width + 1)
    return boxes + "|\n" + ticks + str(pieces[-1][2])


# ------------------------------------------------------------------ calling the student
class Student:
    def __init__(self, path: str) -> None:
        spec = importlib.util.spec_from_file_location("simulator_under_test", path)
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = self.module
        self.call(spec.loader.exec_module, self.module, what="importing simulator.py")
        self.path = path

    def function(self, name: str) -> Callable[..., Any]:
        fn: Callable[..., Any] | None = getattr(self.module, name, None)
        if not callable(fn):
            raise Verdict("load error", f"simulator.py has no function {name}() (was it "
                          "renamed?).")
        return fn

    def call(self, fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
        def alarm(_signum: int, _frame: Any) -> None:
            raise EndlessLoop

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
        try:
            return fn(*args, **kwargs)
        except EndlessLoop:
            raise Verdict("endless loop", f"{what} did not return within {CALL_SECONDS:g} "
                          "seconds: it loops forever.", "") from None
        except Verdict:
            raise
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename == getattr(self, "path", f.filename)]
            where = f" (simulator.py, line {frames[-1].lineno})" if frames else ""
            raise Verdict("exception", f"{what} raised {type(exc).__name__}: {exc}{where}.",
                          "") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def jobs(self, jobs: Sequence[RefJob]) -> list[Any]:
        job = self.function("Job")
        return [self.call(job, *j, what="Job(...)") for j in jobs]

    def slices(self, pieces: Sequence[tuple[str | None, int, int]]) -> list[Any]:
        piece = self.function("Slice")
        return [self.call(piece, *p, what="Slice(...)") for p in pieces]


# ------------------------------------------------------------------ words
ALGORITHMS: list[tuple[str, str, dict[str, int]]] = [
    ("fcfs", "first come, first served", {}),
    ("sjn", "shortest job next", {}),
    ("priority", "priority", {}),
    ("priority", "priority with aging", {"aging": 3}),
    ("srt", "shortest remaining time", {}),
    ("round_robin", "round-robin", {"quantum": 2}),
    ("round_robin", "round-robin", {"quantum": 3}),
    ("multilevel", "multilevel queues", {"quantum": 2}),
]

RULES = {
    "fcfs": "First come, first served runs the jobs in order of arrival, each to the end.",
    "sjn": "Shortest job next: whenever the CPU is free, the ready job with the smallest "
           "burst runs, to the end.",
    "priority": "Priority: whenever the CPU is free, the ready job with the smallest "
                "priority number runs, to the end; with aging, a job's number drops by one "
                "for every `aging` ticks it has waited since it arrived.",
    "srt": "Shortest remaining time: at every tick the ready job with the least work left "
           "runs, so a job that arrives with less work than the running job has left takes "
           "the CPU at once (on a tie the running job keeps it: it arrived earlier).",
    "round_robin": "Round-robin: the first job of the queue runs for at most one quantum; if "
                   "it is not finished it goes to the back of the queue, after the jobs that "
                   "arrived while it ran (up to and including the tick it stopped).",
    "multilevel": "Multilevel queues: interactive jobs (priority 0) take turns round-robin; "
                  "batch jobs run first come, first served, only while no interactive job is "
                  "ready, and an arriving interactive job takes the CPU from a batch job at "
                  "once.",
}
TIES = ("When two jobs are equal for the rule, the one that arrived first goes first, and if "
        "they arrived together, the one listed first.")


def call_text(name: str, params: dict[str, int]) -> str:
    extra = "".join(f", {k}={v}" for k, v in params.items())
    return f"{name}(jobs{extra})"


def show_jobs(jobs: Sequence[RefJob]) -> str:
    """The job set as a small table, one column per job."""
    cells = [[str(v) for v in column] for column in zip(*jobs, strict=True)]
    width = max(len(c) for row in cells for c in row)
    rows = [f"{label:<10}" + "  ".join(c.rjust(width) for c in row).rstrip()
            for label, row in zip(("job", "arrival", "burst", "priority"), cells, strict=True)]
    return "\n".join(rows)


def strip(ticks: Sequence[str | None]) -> str:
    return "".join("." if who is None else who[:1] for who in ticks)


def chart(rows: Sequence[tuple[str, Sequence[str | None]]]) -> str:
    """Tick-by-tick rows of one letter per tick ('.' idle), with a ruler above them."""
    width = max(len(r) for _, r in rows)
    ruler = "".join(str(t // 10) if t % 10 == 0 else " " for t in range(0, width, 1))
    units = "".join(str(t % 10) for t in range(width))
    lines = [f"{'tick':<10}{ruler}".rstrip(), f"{'':<10}{units}"]
    lines += [f"{label:<10}{strip(r)}" for label, r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ reading a timeline
def read_timeline(timeline: Any, jobs: Sequence[RefJob], what: str) -> list[str | None]:
    """The job name at each tick of the student's timeline; a Verdict if it makes no sense."""
    names = {j[0] for j in jobs}
    try:
        pieces = list(timeline)
    except TypeError:
        raise Verdict("bad timeline", f"{what} returned {timeline!r}, not a list of "
                      "Slice.") from None
    ticks: dict[int, str | None] = {}
    for piece in pieces:
        try:
            job, start, end = piece.job, piece.start, piece.end
        except AttributeError:
            try:
                job, start, end = piece
            except (TypeError, ValueError):
                raise Verdict("bad timeline", f"{what} returned {piece!r} in its timeline; "
                              "expected Slice(job, start, end).") from None
        if not (isinstance(start, int) and isinstance(end, int)) or start > end or start < 0:
            raise Verdict("bad timeline", f"{what} returned a slice from {start!r} to "
                          f"{end!r}; slices go from a tick to a later tick.")
        if job is not None and job not in names:
            raise Verdict("bad timeline", f"{what} ran a job named {job!r}, which is not "
                          "one of the jobs.")
        for t in range(start, end):
            if t in ticks:
                raise Verdict("bad timeline", f"{what} has two slices covering tick {t} "
                              f"({ticks[t] or 'idle'} and {job or 'idle'}).")
            ticks[t] = job
    last = max(ticks, default=-1)
    return [ticks.get(t) for t in range(last + 1)]


def named(ticks: Sequence[int | None], jobs: Sequence[RefJob]) -> list[str | None]:
    return [jobs[i][0] if i is not None else None for i in ticks]


def trim(ticks: Sequence[str | None]) -> list[str | None]:
    out = list(ticks)
    while out and out[-1] is None:
        out.pop()
    return out


# ------------------------------------------------------------------ the checks
FIXED: list[list[RefJob]] = [
    # the README's example with one more job
    [("A", 0, 6, 2), ("B", 1, 3, 0), ("C", 2, 7, 1), ("D", 4, 2, 0), ("E", 6, 4, 3)],
    # three jobs together, then a second wave
    [("A", 0, 3, 1), ("B", 0, 5, 2), ("C", 0, 2, 0), ("D", 10, 4, 0), ("E", 11, 1, 1),
     ("F", 11, 3, 0)],
    [("A", 0, 8, 3), ("B", 2, 4, 0), ("C", 3, 1, 2), ("D", 3, 1, 0), ("E", 5, 2, 1)],
    # listed out of arrival order, equal bursts and priorities, a late start, an idle gap
    [("P", 5, 3, 1), ("Q", 2, 3, 1), ("R", 2, 2, 0), ("S", 14, 2, 2), ("T", 3, 3, 0)],
    # batch jobs waiting when an interactive one takes the CPU; arrivals as a quantum ends
    [("A", 0, 5, 2), ("B", 1, 2, 3), ("C", 2, 3, 1), ("D", 3, 2, 0), ("E", 4, 1, 0),
     ("F", 9, 3, 0)],
    # one job, arriving late
    [("X", 3, 4, 0)],
    # aging: an old unimportant job against newer urgent ones
    [("A", 0, 9, 3), ("B", 1, 2, 1), ("C", 8, 3, 2), ("D", 9, 2, 0), ("E", 10, 1, 3),
     ("F", 10, 4, 1)],
]


def fixed_sets() -> list[list[RefJob]]:
    """Every fixed job set as listed, then listed backwards (ties then go the other way)."""
    return FIXED + [list(reversed(jobs)) for jobs in FIXED if len(jobs) > 1]


def schedule_of(student: Student, algorithm: str, params: dict[str, int],
                jobs: Sequence[RefJob]) -> list[str | None]:
    what = call_text(algorithm, params)
    fn = student.function(algorithm)
    timeline = student.call(fn, student.jobs(jobs), **params, what=what)
    return read_timeline(timeline, jobs, what)


def fixed_job_sets(student: Student, _rng: random.Random, _count: int) -> int:
    """Each algorithm's schedule of each fixed job set, tick by tick against the rules.

    One bug, one check: an algorithm whose schedule of some fixed job set breaks one of the
    promises generated_job_sets checks (it runs the fixed job sets too) is that check's to
    show in full. This one looks for an algorithm that keeps every promise and still breaks a
    rule (an order on ties, the round-robin queue, aging, multilevel), and only if there is
    none says in one line that it waits for generated_job_sets.
    """
    runs = 0
    broken: dict[str, Verdict] = {}          # algorithm -> the first promise it breaks
    differ: list[tuple[str, str, dict[str, int], list[RefJob], list[str | None],
                       list[str | None]]] = []
    for index, jobs in enumerate(fixed_sets(), 1):
        for algorithm, title, params in ALGORITHMS:
            runs += 1
            tried[0] = runs
            expected = named(reference(algorithm, jobs, **params), jobs)
            yours = schedule_of(student, algorithm, params, jobs)
            if trim(yours) == trim(expected):
                continue
            try:
                properties(algorithm, params, jobs, yours, f"fixed job set {index}")
            except Verdict as promise:
                broken.setdefault(algorithm, promise)
            differ.append((algorithm, title, params, jobs, expected, yours))
    for algorithm, title, params, jobs, expected, yours in differ:
        if algorithm in broken:
            continue
        first = next(t for t in range(max(len(yours), len(expected)))
                     if (yours[t] if t < len(yours) else None)
                     != (expected[t] if t < len(expected) else None))
        theirs = yours[first] if first < len(yours) else None
        raise Verdict(
            "wrong schedule",
            f"{call_text(algorithm, params)} ({title}) ran a different schedule.\n"
            f"{show_jobs(jobs)}\n"
            f"{chart([('expected', expected), ('yours', yours)])}\n"
            f"The first difference is at tick {first}: the rules run "
            f"{expected[first] or 'nothing (idle)'}, yours ran "
            f"{theirs or 'nothing (idle)'}.",
            f"{RULES[algorithm]} {TIES}")
    if broken:
        first_broken = next(iter(broken.values()))
        raise Verdict(first_broken.bug_class,
                      f"Not judged tick by tick yet: {first_broken.call} breaks a promise "
                      f"({first_broken.bug_class}) that generated_job_sets shows in full; "
                      "its exact schedule is compared here once it keeps every promise.")
    return runs


FIELDS = ("completion", "turnaround", "waiting", "response")


def metrics(student: Student, rng: random.Random, count: int) -> int:
    """On the rules' schedules of the fixed job sets and of ``count`` generated ones."""
    runs = 0
    fn = student.function("metrics")
    sets = [(jobs, "") for jobs in fixed_sets()]
    sets += [(generate(rng), f" of generated job set {i}") for i in range(1, count + 1)]
    for jobs, which in sets:
        for algorithm, title, params in ALGORITHMS:
            runs += 1
            tried[0] = runs
            ticks = reference(algorithm, jobs, **params)
            pieces = slices_of(ticks, jobs)
            want = reference_stats(jobs, ticks)
            what = f"metrics(jobs, timeline) for the {title} schedule{which}"
            report = student.call(fn, student.jobs(jobs), student.slices(pieces), what=what)
            wrong = []
            for name, fields in want["jobs"].items():
                try:
                    got = report.jobs[name]
                except (AttributeError, KeyError, TypeError):
                    raise Verdict("wrong metrics", f"{what}: report.jobs has no entry for "
                                  f"job {name}.") from None
                for f in FIELDS:
                    value = getattr(got, f, None)
                    if value != fields[f]:
                        wrong.append(f"  job {name}: {f} should be {fields[f]}, yours "
                                     f"{value}")
            if not wrong:
                for f in ("average_waiting", "average_turnaround", "average_response",
                          "throughput"):
                    value = getattr(report, f, None)
                    if not isinstance(value, int | float) or not math.isclose(
                            value, want[f], rel_tol=1e-9, abs_tol=1e-9):
                        wrong.append(f"  {f} should be {want[f]:.4g}, yours {value}")
            if wrong:
                raise Verdict(
                    "wrong metrics",
                    f"{what} is off.\n{show_jobs(jobs)}\nThe schedule:\n"
                    f"{reference_gantt(pieces)}\n" + "\n".join(wrong[:6])
                    + ("\n  ..." if len(wrong) > 6 else ""),
                    "completion: the tick the job's last slice ends; turnaround = completion "
                    "- arrival; waiting = turnaround - burst (ready but not running); "
                    "response = first tick on the CPU - arrival; throughput = jobs / (last "
                    "completion - first arrival).")
    return runs


def generate(rng: random.Random) -> list[RefJob]:
    """A job set: 1 to 7 jobs, listed by name whatever their arrival; sometimes all at once,
    sometimes nobody at tick 0, crowded or sparse (with idle gaps); bursts and priorities
    often equal, so that ties come up."""
    n = rng.randint(1, 7)
    start = rng.choice((0, 0, 0, 2, 9))
    together = rng.random() < 0.25
    spread = rng.choice((3, 12, 30))
    jobs = []
    for i in range(n):
        arrival = start if together else start + rng.randint(0, spread)
        jobs.append((chr(ord("A") + i), arrival, rng.randint(1, 8), rng.choice((0, 0, 1, 2, 3))))
    return jobs


def _violation(bug: str, text: str, algorithm: str, params: dict[str, int],
               jobs: Sequence[RefJob], yours: Sequence[str | None], where: str) -> Verdict:
    expected = named(reference(algorithm, jobs, **params), jobs)
    return Verdict(
        bug,
        f"{call_text(algorithm, params)} on {where}: {text}\n"
        f"{show_jobs(jobs)}\n{chart([('expected', expected), ('yours', yours)])}",
        f"{RULES[algorithm]} {TIES}", call=call_text(algorithm, params))


def properties(algorithm: str, params: dict[str, int], jobs: Sequence[RefJob],
               yours: Sequence[str | None], where: str) -> None:
    def bad(bug: str, text: str) -> Verdict:
        return _violation(bug, text, algorithm, params, jobs, yours, where)

    info = {j[0]: j for j in jobs}
    ran = {name: 0 for name in info}
    for who in yours:
        if who is not None:
            ran[who] += 1
    for name, (_n, _a, burst, _p) in info.items():
        if ran[name] != burst:
            raise bad("wrong burst", f"job {name} needs {burst} ticks of CPU and got "
                      f"{ran[name]}.")
    done = dict.fromkeys(info, 0)
    runs_of: dict[str, int] = {}
    streak = 0
    for t, who in enumerate(yours):
        ready = [n for n, (_x, a, b, _p) in info.items() if a <= t and done[n] < b]
        if who is not None and info[who][1] > t:
            raise bad("runs before arrival", f"job {who} runs at tick {t}, before it "
                      f"arrives at tick {info[who][1]}.")
        if who is None and ready:
            raise bad("idle while ready", f"the CPU is idle at tick {t} while job "
                      f"{ready[0]} is ready.")
        if who is not None:
            if algorithm == "srt":
                least = min(info[n][2] - done[n] for n in ready)
                mine = info[who][2] - done[who]
                if mine > least:
                    other = next(n for n in ready if info[n][2] - done[n] == least)
                    raise bad("not shortest remaining",
                              f"at tick {t} job {who} runs with {mine} ticks of work left, "
                              f"while job {other} is ready with only {least} left.")
            if algorithm == "round_robin":
                # A run of one job longer than a quantum is fine only if, at each quantum's
                # end, nobody else was ready to take the next turn.
                streak = streak + 1 if t > 0 and yours[t - 1] == who else 0
                q = params["quantum"]
                if streak and streak % q == 0 and len(ready) > 1:
                    other = next(n for n in ready if n != who)
                    raise bad("quantum exceeded",
                              f"job {who} has run {streak} ticks in a row when tick {t} "
                              f"starts, and goes on, although its quantum of {q} is over "
                              f"and job {other} is ready for its turn.")
            if t > 0 and yours[t - 1] != who and who in runs_of:
                runs_of[who] += 1
            runs_of.setdefault(who, 1)
            done[who] += 1
    if algorithm in ("fcfs", "sjn", "priority"):
        split = [n for n, k in runs_of.items() if k > 1]
        if split:
            raise bad("preempted", f"job {split[0]} was interrupted, but "
                      f"{call_text(algorithm, params)} lets every job run to the end once "
                      "it has started.")
    if algorithm == "round_robin":
        q = params["quantum"]
        bound = (len(jobs) - 1) * q
        for name, (_n, arrival, _b, _p) in info.items():
            first = yours.index(name)
            if first - arrival > bound:
                raise bad("slow response",
                          f"job {name} arrives at tick {arrival} but first runs at tick "
                          f"{first}: with {len(jobs)} jobs and quantum {q}, no job should "
                          f"wait more than ({len(jobs)} - 1) x {q} = {bound} ticks for its "
                          "first turn.")
    if algorithm == "sjn" and len({j[1] for j in jobs}) == 1 and len(jobs) <= 7:
        finish = {n: max(t for t, w in enumerate(yours) if w == n) + 1 for n in info}
        waiting = sum(finish[n] - info[n][1] - info[n][2] for n in info) / len(jobs)
        best = min(sum(itertools.accumulate(info[n][2] for n in order[:-1])) / len(jobs)
                   for order in itertools.permutations(info))
        if waiting > best + 1e-9:
            raise bad("not optimal",
                      f"all jobs arrive together, and the average waiting time is "
                      f"{waiting:.2f}; running the shortest jobs first gives {best:.2f}, "
                      "the least any order can give.")


def generated_job_sets(student: Student, rng: random.Random, count: int) -> int:
    """The promises, on the fixed job sets (so that fixed_job_sets can leave a broken one
    to this check) and then on ``count`` generated ones."""
    sets = [(jobs, f"fixed job set {i}") for i, jobs in enumerate(fixed_sets(), 1)]
    sets += [(generate(rng), f"generated job set {i}") for i in range(1, count + 1)]
    for index, (jobs, where) in enumerate(sets, 1):
        tried[0] = index
        for algorithm, _title, params in ALGORITHMS:
            yours = schedule_of(student, algorithm, params, jobs)
            properties(algorithm, params, jobs, yours, where)
    return len(sets)


GANTT: list[list[tuple[str | None, int, int]]] = [
    [("A", 0, 3), ("B", 3, 5), (None, 5, 6), ("A", 6, 10)],
    [("Z", 0, 12), ("backup", 12, 15)],
    [(None, 0, 2), ("C", 2, 3)],
]


def gantt_chart(student: Student, rng: random.Random, count: int) -> int:
    """The fixed timelines, then the rules' schedules of generated job sets (idle gaps, ticks
    of two digits), each by an algorithm in turn."""
    fn = student.function("gantt")
    timelines = [list(pieces) for pieces in GANTT]
    for i in range(max(1, count // 5)):
        jobs = generate(rng)
        algorithm, _title, params = ALGORITHMS[i % len(ALGORITHMS)]
        timelines.append(slices_of(reference(algorithm, jobs, **params), jobs))
    for index, pieces in enumerate(timelines, 1):
        tried[0] = index
        want = reference_gantt(pieces)
        got = student.call(fn, student.slices(pieces), what="gantt(timeline)")
        if got != want:
            shown = "\n".join(f"    {line}" for line in str(got).splitlines())
            raise Verdict("wrong chart",
                          f"gantt() draws the timeline {pieces} as:\n{shown}\nexpected:\n"
                          + "\n".join(f"    {line}" for line in want.splitlines()),
                          "One box per slice ('idle' when no job runs), each as wide as "
                          "its label or start tick plus two, the start ticks below the "
                          "left edges, and the end of the last slice at the end.")
    return len(timelines)


CHECKS: dict[str, Callable[[Student, random.Random, int], int]] = {
    "fixed_job_sets": fixed_job_sets,
    "metrics": metrics,
    "generated_job_sets": generated_job_sets,
    "gantt_chart": gantt_chart,
}


def main(argv: list[str]) -> int:
    path, seed, count, results = argv[0], int(argv[1]), int(argv[2]), argv[3]
    with open(results, "w", buffering=1) as out:
        def emit(record: dict[str, Any]) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()

        try:
            student = Student(path)
        except Verdict as v:
            emit({"load_error": v.message})
            return 0
        for name, fn in CHECKS.items():
            emit({"check": name, "phase": "start"})
            rng = random.Random(f"scheduling:{seed}")
            tried[0] = 0
            try:
                runs = fn(student, rng, count)
            except Verdict as v:
                emit({"check": name, "ok": False, "bug_class": v.bug_class,
                      "message": v.message, "details": v.details, "runs": max(1, tried[0])})
            else:
                emit({"check": name, "ok": True, "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
