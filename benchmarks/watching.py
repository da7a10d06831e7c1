"""Watching the engine from a benchmark: each run it makes, and each exploration it ends.

The benchmarks count steps, fingerprint runs and look for repeated runs; all of them need
to see every run the explorer makes without the engine growing a hook for it. This is the
one place that wraps the explorer's methods for that, and puts them back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def watching(each_run: Callable[[Any, Any], None],
             each_exploration: Callable[[Any], None] | None = None) -> Iterator[None]:
    """Call ``each_run(strategy, run)`` after every run the explorer makes, and
    ``each_exploration(result)`` after every exploration, until the block ends."""
    from graders.engine import explorer

    run_once, explore = explorer._Explorer.run_once, explorer._Explorer.explore

    def watched_run(self: Any, strategy: Any, seed: int, **options: Any) -> Any:
        run = run_once(self, strategy, seed, **options)
        each_run(strategy, run)
        return run

    def watched_exploration(self: Any) -> Any:
        result = explore(self)
        if each_exploration is not None:
            each_exploration(result)
        return result

    explorer._Explorer.run_once = watched_run              # type: ignore[method-assign]
    explorer._Explorer.explore = watched_exploration       # type: ignore[method-assign]
    try:
        yield
    finally:
        explorer._Explorer.run_once, explorer._Explorer.explore = run_once, explore
