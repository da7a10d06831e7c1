"""Checks observe the shared state the threads used, not the number a function returns.

Each case edits a topic's reference solution (or a listed wrong fix, its diff applied) in a
temporary folder: a program that hard-codes its answer must fail with the topic's class, and
a correct one the listed fixes do not cover (polling instead of join, private baskets, a lock
outside Basket, an oven that does not call bake()) must pass, so the probes raise no false
alarm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import variants
from graders.catalog import topic
from graders.checking import run_topic

PASS = "pass"

JOIN_SHOPPERS = """    for thread in threads:
        thread.join()
    return basket.count"""
JOIN_COOKS = """    for thread in threads:
        thread.join()
    return kitchen.served"""
HARD_CODED_COUNT = ("    return shoppers * items   # every shopper added `items`: "
                    "no need to ask the basket")
HARD_CODED_TALLY = ("    return cooks * dishes         # every cook served `dishes`: "
                    "no need to ask the tally")
SHOPPERS = """    basket = Basket()
    threads = [
        threading.Thread(target=basket.add, args=(items,), name=f"shopper-{i + 1}")"""
ONE_OVEN = """    oven.join()                   # wait until the oven thread has ended
    return baked.get("tray-1", 0)"""
TWO_OVENS = """        oven.start()              # both ovens are on before we wait for either
    for oven in ovens:
        oven.join()
    return baked"""

CASES = {
    # hard-coded answers while the state is wrong
    "data_race/overwrites_the_count": (
        "data_race", "wrong/returns_the_expected_count/shop.py",
        [(HARD_CODED_COUNT, "    basket.count = shoppers * items\n    return basket.count")],
        "lost update"),
    "data_race/returns_a_second_basket": (
        "data_race", "wrong/returns_the_expected_count/shop.py",
        [(HARD_CODED_COUNT, "    other = Basket()\n    other.count = shoppers * items\n"
                            "    return other.count")],
        "lost update"),
    "mutex/overwrites_the_tally": (
        "mutex", "wrong/returns_the_expected_tally/kitchen.py",
        [(HARD_CODED_TALLY, "    kitchen.served = cooks * dishes\n    return kitchen.served")],
        "lost update"),
    "thread_lifecycle/two_trays_without_join": (
        "thread_lifecycle", "bakery.py",
        [(TWO_OVENS, '        oven.start()\n    return {"tray-1": loaves, "tray-2": loaves}')],
        "read too early"),
    # correct programs the listed fixes do not cover
    "data_race/polls_the_count": (
        "data_race", "shop.py",
        [("import threading\n", "import threading\nimport time\n"),
         (JOIN_SHOPPERS, "    while basket.count < shoppers * items:\n"
                         "        time.sleep(0.001)\n    return basket.count")],
        PASS),
    "data_race/private_baskets": (
        "data_race", "shop.py",
        [(SHOPPERS, """    basket = Basket()
    mine = [Basket() for _ in range(shoppers)]
    threads = [
        threading.Thread(target=mine[i].add, args=(items,), name=f"shopper-{i + 1}")"""),
         (JOIN_SHOPPERS, "    for thread in threads:\n        thread.join()\n"
                         "    basket.count = sum(b.count for b in mine)\n    return basket.count")],
        PASS),
    "data_race/lock_outside_the_basket": (
        "data_race", "wrong/returns_the_expected_count/shop.py",
        [(HARD_CODED_COUNT, "    return basket.count"),
         (SHOPPERS, """    basket = Basket()
    lock = threading.Lock()

    def shop():
        with lock:
            basket.add(items)

    threads = [
        threading.Thread(target=shop, name=f"shopper-{i + 1}")""")],
        PASS),
    "mutex/polls_the_tally": (
        "mutex", "kitchen.py",
        [(JOIN_COOKS, "    while kitchen.served < cooks * dishes:\n"
                      "        time.sleep(0.001)\n    return kitchen.served")],
        PASS),
    "thread_lifecycle/polls_the_tray": (
        "thread_lifecycle", "bakery.py",
        [(ONE_OVEN, '    while "tray-1" not in baked:\n        time.sleep(0.001)\n'
                    '    return baked.get("tray-1", 0)')],
        PASS),
    "thread_lifecycle/oven_without_bake": (
        "thread_lifecycle", "bakery.py",
        [('    oven = threading.Thread(target=bake, args=("tray-1", loaves, baked), '
          'name="oven-1")',
          """    def oven_work():
        for _ in range(loaves):
            time.sleep(0.01)
        baked["tray-1"] = loaves

    oven = threading.Thread(target=oven_work, name="oven-1")""")],
        PASS),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_observed_state(name: str, tmp_path: Path) -> None:
    topic_name, source, edits, expect = CASES[name]
    variant, _, file_name = source.rpartition("/")
    fixed = variants.files(variants.Fix.parse(f"{topic_name}/{variant}")) if variant \
        else variants.reference(topic(topic_name))
    text = fixed[file_name]
    for old, new in edits:
        assert text.count(old) == 1, f"{name}: the edit no longer matches {source}"
        text = text.replace(old, new)
    (tmp_path / Path(source).name).write_text(text)
    outcomes = run_topic(topic(topic_name), tmp_path)
    first = next((o for o in outcomes if not o.passed), None)
    got = PASS if first is None else first.bug_class
    assert got == expect, first.message() if first is not None else "every check passed"
