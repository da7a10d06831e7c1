"""Withdrawals check the balance, then act on it: both may pass the check."""

import threading

balance = 100
lock = threading.Lock()


def withdraw(amount):
    global balance
    if balance >= amount:
        balance -= amount


def withdraw_locked(amount):
    global balance
    with lock:
        if balance >= amount:
            balance -= amount


def run(worker):
    threads = [threading.Thread(target=worker, args=(80,), name=f"customer-{i}")
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert balance >= 0, f"Overdrawn: the balance is {balance}"


def main():
    run(withdraw)


def fixed():
    run(withdraw_locked)
