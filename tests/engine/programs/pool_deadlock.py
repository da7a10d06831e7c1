"""A pool that waits on itself: every worker runs a task that waits for a task still queued
behind it."""

import concurrent.futures


def _double(n):
    return 2 * n


def tasks_wait_for_their_own_pool():
    with concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="crew") as pool:

        def outer(n):
            return pool.submit(_double, n).result()

        futures = [pool.submit(outer, n) for n in range(2)]
        return [future.result() for future in futures]
