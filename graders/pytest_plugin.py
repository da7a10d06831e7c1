"""pytest plugin: explore concurrent code from a test, and show only the engine's report.

Use the ``explorer`` fixture::

    def test_counter(explorer):
        explorer.explore_target("exercises/counter.py:main")

    @pytest.mark.explore(schedules=500, strategy="pct")
    def test_shop(explorer):
        explorer.explore(scenario, ["exercises/shop.py"])

When a schedule fails, the test fails with the engine's report (no traceback), whose replay
line is ``pytest '<the test's node id>' --replay TOKEN``.

Settings, and where they come from (a later source wins over an earlier one):

1. the engine's defaults (``graders.engine.Settings``);
2. ini keys ``graders_schedules``, ``graders_seed``, ``graders_strategy``, ``graders_max_steps``,
   ``graders_real_threads`` in ``pytest.ini``, ``pyproject.toml`` (``[tool.pytest.ini_options]``),
   ``tox.ini`` or ``setup.cfg``, or ``-o graders_seed=7``;
3. environment variables ``GRADERS_SCHEDULES``, ``GRADERS_SEED``, ``GRADERS_STRATEGY``,
   ``GRADERS_MAX_STEPS``, ``GRADERS_REAL_THREADS``;
4. command-line options ``--schedules``, ``--seed``, ``--strategy``, ``--max-steps``,
   ``--real-threads``;
5. ``@pytest.mark.explore(...)`` on the test, its class or its module (the closest wins);
   it takes any field of ``Settings`` (``schedules``, ``seed``, ``strategy``, ``max_steps``,
   ``starvation_bound``, ``pct_depth``, ``preemption_bound``, ``lock_order``,
   ``strict_locks``, ``watchdog``, ``shrink``) and ``real_threads``,
   ``real_threads_timeout``.

``--replay TOKEN`` exists only on the command line and applies to every selected test: each
exploration runs that one schedule. A bad value stops the session with a message naming its
source, e.g. ``graders_schedules in pyproject.toml: 'abc' is not a whole number``.

Memory: after a failure the schedule's token is stored in pytest's cache (key
``graders/last-failure``, per test node id); the next run of that test tries it first
(``Settings(first=token)``), and a pass forgets it. ``pytest --cache-clear`` forgets all.

``--real-threads N`` (``explore_target`` only) also runs the function N times on real
threads in a child process; what they showed is printed in the terminal summary and added
to a failure report. It never decides a test's outcome.

Integrity scan: the topic files that ``explorer.check`` ran are read by the same scan class
grading runs (:mod:`graders.grading.scan`); code it flags is listed in the terminal summary
("The grader will ask your instructor to review this code: ..."), so no student meets the
review for the first time in their grade. It never fails a test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from graders.engine import Exploration, Settings

CACHE_KEY = "graders/last-failure"
MARKER = "explore"


# ------------------------------------------------------------------ value parsers
# Each takes the raw value (a string from ini, environment or command line, any object from
# a marker) and returns the parsed value or raises ValueError with the reason.
def _whole(minimum: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a whole number")
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise ValueError(f"{value!r} is less than {minimum}")
        return number
    return parse


def _optional_whole(value: object) -> int | None:
    return None if value is None else _whole(1)(value)


def _seconds(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number of seconds")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not number > 0:
        raise ValueError(f"{value!r} is not more than 0")
    return number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not True or False")


def _strategy(value: object) -> str:
    from graders.engine.strategies import NAMES

    if value not in NAMES:
        raise ValueError(f"{value!r} is not a strategy; choose one of {', '.join(NAMES)}")
    return str(value)


def _token(value: object) -> str:
    from graders.engine import decode

    decode(str(value))
    return str(value)


#: settings with an ini key, an environment variable and a command-line option
OPTIONS: dict[str, tuple[Callable[[object], Any], str]] = {
    "schedules": (_whole(1), "how many schedules each exploration tries"),
    "seed": (_whole(0), "seed of the exploration strategies"),
    "strategy": (_strategy, "portfolio, random, pct, lockstep, exhaustive or sequential"),
    "max_steps": (_whole(1), "steps one run may take before it counts as a livelock"),
    "real_threads": (_whole(0), "also run explore_target functions N times on real "
                                "threads (a second signal, never the verdict)"),
}

#: what @pytest.mark.explore accepts
MARKER_KEYS: dict[str, Callable[[object], Any]] = {
    "schedules": _whole(1),
    "seed": _whole(0),
    "strategy": _strategy,
    "max_steps": _whole(1),
    "pct_depth": _whole(1),
    "preemption_bound": _whole(0),
    "starvation_bound": _optional_whole,
    "lock_order": _flag,
    "strict_locks": _flag,
    "watchdog": _seconds,
    "shrink": _flag,
    "real_threads": _whole(0),
    "real_threads_timeout": _seconds,
}

_PLUGIN_ONLY = ("real_threads", "real_threads_timeout")


def _flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


# ------------------------------------------------------------------ hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("graders", "concurrency kit: schedule exploration")
    for name, (_parse, text) in OPTIONS.items():
        group.addoption(_flag_name(name), dest=f"graders_{name}", default=None,
                        metavar="N" if name not in ("strategy",) else "NAME",
                        help=f"{text} (overrides ini graders_{name} and GRADERS_"
                             f"{name.upper()}; @pytest.mark.explore overrides it)")
        parser.addini(f"graders_{name}", f"graders: {text}", default="")
    group.addoption("--replay", dest="graders_replay", default=None, metavar="TOKEN",
                    help="run exactly the schedule TOKEN (as printed after 'Replay:') in "
                         "every exploration of the selected tests")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(schedules=, seed=, strategy=, max_steps=, starvation_bound=, ...): "
        "settings for the explorer fixture in this test; they override ini keys, "
        "GRADERS_* environment variables and command-line options")
    config.stash[_STATE] = _State(_resolve(config))


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    if call.when == "call" and call.excinfo is None:
        state = item.config.stash.get(_STATE, None)
        if state is not None and "replay" not in state.resolved:
            state.memory(item.config).forget(item.nodeid)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    if state.real_threads:
        terminalreporter.section("graders: real threads")
        for nodeid, text in state.real_threads:
            terminalreporter.write_line(f"{nodeid}: {text}")
    _scan_summary(terminalreporter, state)


def _scan_summary(terminalreporter: Any, state: _State) -> None:
    """What class grading would flag in the files the checks ran on, as a warning."""
    from graders.catalog import topic
    from graders.grading.scan import scan_folder

    found = []
    for name, folder in state.checked:
        info = topic(name)
        try:
            shown = str(folder.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            shown = str(folder)
        found += scan_folder(folder, info.files, info.allow, shown)
    if not found:
        return
    terminalreporter.section("graders: code your instructor will review", yellow=True)
    terminalreporter.write_line("The grader will ask your instructor to review this code "
                                "before its points count:")
    for finding in found:
        terminalreporter.write_line(f"  {finding}")
    terminalreporter.write_line("If the exercise does not need it, take it out; if it does, "
                                "leave it: your instructor will see why.")


# ------------------------------------------------------------------ resolution
@dataclass
class _Value:
    value: Any
    source: str


def _ini_source(config: pytest.Config, key: str) -> str:
    overrides = getattr(config.option, "override_ini", None) or []
    if any(o.split("=", 1)[0].strip() == key for o in overrides):
        return f"-o {key} on the command line"
    where = config.inipath.name if config.inipath is not None else "the configuration file"
    return f"{key} in {where}"


def _resolve(config: pytest.Config) -> dict[str, _Value]:
    """Settings from ini < environment < command line; a bad value stops the session."""
    resolved: dict[str, _Value] = {}
    for name, (parse, _text) in OPTIONS.items():
        key = f"graders_{name}"
        candidates: list[tuple[object, str]] = []
        ini = config.getini(key)
        if ini not in ("", None, []):
            candidates.append((ini, _ini_source(config, key)))
        env = f"GRADERS_{name.upper()}"
        if os.environ.get(env, "").strip():
            candidates.append((os.environ[env], f"environment variable {env}"))
        given = config.getoption(key)
        if given is not None:
            candidates.append((given, f"{_flag_name(name)} on the command line"))
        for raw, source in candidates:
            try:
                parse(raw)
            except ValueError as exc:
                raise pytest.UsageError(f"{source}: {exc}") from None
        if candidates:
            raw, source = candidates[-1]
            resolved[name] = _Value(parse(raw), source)
    replay = config.getoption("graders_replay")
    if replay is not None:
        try:
            resolved["replay"] = _Value(_token(replay), "--replay on the command line")
        except ValueError as exc:
            raise pytest.UsageError(f"--replay on the command line: {exc}") from None
    return resolved


def _marker_values(item: pytest.Item) -> dict[str, _Value]:
    """The explore markers of ``item``, closest last, so the closest wins."""
    values: dict[str, _Value] = {}
    for mark in reversed(list(item.iter_markers(MARKER))):
        if mark.args:
            _fail_usage(f"@pytest.mark.{MARKER} on {item.nodeid}: give settings by name, "
                        f"e.g. @pytest.mark.{MARKER}(schedules=500)")
        for key, raw in mark.kwargs.items():
            parse = MARKER_KEYS.get(key)
            if parse is None:
                _fail_usage(f"@pytest.mark.{MARKER} on {item.nodeid}: unknown setting "
                            f"{key!r}; known: {', '.join(MARKER_KEYS)}")
            source = f"@pytest.mark.{MARKER}({key}=...) on {item.nodeid}"
            try:
                values[key] = _Value(parse(raw), source)
            except ValueError as exc:
                problem = f"{source}: {exc}"
            else:
                continue
            _fail_usage(problem)
    return values


def _fail_usage(message: str) -> None:
    pytest.fail(message, pytrace=False)


# ------------------------------------------------------------------ memory
class _Memory:
    """The last failing schedule of each test, kept in pytest's cache between sessions."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache
        stored = cache.get(CACHE_KEY, {}) if cache is not None else {}
        self.tokens: dict[str, str] = dict(stored) if isinstance(stored, dict) else {}

    def recall(self, key: str) -> str | None:
        token = self.tokens.get(key)
        return token if isinstance(token, str) else None

    def remember(self, key: str, token: str) -> None:
        if self.tokens.get(key) != token:
            self.tokens[key] = token
            self._save()

    def forget(self, nodeid: str, exact: bool = False) -> None:
        """Forget the schedules of test ``nodeid`` (only that exact key if ``exact``)."""
        gone = [k for k in self.tokens
                if k == nodeid or (not exact and k.startswith(nodeid + " #"))]
        for k in gone:
            del self.tokens[k]
        if gone:
            self._save()

    def _save(self) -> None:
        if self.cache is not None:
            self.cache.set(CACHE_KEY, self.tokens)


