"""Socket protocols between two processes on localhost, correct and broken, for the engine's
socket stand-ins (tests/engine/test_sockets.py). Each broken one has the classic bug its
name says; the correct ones also run on real processes and real sockets.

A server tells its client the port on a pipe once it listens (port 0: any free port).
"""

import socket
import struct
from multiprocessing import Pipe, Process

HOST = "127.0.0.1"
WORDS = [b"ships", b"carry boxes", b"at night"]     # each fits in 16 bytes


def _listen(ready, listen=True):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((HOST, 0))
    if not listen:
        ready.send(server.getsockname()[1])     # told before it listens: too early
    server.listen()
    if listen:
        ready.send(server.getsockname()[1])
    return server


def _start(target, **kwargs):
    mine, theirs = Pipe()
    server = Process(target=target, args=(theirs,), kwargs=kwargs)
    server.start()
    return server, mine.recv()


# ------------------------------------------------------------------ servers
def line_echo_server(ready, answers=None):
    """Echo each line back, upper-cased, until the client closes (or ``answers`` lines)."""
    with _listen(ready) as server:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as lines:
            for count, line in enumerate(lines, 1):
                conn.sendall(line.upper())
                if count == answers:
                    return


def one_recv_server(ready):
    """Answer each request with its length, taking whatever one recv() returns for a whole
    request."""
    with _listen(ready) as server:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(1024):
                conn.sendall(b"%d\n" % len(data))


def greeting_server(ready):
    """Waits for the client to speak first."""
    with _listen(ready) as server:
        conn, _ = server.accept()
        with conn:
            _read_line(conn)
            conn.sendall(b"HELLO\n")


def _read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            raise ConnectionError("the connection closed in the middle of a line")
        data += chunk
    return data


def _read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the connection closed in the middle of a message")
        data += chunk
    return data


def length_server(ready):
    """Each message is a 4-byte length, then that many bytes; answered the same way."""
    with _listen(ready) as server:
        conn, _ = server.accept()
        with conn:
            while header := _header(conn):
                body = _read_exactly(conn, struct.unpack("!I", header)[0]).upper()
                conn.sendall(struct.pack("!I", len(body)) + body)


def _header(conn):
    first = conn.recv(4)
    return first + _read_exactly(conn, 4 - len(first)) if first else b""


# ------------------------------------------------------------------ correct clients
def lines_echoed():
    """Request and response, one line each, read until the newline; the client closes."""
    server, port = _start(line_echo_server)
    with socket.create_connection((HOST, port)) as conn:
        got = []
        for word in WORDS:
            conn.sendall(word + b"\n")
            got.append(_read_line(conn))
    server.join()
    assert got == [w.upper() + b"\n" for w in WORDS], got
    return got


def lines_through_makefile():
    """The same protocol, read with makefile().readline() on both sides."""
    server, port = _start(line_echo_server)
    with socket.create_connection((HOST, port)) as conn, conn.makefile("rb") as answers:
        got = []
        for word in WORDS:
            conn.sendall(word + b"\n")
            got.append(answers.readline())
    server.join()
    assert got == [w.upper() + b"\n" for w in WORDS], got
    return got


def text_files_server(ready):
    """The line echo server, reading and writing through text files of the socket."""
    with _listen(ready) as server:
        conn, _ = server.accept()
        with conn, conn.makefile("r") as lines, conn.makefile("w") as answers:
            for line in lines:
                answers.write(line.upper())
                answers.flush()


def lines_through_text_files():
    """Both sides read and write text through makefile(): send() under a buffered writer."""
    server, port = _start(text_files_server)
    with socket.create_connection((HOST, port)) as conn, conn.makefile("rw") as file:
        got = []
        for word in WORDS:
            file.write(word.decode() + "\n")
            file.flush()
            got.append(file.readline())
    server.join()
    assert got == [w.decode().upper() + "\n" for w in WORDS], got
    return got


def length_prefixed():
    """Messages framed by their length instead of a newline."""
    server, port = _start(length_server)
    got = []
    with socket.create_connection((HOST, port)) as conn:
        for word in WORDS:
            conn.sendall(struct.pack("!I", len(word)) + word)
            got.append(_read_exactly(conn, struct.unpack("!I", _read_exactly(conn, 4))[0]))
    server.join()
    assert got == [w.upper() for w in WORDS], got
    return got


def half_closed():
    """Send every line, shut down the sending side, then read until the server closes."""
    server, port = _start(line_echo_server)
    with socket.create_connection((HOST, port)) as conn:
        conn.sendall(b"a\nb\n")
        conn.shutdown(socket.SHUT_WR)
        got = b""
        while chunk := conn.recv(64):
            got += chunk
    server.join()
    assert got == b"A\nB\n", got
    return got


def _serve_on(listener):
    with listener:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                conn.sendall(line.upper())


