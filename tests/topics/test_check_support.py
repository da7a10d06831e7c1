"""What a check says when the student's function is missing or takes other arguments: the
student renamed or reshaped it, and the message must say which, every time it is asked. And
how a check's probe reaches the student's function wherever their module holds it."""

from __future__ import annotations

import threading
import types
from typing import Any

import pytest

from graders.checks.support import CountWatch, rebind, require, twin
from graders.engine import LoadError, Settings, explore


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("bank")
    module.__file__ = "/course/bank.py"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def test_a_missing_function_is_named_with_what_the_check_expects():
    with pytest.raises(LoadError, match=r"expects a function deposit\(account, amount\), and "
                                        r"there is no 'deposit' \(was it renamed\?\)"):
        require(_module("def pay(account, amount): pass\n"), "deposit", ["account", "amount"])


@pytest.mark.parametrize("source", [
    "def deposit(account): pass\n",
    "def deposit(account, amount, *, fee): pass\n",
    "def deposit(account, amount, fee): pass\n",
])
def test_other_arguments_are_shown_beside_the_expected_ones(source):
    with pytest.raises(LoadError, match=r"deposit should accept \(account, amount\); it is now "
                                        r"deposit\("):
        require(_module(source), "deposit", ["account", "amount"])


@pytest.mark.parametrize("source", [
    "def deposit(account, amount): pass\n",
    "def deposit(account, amount, fee=0): pass\n",
    "def deposit(*args): pass\n",
    "class deposit:\n    def __init__(self, account, amount): pass\n",
])
def test_functions_that_take_the_arguments_are_returned(source):
    module = _module(source)
    found = require(module, "deposit", ["account", "amount"])
    # a plain function comes as its twin (the student's own code), anything else as it is
    assert getattr(found, "__code__", found) is getattr(module.deposit, "__code__",
                                                        module.deposit)


def test_the_answer_follows_the_function_not_only_its_code():
    # Each run loads the module anew from the same compiled code: the answer may be kept per
    # code, but a function given other defaults (the same code) is judged again.
    source = "def make(fee):\n    def deposit(account, amount, fee=fee): pass\n    return deposit\n"
    module = _module(source)
    given = module.make(1)
    assert require(types.SimpleNamespace(deposit=given, __name__="bank"), "deposit",
                   ["account", "amount"]).__defaults__ == (1,)
    given.__defaults__ = None
    with pytest.raises(LoadError, match="should accept"):
        require(types.SimpleNamespace(deposit=given, __name__="bank"), "deposit",
                ["account", "amount"])
    for _ in range(3):   # the same question again: the same answer
        with pytest.raises(LoadError, match="should accept"):
            require(types.SimpleNamespace(deposit=given, __name__="bank"), "deposit",
                    ["account", "amount"])


def test_a_probe_reaches_a_function_taken_as_a_default_argument() -> None:
    """mutex's starter with one change, ``def cook(self, dishes, prepare_dish=prepare_dish)``,
    kept the lock around slow work out of the probe's sight and earned its points."""
    module = types.ModuleType("kitchen")
    exec("def prepare_dish(cook):\n    return 'real'\n"
         "alias = prepare_dish\n"
         "class Kitchen:\n"
         "    def cook(self, prepare_dish=prepare_dish):\n        return prepare_dish(1)\n"
         "    @staticmethod\n"
         "    def fast(*, prepare=prepare_dish):\n        return prepare(1)\n"
         "def outer():\n    held = prepare_dish\n"
         "    def inner():\n        return held(1)\n    return inner\n"
         "inner = outer()\n", module.__dict__)
    real = twin(module.prepare_dish)
    rebind(module, prepare_dish=lambda cook: "probe of " + real(cook))   # (calls it)
    assert module.prepare_dish(1) == module.alias(1) == "probe of real"
    assert module.Kitchen().cook() == module.Kitchen.fast() == module.inner() == "probe of real"


def test_a_probe_reaches_a_function_kept_in_a_dict_a_list_or_a_partial() -> None:
    """mutex's starter with prepare_dish kept in a dict earned 3 of 4: the probe, set by
    name, never saw the slow work under the lock."""
    module = types.ModuleType("kitchen")
    exec("import functools\n"
         "def prepare_dish(cook):\n    return 'real'\n"
         "TOOLS = {'prep': prepare_dish}\nLINE = [prepare_dish]\n"
         "LATER = functools.partial(prepare_dish)\n", module.__dict__)
    real = twin(module.prepare_dish)
    rebind(module, prepare_dish=lambda cook: "probe of " + real(cook))
    assert module.TOOLS["prep"](1) == module.LINE[0](1) == module.LATER(1) == "probe of real"


def test_a_callable_that_is_no_plain_function_is_replaced_by_name() -> None:
    module = types.ModuleType("kitchen")
    exec("import functools\n"
         "@functools.cache\ndef prepare_dish(cook):\n    return 'real'\n"
         "def cook(prepare=prepare_dish):\n    return prepare(1)\n", module.__dict__)
    real = twin(module.prepare_dish)
    rebind(module, prepare_dish=lambda c: "probe of " + real(c))
    assert module.prepare_dish(1) == module.cook() == "probe of real"


COUNTER = '''
import threading, time

class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.value = 0

    def add(self, pause):
        seen = self.value            # read outside the lock...
        time.sleep(pause)            # ...wait a while (a switch where one must wait)...
        with self.lock:
            self.value = seen + 1    # ...and write back a stale count

def run(pause):
    counter = Counter()
    workers = [threading.Thread(target=counter.add, args=(pause,)) for _ in range(2)]
    for w in workers:
        w.start()
    early = counter.value
    for w in workers:
        w.join()
    return early
'''


@pytest.mark.parametrize("pause", [0.0, 0.1])
def test_a_count_watch_sees_a_stale_write_and_a_read_made_while_workers_were_busy(
        tmp_path, pause):
    """On the schedule that switches only where a thread must wait, a write from a count
    read before a sleep is a lost update; and the main thread's early read is seen."""
    (tmp_path / "counter.py").write_text(COUNTER)
    seen: list[tuple[bool, int, int]] = []

    def entry(module: Any) -> None:
        watch = CountWatch(module.Counter, "value", lambda: len(threading.enumerate()) - 1)
        early = module.run(pause)
        seen.append((watch.stale_write, watch.read_while_busy(early), early))

    result = explore(entry, [tmp_path / "counter.py"],
                     Settings(schedules=1, strategy="sequential"))
    assert result.ok, result.report()
    [(stale, busy_then, early)] = seen
    assert stale == (pause > 0)
    assert early == 0 and busy_then > 0
