"""Grade a class: every submission in its own child, ``jobs`` at a time, nothing lost.

Each result is written to ``OUT/results/<student>.json`` atomically (a temporary file and
``os.replace``) the moment its child is done, with the student's per-student outputs; a
crash or a ``kill -9`` of the grader loses only the submissions still running, and the
temporary files a kill can leave mid-write (and the scratch folders of a killed grader) are
removed when the next run starts. With
``resume`` a stored result is reused when its digest (the graded files, the kit's checking
code and the settings) is unchanged, and regraded otherwise. The class-wide files, and every
per-student file again, are written from memory at the end, so a stray process that
touched one in between cannot leave it changed.

Every submission's graded files are scanned here, in the parent, before any child starts
(:mod:`.scan`): the findings become the result's ``review`` and withhold the flagged topics'
points until the instructor accepts them (``accept``). The scan runs on every run, reused
results included, so what a stored result says is what the current scan finds; an
acceptance is kept with a reused result (the files are the same) as long as the findings
are, and is otherwise asked for again.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Collection, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graders.catalog import Topic, topics

from . import formats, sandbox, seal
from .model import SubmissionResult, load_data, remove_temporaries, write_atomic
from .scan import scan
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


def flagged(files: Files, topics: tuple[Topic, ...]) -> list[dict[str, Any]]:
    """The integrity scan's findings in a submission's graded files, as the result stores
    them (``topic``, ``file``, ``line``, ``reason``)."""
    found: list[dict[str, Any]] = []
    for t in topics:
        for name in t.files:
            data = files.found.get((t.name, name))
            if data is not None:
                found += [{"topic": t.name, **asdict(f)}
                          for f in scan(data, f"exercises/{t.name}/{name}", t.allow)]
    return found


def _apply_review(result: SubmissionResult, review: list[dict[str, Any]],
                  accept: bool) -> bool:
    """Give ``result`` the current findings and acceptance; True when that changed it."""
    accepted = bool(review) and (accept or (result.accepted and result.review == review))
    changed = (result.review, result.accepted) != (review, accepted)
    result.review, result.accepted = review, accepted
    return changed


def result_path(out: Path, student: str) -> Path:
    return out / "results" / f"{safe_name(student)}.json"


def store(out: Path, result: SubmissionResult, key: bytes) -> None:
    """Write the student's result, sealed with the instructor's key (see :mod:`.seal`)."""
    data = seal.seal(result.to_json(), key)
    write_atomic(result_path(out, result.student),
                 json.dumps(data, indent=2, sort_keys=True) + "\n")


def _stored(path: Path, key: bytes) -> tuple[SubmissionResult | None, bool]:
    """The stored result ``--resume`` may reuse (None if there is none it may), and whether
    one was there with a seal that does not hold (edited since it was written)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None, False
    if not isinstance(data, dict) or not seal.intact(data, key):
        return None, True
    return load_data(data), False


Todo = list[tuple[Submission, Files, str, list[dict[str, Any]]]]
Finished = Generator[tuple[Submission, list[dict[str, Any]], SubmissionResult], None, None]


def _local(todo: Todo, plan: sandbox.Plan, jobs: int, tell: Listener) -> Finished:
    """Grade ``todo`` here, ``jobs`` children at a time; yields each as it finishes."""
    cancel = threading.Event()
    pending: dict[Future[SubmissionResult], tuple[Submission, list[dict[str, Any]]]] = {}
    queue = list(todo)
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade") as pool:
        try:
            while queue or pending:
                while queue and len(pending) < max(1, jobs):
                    sub, files, digest, review = queue.pop(0)
                    tell("started", sub.student, None)
                    pending[pool.submit(sandbox.grade, sub, plan, files, digest,
                                        cancel)] = (sub, review)
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    sub, review = pending.pop(future)
                    yield sub, review, future.result()
        except BaseException:
            cancel.set()
            raise


def _on_cluster(address: str, todo: Todo, plan: sandbox.Plan, tell: Listener) -> Finished:
    """Grade ``todo`` on the Dask cluster at ``address`` (every task is sent at once; the
    scheduler decides when each starts)."""
    from . import cluster

    for sub, *_ in todo:
        tell("started", sub.student, None)
    yield from cluster.run(address, todo, plan)


def grade_class(subs: list[Submission], out: Path, plan: sandbox.Plan, *, jobs: int = 1,
                resume: bool = False, context: formats.Context | None = None,
                listener: Listener | None = None, accept: Collection[str] = (),
                cluster: str | None = None) -> ClassResult:
    """Grade ``subs`` into ``out``; ``listener`` hears "reused", "started" and "done".

    ``accept`` names the students whose flagged code the instructor accepts; ``cluster`` is
    the address of a Dask scheduler whose workers grade instead of ``jobs`` local children
    (:mod:`.cluster`). Either way this process alone writes ``out``."""
    context = context or formats.Context(plan.topics)
    tell = listener or (lambda event, student, result: None)
    remove_temporaries(out)
    sandbox.remove_stale_scratch()
    key = seal.load_key()
    done: dict[str, SubmissionResult] = {}
    todo: Todo = []
    for sub in subs:
        files = sub.read(plan.topics)
        digest = plan.digest(files)
        review = flagged(files, plan.topics)
        if resume:
            old, broken = _stored(result_path(out, sub.student), key)
            if broken:
                tell("broken seal", sub.student, None)
            # An ungraded result is graded again: what failed (a missing package, say) is
            # fixed outside anything the digest covers.
            if old is not None and old.graded and old.digest == digest \
                    and old.student == sub.student:
                if _apply_review(old, review, sub.student in accept):
                    store(out, old, key)
                done[sub.student] = old
                tell("reused", sub.student, old)
                continue
        todo.append((sub, files, digest, review))

    graded = 0
    finished = (_local(todo, plan, jobs, tell) if cluster is None
                else _on_cluster(cluster, todo, plan, tell))
    with contextlib.closing(finished):      # Ctrl-C here stops the children or the tasks
        for sub, review, result in finished:
            _apply_review(result, review, sub.student in accept)
            store(out, result, key)
            formats.write_student(out, result, context)
            done[sub.student] = result
            graded += 1
            tell("done", sub.student, result)
    results = [done[sub.student] for sub in subs]
    for result in results:
        formats.write_student(out, result, context)
    formats.write_class(out, results, context)
    return ClassResult(results, graded, len(results) - graded)

