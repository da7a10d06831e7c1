"""Real threads as a second signal: run ``PATH.py:FUNCTION`` on real OS threads, many times.

On CPython 3.10+ a racy program rarely fails on real threads, so this is never the evidence
for a verdict; it is shown beside the engine's verdict ("it also fails 3 times in 100 on real
threads", or "real threads never saw it, which is why you need the engine").

The runs happen in a child process so that nothing the program does can hang or corrupt the
caller. The child sets ``sys.setswitchinterval(1e-6)`` so threads switch as often as CPython
allows, loads the file fresh for every run (module globals start over), and treats an
exception in the function or in any thread it started as a failed run. A run that takes
longer than ``timeout`` seconds is a hang, reported with where each thread was:

1. a watchdog thread in the child prints every thread's stack under its name and exits;
2. if the child cannot run Python code any more (a C extension holding the GIL),
   ``faulthandler.dump_traceback_later`` dumps the stacks a moment later and exits;
3. if even that does not end it, the parent kills the child.

A run that ends the child process (``os._exit``, a crash) stops the batch and is reported
with the exit code and the end of the child's stderr.
The child reports on a private copy of its stdout; the program's own prints go nowhere.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .verdicts import LoadError

SWITCH_INTERVAL = 1e-6
#: How long the parent waits beyond ``timeout`` before it kills a silent child.
KILL_GRACE = 5.0
#: Extra time the child may take to start (interpreter start-up, imports).
STARTUP_GRACE = 20.0
_FAULTHANDLER_DELAY = 1.5
_TAIL = 64 * 1024
_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_HIDDEN = {threading.__file__, __file__, "<string>"}
_BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
         "from graders.engine.realthreads import _child_main; _child_main(sys.argv[1:])")


@dataclass
class RealThreadsResult:
    """What the real-thread runs showed."""

    spec: str
    runs: int                          # runs asked for
    completed: int                     # runs that ended (passed or failed) before any hang
    failed: int                        # failed runs, a hang included
    first_failure: str | None = None   # the first failure's text (traceback or thread stacks)
    first_failed_run: int | None = None  # 1-based
    hung: bool = False
    crashed: bool = False                # the process itself ended mid-run
    exit_code: int | None = None         # the process's exit code when it crashed
    timeout: float = 10.0                # the limit for one run, in seconds
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def headline(self) -> str:
        """One line: 'real threads: ...'."""
        before = (f"; {self.failed - 1} of the {self.completed} runs before it failed"
                  if self.failed > 1 else "")
        if self.hung:
            return (f"real threads: run {self.first_failed_run} of {self.runs} did not end "
                    f"within {self.timeout:g} s (a hang){before}.")
        if self.crashed:
            return (f"real threads: run {self.first_failed_run} of {self.runs} ended the "
                    f"process (exit code {self.exit_code}){before}.")
        if self.failed == 0:
            return (f"real threads: no failure in {self.runs} runs "
                    f"(switch interval {SWITCH_INTERVAL:g} s).")
        first = _last_line(self.first_failure or "")
        return (f"real threads: {self.failed} of {self.runs} runs failed; "
                f"the first (run {self.first_failed_run}): {first}")

    def summary(self) -> str:
        """The headline, and below it the first failure's text, indented."""
        if self.ok or not self.first_failure:
            return self.headline()
        body = "\n".join("    " + line for line in self.first_failure.rstrip().splitlines())
        return f"{self.headline()}\n{body}"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no message)"


