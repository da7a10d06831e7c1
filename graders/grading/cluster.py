"""Grade on a Dask distributed cluster (``grade --cluster ADDRESS``).

Each submission is one task: the parent reads and scans the files as always, and sends the
files themselves (never a path: a worker need not see the submissions folder), the plan and
the digest. The worker grades them with :func:`graders.grading.sandbox.grade`, the very
sandbox a local run uses (the child's walls, the signed line it verifies with a key of its
own), and sends the result back sealed with the instructor's results key
(:mod:`.seal`; every worker needs a copy of that file). The parent takes only a result whose
seal holds, and writes every file itself; a worker writes nothing.

Dask runs whatever its clients send, so a scheduler must only be reachable by the
instructor: on a private network, or with TLS (``tls://`` addresses; docs/grading.md).

A worker must run the same kit: a task refuses to grade when the worker's
:func:`~graders.grading.sandbox.kit_fingerprint` is not the parent's, and the run stops,
naming the worker, instead of mixing grades from two versions of the checks.

A worker that dies mid-grade (a crash, ``kill -9``, a lost machine) takes nothing with it:
the scheduler hands its tasks to another worker (Dask does this by itself, up to
``distributed.scheduler.allowed-failures`` times per task), and the sandbox's child ends
with the worker that started it. A task that keeps losing its workers ends that
submission "not graded", saying why, for ``--resume`` to grade again.
"""

from __future__ import annotations

import socket
from collections.abc import Generator, Sequence
from typing import Any

from . import sandbox, seal
from .model import INFRASTRUCTURE, CheckResult, SubmissionResult, load_data
from .submissions import Files, Submission


class ClusterError(Exception):
    """The cluster cannot grade for this run: unreachable, a worker running another kit or
    sealing with another results key."""


def grade_on_worker(sub: Submission, plan: sandbox.Plan, files: Files, digest: str,
                    kit: str) -> dict[str, Any]:
    """The task a worker runs: one submission through the local sandbox, as plain data."""
    mine = sandbox.kit_fingerprint()
    if mine != kit:
        raise ClusterError(f"the worker on {socket.gethostname()} runs another version of "
                           f"the kit (fingerprint {mine[:12]}, the grader's {kit[:12]}): "
                           "start every worker from the same checkout as the grader")
    return seal.seal(sandbox.grade(sub, plan, files, digest).to_json(), seal.load_key())


def _lost(sub: Submission, plan: sandbox.Plan, files: Files, digest: str, why: str
          ) -> SubmissionResult:
    """The result of a task the cluster could not finish: not graded, for --resume."""
    result = SubmissionResult(
        student=sub.student, source=sub.path.name, kind=sub.kind, digest=digest,
        timestamp=files.timestamp(), python="", settings=plan.settings())
    message = f"The cluster could not grade this submission: {why}."
    result.notes.append(message)
    result.checks = [CheckResult(topic=t.name, check=c.name, points=c.points,
                                 hidden=c.hidden, status="error", bug_class=INFRASTRUCTURE,
                                 message=message) for t, c in plan.checks()]
    result.graded = False
    return result


Work = tuple[Submission, Files, str, Any]     # (submission, files, digest, what rides along)


def run(address: str, work: Sequence[Work], plan: sandbox.Plan
        ) -> Generator[tuple[Submission, Any, SubmissionResult], None, None]:
    """Grade ``work`` on the cluster at ``address``; yields each (submission, its rider,
    result) as it finishes, in the order they finish. Closing the iterator (Ctrl-C in the
    parent) cancels what has not started."""
    try:
        from distributed import Client, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError as exc:
        raise ClusterError("--cluster needs the distributed package: pip install "
                           "'concurrency-kit[cluster]' (or distributed) where the grader "
                           "runs") from exc
    try:
        client = Client(address, timeout=30,  # type: ignore[no-untyped-call]
                        set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    kit = sandbox.kit_fingerprint()
    key = seal.load_key()
    with client:
        futures = {}
        for sub, files, digest, rider in work:
            future = client.submit(grade_on_worker, sub, plan, files, digest, kit,
                                   pure=False)
            futures[future] = (sub, files, digest, rider)
        try:
            for future in as_completed(futures,  # type: ignore[no-untyped-call]
                                       loop=client.loop):
                sub, files, digest, rider = futures[future]
                try:
                    data = future.result()
                except KilledWorker as exc:
                    yield sub, rider, _lost(sub, plan, files, digest,
                                            f"every worker that took it died ({exc})")
                    continue
                except ClusterError:
                    raise
                except Exception as exc:
                    yield sub, rider, _lost(sub, plan, files, digest,
                                            f"{type(exc).__name__}: {exc}")
                    continue
                if not seal.intact(data, key):
                    raise ClusterError(
                        f"the result of {sub.student} is not sealed with this grader's results "
                        f"key ({seal.key_path()}): copy that file (mode 0600) to every worker "
                        "machine, or point GRADERS_RESULTS_KEY at it there")
                result = load_data(data)
                if result is None:
                    result = _lost(sub, plan, files, digest, "the worker sent no result")
                yield sub, rider, result
        finally:
            client.cancel(list(futures), force=True)  # type: ignore[no-untyped-call]
