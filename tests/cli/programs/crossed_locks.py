"""Two threads take two locks in opposite orders; a barrier makes both hold their first
lock before either asks for its second, so real threads deadlock on every run."""

import threading

left = threading.Lock()
right = threading.Lock()


def main():
    both_hold_one = threading.Barrier(2)

    def one():
        with left:
            both_hold_one.wait()
            with right:
                pass

    def two():
        with right:
            both_hold_one.wait()
            with left:
                pass

    threads = [threading.Thread(target=one, name="one"), threading.Thread(target=two, name="two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
