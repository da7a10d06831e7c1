"""The second signal for the distributed_memory topic: the reference solution and its
alternatives under real ``mpiexec -n 1..4`` (MPICH from the ``mpich`` wheel, the one the
README installs); the starter's head-to-head sends hanging for real once the messages are
bigger than MPI's eager limit; and each wrong fix the grader calls a deadlock hanging too.

Each run is its own session under a hard timeout. Every rank arms
``faulthandler.dump_traceback_later`` into a file of its own, so a run that hangs leaves one
stack dump per rank: where each one waits. The engine's verdicts never depend on this run;
it shows that what the grader accepts runs on real MPI, and that what it rejects as a
deadlock really hangs there.

MPICH's ``mpiexec`` (hydra) starts local ranks by forking, with no ssh, and runs as root
without any flag or setting (Open MPI's would need ``--allow-run-as-root``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders.catalog import KIT, topic
from graders.interpreter_tools import find_tool
from graders.variants import checkout

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(sys.platform == "win32",
                       reason="the mpich wheel has no Windows build, so MPI cannot start"),
]

SOLUTION = KIT / "solutions" / "distributed_memory"

#: Numbers whose blocks, pickled, are far bigger than MPICH's eager limit (some 64 KiB), so
#: a blocking send of one waits for its receive.
BIG = 200_000

#: What every rank runs: the three programs on data that does not divide evenly, on none,
#: and on big blocks; each rank checks its own share and says so.
_RANK = """
import faulthandler, os, sys
from mpi4py import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
dump = open(os.path.join({dumps!r}, f"rank{{rank}}.txt"), "w")
faulthandler.dump_traceback_later({after}, repeat=True, file=dump)
sys.path.insert(0, {folder!r})
import cluster
{body}
print(f"rank {{rank}} ok", flush=True)
"""

_PROGRAMS = """
numbers = [3, -1, 4, -1, 5, 9, -2, 6, 5, 3, 5]
total = cluster.sum_of_squares(numbers)
assert rank != 0 or total == sum(x * x for x in numbers), total
total = cluster.sum_of_squares([])
assert rank != 0 or total == 0, total
big = list(range({big}))
partner = rank ^ 1 if rank ^ 1 < size else rank
theirs = cluster.swap(big)
assert theirs == cluster.blocks(big, size)[partner], (len(theirs), partner)
texts = ["a b c", "d", "e f", "g h i j", "", "k l m n o"]
for some in (texts, texts[:1], []):
    counts = cluster.count_words(some)
    assert rank != 0 or counts == [len(t.split()) for t in some], counts
"""

_SWAP_ONLY = """
cluster.swap(list(range({big})))
"""


def _mpiexec() -> str:
    """The mpiexec of this interpreter's MPICH, or a failure that says how to get it."""
    found = find_tool("mpiexec")
    if found is None or importlib.util.find_spec("mpi4py") is None:
        pytest.fail("real MPI is not installed: pip install -e '.[dev]' brings mpi4py and the "
                    "mpich wheel, whose mpiexec the tests run")
    return found


def _start(folder: Path, dumps: Path, size: int, body: str, after: float) -> subprocess.Popen:
    dumps.mkdir(exist_ok=True)
    program = _RANK.format(dumps=str(dumps), after=after, folder=str(folder), body=body)
    return subprocess.Popen([_mpiexec(), "-n", str(size), sys.executable, "-c", program],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=folder, start_new_session=True)


