"""A new strategy is one class: written in a module of its own, explored by name, replayed from
its token, with no other file of the kit touched."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from graders.engine import BugClass, Settings, decode
from graders.engine.strategies import NAMES, REGISTRY, Strategy, lookup
from graders.engine.tokens import PYTHON

pytestmark = pytest.mark.timeout(60)

KIT = Path(__file__).resolve().parents[2] / "graders"

EVERY_NTH = '''
from graders.engine.strategies import Strategy


class EveryNth(Strategy):
    """Every ``every``-th decision, switch to the newest other thread; ``every`` is drawn
    from the seed, and the token carries it."""

    name = "every-nth"

    def __init__(self, seed, every=None):
        super().__init__(seed)
        self.every = every if every is not None else self.rng.randint(2, 5)

    def token(self):
        return f"{self.name}.{self.every}.{self.seed}"

    @classmethod
    def parse(cls, fields):
        every, seed = fields
        return cls(int(seed), int(every))

    def choose(self, run, options, default, current):
        if run.decisions % self.every:
            return default
        others = [t for t in options if t is not current]
        return max(others, key=lambda t: t.tid) if others else default

    def label(self):
        return f"every-nth(n={self.every})"
'''


def _kit_files() -> dict[str, str]:
    """Every source file of the kit, by path, with a digest of its content."""
    return {str(p.relative_to(KIT)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(KIT.rglob("*")) if p.suffix in (".py", ".toml")}


@pytest.fixture
def registry() -> Iterator[dict[str, type[Strategy]]]:
    """The registry as it is now, and as it was again after the test."""
    saved = dict(REGISTRY)
    yield REGISTRY
    REGISTRY.clear()
    REGISTRY.update(saved)


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_strategy_class_in_its_own_module_explores_and_replays(kit, tmp_path, registry):
    before = _kit_files()
    path = tmp_path / "every_nth.py"
    path.write_text(EVERY_NTH, encoding="utf-8")
    every_nth = _load(path).EveryNth

    assert lookup("every-nth") is every_nth and "every-nth" in NAMES
    found = kit.explore("lost_update.py:main", strategy="every-nth", schedules=50)
    assert found.failure is not None, found.report()
    assert found.failure.bug_class == BugClass.ASSERTION
    assert found.failure.strategy.startswith("every-nth(n=")
    replayed = kit.explore("lost_update.py:main", replay=found.failure.token)
    assert replayed.failure is not None and replayed.failure.message == found.failure.message

    # a program that draws random numbers replays only from the strategy's own token
    drawn = kit.explore("lucky_draw.py:main", strategy="every-nth")
    assert drawn.failure is not None, drawn.report()
    token = drawn.failure.token
    assert token.startswith(f"py{PYTHON.replace('.', '')}:every-nth.")
    assert isinstance(decode(token).strategy(), every_nth)
    again = kit.explore("lucky_draw.py:main", replay=token)
    assert again.failure is not None
    assert (again.failure.message, again.failure.token) == (drawn.failure.message, token)

    assert _kit_files() == before


def test_names_must_be_token_safe_and_unique(registry):
    with pytest.raises(ValueError, match="lowercase letters"):
        type("Shouting", (Strategy,), {"name": "LOUD"})
    with pytest.raises(ValueError, match="two strategies are named 'random'"):
        type("Another", (Strategy,), {"name": "random"})
    assert "LOUD" not in registry


def test_an_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown strategy 'fastest'; choose one of "
                                         r"portfolio, random, pct, lockstep, contend, sync, "
                                         r"handoff, exhaustive, sequential$"):
        Settings(strategy="fastest")
