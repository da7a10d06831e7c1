"""Buggy: two threads take the same two semaphores in opposite orders: deadlock."""

import threading

scanner = threading.Semaphore(1)
printer = threading.Semaphore(1)
jobs = []


def copy_job():
    with scanner, printer:
        jobs.append("copy")


def print_then_scan():
    with printer, scanner:
        jobs.append("print+scan")


def main():
    threads = [threading.Thread(target=copy_job, name="copier"),
               threading.Thread(target=print_then_scan, name="printer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(jobs) == 2, f"jobs done: {jobs}"
