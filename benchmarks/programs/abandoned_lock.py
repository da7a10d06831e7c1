"""Buggy: an exception between bare acquire() and release() leaves the lock held forever."""

import threading

ledger_lock = threading.Lock()
ledger = []
errors = []


def record(entry):
    ledger_lock.acquire()
    if entry < 0:
        raise ValueError(f"negative entry {entry}")   # release() below is skipped
    ledger.append(entry)
    ledger_lock.release()


def clerk(entries):
    for entry in entries:
        try:
            record(entry)
        except ValueError as exc:
            errors.append(str(exc))


def main():
    clerks = [threading.Thread(target=clerk, args=([5, -1],), name="clerk-0"),
              threading.Thread(target=clerk, args=([7, 8],), name="clerk-1")]
    for t in clerks:
        t.start()
    for t in clerks:
        t.join()
    assert len(ledger) == 3, f"ledger {ledger}, errors {errors}"
