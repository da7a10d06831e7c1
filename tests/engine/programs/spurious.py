"""One waiter and one notifier: an `if` around Condition.wait() goes wrong here only when
wait() returns with no notify (a spurious wake-up); a `while` never does."""

import threading

cond = threading.Condition()
ready = []
spinning = [True]


def wait_if():
    with cond:
        if not ready:
            cond.wait()
        assert ready, "woke up with nothing ready"


def wait_while():
    with cond:
        while not ready:
            cond.wait()
        assert ready, "woke up with nothing ready"


def notifier():
    with cond:
        ready.append(1)
        cond.notify()


def run(waiter):
    threads = [threading.Thread(target=waiter, name="waiter"),
               threading.Thread(target=notifier, name="notifier")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    run(wait_if)


def fixed():
    run(wait_while)


def lost_wakeup():
    """The notify comes before anyone waits, and the waiter has no condition to look at:
    it waits for ever, spurious wake-ups or not (nobody else can run)."""
    notifier()

    def waiter():
        with cond:
            cond.wait()

    t = threading.Thread(target=waiter, name="waiter")
    t.start()
    t.join()


def spinner():
    while spinning[0]:
        pass


def sleeper():
    with cond:
        while not ready:
            cond.wait()
