"""A stand-in for ``mpi4py.MPI``: ranks are controlled processes (:mod:`.processes`).

A check starts the ranks with :func:`mpiexec`, as ``mpiexec -n SIZE`` would: each rank is a
process with its own copy of the code under test, and ``MPI.COMM_WORLD`` answers each with
its own rank. Outside the ranks (the code under test imported by the check itself) the
world has one rank, as a program started without ``mpiexec`` has.

Point-to-point messages are matched as MPI matches them: a receive takes the first message
that arrived from its source with its tag (either may be ``ANY_SOURCE``/``ANY_TAG``), and a
message takes the first receive posted for it. A blocking ``send`` returns at once only for a
message of at most ``Processes.eager_limit`` bytes; a bigger one waits until it is received
(the rendezvous of real MPI's large messages). With the default limit of 0 every send is a
rendezvous: two ranks that both send first deadlock on every schedule, not only when their
messages happen to be large.

Collectives (barrier, bcast, scatter, gather, reduce, allreduce, allgather, alltoall) are
matched by their order: the k-th collective of every rank is one operation, which ends when
every rank has called it. A rank that calls another operation (or another root) there is a
collective mismatch; a rank that never calls it leaves the others waiting, a deadlock that
names the missing ranks.
"""

from __future__ import annotations

import operator
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce as _fold
from typing import Any

from . import scheduler
from .findings import BLOCKED, DONE, Stated, ThreadView
from .primitives import step
from .processes import Process, ProcessState, World, here
from .scheduler import Aborted, ThreadState, WaitQueue
from .verdicts import BugClass

ANY_SOURCE = -1
ANY_TAG = -1
UNDEFINED = -32766   # mpi4py's MPI.UNDEFINED: the index when no request is done


class MPIError(RuntimeError):
    """``mpi4py.MPI.Exception``: what a call with a bad argument raises."""


# ------------------------------------------------------------------ the ranks' state
@dataclass(eq=False)
class _Message:
    source: int
    dest: int
    tag: int
    data: bytes
    raw: bool                        # a buffer (Send), not a pickled object (send)
    matched: bool = False
    queue: WaitQueue = field(init=False)
    universe: Universe | None = None

    def __post_init__(self) -> None:
        self.queue = WaitQueue(self, "send")

    @property
    def label(self) -> str:
        return f"send to rank {self.dest}"

    def waited_for(self, kind: str) -> ThreadState | None:
        assert self.universe is not None
        return self.universe.thread_of(self.dest)

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        return (f"waits to send to rank {self.dest} (tag {self.tag}) until rank {self.dest} "
                "receives it: a blocking send may wait for its receive")


@dataclass(eq=False)
class _Receive:
    dest: int
    source: int
    tag: int
    raw: bool
    message: _Message | None = None
    queue: WaitQueue = field(init=False)
    universe: Universe | None = None
    #: a probe's: it sees a matching message (of either kind) and leaves it to a receive
    probe: bool = False

    def __post_init__(self) -> None:
        self.queue = WaitQueue(self, "receive")

    @property
    def label(self) -> str:
        return ("receive from any rank" if self.source == ANY_SOURCE
                else f"receive from rank {self.source}")

    def takes(self, msg: _Message) -> bool:
        return (self.source in (ANY_SOURCE, msg.source) and self.tag in (ANY_TAG, msg.tag)
                and (self.probe or self.raw == msg.raw))

    def waited_for(self, kind: str) -> ThreadState | None:
        assert self.universe is not None
        if self.source != ANY_SOURCE:
            return self.universe.thread_of(self.source)
        return self.universe.first_other(self.dest, range(self.universe.size))

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        tag = "" if self.tag == ANY_TAG else f" with tag {self.tag}"
        if self.source == ANY_SOURCE:
            return f"waits to receive a message{tag} from any rank"
        assert self.universe is not None
        if self.universe.ended(self.source, threads):   # no message can come any more
            return (f"waits to receive from rank {self.source}{tag}, which has ended "
                    "without sending it")
        return f"waits to receive from rank {self.source}{tag}"


