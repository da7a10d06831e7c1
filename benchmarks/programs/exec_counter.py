"""Buggy: a read-modify-write race in code compiled from a string with exec() in the file.

The deposit function is built at import time from source text (a template, as code
generators and some plug-in systems do); its unlocked ``balance = b + amount`` loses updates
exactly as if it had been written out in the file.
"""

import threading

balance = 0

SOURCE = """
def deposit(amount, times):
    global balance
    for _ in range(times):
        b = balance
        balance = b + amount
"""
exec(compile(SOURCE, "<generated deposit>", "exec"), globals())


def main():
    threads = [threading.Thread(target=deposit, args=(1, 3), name=f"teller-{k}")  # noqa: F821
               for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert balance == 6, f"lost deposits: balance {balance}, expected 6"
