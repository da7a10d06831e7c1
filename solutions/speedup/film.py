"""Speedup: rendering a short film with more workers, and predicting how much faster it gets.

Run the grader with:  pytest exercises/speedup
"""

import threading
import time

STORYBOARD_SECONDS = 0.2   # the serial part: planning the whole film
FRAME_SECONDS = 0.05       # the parallel part: drawing one frame


def storyboard(frames):
    """Plan the film. It needs every frame, so it runs once, before any frame is drawn."""
    time.sleep(STORYBOARD_SECONDS)


def draw(frame):
    """Draw one frame. Frames do not depend on each other: any number can be drawn at once."""
    time.sleep(FRAME_SECONDS)


def speedup(t1, tp):
    """How many times faster a run took `tp` seconds than one that took `t1` with one
    worker."""
    return t1 / tp


def efficiency(t1, tp, workers):
    """The speedup per worker: 1.0 when each of the `workers` is fully used."""
    return t1 / (tp * workers)


def amdahl(serial_fraction, workers):
    """The speedup Amdahl's law predicts with `workers` workers, when `serial_fraction` of
    the one-worker time cannot be shared out."""
    return 1 / (serial_fraction + (1 - serial_fraction) / workers)


def render(frames, workers):
    """Make the storyboard once, then draw every frame once, with `workers` threads drawing
    at once. Return the seconds the whole render took, by time.perf_counter()."""
    start = time.perf_counter()
    storyboard(frames)                 # the serial part: once, before the threads

    def draw_share(share):
        for frame in share:
            draw(frame)

    threads = [threading.Thread(target=draw_share, args=(frames[i::workers],))
               for i in range(workers)]   # worker i draws frames i, i + workers, ...
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start    # after the last frame: the whole render


def main(count=16):
    """Render `count` frames with 1, 2, 4 and 8 workers: measured against predicted."""
    frames = list(range(count))
    t1 = render(frames, 1)
    serial = STORYBOARD_SECONDS / (STORYBOARD_SECONDS + count * FRAME_SECONDS)
    print(f"{count} frames; serial fraction {serial:.2f}")
    for workers in (1, 2, 4, 8):
        tp = render(frames, workers)
        print(f"{workers} worker{'s' * (workers != 1)}: {tp:.2f} s, speedup "
              f"{speedup(t1, tp):.2f} (Amdahl predicts {amdahl(serial, workers):.2f}), "
              f"efficiency {efficiency(t1, tp, workers):.0%}")


if __name__ == "__main__":
    main()