@dataclass(eq=False)
class _Collective:
    """The k-th collective call of every rank: one operation."""

    index: int
    operation: str
    root: int | None
    universe: Universe
    given: dict[int, bytes] = field(default_factory=dict)
    results: dict[int, Any] = field(default_factory=dict)
    done: bool = False
    queue: WaitQueue = field(init=False)

    def __post_init__(self) -> None:
        self.queue = WaitQueue(self, "collective")

    @property
    def label(self) -> str:
        return f"comm.{self.operation}"

    def missing(self) -> list[int]:
        return [r for r in range(self.universe.size) if r not in self.given]

    def waited_for(self, kind: str) -> ThreadState | None:
        return self.universe.first_other(-1, self.missing())

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        missing = self.missing()
        u = self.universe
        ended = [r for r in missing if u.ended(r, threads)]
        names = ", ".join(f"rank {r}" for r in missing)
        why = ("" if not ended else " (" + ", ".join(f"rank {r}" for r in ended)
               + (" has" if len(ended) == 1 else " have") + " ended without calling it)")
        root = f"root={self.root}" if self.root is not None else ""
        return (f"waits in comm.{self.operation}({root}), collective call "
                f"{self.index + 1} of every rank, for {names}{why}")


class _AnyRequest:
    """What a rank in Request.waitany() waits for: any of its requests to complete."""

    def __init__(self, universe: Universe, rank: int) -> None:
        self.universe = universe
        self.rank = rank
        self.label = f"a request of rank {rank}"

    def waited_for(self, kind: str) -> ThreadState | None:
        return self.universe.first_other(self.rank, range(self.universe.size))

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        return "waits in Request.waitany() for one of its requests to complete"


class Universe:
    """The ranks of one ``mpiexec``: who they are, their messages, their collectives."""

    def __init__(self, world: World, size: int) -> None:
        self.world = world
        self.size = size
        self.ranks: list[ProcessState | None] = [None] * size
        self.unexpected: list[list[_Message]] = [[] for _ in range(size)]
        self.posted: list[list[_Receive]] = [[] for _ in range(size)]
        self.collectives: list[_Collective] = []
        self.calls = [0] * size
        #: per rank, the requests (isend, irecv) not yet completed by a wait or a test
        self.open_requests: list[list[Request]] = [[] for _ in range(size)]
        #: per rank, where Request.waitany waits: woken whenever a message to or from
        #: that rank is matched (one of its requests may have completed)
        self.progress = [WaitQueue(_AnyRequest(self, r), "request") for r in range(size)]

    def thread_of(self, rank: int) -> ThreadState | None:
        proc = self.ranks[rank] if 0 <= rank < self.size else None
        return proc.thread if proc is not None else None

    def first_other(self, me: int, ranks: Sequence[int] | range) -> ThreadState | None:
        """The first of ``ranks`` (not ``me``) still running, blocked ones first."""
        found = [t for r in ranks if r != me and (t := self.thread_of(r)) is not None
                 and t.status != DONE]
        found.sort(key=lambda t: t.status != BLOCKED)
        return found[0] if found else None

    def ended(self, rank: int, threads: Sequence[ThreadView]) -> bool:
        """Whether ``rank`` had ended when the verdict was reached (``threads``: the views of
        that moment; a report is written after every rank has unwound)."""
        proc = self.ranks[rank] if 0 <= rank < self.size else None
        if proc is None or proc.thread is None:
            return False
        tid = proc.thread.tid
        return any(v.tid == tid and v.status == DONE for v in threads)

    def check_rank(self, rank: int, any_ok: bool = False) -> None:
        if not (0 <= rank < self.size or (any_ok and rank == ANY_SOURCE)):
            raise MPIError(f"MPI_ERR_RANK: invalid rank {rank} (the world has ranks 0 to "
                           f"{self.size - 1})")

    # ------------------------------------------------------------- point to point
    def post_send(self, msg: _Message) -> None:
        msg.universe = self
        for recv in list(self.posted[msg.dest]):
            if recv.takes(msg):
                self.posted[msg.dest].remove(recv)
                if recv.probe:             # seen, and left for a receive
                    recv.message = msg
                    self._wake(recv.queue)
                    continue
                self._match(recv, msg)
                return
        self.unexpected[msg.dest].append(msg)

    def post_probe(self, probe: _Receive) -> None:
        """A blocking probe: answered at once by a message already here, or by the next
        one that comes, which stays for a receive either way."""
        probe.universe = self
        probe.message = self.peek(probe)
        if probe.message is None:
            self.posted[probe.dest].append(probe)

    def peek(self, probe: _Receive) -> _Message | None:
        """The first message here that ``probe`` matches, left where it is."""
        return next((m for m in self.unexpected[probe.dest] if probe.takes(m)), None)

    def post_receive(self, recv: _Receive) -> None:
        recv.universe = self
        for msg in self.unexpected[recv.dest]:
            if recv.takes(msg):
                self.unexpected[recv.dest].remove(msg)
                self._match(recv, msg)
                return
        self.posted[recv.dest].append(recv)

    def _match(self, recv: _Receive, msg: _Message) -> None:
        recv.message = msg
        msg.matched = True
        for queue in (recv.queue, msg.queue, self.progress[recv.dest],
                      self.progress[msg.source]):
            self._wake(queue)

    def _wake(self, queue: WaitQueue) -> None:
        run = self.world.run
        for waiter in list(queue.waiters):
            run.wake(waiter, True)


