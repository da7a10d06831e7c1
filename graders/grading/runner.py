"""Grade a class: every submission in its own child, ``jobs`` at a time, nothing lost.

Each result is written to ``OUT/results/<student>.json`` atomically (a temporary file and
``os.replace``) the moment its child is done, with the student's per-student outputs; a
crash or a ``kill -9`` of the grader loses only the submissions still running, and the
temporary files a kill can leave mid-write are removed when the next run starts. With
``resume`` a stored result is reused when its digest (the graded files, the kit's checking
code and the settings) is unchanged, and regraded otherwise. The class-wide files, and every
per-student file again, are written from memory at the end, so a stray process that
touched one in between cannot leave it changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from graders.catalog import Topic, topics

from . import formats, sandbox
from .model import SubmissionResult, load, remove_temporaries, write_atomic
from .submissions import Files, Submission, safe_name

Listener = Callable[[str, str, SubmissionResult | None], None]   # (event, student, result)


@dataclass
class ClassResult:
    results: list[SubmissionResult]
    graded: int          # graded in this run
    reused: int          # taken from OUT/results by --resume


def topics_found(subs: list[Submission]) -> list[Topic]:
    """The catalogue's topics (in its order) for which some submission has a file."""
    every = list(topics().values())
    present: set[str] = set()
    for sub in subs:
        files = sub.read(every)
        present.update(t for t, _ in files.found)
    return [t for t in every if t.name in present]


def result_path(out: Path, student: str) -> Path:
    return out / "results" / f"{safe_name(student)}.json"


def grade_class(subs: list[Submission], out: Path, plan: sandbox.Plan, *, jobs: int = 1,
                resume: bool = False, context: formats.Context | None = None,
                listener: Listener | None = None) -> ClassResult:
    """Grade ``subs`` into ``out``; ``listener`` hears "reused", "started" and "done"."""
    context = context or formats.Context(plan.topics)
    tell = listener or (lambda event, student, result: None)
    remove_temporaries(out)
    done: dict[str, SubmissionResult] = {}
    todo: list[tuple[Submission, Files, str]] = []
    for sub in subs:
        files = sub.read(plan.topics)
        digest = plan.digest(files)
        if resume:
            old = load(result_path(out, sub.student))
            # An ungraded result is graded again: what failed (a missing package, say) is
            # fixed outside anything the digest covers.
            if old is not None and old.graded and old.digest == digest \
                    and old.student == sub.student:
                done[sub.student] = old
                tell("reused", sub.student, old)
                continue
        todo.append((sub, files, digest))

    cancel = threading.Event()
    graded = 0
    pending: dict[Future[SubmissionResult], Submission] = {}
    queue = list(todo)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade") as pool:
        try:
            while queue or pending:
                while queue and len(pending) < max(1, jobs):
                    sub, files, digest = queue.pop(0)
                    tell("started", sub.student, None)
                    pending[pool.submit(sandbox.grade, sub, plan, files, digest,
                                        cancel)] = sub
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    sub = pending.pop(future)
                    result = future.result()
                    write_atomic(result_path(out, sub.student), result.dumps())
                    formats.write_student(out, result, context)
                    done[sub.student] = result
                    graded += 1
                    tell("done", sub.student, result)
        except BaseException:
            cancel.set()
            raise
    results = [done[sub.student] for sub in subs]
    for result in results:
        formats.write_student(out, result, context)
    formats.write_class(out, results, context)
    return ClassResult(results, graded, len(results) - graded)

