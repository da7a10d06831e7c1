"""A module that fails while it is being imported."""

import threading

from readerwriterlock import rwlock

lock = rwlock.RWLockFair()
settings = {"workers": 2}
workers = settings["wrokers"]


def main():
    threading.Thread(target=print).start()
