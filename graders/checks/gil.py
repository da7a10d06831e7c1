"""gil: downloads overlap on threads (I/O-bound); scores are computed in processes (CPU-bound).

Witnesses, never timing. The I/O part runs under the engine, where ``time.sleep`` is virtual:
a probe around ``download`` counts how many downloads are waiting at once, and only a program
that starts them together ever has them all inside; it also sees which downloads had finished
when fetch_all returned, so a page in the answer must be one that was really downloaded. The
CPU part runs in a child interpreter (see :mod:`graders.childproc.launch`): a probe around
``score`` reports which processes computed it, and holds the first story back until another
has been scored, so scores collected as they finish come back out of order on every machine.

Wherever it is graded, the student's code sees the course machine: ``os.cpu_count()`` and
friends say :data:`~graders.checks.support.COURSE_CPUS` (4), so a thread pool sized from the
CPU count has 4 threads and a default ``ThreadPoolExecutor`` 8, here and in the child
interpreter. The overlap checks use more pages than that.

Each check judges one requirement:

* io_results: the pages, in the order of the urls, all really downloaded (0 to 4 urls);
* io_overlaps: all downloads waiting at once, for 2, 3 and 5 urls (whatever the result);
* cpu_results: score_all() returns the scores in the order of the stories (none included);
* cpu_in_processes: two or more worker processes at once, at most `workers`, never the main;
* cpu_workers_stopped: no worker left running or unjoined once score_all() returned;
* many_pages (hidden): the overlap again, for 10 urls (more than a default pool's threads).
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.childproc.launch import (
    Scenario,
    leftovers_failure,
    outcome_failure,
    processes_failure,
    require_functions,
    run_processes,
    too_many_failure,
    unobserved,
)
from graders.engine import Exploration, Settings, explore, fail

from . import check
from .support import course_machine, explore_cases, never_seen, passed, require, student_file

FILE = "newsdesk.py"
#: Overlap is a "can happen" property that threaded code shows in nearly every schedule;
#: the witness checks look at this many schedules at most per case (io_results: all).
WITNESS_SCHEDULES = 25
#: How many urls the overlap checks use: more than COURSE_CPUS (a pool sized from the CPU
#: count) in io_overlaps, more than a default ThreadPoolExecutor's 8 threads in many_pages.
OVERLAP_SIZES = (2, 3, 5)
MANY_PAGES = 10

TOPICS = ("weather", "sport", "markets", "science", "letters", "obituaries", "travel", "books",
          "gardening", "chess", "films", "recipes")


def _urls(settings: Settings, count: int, salt: str) -> list[str]:
    """``count`` different urls, in an order drawn from the seed."""
    rng = random.Random(f"gil:{settings.seed}:{salt}:{count}")
    return [f"news.example/{topic}" for topic in rng.sample(TOPICS, count)]


def _desk(folder: Path, settings: Settings, urls: list[str], most: list[int],
          errors: list[str] | None = None) -> Exploration:
    """Explore fetch_all(urls). With ``errors`` (the overlap checks), only measure: the
    result is io_results' business, and an exception is written down, not a verdict."""
    expected = [f"<page of {url}>" for url in urls]

    def scenario(desk: Any) -> None:
        fetch_all = require(desk, "fetch_all", ["urls"])
        require(desk, "download", ["url"])
        real = desk.download
        inside = [0]
        downloaded: list[str] = []

        def download(url: str) -> Any:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            try:
                page = real(url)
            finally:
                inside[0] -= 1
            downloaded.append(url)
            return page

        desk.download = download
        if errors is not None:
            try:
                fetch_all(list(urls))
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            return
        pages = fetch_all(list(urls))
        done = list(downloaded)        # the downloads that had finished when it returned
        if pages is None or list(pages) != expected:
            fail(Bug.WRONG_RESULT, f"fetch_all({urls}) returned {pages!r}; it should return "
                 f"the pages in the order of the urls: {expected!r}.")
        unfinished = [url for url in urls if url not in done]
        if unfinished:
            many = len(unfinished) > 1
            fail(Bug.WRONG_RESULT, f"fetch_all({urls}) returned every page, but when it "
                 f"returned, the download{'s' if many else ''} of {', '.join(unfinished)} "
                 f"had not finished: {'those pages' if many else 'that page'} did not come "
                 "from download(). Wait for every download (join the threads, or collect "
                 "from the pool) before you return the pages.")

    with course_machine():
        return explore(scenario, [student_file(folder, FILE)], settings)


