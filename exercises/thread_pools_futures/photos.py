"""A photo album: download the photos and make their thumbnails, on a pool of threads.

Run the grader with:  pytest exercises/thread_pools_futures
"""

import concurrent.futures
import time


class DownloadError(Exception):
    """A photo could not be downloaded (a broken link, say)."""


def download(url):
    """The photo at `url`. It takes a while: most of it is waiting for the network. Raises
    DownloadError when the photo cannot be had."""
    time.sleep(0.2)
    if "broken" in url:
        raise DownloadError(f"{url}: not found")
    return f"<photo from {url}>"


def shrink(photo):
    """A small copy of `photo`, for the album's index page (it takes no time)."""
    return photo.replace("photo", "thumbnail")


def thumbnails(urls, workers=4):
    """The thumbnails of the photos at `urls`, in the order of `urls`. The photos are
    downloaded by a pool of `workers` threads, several at once; a download that fails
    raises its error here."""
    # TODO: download the photos on a concurrent.futures.ThreadPoolExecutor of `workers`
    # threads, so that several downloads are under way at once; read every result (or
    # error) from its future, and shut the pool down before returning.
    return [shrink(download(url)) for url in urls]


if __name__ == "__main__":
    album = [f"https://example.org/photo-{n}.jpg" for n in range(8)]
    start = time.perf_counter()
    print(thumbnails(album))
    print(f"{len(album)} photos in {time.perf_counter() - start:.1f} s")
