"""Which topics' code can see the machine that grades it.

The per-topic tests that grade a topic on a disturbed machine or through the grading
sandbox (tests/topics/test_machine_independence.py, tests/grading/test_every_topic.py) are
about what a topic's code touches outside the engine: the CPU count, the clock, child
processes, pools, real threads, an event loop, MPI. A topic whose starter, solution and
checks touch none of those runs on the engine's path alone, the path every topic also
takes; one such topic (:data:`CONTROL`) stands for all of them. The dev check
(tests/topics/test_dev_check.py) still runs every topic's every case.

The selection is read from the sources, so a new topic that reaches the machine is tested
without anyone remembering to list it.
"""

from __future__ import annotations

import re
from functools import cache

from graders.catalog import Topic, topics

#: What in a topic's sources reaches outside the engine's virtual machine.
REACHES_OUT = re.compile(
    r"cpu_count|sched_getaffinity|multiprocessing|concurrent\.futures|ThreadPool|"
    r"ProcessPool|realthreads|real_run|childproc|launch|asyncio|monotonic|perf_counter|"
    r"time\.time|mpi4py|readerwriterlock|socket")

#: The topic that stands for every topic on the engine's path alone.
CONTROL = "data_race"


def _sources(t: Topic) -> str:
    folders = (t.exercise_dir(), t.solution_dir())
    texts = [(folder / name).read_text() for folder in folders for name in t.files]
    checks = t.exercise_dir().parents[1] / "graders" / "checks" / f"{t.name}.py"
    return "\n".join([*texts, checks.read_text()])


@cache
def machine_facing() -> tuple[str, ...]:
    """The topics, in course order, whose code can see the grading machine, and CONTROL."""
    return tuple(name for name, t in topics().items()
                 if name == CONTROL or REACHES_OUT.search(_sources(t)))