def listener_made_by_the_parent():
    """The parent listens, hands the listening socket to the server process and closes its
    own copy: the port is known before the server starts, and nobody connects too early."""
    listener = socket.create_server((HOST, 0))
    port = listener.getsockname()[1]
    server = Process(target=_serve_on, args=(listener,))
    server.start()
    listener.close()
    with socket.create_connection((HOST, port)) as conn:
        got = []
        for word in WORDS:
            conn.sendall(word + b"\n")
            got.append(_read_line(conn))
    server.join()
    assert got == [w.upper() + b"\n" for w in WORDS], got
    return got


# ------------------------------------------------------------------ broken clients
def one_recv_per_message():
    """Assumes one recv() returns one whole answer."""
    server, port = _start(line_echo_server)
    with socket.create_connection((HOST, port)) as conn:
        got = []
        for word in WORDS:
            conn.sendall(word + b"\n")
            got.append(conn.recv(1024))
    server.join()
    assert got == [w.upper() + b"\n" for w in WORDS], f"answers split: {got}"


def server_one_recv():
    """A correct client, a server that answers whatever one recv() returns."""
    server, port = _start(one_recv_server)
    with socket.create_connection((HOST, port)) as conn:
        conn.sendall(b"hello\n")
        got = _read_line(conn)
    server.join()
    assert got == b"6\n", f"the server counted {got} bytes"


def both_receive_first():
    """The client waits for a greeting; the server waits for the client to speak."""
    server, port = _start(greeting_server)
    with socket.create_connection((HOST, port)) as conn:
        _read_line(conn)
        conn.sendall(b"hello\n")
    server.join()


def never_closes():
    """The client keeps its socket open while it waits for the server to end."""
    server, port = _start(line_echo_server)
    conn = socket.create_connection((HOST, port))
    conn.sendall(b"one\n")
    _read_line(conn)
    server.join()
    conn.close()


def makefile_left_open():
    """The client closes its socket but not the makefile() it read the answer with: the
    connection stays open, and the server's loop waits for another line."""
    server, port = _start(line_echo_server)
    conn = socket.create_connection((HOST, port))
    lines = conn.makefile("rb")
    conn.sendall(b"one\n")
    lines.readline()
    conn.close()
    server.join()
    lines.close()


def server_stops_early():
    """The server answers one request and ends; the client sends two."""
    server, port = _start(line_echo_server, answers=1)
    with socket.create_connection((HOST, port)) as conn:
        for word in WORDS[:2]:
            conn.sendall(word + b"\n")
            _read_line(conn)
    server.join()


def connect_before_listen():
    """The server says its port before it listens."""
    mine, theirs = Pipe()
    server = Process(target=_listen_late, args=(theirs,))
    server.start()
    port = mine.recv()
    with socket.create_connection((HOST, port)) as conn:
        conn.sendall(b"one\n")
        _read_line(conn)
    server.join()


def _listen_late(ready):
    with _listen(ready, listen=False) as server:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                conn.sendall(line.upper())


def send_all_then_read():
    """Every request sent before any answer is read: the answers fill the connection."""
    server, port = _start(line_echo_server)
    with socket.create_connection((HOST, port)) as conn:
        for word in WORDS * 3:
            conn.sendall(word + b"\n")
        got = [_read_line(conn) for _ in WORDS * 3]
    server.join()
    return got


def socketserver_used():
    """socketserver waits on its socket with selectors, which need a file descriptor."""
    import socketserver

    with socketserver.TCPServer((HOST, 0), socketserver.StreamRequestHandler) as server:
        server.handle_request()


# ------------------------------------------------------------------ what the calls say
def _outcome(call):
    try:
        return repr(call())
    except OSError as exc:
        return f"{type(exc).__name__} {exc.errno}"


def api_semantics():
    """What the socket calls return or raise, in one process: compared with real sockets."""
    seen = []
    with socket.socket() as bound:
        bound.bind((HOST, 0))
        port = bound.getsockname()[1]
        seen.append(port != 0)
        with socket.socket() as again:
            seen.append(_outcome(lambda: again.bind((HOST, port))))      # in use
        with socket.socket() as early:
            seen.append(_outcome(lambda: early.connect((HOST, port))))   # not listening
        bound.listen()
        client = socket.create_connection((HOST, port))
        conn, _ = bound.accept()
        with client, conn:
            conn.setblocking(False)
            seen.append(_outcome(lambda: conn.recv(10)))                 # nothing yet
            conn.settimeout(0.01)
            seen.append(_outcome(lambda: conn.recv(10)))                 # times out
            conn.settimeout(None)
            seen.append(client.send(b"abc"))
            seen.append(_outcome(lambda: conn.recv(10)))
            client.shutdown(socket.SHUT_WR)
            seen.append(_outcome(lambda: conn.recv(10)))                 # end of stream
            conn.sendall(b"back")
            seen.append(_outcome(lambda: client.recv(2)))
            seen.append(_outcome(lambda: client.recv(10)))
            seen.append(client.getpeername()[1] == port)
    seen.append(_outcome(lambda: client.recv(10)))                       # closed
    return seen
