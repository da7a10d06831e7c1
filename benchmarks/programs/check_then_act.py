"""Buggy: check-then-act: two withdrawals both see enough money before either takes it."""

import threading


class Account:
    def __init__(self, balance):
        self.balance = balance

    def withdraw(self, amount):
        if self.balance >= amount:
            self.balance -= amount
            return True
        return False


def main():
    account = Account(100)
    granted = []

    def customer(amount):
        if account.withdraw(amount):
            granted.append(amount)

    people = [threading.Thread(target=customer, args=(80,), name=f"customer-{i}")
              for i in range(2)]
    for t in people:
        t.start()
    for t in people:
        t.join()
    assert account.balance >= 0, f"Overdrawn: balance {account.balance}, paid out {granted}"
