"""A grade never depends on the machine that grades it.

The student's code sees the course machine: every CPU count Python can read says
``graders.checks.support.COURSE_CPUS`` while it runs (the child-process drivers pin it in the
child and in every worker process; the engine's ``ThreadPoolExecutor`` has a fixed default
size; checks that run code in this process use ``support.course_machine()``). And no check
waits on the clock for a verdict.

For every topic whose code can see the machine (tests/machine_facing.py: the CPU count, the
clock, child processes, pools, real threads, an event loop, MPI) and one topic that stands
for those on the engine's path alone, the starter, the solution and a few wrong fixes are
graded with the host's CPU count faked (in this process, and in every child interpreter through a
``sitecustomize.py`` on ``PYTHONPATH``, which runs before the driver starts) and on a
slowed machine (a busy process spinning on every core, and a busy thread in this process).
Which checks pass, and the bug class of each failure, must be the same as undisturbed.

To keep the whole file near a minute on 2 cores, each case gets two of the five disturbances
(CPUs faked to 1, 2, 4 or 64; slowed), so that every topic meets all five across its cases;
the wrong fixes chosen for the child-process topics are the ones that read the CPU count or
make the driver's probe wait, and they get 64 and 1 CPUs, or the slowed machine. The
in-process topics run with few schedules and no shrinking, against an undisturbed run with
the same settings (the same seeds give the same schedules); the child-process topics, whose
runs cost seconds, are held to what topics.toml promises (the dev check's undisturbed
verdict) instead of a baseline run of their own.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from machine_facing import machine_facing

from graders import variants
from graders.catalog import topics
from graders.checking import run_topic
from graders.checks import scheduling
from graders.childproc import launch
from graders.engine import Settings

pytestmark = pytest.mark.slow

TOPICS = list(machine_facing())
#: Topics held to topics.toml instead of a baseline run: their driver runs cost seconds.
PROMISED = {"threads_processes", "gil"}
#: Wrong fixes chosen for those (they wait in the driver's probe, read the CPU count, or
#: block in join() until the driver sees nothing run); every other topic takes its first.
CHOSEN = {
    "threads_processes": ["wait_for_each_result", "default_sized_pool", "join_without_stop"],
    "gil": ["score_pool_default_size", "pool_sized_by_cpu_count"],
}
SLOWED = 0
#: The disturbances of the starter, the solution, the first and the second wrong fix: a
#: host CPU count, or SLOWED. The first three cases meet all five.
ROTATION = [(1,), (2, 64), (4, SLOWED), (64, 1)]
#: The child-process topics' probes wait for other calls: a correct program on a slowed
#: machine is the case that matters most there.
ROTATION_PROMISED = [(1,), (2, SLOWED), (4, SLOWED), (64, 1), (SLOWED,)]
SETTINGS = Settings(schedules=8, shrink=False)

SITECUSTOMIZE = '''\
import os
N = {cpus}
os.cpu_count = lambda: N
os.process_cpu_count = lambda: N
os.sched_getaffinity = lambda pid: set(range(N))
'''


def _cases(name: str) -> list[tuple[str, Path]]:
    t = topics()[name]
    chosen = CHOSEN.get(name, list(t.wrong)[:1])
    return ([("starter", t.exercise_dir()), ("solution", t.solution_dir())]
            + [(f"wrong/{w}", variants.Fix.of(t, "wrong", w).path) for w in chosen])


def _forget_runs() -> None:
    """The child-process checks remember a driver run per folder: run them again."""
    launch._memo.clear()
    scheduling._memo.clear()


def _verdicts(name: str, source: Path) -> list[tuple[str, str | None]]:
    _forget_runs()
    with variants.checkout(name, source) as folder:
        outcomes = run_topic(topics()[name], folder, SETTINGS)
    return [(o.check, None if o.passed else str(o.bug_class)) for o in outcomes]


@contextmanager
def _host_cpus(cpus: int, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The grading machine has ``cpus`` CPUs, here and in every Python started from here."""
    folder = tmp / f"cpus{cpus}"
    folder.mkdir(parents=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE.format(cpus=cpus))
    with monkeypatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(
            [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]))
        patch.setattr(os, "cpu_count", lambda: cpus)
        patch.setattr(os, "process_cpu_count", lambda: cpus, raising=False)
        patch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)))
        yield