# ------------------------------------------------------------------ requests and status
class Status:
    """``MPI.Status``: where a received message came from."""

    def __init__(self) -> None:
        self.source = ANY_SOURCE
        self.tag = ANY_TAG
        self.count = 0

    def Get_source(self) -> int:
        return self.source

    def Get_tag(self) -> int:
        return self.tag

    def Get_count(self, datatype: Any = None) -> int:
        return self.count


class Request:
    """``MPI.Request``, from isend/irecv (and Isend/Irecv)."""

    def __init__(self, comm: Intracomm, send: _Message | None, recv: _Receive | None,
                 buffer: Any = None) -> None:
        self._comm = comm
        self._send = send
        self._recv = recv
        self._buffer = buffer
        _w, _ts, proc, universe = comm._me()
        self._open = universe.open_requests[proc.rank]
        self._open.append(self)

    def _completed(self) -> None:
        if self in self._open:
            self._open.remove(self)

    def describe(self) -> str:
        """``isend() to rank 1 (tag 0)``, as an unfinished request is named."""
        if self._send is not None:
            return f"isend() to rank {self._send.dest} (tag {self._send.tag})"
        assert self._recv is not None
        source = "any rank" if self._recv.source == ANY_SOURCE else f"rank {self._recv.source}"
        return f"irecv() from {source}"

    def _complete(self) -> bool:
        if self._send is not None:
            return self._send.matched or len(self._send.data) <= self._comm._eager()
        assert self._recv is not None
        return self._recv.message is not None

    def wait(self, status: Status | None = None) -> Any:
        run, ts = step(self, "wait")
        queue = self._send.queue if self._send is not None else self._queue_of_receive()
        while not self._complete():
            run.block(ts, queue, None, obj=queue.owner)
        self._completed()
        return self._result(status)

    Wait = wait

    def _queue_of_receive(self) -> WaitQueue:
        assert self._recv is not None
        return self._recv.queue

    def test(self, status: Status | None = None) -> tuple[bool, Any]:
        step(self, "test")
        if not self._complete():
            return False, None
        self._completed()
        return True, self._result(status)

    def Test(self, status: Status | None = None) -> bool:
        return self.test(status)[0]

    def _result(self, status: Status | None) -> Any:
        if self._recv is None:
            return None
        msg = self._recv.message
        assert msg is not None
        return self._comm._deliver(msg, status, self._buffer)

    @staticmethod
    def waitall(requests: Sequence[Request], statuses: Any = None) -> list[Any]:
        return [r.wait() for r in requests]

    Waitall = waitall

    @staticmethod
    def testall(requests: Sequence[Request], statuses: Any = None) -> tuple[bool, Any]:
        """(True, their results) once every request is done (all are then complete);
        (False, None) while one is not."""
        if not requests:
            return True, []
        step(requests[0], "test")
        if not all(r._complete() for r in requests):
            return False, None
        for r in requests:
            r._completed()
        return True, [r._result(None) for r in requests]

    @staticmethod
    def Testall(requests: Sequence[Request], statuses: Any = None) -> bool:
        return Request.testall(requests, statuses)[0]

    @staticmethod
    def testany(requests: Sequence[Request], status: Status | None = None
                ) -> tuple[int, bool, Any]:
        """(index, True, its result) of the first request done (it is then complete), or
        (UNDEFINED, False, None)."""
        if requests:
            step(requests[0], "test")
        for i, r in enumerate(requests):
            if r._complete():
                r._completed()
                return i, True, r._result(status)
        return UNDEFINED, not requests, None

    @staticmethod
    def Testany(requests: Sequence[Request], status: Status | None = None
                ) -> tuple[int, bool]:
        index, flag, _ = Request.testany(requests, status)
        return index, flag

    @staticmethod
    def waitany(requests: Sequence[Request], status: Status | None = None
                ) -> tuple[int, Any]:
        """(index, its result) of the first request to be done; it waits until one is."""
        if not requests:
            return UNDEFINED, None
        run, ts = step(requests[0], "wait")
        _w, _ts, proc, universe = requests[0]._comm._me()
        while True:
            for i, r in enumerate(requests):
                if r._complete():
                    r._completed()
                    return i, r._result(status)
            queue = universe.progress[proc.rank]
            run.block(ts, queue, None, obj=queue.owner)

    @staticmethod
    def Waitany(requests: Sequence[Request], status: Status | None = None) -> int:
        return Request.waitany(requests, status)[0]


