"""Two threads add to a shared counter without a lock: updates get lost."""

import threading

count = 0


def add(n):
    global count
    for _ in range(n):
        count += 1


def main():
    threads = [threading.Thread(target=add, args=(3,), name=f"adder-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count == 6, f"Lost update: expected 6, counted {count}"


lock = threading.Lock()


def add_locked(n):
    global count
    for _ in range(n):
        with lock:
            count += 1


def locked():
    threads = [threading.Thread(target=add_locked, args=(2,), name=f"adder-{i}")
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count == 4, f"Lost update: expected 4, counted {count}"


# The same race in code built from a string at import time: it is traced like the file.
exec(compile("""
def add_generated(n):
    global count
    for _ in range(n):
        count += 1
""", "<generated>", "exec"), globals())


def generated():
    threads = [threading.Thread(target=add_generated, args=(3,),  # noqa: F821
                                name=f"adder-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count == 6, f"Lost update: expected 6, counted {count}"
