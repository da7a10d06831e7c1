"""Stand-ins for TCP sockets on localhost between controlled processes (:mod:`.processes`).

``socket.socket(AF_INET, SOCK_STREAM)`` made inside a run that asks for sockets
(``Processes(sockets=True)``) is a :class:`socket`: bind, listen, accept, connect,
send, sendall, recv, recv_into, shutdown, close, ``makefile`` (the standard library's own,
over ``recv_into`` and ``send``), and ``socket.create_connection`` / ``create_server``. No
file descriptor and no network is used; addresses are localhost only, and port 0 gets the
next free port of the run, so a schedule replays with the same numbers.

What the stand-in keeps of TCP, because protocols break on it:

* **A byte stream, not messages.** ``sendall`` delivers its bytes a few at a time, with a
  scheduling point before each piece, and ``recv(n)`` returns whatever has arrived (at least
  one byte, at most ``n``). Whether a receiver runs while a message is half delivered is a
  switch like any other, chosen by the strategy, recorded in the token and shrunk, so the
  classic "one recv is one message" bug shows on the schedules that split a message, and
  :func:`partial_reads` tells a check which reads split a message.
* **A connect before the server listens is refused** (``ConnectionRefusedError``), at once,
  as on a real machine: there is no queue for connections to a port nobody listens on.
* **Each direction holds ``pipe_capacity`` bytes**: a sender waits while the other side has
  that much unread, so two ends that both send more than fits before reading deadlock.
* **Who closes.** A connection's end closes when its process closes it (and every file from
  ``makefile``) or ends; the other side's ``recv`` then returns ``b""`` (end of stream) once
  the data is read. What is sent into a closed end is thrown away, and the send after that
  raises ``BrokenPipeError`` (TCP's reset). ``shutdown(SHUT_WR)`` ends the stream one way
  only.

Every blocked call waits on a WaitQueue whose owner names whom it waits for, so a protocol
deadlock is a wait-for cycle between processes ("MainProcess waits to receive from
Process-1 ..., Process-1 waits to receive from MainProcess").

A socket passed to another process is the same socket there, as ``multiprocessing`` passes
a real one (a listening socket made by the parent can be the server's). What the stand-in
does not do, refused with an error that says so: give a file descriptor to
``select``/``selectors``, so ``socketserver`` and ``xmlrpc.server`` cannot run on it (the ipc
topic's remote call is a line protocol written with the socket calls themselves).
"""

from __future__ import annotations

import socket as _socket_module
import sys
from collections import deque
from collections.abc import Sequence
from types import FrameType
from typing import Any

from . import scheduler
from .findings import BLOCKED, DONE, ThreadView
from .primitives import _deadline, step
from .processes import Held, ProcessState, Shared, World, here
from .scheduler import Run, ThreadState, WaitQueue

_real_socket = _socket_module.socket
_real_create_connection = _socket_module.create_connection
_real_create_server = _socket_module.create_server
#: create_connection's "no timeout given" (untyped in typeshed)
_DEFAULT_TIMEOUT: Any = getattr(_socket_module, "_GLOBAL_DEFAULT_TIMEOUT")  # noqa: B009

#: The most bytes one piece of a ``send``/``sendall`` carries: a message of a few bytes
#: arrives byte by byte, so every split of it is a schedule the strategy can choose.
SEGMENT = 1
#: The first port that ``bind((host, 0))`` hands out in a run.
FIRST_PORT = 40001
_LOCALHOST = frozenset({"", "localhost", "127.0.0.1", "0.0.0.0", "::1", "::",
                        "ip6-localhost"})


class _Net(Shared):
    """The run's network: listening sockets by port, ports in use, and the reads that split
    a message. Kept with the run's shared objects (it crosses no process itself), so each
    run has its own."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.listening: dict[int, socket] = {}
        self.bound: set[int] = set()
        self.next_port = FIRST_PORT
        self.partial_reads: list[str] = []


def _net() -> _Net:
    w = here()[0]
    found = w.shared.get(id(w))
    if not isinstance(found, _Net):
        found = _Net(w)
        w.shared[id(w)] = found       # keyed by the world: one network per run
    return found


class _Stream:
    """Bytes on their way from one end of a connection to the other."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.written = 0            # bytes put in since the connection opened
        self.read = 0               # bytes taken out
        self.ended = False          # the writer has closed or shut down its side
        #: each send not yet read to its end: where it starts, what it sent, and who
        self.sends: deque[tuple[int, bytes, str]] = deque()

    def unread(self) -> int:
        return self.written - self.read