@contextmanager
def _slowed() -> Iterator[None]:
    """A busy process on every core of the host, and a busy thread in this process."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                 stdin=subprocess.DEVNULL)
                for _ in range(max(1, len(os.sched_getaffinity(0))))]
    stop = threading.Event()

    def spin() -> None:
        # Bursts of pure Python between short sleeps: it takes the GIL from the grader's
        # threads again and again without starving them outright (which would only make
        # the run as long as the spin lasts).
        while not stop.is_set():
            n = 0
            while n < 20_000:
                n += 1
            time.sleep(0.002)

    busy = threading.Thread(target=spin, daemon=True)
    busy.start()
    try:
        yield
    finally:
        stop.set()
        busy.join()
        for p in spinners:
            p.kill()
            p.wait()


def test_sitecustomize_fakes_the_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake reaches child interpreters (else the test below proves nothing)."""
    with _host_cpus(64, tmp_path, monkeypatch):
        out = subprocess.run([sys.executable, "-P", "-c", "import os, multiprocessing; "
                              "print(os.cpu_count(), multiprocessing.cpu_count())"],
                             capture_output=True, text=True, check=True, env=launch.child_env())
    assert out.stdout.split() == ["64", "64"]


def test_drivers_show_the_course_machine(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the host says, the student's code sees COURSE_CPUS, and so do the pools."""
    from graders.checks.support import COURSE_CPUS, course_machine

    probe = ("import os, multiprocessing\n"
             "from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor\n"
             "print(os.cpu_count(), multiprocessing.cpu_count(), "
             "len(os.sched_getaffinity(0)), os.sysconf('SC_NPROCESSORS_ONLN'), "
             "ThreadPoolExecutor()._max_workers, ProcessPoolExecutor()._max_workers, "
             "getattr(os, 'process_cpu_count', os.cpu_count)())\n")
    want = [str(COURSE_CPUS)] * 4 + [str(min(32, COURSE_CPUS + 4)), str(COURSE_CPUS),
                                     str(COURSE_CPUS)]
    driver = Path(launch.__file__).with_name("process_driver.py")
    code = f"import runpy; runpy.run_path({str(driver)!r}, run_name='x')\n" + probe
    for cpus in (1, 64):
        with _host_cpus(cpus, tmp_path, monkeypatch):
            env = launch.child_env(GRADERS_PD_DIR=str(tmp_path),
                                   GRADERS_PD_CPUS=str(COURSE_CPUS))
            out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True,
                                 text=True, check=True, env=env)
            assert out.stdout.split() == want, out.stderr
            with course_machine():
                from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

                seen = [os.cpu_count(), multiprocessing.cpu_count(),
                        len(os.sched_getaffinity(0)), os.sysconf("SC_NPROCESSORS_ONLN"),
                        ThreadPoolExecutor()._max_workers, ProcessPoolExecutor()._max_workers,
                        getattr(os, "process_cpu_count", os.cpu_count)()]
            assert [str(v) for v in seen] == want
            assert os.cpu_count() == cpus


def _promised(name: str, label: str) -> tuple[list[str], str | None]:
    """The checks topics.toml says the case fails, and the class of the first."""
    t = topics()[name]
    if label == "solution":
        return [], None
    if label == "starter":
        return list(t.fails), t.bug_class
    fix = t.wrong[label.split("/", 1)[1]]
    return list(fix.fails), fix.bug


def _as_promised(verdicts: list[tuple[str, str | None]]) -> tuple[list[str], str | None]:
    failed = [(check, bug) for check, bug in verdicts if bug is not None]
    return [c for c, _ in failed], failed[0][1] if failed else None


@pytest.mark.parametrize("name", TOPICS)
def test_same_verdicts_on_any_machine(name: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rotation = ROTATION_PROMISED if name in PROMISED else ROTATION
    for (label, source), disturbances in zip(_cases(name), rotation, strict=False):
        if name in PROMISED:
            expected: object = _promised(name, label)
        else:
            expected = _verdicts(name, source)
        for disturbance in disturbances:
            if disturbance == SLOWED:
                with _slowed():
                    got = _verdicts(name, source)
                where = "a slowed host"
            else:
                with _host_cpus(disturbance, tmp_path / label.replace("/", "-"), monkeypatch):
                    got = _verdicts(name, source)
                where = f"a {disturbance}-CPU host"
            seen = _as_promised(got) if name in PROMISED else got
            assert seen == expected, f"{name} {label} on {where}: {got}"
    _forget_runs()