# ------------------------------------------------------------------ reduction ops
class Op:
    """``MPI.SUM`` and the others: a binary function folded over the ranks in order."""

    def __init__(self, name: str, fn: Callable[[Any, Any], Any]) -> None:
        self.name = name
        self.fn = fn

    def __call__(self, a: Any, b: Any) -> Any:
        return self.fn(a, b)

    def __repr__(self) -> str:
        return f"<mpi4py.MPI.Op {self.name}>"

    @staticmethod
    def Create(function: Callable[..., Any], commute: bool = False) -> Op:
        return Op("user", lambda a, b: function(a, b, None))


OPS = {
    "SUM": Op("SUM", operator.add), "PROD": Op("PROD", operator.mul),
    "MAX": Op("MAX", max), "MIN": Op("MIN", min),
    "LAND": Op("LAND", lambda a, b: bool(a) and bool(b)),
    "LOR": Op("LOR", lambda a, b: bool(a) or bool(b)),
    "LXOR": Op("LXOR", lambda a, b: bool(a) != bool(b)),
    "BAND": Op("BAND", operator.and_), "BOR": Op("BOR", operator.or_),
    "BXOR": Op("BXOR", operator.xor),
}


# ------------------------------------------------------------------ the communicator
def _buffer_of(spec: Any) -> Any:
    """The buffer in ``buf`` or ``[buf, MPI.INT]`` or ``[buf, count, MPI.INT]``."""
    return spec[0] if isinstance(spec, list | tuple) else spec


def _bytes_of(spec: Any) -> bytes:
    return bytes(memoryview(_buffer_of(spec)).cast("B"))


