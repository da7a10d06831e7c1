"""thread_pools_futures: thumbnails() downloads photos on a pool of threads: the downloads
overlap, the thumbnails come in the order of the URLs, a failed download's error reaches the
caller, the pool never waits on itself, and its threads have stopped when thumbnails()
returns.

The check replaces ``download`` and ``shrink`` with its own. Its download counts the
downloads under way, raises the student's ``DownloadError`` for the URLs it chose, and takes
a while in virtual time: the later a URL in the list, the sooner its download ends, so that
an album collected in the order the downloads end comes out reversed. Its shrink turns the
photo of a URL into that URL's thumbnail, which the check knows in advance.

The engine's pool has a fixed default size (``machine.CPUS + 4`` threads, whatever machine
grades), so no verdict depends on the grading machine's core count.

A pool deadlocks on itself when every one of its threads runs a task that waits for a task
still queued behind it. Only ``no_pool_deadlock`` gives the pool fewer threads than photos;
the other checks give it at least two threads per photo, so that a task that waits for
another task's future still finds a free thread for it there, and that bug fails
``no_pool_deadlock`` alone.

``downloads_overlap`` is about what *can* happen: in some schedule two downloads are under
way at once. A pool given every download before anyone waits starts the second while the
first sleeps, in nearly every schedule; code that waits for each download before it starts
the next never does, in any. No single schedule shows that (a thread can be slow in any one
of them), so the check looks at all of them (:func:`support.never_seen`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import CheckFailed, Exploration, LoadError, Settings, explore, fail

from . import check
from .support import (
    explore_cases,
    named_error,
    never_seen,
    rebind,
    require,
    share,
    student_file,
)


@dataclass(frozen=True)
class _Album:
    """One call thumbnails(urls, workers): how many photos, which of them are broken."""

    photos: int
    workers: int
    broken: tuple[int, ...] = ()
    #: the photos numbered from the last to the first, so that sorting the thumbnails by
    #: their text does not give the album's order back
    counting_down: bool = False

    def urls(self) -> list[str]:
        return [f"https://example.org/{'broken-' * (n in self.broken)}photo-"
                f"{self.photos - 1 - n if self.counting_down else n}.jpg"
                for n in range(self.photos)]

    def __str__(self) -> str:
        text = (f"{self.photos} photo{'s' * (self.photos != 1)}, {self.workers} "
                f"worker{'s' * (self.workers != 1)}")
        if self.broken:
            text += f"; the download of photo {', '.join(map(str, self.broken))} fails"
        return text


def _thumbnail(url: str) -> str:
    return f"<thumbnail of {url}>"


class _Watch:
    """What the check's download and shrink saw in one run."""

    def __init__(self, album: _Album) -> None:
        self.album = album
        self.under_way = 0
        self.peak = 0          # the most downloads under way at once in this run
        self.errors: list[BaseException] = []    # the DownloadErrors raised
        self.left: list[Any] = []    # threads alive after thumbnails() that were not before


#: judge(watch, urls, (returned, raised))
_Judge = Callable[[_Watch, list[str], tuple[Any, BaseException | None]], None]



