"""A program with a syntax error on line 6."""

import threading


def main(:
    threading.Thread(target=print).start()
