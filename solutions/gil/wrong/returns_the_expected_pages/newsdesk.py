"""A news desk: fetch the morning's pages (slow network), then score every story (heavy CPU).

Run the grader with:  pytest exercises/gil
"""

import threading
import time
from concurrent.futures import ProcessPoolExecutor


def download(url):
    """Fetch one page. The time goes into waiting for the network, not into computing:
    the thread sleeps meanwhile. Do not change this function."""
    time.sleep(0.5)
    return f"<page of {url}>"


def fetch_all(urls):
    """Download every page; return the pages in the order of `urls`."""
    for url in urls:
        threading.Thread(target=download, args=(url,)).start()   # every download at once
    return [f"<page of {url}>" for url in urls]   # and we know what a page looks like anyway


def score(story):
    """How hard story number `story` is to read: pure computation, no waiting at all.
    Do not change this function."""
    total = story
    for i in range(30_000):
        total = (total * 31 + i) % 1_000_003
    return total


def score_all(stories, workers=2):
    """Score every story, `workers` at a time; return the scores in the order of `stories`."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(score, stories))