def _stop(child: subprocess.Popen) -> tuple[str, str]:
    """End the run; its output. mpiexec is asked first (SIGTERM): it ends its proxy and
    every rank, and removes the topology file its proxy wrote in /tmp, which a SIGKILL
    leaves behind (one hydra_hwloc_xmlfile_* per hang test and suite run). Whatever of
    its session is left then is killed."""
    if child.poll() is None:
        child.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.communicate(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    return child.communicate()


def _dumps(dumps: Path, size: int) -> str:
    return "\n".join(f"--- rank {r}:\n" + (dumps / f"rank{r}.txt").read_text()[-2000:]
                     for r in range(size) if (dumps / f"rank{r}.txt").exists())


def _run_to_the_end(folder: Path, dumps: Path, size: int) -> None:
    child = _start(folder, dumps, size, _PROGRAMS.format(big=BIG), after=60)
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        _stop(child)
        pytest.fail(f"mpiexec -n {size} did not finish in 120 s; where each rank "
                    f"waited:\n{_dumps(dumps, size)}")
    finally:
        _stop(child)
    # (mpiexec merges the ranks' output as it comes, so one rank's line may run into another's)
    ok = {int(r) for r in re.findall(r"rank (\d+) ok", out)}
    assert child.returncode == 0 and ok == set(range(size)), (out[-2000:], err[-3000:])


VERSIONS = ["solution", *sorted(f"alternative/{p.stem}"
                                for p in (SOLUTION / "alternative").glob("*.diff"))]


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_the_solution_runs_on_real_mpi(size: int, tmp_path: Path) -> None:
    with checkout("distributed_memory", SOLUTION) as folder:
        _run_to_the_end(folder, tmp_path / "dumps", size)


@pytest.mark.slow
@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("version", VERSIONS[1:])
def test_the_alternatives_run_on_real_mpi(version: str, size: int, tmp_path: Path) -> None:
    with checkout("distributed_memory", SOLUTION / f"{version}.diff") as folder:
        _run_to_the_end(folder, tmp_path / "dumps", size)


@pytest.mark.slow
def test_head_to_head_sends_of_big_blocks_hang_on_real_mpi(tmp_path: Path) -> None:
    """The starter's swap: both partners send first. With blocks this big each send waits
    for a receive that never comes; every rank's stack dump shows it waiting in its send."""
    dumps = tmp_path / "dumps"
    child = _start(KIT / "exercises" / "distributed_memory", dumps, 2,
                   _SWAP_ONLY.format(big=BIG), after=2)
    files = [dumps / f"rank{r}.txt" for r in (0, 1)]
    try:
        deadline = time.monotonic() + 60     # long enough for a loaded machine to get there
        while time.monotonic() < deadline and child.poll() is None and not all(
                f.exists() and "in swap" in f.read_text() for f in files):
            time.sleep(0.5)
        finished = child.poll() is not None
    finally:
        out, err = _stop(child)
    assert not finished, f"the head-to-head swap finished on real MPI:\n{out}\n{err[-2000:]}"
    source = (KIT / "exercises" / "distributed_memory" / "cluster.py").read_text()
    send = source.splitlines().index("    comm.send(block, dest=partner)") + 1
    for r, f in enumerate(files):
        last = f.read_text().rsplit("Thread 0x", 1)[-1]      # the latest dump
        assert f'cluster.py", line {send} in swap' in last, f"rank {r}:\n{last}"


def _stuck_line(dump: str) -> str | None:
    """The line of cluster.py a rank stood at in both of its last two dumps, if the same."""
    tops = [next((line.strip() for line in d.splitlines() if 'cluster.py"' in line), None)
            for d in dump.split("Thread 0x")[1:]]
    return tops[-1] if len(tops) >= 2 and tops[-1] is not None and tops[-1] == tops[-2] else None


DEADLOCKS = sorted(name for name, fix in topic("distributed_memory").wrong.items()
                   if fix.bug == "deadlock")


@pytest.mark.slow
@pytest.mark.parametrize("fix", DEADLOCKS)
def test_what_the_grader_calls_a_deadlock_hangs_on_real_mpi(fix: str, tmp_path: Path) -> None:
    """Each wrong fix the grader rejects as a deadlock hangs under real mpiexec -n 4 too
    (small messages and all): some rank stays at one line of cluster.py, dump after dump."""
    dumps = tmp_path / "dumps"
    with checkout("distributed_memory", SOLUTION / "wrong" / f"{fix}.diff") as folder:
        # (a dump a second: stuck once two in a row show the same line)
        child = _start(folder, dumps, 4, _PROGRAMS.format(big=10), after=1)
        try:
            deadline = time.monotonic() + 120    # long enough for a loaded machine
            stuck: list[str] = []
            while time.monotonic() < deadline and child.poll() is None and not stuck:
                time.sleep(0.5)
                stuck = [line for r in range(4) if (dumps / f"rank{r}.txt").exists()
                         and (line := _stuck_line((dumps / f"rank{r}.txt").read_text()))]
            finished = child.poll() is not None
        finally:
            out, err = _stop(child)
    assert not finished, f"{fix} finished on real MPI:\n{out}\n{err[-2000:]}"
    assert stuck, f"no rank stayed at one line of cluster.py:\n{_dumps(dumps, 4)}"
