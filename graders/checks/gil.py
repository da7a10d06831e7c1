"""gil: downloads overlap on threads (I/O-bound); scores are computed in processes (CPU-bound).

Witnesses, never timing. The I/O part runs under the engine, where ``time.sleep`` is virtual:
a probe around ``download`` counts how many downloads are waiting at once, and only a program
that starts them together ever has them all inside; it also sees which downloads had finished
when fetch_all returned, so a page in the answer must be one that was really downloaded. The
CPU part runs in a child interpreter (see :mod:`graders.childproc.launch`): a probe around
``score`` reports which processes computed it.
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
)
from graders.engine import Exploration, Settings, explore, fail

from . import check
from .support import never_seen, passed, require, student_file

FILE = "newsdesk.py"
#: Overlap is a "can happen" property that threaded code shows in nearly every schedule;
#: the witness checks look at this many schedules at most (io_results looks at them all).
WITNESS_SCHEDULES = 25


def _urls(count: int) -> list[str]:
    return [f"news.example/{topic}" for topic in
            ("weather", "sport", "markets", "science", "letters", "obituaries")[:count]]


def _desk(folder: Path, settings: Settings, urls: list[str], most: list[int]) -> Exploration:
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

    return explore(scenario, [student_file(folder, FILE)], settings)


def _overlap(folder: Path, settings: Settings, count: int) -> Exploration:
    urls = _urls(count)
    most = [0]
    settings = replace(settings, schedules=min(settings.schedules, WITNESS_SCHEDULES))
    result = _desk(folder, settings, urls, most)
    if most[0] >= count:
        return result
    return never_seen(
        result, Bug.NO_OVERLAP,
        f"fetch_all() never had all {count} downloads waiting at the same time in "
        f"{result.schedules_run} schedules (at most {most[0]} at once): the pages are "
        "fetched one after another.",
        "A download spends its time waiting for the network, and a waiting thread does not "
        "need the GIL: start every download on its own thread (or a pool with a worker per "
        "page) before waiting for any of them.")


@check("gil")
def io_results(folder: Path, settings: Settings) -> Exploration:
    """fetch_all() returns every page, in the order of the urls, on every schedule."""
    return _desk(folder, settings, _urls(3), [0])


@check("gil")
def io_overlaps(folder: Path, settings: Settings) -> Exploration:
    """In some schedule all three downloads are waiting for the network at the same time."""
    return _overlap(folder, settings, 3)


@check("gil")
def many_pages(folder: Path, settings: Settings) -> Exploration:
    """Five pages: the right order, and all five downloads in flight together."""
    return _overlap(folder, settings, 5)


def _reference_score(story: int) -> int:
    total = story
    for i in range(30_000):
        total = (total * 31 + i) % 1_000_003
    return total


def _scenarios(settings: Settings) -> list[Scenario]:
    rng = random.Random(f"gil:{settings.seed}")
    chosen = []
    for method, count, workers in (("spawn", 5, 3), ("forkserver", 4, 2)):
        stories = [rng.randrange(1, 10_000) for _ in range(count)]
        chosen.append(Scenario(f"score_all-{method}", "score_all", [stories, workers], method,
                               workers, [_reference_score(s) for s in stories],
                               f"score_all({stories}, workers={workers})"))
    return chosen


@check("gil")
def cpu_in_processes(folder: Path, settings: Settings) -> Exploration:
    """score_all() is exact and scores in two or more worker processes, all stopped after."""
    path = student_file(folder, FILE)
    require_functions(path, ["score", "score_all"])
    scenarios = _scenarios(settings)
    run = run_processes(folder, FILE, "score", scenarios, settings)
    n = len(scenarios)
    for s in scenarios:
        failure = (outcome_failure(run, s, settings, n)
                   or processes_failure(run, s, settings, n, "score")
                   or leftovers_failure(run, s, settings, n))
        if failure is not None:
            return failure
    return passed(settings, n)
