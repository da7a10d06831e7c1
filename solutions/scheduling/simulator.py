"""A CPU scheduling simulator: which job runs when, and how long every job waits.

Run the grader with:  pytest exercises/scheduling

Time is counted in whole ticks. A job is *ready* from its arrival until it has had the CPU
for its whole burst. When two jobs are equal for an algorithm's rule, the one that arrived
first goes first, and if they arrived together, the one listed first in `jobs`.
"""

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """A job that arrives at tick `arrival` and needs the CPU for `burst` ticks."""

    name: str
    arrival: int
    burst: int
    priority: int = 0  # a smaller number is more urgent; multilevel(): 0 means interactive


@dataclass(frozen=True)
class Slice:
    """The CPU ran `job` (a job's name, or None when it was idle) from `start` to `end`."""

    job: str | None
    start: int
    end: int


def _run(timeline, job, start, end):
    """Add a slice to the timeline, merging it with the previous one if it continues it."""
    if timeline and timeline[-1].job == job and timeline[-1].end == start:
        timeline[-1] = Slice(job, timeline[-1].start, end)
    else:
        timeline.append(Slice(job, start, end))


# ---------------------------------------------------------------- non-preemptive
def _one_at_a_time(jobs, choose):
    """Whenever the CPU is free, run the ready job that `choose(ready, now)` picks, to the end."""
    waiting = list(jobs)
    timeline, now = [], 0
    while waiting:
        ready = [job for job in waiting if job.arrival <= now]
        if not ready:
            later = min(job.arrival for job in waiting)
            _run(timeline, None, now, later)
            now = later
            continue
        job = choose(ready, now)
        waiting.remove(job)
        _run(timeline, job.name, now, now + job.burst)
        now += job.burst
    return timeline


def fcfs(jobs):
    """First come, first served: in order of arrival, each job to the end."""
    return _one_at_a_time(jobs, lambda ready, now: min(ready, key=lambda job: job.arrival))


def sjn(jobs):
    """Shortest job next: when the CPU is free, the ready job with the smallest burst."""
    return _one_at_a_time(
        jobs, lambda ready, now: min(ready, key=lambda job: (job.burst, job.arrival)))


def priority(jobs, aging=None):
    """Priority: when the CPU is free, the ready job with the smallest priority number.

    With aging, a job's number drops by one for every `aging` ticks it has waited since it
    arrived, so that an unimportant job cannot wait forever.
    """

    def urgency(job, now):
        if not aging:
            return job.priority
        return job.priority - (now - job.arrival) // aging

    return _one_at_a_time(
        jobs, lambda ready, now: min(ready, key=lambda job: (urgency(job, now), job.arrival)))


# ---------------------------------------------------------------- preemptive
def srt(jobs):
    """Shortest remaining time: at every moment, the ready job with the least work left.

    A job that arrives with less work than the running job has left takes the CPU at once.
    """
    left = {job.name: job.burst for job in jobs}
    timeline, now = [], 0
    while any(left.values()):
        ready = [job for job in jobs if job.arrival <= now and left[job.name]]
        if not ready:
            later = min(job.arrival for job in jobs if left[job.name])
            _run(timeline, None, now, later)
            now = later
            continue
        job = min(ready, key=lambda job: (left[job.name], job.arrival))
        # Run it until it finishes or the next job arrives, whichever comes first.
        end = min([now + left[job.name]] + [j.arrival for j in jobs if j.arrival > now])
        _run(timeline, job.name, now, end)
        left[job.name] -= end - now
        now = end
    return timeline


def round_robin(jobs, quantum):
    """Round-robin: ready jobs wait in a queue; the first runs for at most `quantum` ticks,
    then, if it is not finished, goes to the back of the queue. Jobs that arrive while it
    runs (up to and including the tick it stops) join the queue before it goes back."""
    arrivals = deque(sorted(jobs, key=lambda job: job.arrival))
    queue = deque()
    left = {job.name: job.burst for job in jobs}
    timeline, now = [], 0

    def admit(until):
        while arrivals and arrivals[0].arrival <= until:
            queue.append(arrivals.popleft())

    admit(now)
    while queue or arrivals:
        if not queue:
            _run(timeline, None, now, arrivals[0].arrival)
            now = arrivals[0].arrival
            admit(now)
            continue
        job = queue.popleft()
        ran = min(quantum, left[job.name])
        _run(timeline, job.name, now, now + ran)
        now += ran
        left[job.name] -= ran
        admit(now)
        if left[job.name]:
            queue.append(job)
    return timeline