def _overlap(folder: Path, settings: Settings, sizes: tuple[int, ...]) -> Exploration:
    settings = replace(settings, schedules=min(settings.schedules, WITNESS_SCHEDULES))

    def one(count: int, settings: Settings) -> Exploration:
        urls = _urls(settings, count, "overlap")
        most, errors = [0], []
        result = _desk(folder, settings, urls, most, errors)
        if most[0] >= count:
            return result
        if errors and most[0] == 0:
            return never_seen(
                result, Bug.NO_OVERLAP,
                f"fetch_all({urls}) raised {errors[0]} before any download started, so "
                "whether the downloads overlap could not be seen (see io_results).")
        return never_seen(
            result, Bug.NO_OVERLAP,
            f"fetch_all({urls}) never had {'both' if count == 2 else f'all {count}'} "
            f"downloads waiting at the same time {result.searched()}, at most "
            f"{most[0]} at once: "
            + ("the pages are fetched one after another." if most[0] <= 1 else
               "some downloads wait for others to finish before they start."),
            "A download spends its time waiting for the network, and a waiting thread does "
            "not need the GIL: start every download on its own thread (or a pool with a "
            "worker per page) before waiting for any of them.")

    return explore_cases(settings, list(sizes), one)


@check("gil")
def io_results(folder: Path, settings: Settings) -> Exploration:
    """fetch_all() returns every page, in the order of the urls, on every schedule: for no
    url, one url, three and four urls, in orders drawn from the seed (three urls get every
    schedule; the others, which add sizes rather than interleavings, a share of them)."""
    def one(case: tuple[int, int], settings: Settings) -> Exploration:
        count, share = case
        settings = replace(settings, schedules=max(1, settings.schedules // share))
        return _desk(folder, settings, _urls(settings, count, "results"), [0])

    return explore_cases(settings, [(3, 1), (0, 100), (1, 20), (4, 4)], one)


@check("gil")
def io_overlaps(folder: Path, settings: Settings) -> Exploration:
    """In some schedule all the downloads are waiting for the network at the same time, for
    2, 3 and 5 urls, whatever fetch_all returns."""
    return _overlap(folder, settings, OVERLAP_SIZES)


@check("gil")
def many_pages(folder: Path, settings: Settings) -> Exploration:
    """Ten pages, more than a default thread pool's threads: all in flight together."""
    return _overlap(folder, settings, (MANY_PAGES,))


def _reference_score(story: int) -> int:
    total = story
    for i in range(30_000):
        total = (total * 31 + i) % 1_000_003
    return total


def _scenarios(settings: Settings) -> list[Scenario]:
    """spawn and forkserver, 4 to 6 stories and 2 or 3 workers (more stories than workers,
    fewer workers than the course machine's CPUs), and once with no stories at all; the
    first story is held back until another has been scored."""
    rng = random.Random(f"gil:{settings.seed}")
    chosen = []
    sizes = [(method, rng.randrange(4, 7), rng.choice((2, 3))) for method in
             ("spawn", "forkserver")]
    sizes.append((rng.choice(("spawn", "forkserver")), 0, 2))
    for method, count, workers in sizes:
        stories = rng.sample(range(1, 10_000), count)
        chosen.append(Scenario(f"score_all-{method}-{count}", "score_all", [stories, workers],
                               method, workers, [_reference_score(s) for s in stories],
                               f"score_all({stories}, workers={workers})",
                               hold=stories[0] if stories else None))
    return chosen


def _cpu_run(folder: Path, settings: Settings) -> tuple[Any, list[Scenario]]:
    path = student_file(folder, FILE)
    require_functions(path, ["score", "score_all"])
    scenarios = _scenarios(settings)
    return run_processes(folder, FILE, "score", scenarios, settings), scenarios


@check("gil")
def cpu_results(folder: Path, settings: Settings) -> Exploration:
    """score_all() returns the exact scores, in the order of the stories."""
    run, scenarios = _cpu_run(folder, settings)
    n = len(scenarios)
    for s in scenarios:
        if s.name not in run.results and run.crashed is None:
            failure: Exploration | None = unobserved(run, s, settings, n,
                                                     "cpu_workers_stopped")
        else:
            failure = outcome_failure(run, s, settings, n)
        if failure is not None:
            return failure
    return passed(settings, n)


@check("gil")
def cpu_in_processes(folder: Path, settings: Settings) -> Exploration:
    """score_all() scores in two or more worker processes at once, never in the main one,
    and starts at most `workers` processes, whatever it returns."""
    run, scenarios = _cpu_run(folder, settings)
    n = len(scenarios)
    for s in scenarios:
        failure = too_many_failure(run, s, settings, n, "cpu_results")
        if failure is None and len(s.args[0]) >= 2:
            failure = processes_failure(run, s, settings, n, "score", "cpu_results")
        if failure is not None:
            return failure
    return passed(settings, n)


@check("gil")
def cpu_workers_stopped(folder: Path, settings: Settings) -> Exploration:
    """No worker process is left running or unjoined once score_all() returned."""
    run, scenarios = _cpu_run(folder, settings)
    n = len(scenarios)
    for s in scenarios:
        failure = leftovers_failure(run, s, settings, n)
        if failure is not None:
            return failure
    return passed(settings, n)