def _port(address: Any) -> tuple[str, int]:
    if not isinstance(address, tuple) or len(address) < 2:
        raise TypeError("an AF_INET address must be a tuple (host, port)")
    host, port = address[0], address[1]
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise OverflowError("port must be 0-65535.")
    if host not in _LOCALHOST:
        raise OSError(f"the grader runs sockets on localhost only; {host!r} is not "
                      "localhost (use '127.0.0.1' or 'localhost')")
    return "127.0.0.1", port


def _site(run: Run) -> tuple[str, int] | None:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if run.settings.traced(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None


class _SocketType(type):
    """While the stand-in is installed as ``socket.socket``, threads the engine does not
    control (a cluster worker's own connections) still make real sockets: each is an
    instance of ``socket.socket`` for them, as before."""

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _real_socket)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, _real_socket)


class socket(_real_socket, Held, metaclass=_SocketType):  # named as the real class: reports say
    # "the socket made at ..."
    """``socket.socket`` inside a run: a TCP socket on localhost (see the module's notes).

    It is a subclass of the real class, so ``isinstance`` and the standard library's
    ``makefile`` work, but it never opens a file descriptor. Passed to another process (as
    a Process argument or in a message), it is the same socket there, held by both: as with
    a real one, it closes once every process holding it has closed it or ended."""

    def __new__(cls, family: int = -1, type: int = -1, proto: int = -1,
                fileno: int | None = None) -> Any:
        if scheduler.here() is None:
            return _real_socket(family, type, proto, fileno)
        return _real_socket.__new__(cls)

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1,
                 fileno: int | None = None) -> None:
        # no super().__init__(): that would open a real socket
        family = _socket_module.AF_INET if family == -1 else family
        type = _socket_module.SOCK_STREAM if type == -1 else type
        if fileno is not None or family not in (_socket_module.AF_INET,
                                                _socket_module.AF_INET6) or (
                type & ~_SOCK_FLAGS) != _socket_module.SOCK_STREAM:
            raise OSError("the grader runs TCP sockets only: socket(AF_INET, SOCK_STREAM)")
        w, _ts, proc = here()
        step(None, "socket")
        self._io_refs = 0
        self._closed = False
        self._family = family
        self._world = w
        self._holders: list[ProcessState] = [proc]
        self._closed_in: set[ProcessState] = set()
        self._state = "new"               # new, bound, listening, connected, closed
        self._address: tuple[str, int] | None = None
        self._service = 0                 # the port of the server a connection is to
        self._peer: socket | None = None
        self._in = _Stream()
        self._out = _Stream()
        self._backlog: deque[socket] = deque()
        self._timeout: float | None = None
        self._reset = False               # a send reached the other end after it closed
        self._readers = WaitQueue(self, "receive")
        self._writers = WaitQueue(self, "send")
        self._acceptors = WaitQueue(self, "accept")
        self._queue = self._readers
        self.site = _site(w.run)
        self.user_made = True
        self._net = _net()
        w.shared[id(self)] = self         # to hear of every process that ends

    # ------------------------------------------------------------- what it is
    @property
    def family(self) -> Any:
        return _socket_module.AddressFamily(self._family)

    @property
    def type(self) -> Any:
        return _socket_module.SOCK_STREAM

    @property
    def proto(self) -> int:
        return 0

    def fileno(self) -> int:
        raise OSError("the grader's sockets have no file descriptor, so select, selectors "
                      "and what is built on them (socketserver, xmlrpc.server, asyncio "
                      "streams) cannot wait on them: call accept(), recv() and sendall() "
                      "directly")

    def __repr__(self) -> str:
        return f"<socket {self._state} {self._address}>"

    # ------------------------------------------------------------- options
    def setsockopt(self, *args: Any) -> None:
        """Options change nothing here (SO_REUSEADDR: ports of a run are never reused)."""

    def getsockopt(self, *args: Any) -> Any:
        return 0

    def settimeout(self, value: float | None) -> None:
        if value is not None and value < 0:
            raise ValueError("Timeout value out of range")
        self._timeout = value

    def gettimeout(self) -> float | None:
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        self._timeout = None if flag else 0.0

    def getblocking(self) -> bool:
        return self._timeout != 0.0

    def getsockname(self) -> tuple[str, int]:
        return self._address if self._address is not None else ("0.0.0.0", 0)

    def getpeername(self) -> tuple[str, int]:
        if self._peer is None or self._state != "connected":
            raise OSError(107, "Transport endpoint is not connected")
        return self._peer.getsockname()

    # ------------------------------------------------------------- the server's side
    def bind(self, address: Any) -> None:
        step(self, "bind")
        self._alive()
        host, port = _port(address)
        net = self._net
        if self._address is not None:
            raise OSError(22, "Invalid argument")
        if port == 0:
            while net.next_port in net.bound:
                net.next_port += 1
            port = net.next_port
            net.next_port += 1
        elif port in net.bound:
            raise OSError(98, "Address already in use")
        net.bound.add(port)
        self._address = (host, port)
        self._state = "bound"

    def listen(self, backlog: int = 0) -> None:
        step(self, "listen")
        self._alive()
        if self._address is None:
            self.bind(("127.0.0.1", 0))
        if self._state == "connected" or self._address is None:
            raise OSError(22, "Invalid argument")
        self._state = "listening"
        self._net.listening[self._address[1]] = self

    def accept(self) -> tuple[socket, tuple[str, int]]:
        run, ts = step(self, "accept")
        self._alive()
        if self._state != "listening":
            raise OSError(22, "Invalid argument")
        deadline = _deadline(run, self._timeout)
        while not self._backlog:
            if deadline is not None and deadline <= run.now:
                raise self._expired()
            run.block(ts, self._acceptors, deadline, obj=self)
            self._alive()
        conn = self._backlog.popleft()
        conn._holders = [here()[2]]
        conn.site = _site(run)
        assert conn._peer is not None
        return conn, conn._peer.getsockname()

    # ------------------------------------------------------------- the client's side
    def connect(self, address: Any) -> None:
        run, _ts = step(self, "connect")
        self._alive()
        if self._state == "connected":
            raise OSError(106, "Transport endpoint is already connected")
        host, port = _port(address)
        server = self._net.listening.get(port)
        if server is None or server._state != "listening":
            raise ConnectionRefusedError(111, "Connection refused")
        if self._address is None:
            self.bind(("127.0.0.1", 0))
        theirs = socket.__new__(socket)
        socket.__init__(theirs, self._family)
        theirs._holders = list(server._holders)       # whoever accepts it, later
        theirs._address = (host, port)
        theirs._state = self._state = "connected"
        theirs._in, theirs._out = self._out, self._in
        theirs._peer, self._peer = self, theirs
        theirs._service = self._service = port
        server._backlog.append(theirs)
        _wake_all(run, server._acceptors)

    def connect_ex(self, address: Any) -> int:
        try:
            self.connect(address)
        except OSError as exc:
            return exc.errno or 1
        return 0

    # ------------------------------------------------------------- sending
    def sendall(self, data: Any, flags: int = 0) -> None:
        self._send(data, True, "sendall")

    def send(self, data: Any, flags: int = 0) -> int:
        """As on Linux: a blocking send waits until every byte is in; with a timeout (or
        non-blocking) it may send fewer and say how many."""
        return self._send(data, self._timeout is None, "send")

    def _send(self, data: Any, everything: bool, note: str) -> int:
        run, ts = step(self, note)
        payload = bytes(memoryview(data).cast("B"))
        out = self._connected_out()
        capacity = self._world.options.pipe_capacity
        deadline = _deadline(run, self._timeout)
        if payload:
            out.sends.append((out.written, payload, here()[2].name))
        sent = 0
        while sent < len(payload):
            if sent:
                step(self, note)
                self._alive()
            peer = self._peer
            assert peer is not None
            if peer._state == "closed":
                # As TCP does: what is sent to a closed end is thrown away, and the other
                # side answers with a reset, so the next send fails.
                self._reset = True
                return len(payload)
            room = max(capacity - out.unread(), 0) if capacity else (0 if out.unread() else 1)
            if not room:
                if not everything and sent:
                    break
                if deadline is not None and deadline <= run.now:
                    raise self._expired()
                run.block(ts, self._writers, deadline, obj=self)
                continue
            piece = payload[sent:sent + min(SEGMENT, room)]
            out.data += piece
            out.written += len(piece)
            sent += len(piece)
            _wake_all(run, peer._readers)
        if sent < len(payload) and out.sends:
            start, _whole, sender = out.sends[-1]
            out.sends[-1] = (start, payload[:sent], sender)
        return sent

    def _connected_out(self) -> _Stream:
        self._alive()
        if self._state != "connected" or self._peer is None:
            raise OSError(107, "Transport endpoint is not connected")
        if self._out.ended or self._reset:
            raise BrokenPipeError(32, "Broken pipe (the other end has closed the connection)")
        return self._out

    # ------------------------------------------------------------- receiving
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        run, ts = step(self, "recv")
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        self._alive()
        if self._state != "connected":
            raise OSError(107, "Transport endpoint is not connected")
        incoming = self._in
        deadline = _deadline(run, self._timeout)
        while not incoming.data and bufsize:
            if incoming.ended:
                return b""
            if deadline is not None and deadline <= run.now:
                raise self._expired()
            run.block(ts, self._readers, deadline, obj=self)
            self._alive()
        got = bytes(incoming.data[:bufsize])
        del incoming.data[:len(got)]
        incoming.read += len(got)
        self._count_split(incoming, got)
        if self._peer is not None:
            _wake_all(run, self._peer._writers)
        return got

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        got = self.recv(nbytes or len(view))
        view[:len(got)] = got
        return len(got)

    def _count_split(self, incoming: _Stream, got: bytes) -> None:
        """A read that ends inside one send's bytes split that message: say so, in the
        words a report can use."""
        sends, at = incoming.sends, incoming.read
        while sends and sends[0][0] + len(sends[0][1]) <= at:
            sends.popleft()
        if sends and sends[0][0] < at:
            start, message, sender = sends[0]
            part = message[max(at - len(got), start) - start:at - start]
            self._net.partial_reads.append(
                f"{here()[2].name}'s recv() returned {part!r}, part of the message "
                f"{message!r} that {sender} sent")

    # ------------------------------------------------------------- closing
    def shutdown(self, how: int) -> None:
        run, _ts = step(self, "shutdown")
        self._alive()
        if self._state != "connected" or self._peer is None:
            raise OSError(107, "Transport endpoint is not connected")
        if how in (_socket_module.SHUT_WR, _socket_module.SHUT_RDWR):
            self._out.ended = True
            _wake_all(run, self._peer._readers)

    def close(self) -> None:
        """This process's handle closes; the socket itself once no file that ``makefile``
        gave still uses it, and no other process holds it."""
        if scheduler.here() is None:
            return     # the run is over (a file closed by the garbage collector)
        step(self, "close")
        proc = here()[2]
        self._closed_in.add(proc)
        if self._io_refs <= 0:
            self._release(proc)

    def _decref_socketios(self) -> None:
        """A file from ``makefile`` closed (in this process)."""
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._io_refs <= 0 and scheduler.here() is not None and here()[2] in self._closed_in:
            self._release(here()[2])

    def __exit__(self, *exc: object) -> None:
        self.close()

    def detach(self) -> int:
        raise OSError("the grader's sockets have no file descriptor to detach")

    def _last_holder_gone(self) -> None:
        self._shut()

    def _shut(self) -> None:
        """The socket closes: no process holds it any more."""
        if self._state == "closed":
            return
        run = self._world.run
        was = self._state
        self._state = "closed"
        self._closed = True
        if was == "listening" and self._address is not None:
            self._net.listening.pop(self._address[1], None)
            for waiting in self._backlog:         # connected, never accepted: reset
                waiting._shut()
        if self._address is not None and was in ("bound", "listening"):
            self._net.bound.discard(self._address[1])
        self._out.ended = True
        peer = self._peer
        if peer is not None:
            _wake_all(run, peer._readers)
            _wake_all(run, peer._writers)
        _wake_all(run, self._readers)
        _wake_all(run, self._writers)
        _wake_all(run, self._acceptors)

    def _expired(self) -> OSError:
        """What a call that cannot go on raises: non-blocking, at once; else at its timeout."""
        if self._timeout == 0.0:
            return BlockingIOError(11, "Resource temporarily unavailable")
        return TimeoutError("timed out")

    def _alive(self) -> None:
        if self._state == "closed" or here()[2] in self._closed_in:
            raise OSError(9, "Bad file descriptor")

    # ------------------------------------------------------------- reports
    def waited_for(self, kind: str) -> ThreadState | None:
        if kind == "accept":
            others = _live(self._world.processes, self._holders)
        else:
            peer = self._peer
            if peer is None or peer._state == "closed":
                return None
            queue = self._readers if kind == "receive" else self._writers
            others = _live(peer._holders, [self._world.process_of(t) for t in queue.waiters])
        return others[0].thread if others else None

    def wait_words(self, view: ThreadView, threads: Sequence[ThreadView], what: str) -> str:
        port = self._service or (self._address[1] if self._address is not None else 0)
        # as the threads stood at the verdict (by now they may have been unwound)
        live = {v.tid for v in threads if v.tid != view.tid and v.status != DONE}
        if view.kind == "accept":
            others = [p.name for p in self._world.processes if p.thread is not None
                      and p.thread.tid in live and p not in self._holders]
            return (f"waits on {what} (port {port}) to accept a connection"
                    + (f", which only {_and(others)} could make" if others else
                       ", and no other process is left to connect"))
        peer = self._peer
        names = [p.name for p in peer._holders if p.thread is not None
                 and p.thread.tid in live] if peer is not None else []
        name = _and(names) if names else "nobody"
        if view.kind == "receive" and not names:
            return (f"waits to receive on {what} (port {port}): nothing has arrived, and the "
                    "other end is still open: its socket was closed, but a makefile() of it "
                    "(or a copy) never was")
        if view.kind == "receive":
            return (f"waits to receive from {name} on {what} (port {port}): nothing has "
                    f"arrived, and {name} has not closed its end")
        return (f"waits to send to {name} on {what} (port {port}): the connection is full "
                f"({self._out.unread()} bytes {name} has not read)")


