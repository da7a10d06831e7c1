"""The main thread returns, but a non-daemon thread waits for an event nobody sets."""

import threading

ready = threading.Event()


def wait_for_ready():
    ready.wait()


def main():
    threading.Thread(target=wait_for_ready, name="listener").start()


def daemon_is_fine():
    threading.Thread(target=wait_for_ready, name="listener", daemon=True).start()