def _fill(spec: Any, data: bytes) -> None:
    view = memoryview(_buffer_of(spec)).cast("B")
    if len(data) > len(view):
        raise MPIError(f"MPI_ERR_TRUNCATE: message truncated ({len(data)} bytes into a "
                       f"buffer of {len(view)})")
    view[:len(data)] = data


class Intracomm:
    """``MPI.COMM_WORLD``: every call answers for the rank that makes it."""

    def _me(self) -> tuple[World, ThreadState, ProcessState, Universe]:
        w, ts, proc = here()
        if proc.universe is None:          # not started by mpiexec: a world of one
            proc.universe = Universe(w, 1)
            proc.universe.ranks[0] = proc
        return w, ts, proc, proc.universe

    def _eager(self) -> int:
        return here()[0].options.eager_limit

    def Get_rank(self) -> int:
        return self._me()[2].rank

    def Get_size(self) -> int:
        return self._me()[3].size

    @property
    def rank(self) -> int:
        return self.Get_rank()

    @property
    def size(self) -> int:
        return self.Get_size()

    # ------------------------------------------------------------- point to point
    def _post(self, data: bytes, raw: bool, dest: int, tag: int) -> _Message:
        _w, _ts, proc, u = self._me()
        u.check_rank(dest)
        msg = _Message(proc.rank, dest, tag, data, raw)
        u.post_send(msg)
        return msg

    def _send_blocking(self, data: bytes, raw: bool, dest: int, tag: int) -> None:
        run, ts = step(self, "send")
        msg = self._post(data, raw, dest, tag)
        while not msg.matched and len(data) > self._eager():
            run.block(ts, msg.queue, None, obj=msg)

    def send(self, obj: Any, dest: int, tag: int = 0) -> None:
        self._send_blocking(here()[0].dumps(obj)[0], False, dest, tag)

    def Send(self, buf: Any, dest: int, tag: int = 0) -> None:
        self._send_blocking(_bytes_of(buf), True, dest, tag)

    ssend = send

    def isend(self, obj: Any, dest: int, tag: int = 0) -> Request:
        step(self, "isend")
        return Request(self, self._post(here()[0].dumps(obj)[0], False, dest, tag), None)

    def Isend(self, buf: Any, dest: int, tag: int = 0) -> Request:
        step(self, "isend")
        return Request(self, self._post(_bytes_of(buf), True, dest, tag), None)

    def _receive(self, source: int, tag: int, raw: bool) -> _Receive:
        _w, _ts, proc, u = self._me()
        u.check_rank(source, any_ok=True)
        recv = _Receive(proc.rank, source, tag, raw)
        u.post_receive(recv)
        return recv

    def recv(self, buf: Any = None, source: int = ANY_SOURCE, tag: int = ANY_TAG,
             status: Status | None = None) -> Any:
        run, ts = step(self, "recv")
        recv = self._receive(source, tag, False)
        while recv.message is None:
            run.block(ts, recv.queue, None, obj=recv)
        return self._deliver(recv.message, status, None)

    def Recv(self, buf: Any, source: int = ANY_SOURCE, tag: int = ANY_TAG,
             status: Status | None = None) -> None:
        run, ts = step(self, "recv")
        recv = self._receive(source, tag, True)
        while recv.message is None:
            run.block(ts, recv.queue, None, obj=recv)
        self._deliver(recv.message, status, buf)

    def probe(self, source: int = ANY_SOURCE, tag: int = ANY_TAG,
              status: Status | None = None) -> bool:
        """Wait until a message from ``source`` with ``tag`` is here, and leave it there."""
        run, ts = step(self, "probe")
        _w, _ts, proc, u = self._me()
        u.check_rank(source, any_ok=True)
        probe = _Receive(proc.rank, source, tag, False, probe=True)
        u.post_probe(probe)
        while probe.message is None:
            run.block(ts, probe.queue, None, obj=probe)
        self._describe(probe.message, status)
        return True

    def Probe(self, source: int = ANY_SOURCE, tag: int = ANY_TAG,
              status: Status | None = None) -> None:
        self.probe(source, tag, status)

    def iprobe(self, source: int = ANY_SOURCE, tag: int = ANY_TAG,
               status: Status | None = None) -> bool:
        """Whether a message from ``source`` with ``tag`` is here (it stays there)."""
        step(self, "probe")
        _w, _ts, proc, u = self._me()
        u.check_rank(source, any_ok=True)
        found = u.peek(_Receive(proc.rank, source, tag, False, probe=True))
        if found is not None:
            self._describe(found, status)
        return found is not None

    Iprobe = iprobe

    @staticmethod
    def _describe(msg: _Message, status: Status | None) -> None:
        if status is not None:
            status.source, status.tag, status.count = msg.source, msg.tag, len(msg.data)

    def irecv(self, buf: Any = None, source: int = ANY_SOURCE, tag: int = ANY_TAG) -> Request:
        step(self, "irecv")
        return Request(self, None, self._receive(source, tag, False))

    def Irecv(self, buf: Any, source: int = ANY_SOURCE, tag: int = ANY_TAG) -> Request:
        step(self, "irecv")
        return Request(self, None, self._receive(source, tag, True), buf)

    def _deliver(self, msg: _Message, status: Status | None, buf: Any) -> Any:
        self._describe(msg, status)
        if msg.raw:
            _fill(buf, msg.data)
            return None
        w, _ts, proc = here()
        return w.loads(msg.data, proc)

    def sendrecv(self, sendobj: Any, dest: int, sendtag: int = 0, recvbuf: Any = None,
                 source: int = ANY_SOURCE, recvtag: int = ANY_TAG,
                 status: Status | None = None) -> Any:
        request = self.isend(sendobj, dest, sendtag)
        got = self.recv(None, source, recvtag, status)
        request.wait()
        return got

    # ------------------------------------------------------------- collectives
    def _collective(self, name: str, root: int | None, data: bytes,
                    combine: Callable[[Universe, list[Any]], list[Any]]) -> Any:
        """Take part in this rank's next collective; return this rank's share of it."""
        run, ts = step(self, name)
        w, _ts, proc, u = self._me()
        if root is not None:
            u.check_rank(root)
        me = proc.rank
        k = u.calls[me]
        u.calls[me] += 1
        if k == len(u.collectives):
            u.collectives.append(_Collective(k, name, root, u))
        c = u.collectives[k]
        if (c.operation, c.root) != (name, root):
            first = next(r for r in range(u.size) if r in c.given)
            run.fail(Stated(
                bug_class=BugClass.COLLECTIVE_MISMATCH, thread=ts.name,
                message=(f"Collective mismatch: rank {me} called comm.{name}"
                         f"{_root(root)} where rank {first} called comm.{c.operation}"
                         f"{_root(c.root)}. Every rank must make the same collective calls, "
                         f"in the same order, with the same root (this was collective call "
                         f"{k + 1} of each).")))
            raise Aborted
        c.given[me] = data
        if not c.missing():
            values = [w.loads(c.given[r], proc) for r in range(u.size)]
            for r, share in enumerate(combine(u, values)):
                c.results[r] = share
            c.done = True
            for waiter in list(c.queue.waiters):
                run.wake(waiter, True)
        while not c.done:
            run.block(ts, c.queue, None, obj=c)
        share = c.results.pop(me)
        return w.loads(w.dumps(share)[0], proc)   # each rank its own copy

    def barrier(self) -> None:
        self._collective("barrier", None, here()[0].dumps(None)[0],
                         lambda u, values: [None] * u.size)

    Barrier = barrier

    def bcast(self, obj: Any = None, root: int = 0) -> Any:
        return self._collective("bcast", root, here()[0].dumps(obj)[0],
                                lambda u, values: [values[root]] * u.size)

    def scatter(self, sendobj: Any = None, root: int = 0) -> Any:
        def share(u: Universe, values: list[Any]) -> list[Any]:
            items = values[root]
            if items is None or len(items) != u.size:
                raise ValueError(f"expecting {u.size} items, got "
                                 f"{'None' if items is None else len(items)}")
            return list(items)
        return self._collective("scatter", root, here()[0].dumps(sendobj)[0], share)

    def gather(self, sendobj: Any, root: int = 0) -> Any:
        return self._collective("gather", root, here()[0].dumps(sendobj)[0],
                                lambda u, values: [values if r == root else None
                                                   for r in range(u.size)])

    def allgather(self, sendobj: Any) -> Any:
        return self._collective("allgather", None, here()[0].dumps(sendobj)[0],
                                lambda u, values: [values] * u.size)

    def reduce(self, sendobj: Any, op: Op = OPS["SUM"], root: int = 0) -> Any:
        return self._collective("reduce", root, here()[0].dumps(sendobj)[0],
                                lambda u, values: [_fold(op, values) if r == root else None
                                                   for r in range(u.size)])

    def allreduce(self, sendobj: Any, op: Op = OPS["SUM"]) -> Any:
        return self._collective("allreduce", None, here()[0].dumps(sendobj)[0],
                                lambda u, values: [_fold(op, values)] * u.size)

    def alltoall(self, sendobj: Any) -> Any:
        return self._collective("alltoall", None, here()[0].dumps(sendobj)[0],
                                lambda u, values: [[v[r] for v in values]
                                                   for r in range(u.size)])

    def Bcast(self, buf: Any, root: int = 0) -> None:
        got = self._collective("Bcast", root, here()[0].dumps(_bytes_of(buf))[0],
                               lambda u, values: [values[root]] * u.size)
        _fill(buf, got)

    # Buffers (numpy arrays, array.array, bytearray) as lists of their items: the collective
    # combines items, and each rank writes its share into its own receive buffer.
    def Scatter(self, sendbuf: Any, recvbuf: Any, root: int = 0) -> None:
        def share(u: Universe, values: list[Any]) -> list[Any]:
            items = values[root]
            if items is None or len(items) % u.size:
                raise MPIError("MPI_ERR_COUNT: the send buffer does not divide evenly "
                               "among the ranks")
            part = len(items) // u.size
            return [items[r * part:(r + 1) * part] for r in range(u.size)]
        sent = _items(sendbuf) if sendbuf is not None else None
        _put_items(recvbuf, self._collective("Scatter", root, _pickled(sent), share))

    def Gather(self, sendbuf: Any, recvbuf: Any, root: int = 0) -> None:
        got = self._collective(
            "Gather", root, _pickled(_items(sendbuf)),
            lambda u, values: [[x for v in values for x in v] if r == root else None
                               for r in range(u.size)])
        if got is not None:
            _put_items(recvbuf, got)

    def Reduce(self, sendbuf: Any, recvbuf: Any, op: Op = OPS["SUM"],
               root: int = 0) -> None:
        got = self._collective(
            "Reduce", root, _pickled(_items(sendbuf)),
            lambda u, values: [_elementwise(op, values) if r == root else None
                               for r in range(u.size)])
        if got is not None:
            _put_items(recvbuf, got)

    def Allreduce(self, sendbuf: Any, recvbuf: Any, op: Op = OPS["SUM"]) -> None:
        _put_items(recvbuf, self._collective(
            "Allreduce", None, _pickled(_items(sendbuf)),
            lambda u, values: [_elementwise(op, values)] * u.size))

    def __repr__(self) -> str:
        return "<mpi4py.MPI.Intracomm COMM_WORLD>"