@dataclass
class _State:
    resolved: dict[str, _Value]
    real_threads: list[tuple[str, str]] = field(default_factory=list)
    #: (topic, folder) of every explorer.check, in order, for the integrity scan
    checked: list[tuple[str, Path]] = field(default_factory=list)
    _memory: _Memory | None = None

    def memory(self, config: pytest.Config) -> _Memory:
        if self._memory is None:
            self._memory = _Memory(getattr(config, "cache", None))
        return self._memory


_STATE = pytest.StashKey[_State]()


# ------------------------------------------------------------------ the fixture
class Explorer:
    """The ``explorer`` fixture: the engine, with this test's settings and memory."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item
        self.config = item.config
        self._state = self.config.stash[_STATE]
        self.values = {**self._state.resolved, **_marker_values(item)}
        self._calls = 0

    def settings(self, first: str | None = None) -> Settings:
        """This test's engine settings; ``first`` is a schedule to try before exploring."""
        from graders.engine import Settings

        names = {f.name for f in fields(Settings)}
        chosen = {k: v.value for k, v in self.values.items() if k in names}
        if first is not None and "replay" not in chosen:
            chosen["first"] = first
        return Settings(**chosen)

    @property
    def real_threads(self) -> int:
        value = self.values.get("real_threads")
        return int(value.value) if value is not None else 0

    def explore(self, entry: Callable[..., object], files: Sequence[str | Path] = (),
                **kwargs: Any) -> Exploration:
        """``graders.engine.explore`` with this test's settings; fails the test on a bug."""
        from graders.engine import explore

        return self.run(lambda s: explore(entry, files, s, **kwargs))

    def explore_target(self, spec: str) -> Exploration:
        """``graders.engine.explore_target`` with this test's settings (and real threads)."""
        from graders.engine import explore_target

        return self.run(lambda s: explore_target(spec, s), real_threads_spec=spec)

    # -------------------------------------------------------------- internals
    def _key(self) -> str:
        self._calls += 1
        return self.item.nodeid if self._calls == 1 else f"{self.item.nodeid} #{self._calls}"

    def replay_command(self) -> str:
        """The pytest command that replays a failure; '{token}' stands for the schedule."""
        quoted = "'" + self.item.nodeid.replace("'", "'\\''") + "'"
        words = ["pytest", quoted]
        steps = self.values.get("max_steps")
        if steps is not None and steps.source.endswith("on the command line"):
            words += ["--max-steps", str(steps.value)]
        return " ".join(words).replace("{", "{{").replace("}", "}}") + " --replay {token}"

    def check(self, topic: str, check: str, folder: str | Path) -> Exploration:
        """Run check ``check`` of ``topic`` (``graders/checks/TOPIC.py``) on ``folder``;
        a failure shows the engine's report, then the topic's first hint."""
        from graders.catalog import topic as find_topic
        from graders.checks import checks_of

        info = find_topic(topic)
        fn = checks_of(topic)[check]
        if (topic, Path(folder)) not in self._state.checked:
            self._state.checked.append((topic, Path(folder)))
        hint = (f"Hint: {info.hints[0]}\nMore hints: python -m graders hint {topic}"
                if info.hints else None)
        return self.run(lambda s: fn(Path(folder), s), hint=hint)

    def run(self, go: Callable[[Settings], Exploration], *,
            real_threads_spec: str | None = None, hint: str | None = None) -> Exploration:
        """Call ``go(settings)`` and judge the exploration it returns, as the fixture does.

        The extension point for other ways to explore (a topic's checks): the settings are
        this test's, the last failure is tried first, a failure fails the test with the
        report and a replay line, a ``LoadError`` with its one line.
        """
        from graders.engine import LoadError

        key = self._key()
        memory = self._state.memory(self.config)
        try:
            result = go(self.settings(first=memory.recall(key)))
        except LoadError as exc:
            problem = str(exc)
        else:
            problem = None
        if problem is not None:   # failed outside the except block: no chained traceback
            pytest.fail(problem, pytrace=False)
        failure = result.failure
        real = self._real_threads(real_threads_spec)
        if failure is None:
            if "replay" not in self.values:
                memory.forget(key, exact=True)
            return result
        if failure.token:
            memory.remember(key, failure.token)
        text = result.report(replay_command=self.replay_command())
        text += f"\nbug class: {failure.bug_class}"
        if real:
            text += "\n" + real
        if hint:
            text += "\n" + hint
        pytest.fail(text, pytrace=False)

    def _real_threads(self, spec: str | None) -> str | None:
        if spec is None or self.real_threads == 0:
            return None
        from graders.engine.realthreads import run_real_threads

        timeout = self.values.get("real_threads_timeout")
        real = run_real_threads(spec, self.real_threads,
                                timeout.value if timeout is not None else 10.0)
        self._state.real_threads.append((self.item.nodeid, real.headline()))
        return real.summary()


@pytest.fixture
def explorer(request: pytest.FixtureRequest) -> Explorer:
    """Explore concurrent code with this test's settings; a failing schedule fails the test
    with the engine's report and a ``pytest NODEID --replay TOKEN`` line."""
    return Explorer(request.node)