def _album(folder: Path, settings: Settings, album: _Album, judge: _Judge,
           most: list[int] | None = None) -> Exploration:
    """Explore one call ``thumbnails(urls, workers)`` with the check's download and shrink;
    ``judge`` judges what it returned or raised. ``most[0]``: the most downloads ever under
    way at once, over all the runs."""

    def scenario(module: Any) -> None:
        thumbnails = require(module, "thumbnails", ["urls", "workers"])
        require(module, "download", ["url"])
        require(module, "shrink", ["photo"])
        error_class = getattr(module, "DownloadError", None)
        if not (isinstance(error_class, type) and issubclass(error_class, Exception)):
            raise LoadError(f"{module.__file__}: the check expects the exception class "
                            "DownloadError; keep it as the kit gave it.")
        watch = _Watch(album)
        urls = album.urls()

        def download(url: Any) -> str:
            if url not in urls:
                fail(Bug.EXCEPTION, f"download() was called with {url!r}, which is none of "
                                    f"the album's URLs ({album}).")
            n = urls.index(url)
            watch.under_way += 1
            watch.peak = max(watch.peak, watch.under_way)
            if most is not None:
                most[0] = max(most[0], watch.under_way)
            try:
                time.sleep(0.1 * (album.photos - n))    # the last URL's ends first
                if n in album.broken:
                    error = error_class(f"{url}: not found (the grader's)")
                    watch.errors.append(error)
                    raise error
                return f"<photo from {url}>"
            finally:
                watch.under_way -= 1

        def shrink(photo: Any) -> str:
            if not (isinstance(photo, str) and photo.startswith("<photo from ")):
                fail(Bug.EXCEPTION, f"shrink() was given {photo!r}, which is no photo that "
                                    f"download() returned ({album}).")
            return _thumbnail(photo.removeprefix("<photo from ").removesuffix(">"))

        rebind(module, download=download, shrink=shrink)
        before = set(threading.enumerate())
        returned: Any = None
        raised: BaseException | None = None
        try:
            returned = thumbnails(list(urls), album.workers)
        except CheckFailed:
            raise
        except Exception as exc:      # judged by judge(): the download's error, or a bug
            raised = exc
        watch.left = [t for t in threading.enumerate() if t not in before]
        judge(watch, urls, (returned, raised))

    return explore(scenario, [student_file(folder, "photos.py")], settings)



def _cases(folder: Path, settings: Settings, albums: list[_Album], judge: _Judge,
           most: list[int] | None = None) -> Exploration:
    return explore_cases(share(settings, len(albums)), albums,
                         lambda album, s: _album(folder, s, album, judge, most))


def _no_error(watch: _Watch, raised: BaseException | None) -> None:
    """A check whose albums have no broken photo: thumbnails() must not raise."""
    if raised is not None:
        fail(Bug.EXCEPTION, f"thumbnails() raised {named_error(raised)} although every download "
                            f"succeeded ({watch.album}).")