def _flat(spec: Any) -> Any:
    """The buffer as a one-dimensional memoryview of its own item format."""
    view = memoryview(_buffer_of(spec))
    fmt: Any = view.format          # (a format only known at run time)
    return view.cast("B").cast(fmt)


def _items(spec: Any) -> list[Any]:
    """A buffer's items as a list (numbers, in the buffer's own format)."""
    return list(_flat(spec))


def _put_items(spec: Any, items: list[Any]) -> None:
    """Write ``items`` into the buffer, from its first item."""
    flat = _flat(spec)
    if len(items) > len(flat):
        raise MPIError(f"MPI_ERR_TRUNCATE: {len(items)} items into a buffer of {len(flat)}")
    for i, item in enumerate(items):
        flat[i] = item


def _elementwise(op: Op, values: list[list[Any]]) -> list[Any]:
    return [_fold(op, column) for column in zip(*values, strict=True)]


def _pickled(obj: Any) -> bytes:
    return here()[0].dumps(obj)[0]


def _root(root: int | None) -> str:
    return "()" if root is None else f"(root={root})"


# ------------------------------------------------------------------ mpiexec
class _Rank(Process):
    """One rank: runs the function and keeps what it returned (pickled) for mpiexec."""

    def run(self) -> None:
        proc = self._proc
        target = self._target
        assert proc is not None and target is not None
        result = target(*self._args, **self._kwargs)
        universe = proc.universe
        unfinished = universe.open_requests[proc.rank] if universe is not None else []
        if unfinished:
            raise MPIError(
                f"rank {proc.rank} ended with {len(unfinished)} request"
                f"{'s' if len(unfinished) > 1 else ''} it never completed "
                f"({', '.join(r.describe() for r in unfinished)}): MPI needs every request "
                "completed, by req.wait() (or req.test() until it says True), before the "
                "program ends")
        proc.result = self._world.dumps(result)[0]


