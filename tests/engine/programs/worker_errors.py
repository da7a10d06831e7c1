"""Worker threads that raise."""

import threading


class Halt(BaseException):
    """Not an Exception: escapes 'except Exception' handlers."""


def parse(text):
    return int(text)


def work():
    parse("not a number")


def halt():
    raise Halt("stop right here")


def main():
    t = threading.Thread(target=work, name="parser")
    t.start()
    t.join()


def base_exception():
    t = threading.Thread(target=halt, name="halter")
    t.start()
    t.join()


def in_main():
    parse("oops")


def recursion(n=0):
    return recursion(n + 1) + 1


def deep_recursion():
    t = threading.Thread(target=recursion, name="diver")
    t.start()
    t.join()


def deep_recursion_in_main():
    recursion()