def multilevel(jobs, quantum):
    """Multilevel queues: interactive jobs (priority 0) share the CPU round-robin with
    `quantum`; batch jobs (any other priority) run first come, first served, and only while
    no interactive job is ready. An interactive job that arrives takes the CPU from a batch
    job at once; the batch job goes on later, before the other batch jobs."""
    arrivals = deque(sorted(jobs, key=lambda job: job.arrival))
    interactive, batch = deque(), deque()
    left = {job.name: job.burst for job in jobs}
    timeline, now = [], 0
    running, used = None, 0
    while arrivals or interactive or batch or running:
        while arrivals and arrivals[0].arrival <= now:
            job = arrivals.popleft()
            (interactive if job.priority == 0 else batch).append(job)
        if running is not None:
            if running.priority == 0 and used == quantum:
                interactive.append(running)
                running = None
            elif running.priority != 0 and interactive:
                batch.appendleft(running)
                running = None
        if running is None:
            if interactive:
                running, used = interactive.popleft(), 0
            elif batch:
                running, used = batch.popleft(), 0
            else:
                _run(timeline, None, now, arrivals[0].arrival)
                now = arrivals[0].arrival
                continue
        _run(timeline, running.name, now, now + 1)
        now += 1
        used += 1
        left[running.name] -= 1
        if not left[running.name]:
            running = None
    return timeline


# ---------------------------------------------------------------- measuring a schedule
@dataclass(frozen=True)
class Stats:
    """How one job fared: when it finished, and how long it spent in the system."""

    completion: int  # the tick its last slice ended
    turnaround: int  # from arrival to completion
    waiting: int  # time spent ready but not running
    response: int  # from arrival to its first tick on the CPU


@dataclass(frozen=True)
class Report:
    jobs: dict  # job name -> Stats
    average_waiting: float
    average_turnaround: float
    average_response: float
    throughput: float  # jobs finished per tick, from the first arrival to the last completion


def metrics(jobs, timeline):
    """Measure every job of `timeline`, a schedule of `jobs`."""
    stats = {}
    for job in jobs:
        mine = [s for s in timeline if s.job == job.name]
        completion = max(s.end for s in mine)
        turnaround = completion - job.arrival
        waiting = turnaround - job.burst
        response = min(s.start for s in mine) - job.arrival
        stats[job.name] = Stats(completion, turnaround, waiting, response)
    n = len(jobs)
    span = max(s.completion for s in stats.values()) - min(job.arrival for job in jobs)
    return Report(
        stats,
        sum(s.waiting for s in stats.values()) / n,
        sum(s.turnaround for s in stats.values()) / n,
        sum(s.response for s in stats.values()) / n,
        n / span,
    )


def gantt(timeline):
    """Draw the timeline as text: one box per slice, the tick each box starts at below it.

        | A | B | idle | A |
        0   3   5      6   10
    """
    if not timeline:
        return ""
    boxes, ticks = "", ""
    for piece in timeline:
        label = piece.job if piece.job is not None else "idle"
        width = max(len(label), len(str(piece.start))) + 2
        boxes += "|" + label.center(width)
        ticks += str(piece.start).ljust(width + 1)
    return boxes + "|\n" + ticks + str(timeline[-1].end)


if __name__ == "__main__":
    jobs = [Job("A", 0, 6, 2), Job("B", 1, 3, 0), Job("C", 2, 7, 1), Job("D", 4, 2, 0)]
    charts = []
    for name, timeline in [("first come, first served", fcfs(jobs)),
                           ("shortest remaining time", srt(jobs)),
                           ("round-robin, quantum 2", round_robin(jobs, 2))]:
        report = metrics(jobs, timeline)
        charts.append(f"{name}: average waiting {report.average_waiting:.2f}, "
                      f"response {report.average_response:.2f}\n{gantt(timeline)}")
    print("\n\n".join(charts))