_SOCK_FLAGS = getattr(_socket_module, "SOCK_NONBLOCK", 0) | getattr(
    _socket_module, "SOCK_CLOEXEC", 0)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _live(processes: Sequence[ProcessState],
          but: Sequence[ProcessState]) -> list[ProcessState]:
    """The processes of ``processes`` still running, except ``but``, blocked ones first:
    whom a blocked call waits for."""
    found = [p for p in processes if p not in but and p.thread is not None
             and p.thread.status != DONE]
    return sorted(found, key=lambda p: p.thread is None or p.thread.status != BLOCKED)


def _wake_all(run: Run, queue: WaitQueue) -> None:
    for waiter in list(queue.waiters):
        run.wake(waiter, True)


# ------------------------------------------------------------------ module functions
def create_connection(address: Any, timeout: Any = _DEFAULT_TIMEOUT,
                      source_address: Any = None, **kwargs: Any) -> Any:
    """``socket.create_connection``: a connected TCP socket."""
    if scheduler.here() is None:
        return _real_create_connection(address, timeout, source_address, **kwargs)
    sock = socket(_socket_module.AF_INET, _socket_module.SOCK_STREAM)
    if timeout is not _DEFAULT_TIMEOUT:
        sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def create_server(address: Any, *, family: int = _socket_module.AF_INET,
                  backlog: int | None = None, reuse_port: bool = False,
                  dualstack_ipv6: bool = False) -> Any:
    """``socket.create_server``: a socket bound to ``address`` and listening."""
    if scheduler.here() is None:
        return _real_create_server(address, family=family, backlog=backlog,
                                   reuse_port=reuse_port, dualstack_ipv6=dualstack_ipv6)
    sock = socket(family, _socket_module.SOCK_STREAM)
    try:
        sock.bind(address)
        sock.listen(backlog or 0)
    except BaseException:
        sock.close()
        raise
    return sock


def partial_reads() -> list[str]:
    """The ``recv`` calls of this run that returned part of what one ``send``/``sendall``
    sent while the rest was still to come (a message split by the byte stream), each as
    "MainProcess's recv() returned b'1', part of the message b'12\\n' that Process-1 sent"."""
    return list(_net().partial_reads)


def stand_ins() -> list[tuple[Any, str, Any]]:
    """``(module, name, stand-in)`` for :func:`.ipc.installed`, with ``sockets=True``."""
    return [(_socket_module, "socket", socket),
            (_socket_module, "create_connection", create_connection),
            (_socket_module, "create_server", create_server)]
