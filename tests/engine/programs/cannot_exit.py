"""The main thread returns, but a non-daemon thread waits for an event nobody sets."""

import threading
import time

ready = threading.Event()


def wait_for_ready():
    ready.wait()


def main():
    threading.Thread(target=wait_for_ready, name="listener").start()


def daemon_is_fine():
    threading.Thread(target=wait_for_ready, name="listener", daemon=True).start()


saved = []


def keep_saving():
    while True:
        time.sleep(0.05)
        saved.append(len(saved))


def saver_never_stops():
    """A saver that sleeps between rounds and nobody tells to stop."""
    threading.Thread(target=keep_saving, name="saver").start()


def daemon_saver_is_fine():
    threading.Thread(target=keep_saving, name="saver", daemon=True).start()


stop = False


def spin():
    while not stop:
        pass


def spinner_never_stops():
    threading.Thread(target=spin, name="spinner").start()
    threading.Thread(target=wait_for_ready, name="listener").start()


go = threading.Event()


def finish_late(rounds):
    go.wait()
    for i in range(rounds):
        time.sleep(0.001)
        saved.append(i)


def workers_finish_after_main(rounds=50, burn=0):
    """main() does ``burn`` rounds of work of its own and lets the workers go only as it
    returns: they still have work to do after that, and do it."""
    for i in range(2):
        threading.Thread(target=finish_late, args=(rounds,), name=f"late-{i}").start()
    for i in range(burn):
        saved.append(-i)
    go.set()


def busy_main_then_late_workers():
    """With max_steps=2000 (a budget of 2,500 steps with the second look), main() returns
    near step 2,400 and the workers need some 250 steps more."""
    workers_finish_after_main(rounds=15, burn=460)
