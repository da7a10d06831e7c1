"""A diary: you write entries, and a background saver puts them on disk every so often.

Run the grader with:  pytest exercises/daemon_threads
Run the program with: python exercises/daemon_threads/diary.py
"""

import threading
import time

SAVE_EVERY = 0.05      # seconds between two rounds of the saver

disk = []              # what has been saved, in order


def save(entries):
    """Write `entries` to disk (it takes a moment)."""
    time.sleep(0.01)
    disk.extend(entries)


class Diary:
    """Entries are kept in memory until the background saver writes them to disk."""

    def __init__(self):
        self.lock = threading.Lock()
        self.unsaved = []
        self.stop = threading.Event()     # set by close(): the saver's signal to finish
        self.saver = threading.Thread(target=self.keep_saving, name="saver", daemon=True)

    def write(self, entry):
        """Add an entry; the saver will save it soon."""
        with self.lock:
            self.unsaved.append(entry)

    def save_now(self):
        """Save every entry that is not saved yet."""
        with self.lock:
            batch, self.unsaved = self.unsaved, []
        if batch:
            save(batch)

    def keep_saving(self):
        """The background saver: every SAVE_EVERY seconds, save what is unsaved."""
        while not self.stop.wait(SAVE_EVERY):   # True as soon as close() sets it
            self.save_now()
        self.save_now()                         # the entries written since the last round

    def close(self):
        """Called after the last entry: when it returns, every entry is on disk and the saver
        has ended."""
        self.stop.set()                   # the saver saves the rest... if it gets the time


def main(entries=("woke up", "wrote code", "found a race", "fixed it", "slept")):
    """Write the entries a moment apart, then close the diary."""
    diary = Diary()
    diary.saver.start()
    for entry in entries:
        diary.write(entry)
        time.sleep(0.02)          # thinking of what to write next
    diary.close()


if __name__ == "__main__":
    main()
    print(f"{len(disk)} entries on disk: {disk}")