# ------------------------------------------------------------------ parent side
def run_real_threads(spec: str, runs: int, timeout: float = 10.0) -> RealThreadsResult:
    """Run ``PATH.py:FUNCTION`` on real threads ``runs`` times in a child process.

    ``timeout`` is the limit for one run, in seconds. Raises :class:`LoadError` when the
    function cannot be loaded (or ``spec`` is malformed), ``ValueError`` for bad numbers.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if not timeout > 0:
        raise ValueError("timeout must be more than 0 seconds")
    path, sep, func = spec.rpartition(":")
    if not sep or not path or not func.isidentifier():
        raise LoadError(f"{spec!r}: expected PATH/TO/FILE.py:FUNCTION")
    start = time.monotonic()
    result = RealThreadsResult(spec, runs, 0, 0, timeout=timeout)
    with tempfile.TemporaryFile() as err:
        cmd = [sys.executable, "-c", _BOOT, _ROOT, spec, str(runs), repr(timeout)]
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=err)
        try:
            ending = _follow(child, result, timeout)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
            assert child.stdout is not None
            child.stdout.close()
        if ending in ("silent", "ended"):
            _ended(result, ending, child.returncode, _tail(err), timeout)
    result.seconds = time.monotonic() - start
    return result


def _follow(child: subprocess.Popen[bytes], result: RealThreadsResult, timeout: float) -> str:
    """Read the child's messages until it is done ('done'), reports a hang ('hang'), ends
    without a word ('ended') or stays silent too long and is killed ('silent')."""
    assert child.stdout is not None
    lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    stream = child.stdout

    def reader() -> None:
        for line in stream:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=reader, name="real-threads-reader", daemon=True).start()
    wait = timeout + KILL_GRACE + STARTUP_GRACE
    while True:
        try:
            raw = lines.get(timeout=wait)
        except queue.Empty:
            child.kill()
            return "silent"
        wait = timeout + KILL_GRACE
        if not raw:
            return "ended"
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        kind = msg.get("event")
        if kind == "load-error":
            raise LoadError(msg["message"])
        if kind == "run":
            result.completed += 1
            if not msg["ok"]:
                _failed(result, msg["index"], msg["text"])
        elif kind == "hang":
            _hung(result, msg["text"], msg["index"])
            return "hang"
        elif kind == "done":
            return "done"


def _failed(result: RealThreadsResult, index: int, text: str) -> None:
    result.failed += 1
    if result.first_failure is None:
        result.first_failure = text
        result.first_failed_run = index


def _hung(result: RealThreadsResult, text: str | None, index: int | None = None) -> None:
    # A hang ends the batch; it is the failure shown even when an earlier run failed too.
    result.hung = True
    result.failed += 1
    result.first_failure = text
    result.first_failed_run = index if index is not None else result.completed + 1


def _tail(err: IO[bytes]) -> str:
    err.seek(0, os.SEEK_END)
    err.seek(max(0, err.tell() - _TAIL))
    return err.read().decode("utf-8", "replace")


def _ended(result: RealThreadsResult, how: str, code: int, tail: str, timeout: float) -> None:
    """The child went away mid-run: a hang (faulthandler's dump or our kill) or a crash."""
    at = tail.rfind("Timeout (")
    if at >= 0:
        dump = tail[at:].strip().splitlines()[1:61]
        _hung(result, "Where each thread was (faulthandler):\n" + "\n".join(dump))
    elif how == "silent":
        _hung(result, f"The run did not end within {timeout:g} s and the process was killed.")
    else:
        last = "\n".join(tail.strip().splitlines()[-20:])
        _failed(result, result.completed + 1, last or "(it wrote nothing on stderr)")
        result.first_failure = last or "(it wrote nothing on stderr)"
        result.first_failed_run = result.completed + 1
        result.crashed = True
        result.exit_code = code


# ------------------------------------------------------------------ child side
def _child_main(argv: list[str]) -> None:
    spec, runs, timeout = argv[0], int(argv[1]), float(argv[2])
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)                  # the program's prints go nowhere
    os.close(null)

    def say(**msg: object) -> None:
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    path_text, _, func = spec.rpartition(":")
    path = Path(path_text).resolve()
    try:
        code = _compile(path)
    except LoadError as exc:
        say(event="load-error", message=str(exc))
        return
    folder = str(path.parent)
    sys.path[:] = [folder] + [p for p in sys.path[1:] if p not in ("", _ROOT)]
    name = path.stem
    sys.setswitchinterval(SWITCH_INTERVAL)
    errors: list[str] = []

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        who = args.thread.name if args.thread is not None else "a thread"
        tb = args.exc_traceback
        while tb is not None and tb.tb_frame.f_code.co_filename == threading.__file__:
            tb = tb.tb_next
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, tb))
        errors.append(f"In thread {who}:\n{text}")

    threading.excepthook = hook
    say(event="ready")
    for index in range(1, runs + 1):
        errors.clear()
        for key, mod in list(sys.modules.items()):
            if key == name or str(getattr(mod, "__file__", "") or "").startswith(folder):
                del sys.modules[key]
        module = types.ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module
        watchdog = threading.Timer(timeout, _on_hang, (say, index, timeout))
        watchdog.daemon = True
        watchdog.name = "graders-watchdog"
        before = set(threading.enumerate()) | {watchdog}
        watchdog.start()
        faulthandler.dump_traceback_later(timeout + _FAULTHANDLER_DELAY, exit=True,
                                          file=sys.stderr)
        try:
            exec(code, module.__dict__)
            target = getattr(module, func, None)
            if not callable(target):
                faulthandler.cancel_dump_traceback_later()
                watchdog.cancel()
                say(event="load-error", message=f"{path_text}: no function named {func!r}")
                return
            target()
        except SystemExit as exc:
            if exc.code not in (None, 0):
                errors.insert(0, f"SystemExit: {exc.code}")
        except Exception as exc:  # any exception is a failed run
            tb = exc.__traceback__.tb_next if exc.__traceback__ else None
            errors.insert(0, "".join(traceback.format_exception(type(exc), exc, tb)))
        for t in threading.enumerate():
            if t not in before and not t.daemon and t is not threading.current_thread():
                t.join()
        watchdog.cancel()
        faulthandler.cancel_dump_traceback_later()
        say(event="run", index=index, ok=not errors, text="\n".join(errors))
    say(event="done")


def _on_hang(say: Any, index: int, timeout: float) -> None:
    """The watchdog: every thread's stack under its name, then end the child at once."""
    frames = sys._current_frames()
    me = threading.get_ident()
    parts = [f"The run did not end within {timeout:g} s. Where each thread was:"]
    for t in threading.enumerate():
        if t.ident == me or t.ident not in frames:
            continue
        stack = traceback.extract_stack(frames[t.ident])
        while len(stack) > 1 and stack[0].filename in _HIDDEN:
            stack.pop(0)
        shown = traceback.format_list(stack[-8:])
        parts.append(f"Thread {t.name}:")
        parts.append("".join(shown).rstrip() or "  (no Python frames)")
    with contextlib.suppress(Exception):
        say(event="hang", index=index, text="\n".join(parts))
    os._exit(3)


def _compile(path: Path) -> types.CodeType:
    if not path.is_file():
        raise LoadError(f"{path}: file not found")
    try:
        return compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{path}, line {exc.lineno}" if exc.lineno else str(path)
        raise LoadError(f"{where}: {exc.msg} (SyntaxError)") from None
    except (OSError, ValueError) as exc:
        raise LoadError(f"{path}: {exc}") from None
