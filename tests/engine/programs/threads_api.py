"""Thread lifecycle scenarios: each function returns what it saw, as plain data."""

import threading


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as 'Type: message'."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _idle():
    pass


def start_twice():
    t = threading.Thread(target=_idle)
    t.start()
    second = outcome(t.start)
    t.join()
    return second


def join_before_start():
    return outcome(threading.Thread(target=_idle).join)


def join_self():
    seen = []

    def worker():
        seen.append(outcome(threading.current_thread().join))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    return [outcome(threading.current_thread().join), *seen]


def join_timeout_while_alive():
    go = threading.Event()
    t = threading.Thread(target=go.wait)
    t.start()
    returned = t.join(timeout=0.05)
    alive_after_timeout = t.is_alive()
    go.set()
    t.join()
    return [returned, alive_after_timeout, t.is_alive()]


def is_alive_lifecycle():
    go = threading.Event()
    t = threading.Thread(target=go.wait)
    before = t.is_alive()
    t.start()
    during = t.is_alive()
    go.set()
    t.join()
    return [before, during, t.is_alive()]


def default_names():
    """Names the standard library gives, relative to the first number it handed out."""
    def work():
        pass

    class Job:
        def __call__(self):
            pass

    threads = [
        threading.Thread(target=work),
        threading.Thread(target=work, name="chosen"),
        threading.Thread(),
        threading.Thread(target=Job()),
        threading.Thread(target=work, name=""),
        threading.Thread(target=work),
    ]
    names = [t.name for t in threads]
    first = int(names[0].split("-")[1].split()[0])
    relative = []
    for name in names:
        if name.startswith("Thread-"):
            number, _, rest = name[len("Thread-"):].partition(" ")
            name = f"Thread-{int(number) - first + 1}{' ' + rest if rest else ''}"
        relative.append(name)
    return relative


def main_thread_identity():
    seen = {}

    def worker():
        seen["worker_is_main"] = threading.current_thread() is threading.main_thread()
        seen["worker_name"] = threading.current_thread().name

    t = threading.Thread(target=worker, name="helper")
    t.start()
    t.join()
    seen["main_name"] = threading.current_thread().name
    seen["main_is_main"] = threading.current_thread() is threading.main_thread()
    return seen


def daemon_inherit():
    seen = {}

    def inner():
        pass

    def outer():
        child = threading.Thread(target=inner)
        seen["child_of_daemon"] = child.daemon
        seen["explicit"] = threading.Thread(target=inner, daemon=False).daemon

    seen["main"] = threading.current_thread().daemon
    seen["child_of_main"] = threading.Thread(target=inner).daemon
    t = threading.Thread(target=outer, daemon=True)
    t.start()
    t.join()
    return seen


def daemon_setter():
    go = threading.Event()
    t = threading.Thread(target=go.wait)
    t.daemon = True
    before = t.daemon
    t.start()
    after_start = outcome(setattr, t, "daemon", False)
    go.set()
    t.join()
    return [before, after_start, t.daemon]


def daemon_truthy():
    """Any truthy value is a daemon flag, kept as given, as threading keeps it (the
    compiled scheduler takes a bool: graders/engine/native.py)."""
    go = threading.Event()
    t = threading.Thread(target=go.wait)
    t.daemon = 1
    u = threading.Thread(target=lambda: None, daemon=0)
    t.start()
    u.start()
    go.set()
    t.join()
    u.join()
    return [t.daemon, u.daemon]


def subclass_run():
    class Worker(threading.Thread):
        def __init__(self, n):
            super().__init__(name=f"worker-{n}")
            self.n = n
            self.result = None

        def run(self):
            self.result = self.n * 10

    workers = [Worker(i) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return [(w.name, w.result) for w in workers]


def subclass_forgot_init():
    class Forgetful(threading.Thread):
        def __init__(self):
            self.ready = True

        def run(self):
            pass

    t = Forgetful()
    return [outcome(t.start), outcome(t.join), outcome(setattr, t, "daemon", True)]


def args_and_kwargs():
    got = []

    def work(a, b, *, c):
        got.append((a, b, c))

    t = threading.Thread(target=work, args=(1, 2), kwargs={"c": 3})
    t.start()
    t.join()
    return got


def enumerate_and_count():
    go = threading.Event()
    ts = [threading.Thread(target=go.wait, name=f"w{i}") for i in range(2)]
    before = threading.active_count()
    for t in ts:
        t.start()
    during = threading.active_count()
    names = sorted(t.name for t in threading.enumerate())
    go.set()
    for t in ts:
        t.join()
    ours = [n for n in names if n.startswith("w")]
    return [during - before, ours, threading.active_count() - before]


def idents_distinct():
    """Threads alive at the same time have distinct idents, and ident matches get_ident()."""
    go = threading.Event()
    idents = {}

    def worker(i):
        idents[i] = threading.get_ident()
        go.wait()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    before = [t.ident for t in ts]
    for t in ts:
        t.start()
    while len(idents) < 3:
        go.wait(0.001)
    same = all(idents[i] == ts[i].ident for i in range(3))
    go.set()
    for t in ts:
        t.join()
    return [before, len(set(idents.values())), same,
            threading.get_ident() == threading.main_thread().ident]


def timer_fires_and_cancels():
    fired = []
    t1 = threading.Timer(0.02, fired.append, args=("first",))
    t2 = threading.Timer(0.02, fired.append, args=("second",))
    t2.cancel()
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    return fired


def worker_sys_exit():
    """SystemExit ends a thread quietly (threading's excepthook ignores it)."""
    import sys

    after = []

    def quitter():
        sys.exit(3)
        after.append("not reached")

    t = threading.Thread(target=quitter)
    t.start()
    t.join()
    return [t.is_alive(), after]


def thread_local_data():
    data = threading.local()
    data.who = "main"
    seen = []

    def worker(i):
        seen.append(hasattr(data, "who"))
        data.who = f"worker-{i}"
        seen.append(data.who)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [data.who, sorted(map(str, seen))]
