"""multiprocessing API scenarios that return what they saw as plain data, so a test can
compare the engine's stand-ins with the real module (run on real processes too)."""

from multiprocessing import (
    Array,
    JoinableQueue,
    Pipe,
    Process,
    Queue,
    RawArray,
    RawValue,
    SimpleQueue,
    Value,
)


def outcome(fn, *args, **kwargs):
    """What a call did: its return value, or the error it raised as its type's name."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return type(exc).__name__


def values():
    v = Value("i", 7)
    d = Value("d", 1.5)
    raw = RawValue("i", 3)
    v.value += 1
    d.value *= 2
    got = [v.value, d.value, raw.value, outcome(setattr, v, "value", 1.5)]
    with v.get_lock():
        v.value = 2 ** 31 + 5          # wraps around as a C int does
    got.append(v.value)
    got.append(outcome(getattr, raw, "get_lock"))
    return got


def arrays():
    a = Array("i", [1, 2, 3])
    r = RawArray("d", 2)
    a[0] = 10
    r[1] = 0.5
    return [len(a), a[0], a[1:], list(a), list(r), outcome(a.__getitem__, 5)]


def queues():
    q = Queue(maxsize=1)
    got = [q.empty(), outcome(q.get, timeout=0.01), outcome(q.get_nowait)]
    q.put("a")
    got += [q.full(), outcome(q.put, "b", timeout=0.01), outcome(q.put_nowait, "b")]
    got += [q.get(), q.empty()]
    s = SimpleQueue()
    s.put([1, 2])
    item = s.get()
    got += [item, s.empty()]
    j = JoinableQueue()
    j.put(1)
    j.get()
    j.task_done()
    j.join()
    got.append(outcome(j.task_done))
    return got


def pipes():
    a, b = Pipe()
    r, w = Pipe(duplex=False)
    sent = [1, 2]
    a.send(sent)
    sent.append(3)                       # the receiver got a copy, made at send
    got = [b.recv(), b.poll(), outcome(r.send, 1), outcome(w.recv)]
    w.send_bytes(b"abc")
    got.append(r.recv_bytes())
    w.close()
    got += [r.poll(), outcome(r.recv)]     # EOF: every writing end closed
    a.close()
    got.append(outcome(a.send, 1))
    return got


def _child_exits(code):
    raise SystemExit(code)


def processes():
    p = Process(target=_child_exits, args=(4,), name="worker")
    before = [p.name, p.is_alive(), p.exitcode, p.pid]
    p.start()
    p.join()
    return [*before, p.is_alive(), p.exitcode, outcome(p.start)]


SCENARIOS = ["values", "arrays", "queues", "pipes", "processes"]


def _square(x):
    return x * x


def _fails(x):
    raise ValueError(f"no {x}")


def pools():
    from multiprocessing import Pool
    with Pool(2) as pool:
        got = [pool.map(_square, range(5)), pool.apply(_square, (7,)),
               pool.starmap(pow, [(2, 3), (3, 2)]), list(pool.imap(_square, [1, 2]))]
        later = pool.apply_async(_square, (4,))
        got.append(later.get())
        got.append(outcome(pool.map, _fails, [1]))
    return got


SCENARIOS.append("pools")


def executors():
    from concurrent.futures import ProcessPoolExecutor, as_completed
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_square, n) for n in range(4)]
        done = sorted(f.result() for f in as_completed(futures))
        mapped = list(pool.map(_square, [5, 6]))
        failed = pool.submit(_fails, 3)
        error = outcome(failed.result)
    return [done, mapped, error]


SCENARIOS.append("executors")
