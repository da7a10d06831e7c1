"""What a person may give as an exploration setting, checked in one place for every door.

The pytest plugin takes a setting from an ini key, an environment variable, its option or
``@pytest.mark.explore``; ``python -m graders`` from its options. Both hand the raw value and
where it came from (:func:`option`, :func:`ini`, :func:`environment`, :func:`marker`) to
:func:`parse`, so a bad value is refused in the same words at every door::

    --schedules on the command line: 'abc' is not a whole number

The engine's :class:`~graders.engine.Settings` still guards its own invariants for code that
builds one directly; this module decides what a person may type, and says so in their words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class SettingError(Exception):
    """A setting's value cannot be used; the message begins with where it came from.

    Not a ValueError on purpose: argparse rewords a ValueError raised by an argument's
    ``type=``, and this message must reach the person as it is.
    """


# ------------------------------------------------------------------ validators
# Each takes the raw value (a string from the command line, an ini file or the environment,
# any object from a marker) and returns the value to use, or raises ValueError with the
# reason, which :func:`parse` prefixes with the source.
def whole(minimum: int) -> Callable[[object], int]:
    """A whole number no less than ``minimum``."""

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


def optional_whole(value: object) -> int | None:
    """None (no bound), or a whole number of at least 1."""
    return None if value is None else whole(1)(value)


def seconds(value: object) -> float:
    """A number of seconds above 0."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number of seconds")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not number > 0:
        raise ValueError(f"{value!r} is not more than 0")
    return number


def flag(value: object) -> bool:
    """True or False, as a marker gives it."""
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not True or False")


def strategy(value: object) -> str:
    """The name of one of the engine's strategies."""
    from graders.engine.strategies import NAMES

    if value not in NAMES:
        raise ValueError(f"unknown strategy {value!r}; choose one of {', '.join(NAMES)}")
    return str(value)


#: Every setting a person can give, by its name in ``Settings`` (or the plugin's own, for
#: the real-thread runs), with its validator; the order is the one error messages list.
VALIDATORS: dict[str, Callable[[object], Any]] = {
    "schedules": whole(1),
    "seed": whole(0),
    "strategy": strategy,
    "max_steps": whole(1),
    "pct_depth": whole(1),
    "preemption_bound": whole(0),
    "starvation_bound": optional_whole,
    "lock_order": flag,
    "strict_locks": flag,
    "spurious_wakeups": whole(0),
    "timeouts_when_idle": flag,
    "stalls": flag,
    "watchdog": seconds,
    "shrink": flag,
    "real_threads": whole(0),
    "real_threads_timeout": seconds,
}


# ------------------------------------------------------------------ where a value came from
#: The pytest marker that gives settings to one test, class or module.
MARKER = "explore"


def option_flag(name: str) -> str:
    """``--max-steps`` for ``max_steps``."""
    return "--" + name.replace("_", "-")


def ini_key(name: str) -> str:
    """``graders_max_steps`` for ``max_steps``."""
    return f"graders_{name}"


def environment_variable(name: str) -> str:
    """``GRADERS_MAX_STEPS`` for ``max_steps``."""
    return f"GRADERS_{name.upper()}"


def option(name: str) -> str:
    """A value typed as option ``--NAME``."""
    return f"{option_flag(name)} on the command line"


def ini(name: str, where: str | None) -> str:
    """A value from the ini key of ``name`` in file ``where``; None: given as ``-o KEY=...``."""
    key = ini_key(name)
    return f"-o {key} on the command line" if where is None else f"{key} in {where}"


def environment(name: str) -> str:
    """A value from the environment variable of ``name``."""
    return f"environment variable {environment_variable(name)}"


def marker(name: str, test: str) -> str:
    """A value given as ``@pytest.mark.explore(NAME=...)`` on ``test`` (a node id)."""
    return f"@pytest.mark.{MARKER}({name}=...) on {test}"


# ------------------------------------------------------------------ checking
def parse(name: str, raw: object, source: str,
          validator: Callable[[object], Any] | None = None) -> Any:
    """Setting ``name``'s value from ``raw``, which came from ``source``; a SettingError
    that names the source when it is unusable. ``validator`` replaces the setting's own for
    an option that is no exploration setting (``--jobs``)."""
    check = validator if validator is not None else VALIDATORS[name]
    try:
        return check(raw)
    except ValueError as exc:
        raise SettingError(f"{source}: {exc}") from None


def argument(name: str, validator: Callable[[object], Any] | None = None
             ) -> Callable[[str], Any]:
    """An argparse ``type=`` for option ``--NAME``: the value checked as :func:`parse` does,
    a SettingError (which argparse lets through) when it is unusable."""

    def convert(text: str) -> Any:
        return parse(name, text, option(name), validator)

    convert.__name__ = name      # what argparse calls the type in its own messages
    return convert
