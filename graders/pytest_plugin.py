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
   ``strict_locks``, ``spurious_wakeups``, ``timeouts_when_idle``, ``stalls``,
   ``watchdog``, ``shrink``) and
   ``real_threads``, ``real_threads_timeout``.

``--replay TOKEN`` exists only on the command line and applies to every selected test: each
exploration runs that one schedule. A token made on another Python version is noted in the
session header; an exploration whose replayed schedule does not fail fails its test with
"This schedule did not fail here (made on Python X, replayed on Y): ...", because a replay
that shows nothing is no pass (least of all on another version). A bad value stops the
session with a message naming its source, e.g. ``graders_schedules in pyproject.toml: 'abc'
is not a whole number``.

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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from graders import settings

if TYPE_CHECKING:
    from graders.engine import Exploration, Failure, Settings
    from graders.hints import Hint

CACHE_KEY = "graders/last-failure"
MARKER = settings.MARKER


def _token(value: object) -> str:
    from graders.engine import decode

    decode(str(value))
    return str(value)


#: The settings with an ini key, an environment variable and an option, and what each is
#: for; every value of every setting is checked by :mod:`graders.settings`.
OPTIONS: dict[str, str] = {
    "schedules": "how many schedules each exploration tries",
    "seed": "seed of the exploration strategies",
    "strategy": "portfolio, random, pct, lockstep, exhaustive or sequential",
    "max_steps": "steps one run may take before it counts as a livelock",
    "real_threads": "also run explore_target functions N times on real threads (a second "
                    "signal, never the verdict)",
}


# ------------------------------------------------------------------ hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("graders", "concurrency kit: schedule exploration")
    for name, text in OPTIONS.items():
        key = settings.ini_key(name)
        group.addoption(settings.option_flag(name), dest=key, default=None,
                        metavar="N" if name not in ("strategy",) else "NAME",
                        help=f"{text} (overrides ini {key} and "
                             f"{settings.environment_variable(name)}; "
                             f"@pytest.mark.{MARKER} overrides it)")
        parser.addini(key, f"graders: {text}", default="")
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


def pytest_report_header(config: pytest.Config) -> str | None:
    """A --replay token made on another Python version: say so before the tests run."""
    state = config.stash.get(_STATE, None)
    replay = state.resolved.get("replay") if state is not None else None
    if replay is None:
        return None
    from graders.engine import decode

    return decode(replay.value).version_note()


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


def _ini_source(config: pytest.Config, name: str) -> str:
    key = settings.ini_key(name)
    overrides = getattr(config.option, "override_ini", None) or []
    if any(o.split("=", 1)[0].strip() == key for o in overrides):
        return settings.ini(name, None)
    where = config.inipath.name if config.inipath is not None else "the configuration file"
    return settings.ini(name, where)


def _resolve(config: pytest.Config) -> dict[str, _Value]:
    """Settings from ini < environment < command line; a bad value stops the session."""
    resolved: dict[str, _Value] = {}
    for name in OPTIONS:
        candidates: list[tuple[object, str]] = []
        ini = config.getini(settings.ini_key(name))
        if ini not in ("", None, []):
            candidates.append((ini, _ini_source(config, name)))
        env = settings.environment_variable(name)
        if os.environ.get(env, "").strip():
            candidates.append((os.environ[env], settings.environment(name)))
        given = config.getoption(settings.ini_key(name))
        if given is not None:
            candidates.append((given, settings.option(name)))
        try:
            values = [_Value(settings.parse(name, raw, source), source)
                      for raw, source in candidates]
        except settings.SettingError as exc:
            raise pytest.UsageError(str(exc)) from None
        if values:
            resolved[name] = values[-1]
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
            if key not in settings.VALIDATORS:
                _fail_usage(f"@pytest.mark.{MARKER} on {item.nodeid}: unknown setting "
                            f"{key!r}; known: {', '.join(settings.VALIDATORS)}")
            source = settings.marker(key, item.nodeid)
            try:
                values[key] = _Value(settings.parse(key, raw, source), source)
            except settings.SettingError as exc:
                problem = str(exc)
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
        """Run check ``check`` of ``topic`` (``graders/checks/TOPIC.py``) on ``folder``
        through :func:`graders.checking.run_check`, as every door does; a failure shows the
        engine's report, then the topic's first hint."""
        from graders.checking import run_check

        folder = Path(folder)
        if (topic, folder) not in self._state.checked:
            self._state.checked.append((topic, folder))
        key = self._key()
        outcome = run_check(topic, check, folder, self._settings_for(key))
        if outcome.load_error is not None:
            pytest.fail(outcome.load_error, pytrace=False)
        assert outcome.exploration is not None
        return self._judge(key, outcome.exploration, hint=outcome.hint, topic=topic,
                           requirement=outcome.requirement)

    def run(self, go: Callable[[Settings], Exploration], *,
            real_threads_spec: str | None = None) -> Exploration:
        """Call ``go(settings)`` and judge the exploration it returns, as the fixture does.

        The extension point for other ways to explore: the settings are this test's, the
        last failure is tried first, a failure fails the test with the report and a replay
        line, a ``LoadError`` with its one line.
        """
        from graders.engine import LoadError

        key = self._key()
        try:
            result = go(self._settings_for(key))
        except LoadError as exc:
            problem = str(exc)
        else:
            problem = None
        if problem is not None:   # failed outside the except block: no chained traceback
            pytest.fail(problem, pytrace=False)
        return self._judge(key, result, real=self._real_threads(real_threads_spec))

    def _settings_for(self, key: str) -> Settings:
        """This test's settings, trying first the schedule that failed last time at ``key``."""
        return self.settings(first=self._state.memory(self.config).recall(key))

    def _judge(self, key: str, result: Exploration, *, real: str | None = None,
               hint: Hint | None = None, topic: str | None = None,
               requirement: str = "") -> Exploration:
        """Return a clean exploration; fail the test with the report of any other."""
        from graders.checking import pytest_ending, pytest_report

        memory = self._state.memory(self.config)
        failure = result.failure
        if result.not_reproduced:
            pytest.fail(result.report(), pytrace=False)
        if failure is None:
            if "replay" not in self.values:
                memory.forget(key, exact=True)
            return result
        if failure.token:
            memory.remember(key, failure.token)
        text = pytest_report(requirement, result, self.replay_command())
        picture = self._picture(key, failure, text)
        pytest.fail(text + pytest_ending(picture, real, hint, topic), pytrace=False)

    def _picture(self, key: str, failure: Failure, report: str) -> str | None:
        """Draw the failing interleaving into ``.graders/<test name>.html`` beside the test
        file (git ignores ``.graders/``); the path to show, or None when the failure has no
        interleaving to draw or the page could not be written."""
        if failure.timeline is None or not failure.interleaving:
            return None
        from graders.engine.drawing import page

        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.item.name).strip("._") or "test"
        number = key.rpartition(" #")[2] if " #" in key else ""
        path = self.item.path.parent / ".graders" / (
            f"{name}-{number}.html" if number else f"{name}.html")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page(failure.timeline, self.item.nodeid, report), encoding="utf-8")
        except OSError:
            return None
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

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

