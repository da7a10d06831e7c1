"""Correct: a ThreadPoolExecutor maps a pure function; results come back in input order."""

from concurrent.futures import ThreadPoolExecutor


def square(n):
    return n * n


def main():
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(square, range(4)))
    assert results == [0, 1, 4, 9], f"results {results}"
