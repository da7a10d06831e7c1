"""A random module that never varies."""


def random():
    return 0.0


def uniform(a, b):
    return a


def randint(a, b):
    return a


def seed(*args, **kwargs):
    pass
