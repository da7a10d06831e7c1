"""Not a bug: one thread runs a loop of simple statements on a global (the overhead workload)."""

total = 0


def main(n=20_000):
    global total
    for i in range(n):
        total = total + i