def mpiexec(function: Callable[..., object], size: int, *args: Any) -> list[Any]:
    """Run ``function(*args)`` on ``size`` ranks, as ``mpiexec -n size`` would, and wait for
    them all; return what each rank's function returned, in rank order. ``function`` must be
    a function of the code under test (each rank calls its own copy of it)."""
    if size < 1:
        raise ValueError("mpiexec needs at least one rank")
    w, _ts, _me = here()
    universe = Universe(w, size)
    ranks = [_Rank(target=function, name=f"rank {r}", args=args) for r in range(size)]
    for r, rank in enumerate(ranks):
        rank.start()
        proc = rank._proc
        assert proc is not None
        proc.rank, proc.universe = r, universe
        universe.ranks[r] = proc
    for rank in ranks:
        rank.join()
    results = []
    for rank in ranks:
        proc = rank._proc
        assert proc is not None
        results.append(None if proc.result is None else w.loads(proc.result, here()[2]))
    return results


# ------------------------------------------------------------------ the fake package
def fake_modules() -> dict[str, types.ModuleType]:
    """``mpi4py`` and ``mpi4py.MPI`` as modules, for ``sys.modules`` during an exploration."""
    package = types.ModuleType("mpi4py")
    package.__path__ = []
    vars(package)["__version__"] = "4.0.0 (graders stand-in)"
    mpi = types.ModuleType("mpi4py.MPI")
    names: dict[str, Any] = {
        "COMM_WORLD": Intracomm(), "Intracomm": Intracomm, "Comm": Intracomm,
        "ANY_SOURCE": ANY_SOURCE, "ANY_TAG": ANY_TAG, "UNDEFINED": UNDEFINED,
        "Status": Status, "Request": Request,
        "Op": Op, "Exception": MPIError, "Wtime": _wtime, "Get_processor_name": _node,
        "Is_initialized": lambda: True, "Is_finalized": lambda: False,
        "Init": lambda: None, "Finalize": lambda: None, **OPS,
    }
    for datatype in ("INT", "LONG", "FLOAT", "DOUBLE", "CHAR", "BYTE", "BOOL", "INT64_T",
                     "INT32_T"):
        names[datatype] = datatype
    vars(mpi).update(names)
    vars(package)["MPI"] = mpi
    return {"mpi4py": package, "mpi4py.MPI": mpi}


def _wtime() -> float:
    ctx = scheduler.here()
    return ctx[0].now if ctx is not None else 0.0


def _node() -> str:
    return "localhost"