@check("thread_pools_futures")
def downloads_overlap(folder: Path, settings: Settings) -> Exploration:
    """In some schedule, two downloads are under way at once."""
    most = [0]

    def judge(watch: _Watch, urls: list[str], outcome: tuple[Any, BaseException | None]
              ) -> None:
        _no_error(watch, outcome[1])

    # A witness shows up in the first schedules when it can at all: a quarter is plenty.
    fewer = settings if settings.replay is not None else replace(
        settings, schedules=max(1, settings.schedules // 4))
    result = _cases(folder, fewer, OVERLAP_ALBUMS, judge, most)
    if most[0] >= 2:
        return result
    return never_seen(
        result, Bug.NO_OVERLAP,
        f"The downloads never overlapped ({'; '.join(map(str, OVERLAP_ALBUMS))}): "
        f"{result.searched()}, no download ever started before the one before it had "
        "ended. A pool only helps when it has the next download to start while the one "
        "before still waits for the network.")


#: downloads_overlap's albums: several photos, and room in the pool for all of them.
OVERLAP_ALBUMS = [_Album(2, 4), _Album(3, 6)]


@check("thread_pools_futures")
def thumbnails_in_order(folder: Path, settings: Settings) -> Exploration:
    """thumbnails() returns one thumbnail per URL, in the order of the URLs."""

    def judge(watch: _Watch, urls: list[str], outcome: tuple[Any, BaseException | None]
              ) -> None:
        returned, raised = outcome
        _no_error(watch, raised)
        expected = [_thumbnail(u) for u in urls]
        try:
            got = list(returned)
        except TypeError:
            got = None
        if got == expected:
            return
        if got is not None and sorted(map(str, got)) == sorted(expected):
            def names(order: list[Any]) -> str:
                return ", ".join(urls[expected.index(t)].rsplit("/", 1)[-1] for t in order)
            fail(Bug.WRONG_ORDER,
                 f"thumbnails() returned the right thumbnails in the wrong order: those of "
                 f"{names(got)}, where the URLs ask for {names(expected)} ({watch.album}; "
                 "the later photos downloaded faster). The album keeps the order of its URLs, "
                 "whatever order the downloads end in.")
        fail(Bug.WRONG_RESULT,
             f"thumbnails() returned {returned!r}; expected one thumbnail per URL, in the "
             f"order of the URLs: {expected!r} ({watch.album}).")

    return _cases(folder, settings, [_Album(2, 4), _Album(3, 6, counting_down=True)], judge)


@check("thread_pools_futures")
def errors_reach_caller(folder: Path, settings: Settings) -> Exploration:
    """A download that fails makes thumbnails() raise that download's error."""

    def judge(watch: _Watch, urls: list[str], outcome: tuple[Any, BaseException | None]
              ) -> None:
        returned, raised = outcome
        if raised is not None and any(raised is e for e in watch.errors):
            return
        broken = ", ".join(map(str, watch.album.broken))
        if raised is None:
            fail(Bug.ERROR_SWALLOWED,
                 f"The download of photo {broken} failed with DownloadError, but "
                 f"thumbnails() returned {returned!r} as if all went well ({watch.album}). "
                 "An error raised in a pool's task waits in its future until someone reads "
                 "it, and here it never reached the caller.")
        fail(Bug.EXCEPTION,
             f"The download of photo {broken} failed with DownloadError, but thumbnails() "
             f"raised {named_error(raised)} instead ({watch.album}). The caller should get the "
             "download's own error.")

    return _cases(folder, settings, [_Album(1, 2, (0,)), _Album(3, 4, (1,)),
                                     _Album(3, 6, (0, 2))], judge)


@check("thread_pools_futures")
def no_pool_deadlock(folder: Path, settings: Settings) -> Exploration:
    """thumbnails() finishes with fewer workers than photos, even with one worker (and its
    pool has no more than ``workers`` threads: a bigger one would hide the deadlock)."""

    def judge(watch: _Watch, urls: list[str], outcome: tuple[Any, BaseException | None]
              ) -> None:
        workers = watch.album.workers
        if watch.peak > workers:
            fail(Bug.TOO_MANY_THREADS,
                 f"{watch.peak} downloads were under way at once with workers={workers} "
                 f"({watch.album}): the pool has more threads than `workers`, so it never "
                 "ran with fewer workers than photos. Make it with max_workers=workers.")
        _no_error(watch, outcome[1])

    return _cases(folder, settings, [_Album(2, 1), _Album(3, 2), _Album(2, 2)], judge)


def _shut_down(watch: _Watch, urls: list[str], outcome: tuple[Any, BaseException | None]
               ) -> None:
    """No thread that thumbnails() started is still alive when it returns or raises."""
    alive = sorted(t.name for t in watch.left if t.is_alive())
    if alive:
        ended = "raised" if outcome[1] is not None else "returned"
        fail(Bug.WORKERS_NOT_STOPPED,
             f"thumbnails() {ended} while the thread{'s' * (len(alive) != 1)} "
             f"{', '.join(alive)} of its pool {'were' if len(alive) != 1 else 'was'} still "
             f"alive ({watch.album}). Shut the pool down, and wait for its threads, before "
             "thumbnails() returns: `with ThreadPoolExecutor(...) as pool:` does both.")


@check("thread_pools_futures")
def pool_shut_down(folder: Path, settings: Settings) -> Exploration:
    """When thumbnails() returns or raises, every thread of its pool has stopped."""
    return _cases(folder, settings, [_Album(2, 4), _Album(2, 4, (0,))], _shut_down)
