"""``python -m graders watch [TOPIC]``: check the topic each time you save, then move on.

Runs ``python -m graders check TOPIC`` in a child process (so an endless loop or a crash in
your code never takes watch mode down, and a save while it runs starts it again), shows the
verdict and the course's progress bar, and waits for the next save of the topic's files:
the ``watchfiles`` library sees it (``--poll`` makes it poll the files instead, for file
systems that send no events). When every check passes it moves on to the next topic that is
not done. Keys: ``h`` the next hint, ``l`` the list of topics, ``r`` replay the last
failure, ``q`` quit. Ctrl-C quits too, and the terminal is left as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from graders import progress
from graders.catalog import CatalogError, Topic, topic
from graders.settings import argument, whole

from . import EXIT_OK, PROG, UsageError
from .output import Output

HELP = "re-run a topic's checks each time you save, with the course's progress; keys h l r q"
KEYS = "Keys: h hint, l list, r replay the last failure, q quit."
REPLAY = re.compile(r"^\s*(python -m graders check .* --replay \S+)\s*$", re.MULTILINE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", nargs="?",
                        help="the topic to start with (default: the first not done)")
    parser.add_argument("--poll", action="store_true",
                        help="poll the files for changes instead of waiting for events")
    parser.add_argument("--timeout", type=argument("timeout", whole(1)), default=120,
                        metavar="S", help="stop a run of the checks after S seconds (120)")


class Watch:
    """The loop: events (a save, a key) arrive on one queue from two threads."""

    def __init__(self, args: argparse.Namespace, out: Output, first: Topic) -> None:
        self.args, self.out, self.topic = args, out, first
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stop_watching = threading.Event()
        self.last_replay: str | None = None

    # ---------------------------------------------------------------- the loop
    def run(self) -> int:
        self._start_watcher()
        self._check()
        while True:
            kind, value = self.events.get()
            if kind == "saved":
                self._drain("saved")
                self._check()
            elif kind == "key":
                if value in ("q", "\x04"):
                    self.out.plain("Stopped watching.")
                    return EXIT_OK
                self._key(value)

    def _drain(self, kind: str) -> None:
        """Swallow events of ``kind`` already queued: one save of several files is one run."""
        kept = []
        with contextlib.suppress(queue.Empty):
            while True:
                event = self.events.get_nowait()
                if event[0] != kind:
                    kept.append(event)
        for event in kept:
            self.events.put(event)

    def _key(self, key: str) -> None:
        if key == "h":
            self._run([sys.executable, "-m", "graders", "hint", self.topic.name])
        elif key == "l":
            self._run([sys.executable, "-m", "graders", "progress"])
        elif key == "r":
            if self.last_replay is None:
                self.out.plain("No failure to replay yet.")
            else:
                self.out.plain(f"$ {self.last_replay}")
                words = self.last_replay.split()
                self._run([sys.executable, *words[1:]])
        elif key not in ("\n", "\r", " "):
            self.out.plain(KEYS)

    # --------------------------------------------------------------- a check run
    def _check(self) -> None:
        t = self.topic
        self.out.plain(f"\n=== {t.name}: {t.title} ===")
        text, status = self._run([sys.executable, "-m", "graders", "check", t.name],
                                 timeout=self.args.timeout)
        found = REPLAY.findall(text)
        self.last_replay = found[-1] if found else None
        self.out.plain(progress.bar())
        if status == 0:
            after = progress.next_topic(t.name, among=_present())
            if after is None:
                self.out.success("Every topic is done. Well done!")
                return
            self.out.success(f"All checks of {t.name} pass. On to {after}.")
            self.topic = topic(after)
            self._start_watcher()
            self._check()
            return
        self.out.plain(f"Save {', '.join(t.files)} in exercises/{t.name}/ to check again. "
                       + KEYS)

    def _run(self, command: list[str], timeout: float | None = None) -> tuple[str, int]:
        """Run ``command``, echo what it prints, return it and the exit status."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env=env, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            partial = exc.stdout or ""
            text = partial if isinstance(partial, str) else partial.decode(errors="replace")
            self.out.plain(text.rstrip())
            self.out.failure(f"The checks did not finish within {timeout:g} s: is there an "
                             "endless loop? Save again to retry.")
            return text, 1
        text = done.stdout + (done.stderr if done.returncode not in (0, 1) else "")
        self.out.plain(text.rstrip())
        return text, done.returncode

    # ---------------------------------------------------------------- threads
    def _start_watcher(self) -> None:
        self.stop_watching.set()
        self.stop_watching = threading.Event()
        folder = Path("exercises") / self.topic.name
        names = set(self.topic.files)
        threading.Thread(target=self._watch, args=(folder, names, self.stop_watching),
                         daemon=True, name="watch-files").start()

    def _watch(self, folder: Path, names: set[str], stop: threading.Event) -> None:
        import watchfiles

        if not folder.is_dir():
            return   # nothing to watch; the check run says the folder is missing
        for changes in watchfiles.watch(folder, stop_event=stop, force_polling=self.args.poll,
                                        poll_delay_ms=300, debounce=300,
                                        watch_filter=lambda _c, p: Path(p).name in names):
            if stop.is_set():
                return
            self.events.put(("saved", ", ".join(sorted({Path(p).name for _c, p in changes}))))


def _present() -> set[str]:
    """The topics whose exercise folder is here."""
    return {s.topic for s in progress.standings()
            if (Path("exercises") / s.topic).is_dir()}


def _keys(events: queue.Queue[tuple[str, str]]) -> None:
    while True:
        key = sys.stdin.read(1)
        if not key:
            return
        events.put(("key", key.lower()))


@contextlib.contextmanager
def _single_keys() -> Iterator[None]:
    """Read keys one at a time without echo, and put the terminal back afterwards."""
    if not sys.stdin.isatty():
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run(args: argparse.Namespace, out: Output) -> int:
    try:
        name = (args.topic or progress.next_topic(among=_present())
                or next(iter(progress.standings())).topic)
        first = topic(name)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    if not (Path("exercises") / first.name).is_dir():
        raise UsageError(f"exercises/{first.name}: no such folder; run {PROG} watch from the "
                         "kit's folder")
    watch = Watch(args, out, first)
    out.plain(f"Watching exercises/{first.name}/ (Ctrl-C or q to stop).")
    with _single_keys():
        threading.Thread(target=_keys, args=(watch.events,), daemon=True,
                         name="watch-keys").start()
        try:
            return watch.run()
        except KeyboardInterrupt:
            out.plain("Stopped watching.")
            return EXIT_OK
