"""The second signal for the ipc topic: the reference solution and its alternatives on real
``multiprocessing`` (spawn and fork) and real localhost sockets, each in a child interpreter
of its own session under a hard timeout, with a stack dump if it hangs. The engine's
verdicts never depend on this run; it shows that what the grader accepts also runs for
real."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graders.catalog import KIT
from graders.variants import checkout

pytestmark = pytest.mark.timeout(600)

SOLUTION = KIT / "solutions" / "ipc"

_PROGRAM = """
import faulthandler, multiprocessing, sys
faulthandler.dump_traceback_later(60, exit=True)
multiprocessing.set_start_method({method!r})
sys.path.insert(0, {folder!r})
import pipeline
assert pipeline.squares([3, -2, 0, 7, 1, 5, 6, 4]) == [9, 4, 0, 49, 1, 25, 36, 16]
assert pipeline.squares([]) == []
texts = ["a b c", "d", "e f", "g h i j", ""]
assert pipeline.count_words(texts, 3) == [3, 1, 2, 4, 0]
assert pipeline.tally(4, 500) == 2000
assert pipeline.shared_squares(10, 3) == [i * i % 256 for i in range(10)]
assert pipeline.shared_squares(0, 2) == []
assert pipeline.remote_sums([(1, 2), (30, -4), (-7, -8)]) == [3, 26, -15]
assert pipeline.remote_sums([]) == []
pairs = [(i, -3 * i) for i in range(300)]     # more calls than one socket buffer's worth
assert pipeline.remote_sums(pairs) == [a + b for a, b in pairs]
print("ok")
"""


def _run(folder: Path, method: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _PROGRAM.format(method=method, folder=str(folder))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder,
        start_new_session=True)
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)     # the workers too
        out, err = child.communicate()
        pytest.fail(f"did not finish in 120 s on real processes ({method}):\n{err[-3000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 0 and out.strip() == "ok", err[-3000:]


#: The solution in the quick tier; the alternatives (the same calls, other designs) in the
#: slow one.
VERSIONS = ["solution", *[pytest.param(f"alternative/{p.stem}", marks=pytest.mark.slow)
                          for p in sorted((SOLUTION / "alternative").glob("*.diff"))]]


@pytest.mark.parametrize("method", ["spawn", "fork"])
@pytest.mark.parametrize("version", VERSIONS)
def test_accepted_versions_run_on_real_processes(version: str, method: str) -> None:
    source = SOLUTION if version == "solution" else SOLUTION / f"{version}.diff"
    with checkout("ipc", source) as folder:
        _run(folder, method)
