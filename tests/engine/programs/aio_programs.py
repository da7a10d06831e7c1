"""asyncio programs for the engine's tests: each bug the controlled loop must find, and a
correct version of each, which must never fail."""

import asyncio
import time
from itertools import pairwise

from graders.engine import fail


class Account:
    def __init__(self):
        self.balance = 0
        self.lock = asyncio.Lock()


async def deposit(account, amount):
    seen = account.balance
    await asyncio.sleep(0)                 # yields to the loop between read and write
    account.balance = seen + amount


async def deposit_locked(account, amount):
    async with account.lock:
        seen = account.balance
        await asyncio.sleep(0)
        account.balance = seen + amount


async def lost_update():
    account = Account()
    await asyncio.gather(deposit(account, 10), deposit(account, 5))
    if account.balance != 15:
        fail("lost update", f"expected a balance of 15, found {account.balance}")


async def no_lost_update():
    account = Account()
    await asyncio.gather(*(deposit_locked(account, n) for n in (10, 5, 1)))
    if account.balance != 16:
        fail("lost update", f"expected a balance of 16, found {account.balance}")


async def heartbeat(beats, stop):
    while not stop.is_set():
        beats.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.1)


async def slow_save_blocking():
    time.sleep(1.0)                        # blocks the whole loop


async def slow_save():
    await asyncio.sleep(1.0)


async def with_heartbeat(save):
    beats, stop = [], asyncio.Event()
    beat = asyncio.create_task(heartbeat(beats, stop))
    await save()
    stop.set()
    await beat
    gaps = [b - a for a, b in pairwise(beats)]
    if gaps and max(gaps) > 0.5:
        fail("slow", f"the heartbeat stopped for {max(gaps):g}s")


async def blocking_sleep():
    await with_heartbeat(slow_save_blocking)


async def no_blocking_sleep():
    await with_heartbeat(slow_save)


async def failing_job(results):
    await asyncio.sleep(0)
    raise ValueError("the disk is full")


async def fire_and_forget():
    results = []
    asyncio.create_task(failing_job(results))   # noqa: RUF006 (the bug: nobody awaits it)
    await asyncio.sleep(0.5)


async def job(results, n):
    await asyncio.sleep(0.1)
    results.append(n)


async def unawaited_task():
    results = []
    asyncio.create_task(job(results, 1))  # noqa: RUF006 (the bug: cancelled at the end)
    if len(results) != 1:
        fail("work not done", f"expected 1 job done, found {len(results)}")


async def awaited_tasks():
    results = []
    tasks = [asyncio.create_task(job(results, n)) for n in range(3)]
    for t in tasks:
        await t
    if sorted(results) != [0, 1, 2]:
        fail("work not done", f"expected 3 jobs done, found {results}")


async def transfer(first, second, name):
    async with first:
        await asyncio.sleep(0)
        async with second:
            pass


async def lock_across_await():
    a, b = asyncio.Lock(), asyncio.Lock()
    await asyncio.gather(transfer(a, b, "one"), transfer(b, a, "two"))


async def ordered_locks():
    a, b = asyncio.Lock(), asyncio.Lock()
    await asyncio.gather(transfer(a, b, "one"), transfer(a, b, "two"))


async def save(results, n):
    await asyncio.sleep(0)
    results.append(n)


async def missing_await():
    results = []
    save(results, 1)
    await asyncio.sleep(0)


async def waits_forever():
    event = asyncio.Event()
    await event.wait()


async def producer(queue, n):
    for i in range(n):
        await queue.put(i)
    await queue.put(None)


async def consumer(queue, got):
    while (item := await queue.get()) is not None:
        got.append(item)


async def queue_timeout_semaphore():
    queue, got = asyncio.Queue(maxsize=2), []
    await asyncio.wait_for(asyncio.gather(producer(queue, 5), consumer(queue, got)), 10)
    assert got == [0, 1, 2, 3, 4], got
    gate, inside, most = asyncio.Semaphore(2), [0], [0]

    async def visit():
        async with gate:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            await asyncio.sleep(0.01)
            inside[0] -= 1
    await asyncio.gather(*(visit() for _ in range(4)))
    assert most[0] == 2, most
    cond, box = asyncio.Condition(), []

    async def take():
        async with cond:
            await cond.wait_for(lambda: box)
            return box.pop()

    async def give():
        async with cond:
            box.append(1)
            cond.notify()
    taken, _ = await asyncio.gather(take(), give())
    assert taken == 1
    try:
        await asyncio.wait_for(asyncio.Event().wait(), 0.5)
    except TimeoutError:
        pass
    else:
        raise AssertionError("the wait should have timed out")
    assert asyncio.get_running_loop().time() >= 0.5


class Shop:
    def __init__(self):
        self.stock = 1
        self.sold = 0
        self.lock = asyncio.Lock()


async def buy_now(shop):
    if shop.stock > 0:
        await asyncio.sleep(0)             # asks the bank
        shop.stock -= 1
        shop.sold += 1


async def buy_later(shop):
    await asyncio.sleep(0)                 # browses first
    await buy_now(shop)


async def oversold():
    """Found only when the late buyer's steps run before the first buyer's second one: not
    in asyncio's own first-in-first-out order."""
    shop = Shop()
    await asyncio.gather(buy_now(shop), buy_later(shop))
    if shop.sold > 1:
        fail("oversold", f"sold {shop.sold} of 1 item")


async def buy_now_locked(shop):
    async with shop.lock:
        await buy_now(shop)


async def buy_later_locked(shop):
    await asyncio.sleep(0)
    await buy_now_locked(shop)


async def not_oversold():
    shop = Shop()
    await asyncio.gather(buy_now_locked(shop), buy_later_locked(shop), buy_later_locked(shop))
    if shop.sold != 1:
        fail("oversold", f"sold {shop.sold} of 1 item")


def count_blocking(n):
    time.sleep(0.2)                        # blocking work, on a thread of its own
    return n


async def to_thread_and_back():
    import threading
    assert threading.current_thread().name == "MainThread"
    results = await asyncio.gather(*(asyncio.to_thread(count_blocking, n) for n in range(3)))
    assert results == [0, 1, 2], results
    return sum(results)


def sync_entry_runs_loop():
    """A plain function that calls asyncio.run, as a student's main() would."""
    return asyncio.run(to_thread_and_back())


def loops_in_two_threads():
    """Two threads, each with an event loop of its own (asyncio.run in each): neither is
    'called from a running event loop', whichever runs when."""
    import threading
    done = []

    async def job(n):
        await asyncio.sleep(0.01)
        done.append(n)

    threads = [threading.Thread(target=asyncio.run, args=(job(n),)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == [0, 1], done


async def crunch(progress, chunks, cooperative):
    total = 0
    for chunk in range(chunks):
        for i in range(100):               # CPU work: no await inside
            total += i
        progress.append(f"work {chunk}")
        if cooperative:
            await asyncio.sleep(0)         # lets the others run between chunks
    return total


async def ticker(progress, stop):
    while not stop.is_set():
        progress.append("tick")
        await asyncio.sleep(0)


async def cpu_work(cooperative):
    progress, stop = [], asyncio.Event()
    tick = asyncio.create_task(ticker(progress, stop))
    await asyncio.sleep(0)
    await crunch(progress, 3, cooperative)
    stop.set()
    await tick
    first, last = progress.index("work 0"), progress.index("work 2")
    if "tick" not in progress[first:last]:
        fail("loop blocked", f"no other task ran while the work was done: {progress}")


async def cpu_blocks_the_loop():
    await cpu_work(cooperative=False)


async def cpu_yields_to_others():
    await cpu_work(cooperative=True)
