"""``grade --cluster``: the sample class graded by the workers of a Dask cluster is written
exactly as a local ``--jobs 2`` run writes it, a worker killed mid-grade loses no grade, and
``--resume`` reuses what the cluster graded.

The test starts its own scheduler and two one-thread workers (``dask scheduler``, ``dask
worker``) as child processes that import this checkout, and stops them at the end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from grading_helpers import CLASS, ROOT, grade_cli, normalized, results

from graders.catalog import topic
from graders.childproc import proctable
from graders.grading import cluster as grading_cluster
from graders.grading import sandbox
from graders.grading.submissions import discover

#: The whole class on one topic (every kind of student is in it: dev's endless loop, finn's
#: fork bomb, the cheats), with a short CPU limit: dev's endless loop in C code ends each of
#: its checks at it. The other topics would only make the class longer, on both sides.
ARGS = ["--timeout", "4", "--topics", "data_race"]


class Cluster:
    """A scheduler and two workers on this machine, each a process this test owns."""

    def __init__(self, folder: Path) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.folder = folder
        folder.mkdir()
        self.file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", "--scheduler-file", str(self.file),
                                     "--port", "0", "--no-dashboard")
        deadline = time.monotonic() + 60
        while not self.file.exists():
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            assert self.scheduler.poll() is None, "the Dask scheduler ended at its start"
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = [self._start("worker", "--scheduler-file", str(self.file),
                                    "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                    "--name", f"w{i}") for i in (1, 2)]
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

    def _start(self, what: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{what}-{len(list(self.folder.glob(what + '*')))}.log").open("wb")
        with log:
            return subprocess.Popen([sys.executable, "-m", "dask", what, *args], cwd=self.folder,
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def comparable(out: Path) -> dict[str, object]:
    """Every file under ``out`` as :func:`normalized` reads it, but for a student with a
    check stopped at a time limit (dev's endless loop in C) only the verdicts and points:
    whether the CPU limit or the clock's backstop stops such a check first, and so the words
    of its report, depend on the machine's load, not on where it was graded."""
    graded = results(out)
    stopped = {name for name, r in graded.items()
               if any(c["bug_class"] == "timeout" for c in r["checks"])}
    files = normalized(out)
    for key in list(files):
        parts = Path(key).parts
        if len(parts) > 1 and parts[1].split(".")[0] in stopped:
            del files[key]
    for name in stopped:
        files[f"verdicts of {name}"] = (graded[name]["score"], [
            (c["topic"], c["check"], c["status"], c["bug_class"])
            for c in graded[name]["checks"]])
        junit = files["junit.xml"]
        assert isinstance(junit, bytes)
        files["junit.xml"] = re.sub(rb'<testsuite name="' + name.encode() + rb'".*?</testsuite>',
                                    b"", junit, flags=re.S)
    return files


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    started = Cluster(tmp_path / "cluster")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "grades"
    run = grade_cli(str(CLASS), *ARGS, "--jobs", "2", "--out", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    return out


# The slow test grades the class twice (locally, then on the cluster): on a busy machine
# longer than the suite's 300 s per test.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_class_graded_on_a_cluster_that_loses_a_worker_is_written_as_a_local_run(
        local_run: Path, cluster: Cluster, tmp_path: Path) -> None:
    """One cluster run proves both promises: a worker killed while it grades loses no grade
    (its submission is graded again elsewhere), and every file is written as a local run
    writes it. (Two runs, one undisturbed, cost a whole class more of the suite's time.)"""
    out = tmp_path / "grades"
    env = {**os.environ, "NO_COLOR": "1"}
    grader = subprocess.Popen(
        [sys.executable, "-m", "graders", "grade", str(CLASS), *ARGS, "--cluster",
         cluster.address, "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    victim = cluster.workers[0]
    deadline = time.monotonic() + 300
    # Kill the worker while it grades: once its sandbox child is running.
    while not proctable.descendants(victim.pid):
        assert time.monotonic() < deadline, "worker w1 never started grading"
        assert grader.poll() is None, grader.communicate()[0]
        time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    text, _ = grader.communicate(timeout=900)
    assert grader.returncode == 0, text
    assert f"on the Dask cluster at {cluster.address}" in text
    graded = results(out)
    assert sorted(graded) == sorted(results(local_run)), text
    assert all(r["graded"] for r in graded.values()), text
    assert comparable(out) == comparable(local_run)
    again = grade_cli(str(CLASS), *ARGS, "--cluster", cluster.address, "--out", str(out),
                      "--resume")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Graded 0, {len(graded)} reused." in again.stdout
    assert comparable(out) == comparable(local_run)


def test_a_worker_with_another_kit_refuses_to_grade() -> None:
    """Grades from two versions of the checks must never mix in one class."""
    sub = next(s for s in discover(CLASS) if s.student == "ada")
    plan = sandbox.Plan((topic("data_race"),))
    files = sub.read(plan.topics)
    with pytest.raises(grading_cluster.ClusterError, match="another version of the kit"):
        grading_cluster.grade_on_worker(sub, plan, files, plan.digest(files), "0" * 64)
