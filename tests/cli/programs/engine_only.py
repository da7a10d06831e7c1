"""Passes under the engine and fails on every real-thread run: it checks which lock type
``threading.Lock`` makes. Used to show that the exit code follows the engine's verdict."""

import threading


def main():
    kind = type(threading.Lock()).__module__
    assert kind != "_thread", f"running on real threads ({kind} locks)"
