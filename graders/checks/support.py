"""Small helpers checks share: finding the student's files and functions, with clear errors;
watching the shared object the student's threads really used; verdicts without schedules."""

from __future__ import annotations

import functools
import inspect
import threading
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from graders.engine import Exploration, Failure, LoadError, Settings, machine


def student_file(folder: Path, name: str) -> Path:
    """The file ``name`` in the student's folder, or a LoadError that says what is missing."""
    path = Path(folder) / name
    if not path.is_file():
        raise LoadError(f"{path}: file not found. The check expects the exercise's {name} "
                        "here (restore it from the kit if it was deleted or renamed).")
    return path


def require(module: Any, name: str, params: Sequence[str]) -> Callable[..., Any]:
    """``module.name``, checked to accept ``params``; a LoadError explains any mismatch.
    A plain function comes as its :func:`twin`, which a probe can call after :func:`rebind`."""
    where = getattr(module, "__file__", module.__name__)
    signature = f"{name}({', '.join(params)})"
    fn: Callable[..., Any] | None = getattr(module, name, None)
    if fn is None:
        raise LoadError(f"{where}: the check expects a function {signature}, and there is "
                        f"no {name!r} (was it renamed?).")
    if not callable(fn):
        raise LoadError(f"{where}: {name!r} should be a function {signature}.")
    if not _accepts(fn, tuple(params)):
        raise LoadError(f"{where}: {name} should accept ({', '.join(params)}); it is now "
                        f"{name}{inspect.signature(fn)}.")
    student: Callable[..., Any] = twin(fn)
    return student


def _accepts(fn: Callable[..., Any], params: tuple[str, ...]) -> bool:
    """Whether ``fn`` can be called with ``params`` as positional arguments. A check asks
    in every run, where the student's module is fresh but its functions' code is not: a
    plain function's answer is kept by what decides it (its code, how many defaults, which
    keyword-only ones), since inspect is slow."""
    if not inspect.isfunction(fn):
        return _binds(fn, params)
    key = (fn.__code__, len(fn.__defaults__ or ()), frozenset(fn.__kwdefaults__ or ()), params)
    known = _ACCEPTS.get(key)
    if known is None:
        if len(_ACCEPTS) > 512:
            _ACCEPTS.clear()
        known = _ACCEPTS[key] = _binds(fn, params)
    return known


#: ``_accepts``'s answers for plain functions (code objects hold no module, so no run).
_ACCEPTS: dict[tuple[Any, ...], bool] = {}


def _binds(fn: Callable[..., Any], params: tuple[str, ...]) -> bool:
    try:
        inspect.signature(fn).bind(*params)
    except TypeError:
        return False
    except ValueError:
        pass
    return True


class SharedState:
    """A probe on ``cls.method``, the method the program's threads call on a shared object,
    to read what they really left in it instead of believing what the student's function
    returns.

    For every instance the method is called on, it keeps the instance (so no ``id`` is
    reused), how many calls on it are under way, and the value of its ``attribute`` right after
    the last call returned. Make it on the class of the freshly loaded module, before the
    student's code runs; a missing class or method leaves it empty.
    """

    def __init__(self, cls: Any, method: str, attribute: str) -> None:
        self.attribute = attribute
        self.seen: dict[int, list[Any]] = {}   # id -> [instance, calls under way, value after]
        original = getattr(cls, method, None) if isinstance(cls, type) else None
        if not callable(original):
            return
        seen = self.seen

        @functools.wraps(original)
        def watched(obj: Any, *args: Any, **kwargs: Any) -> Any:
            entry = seen.setdefault(id(obj), [obj, 0, None])
            entry[1] += 1
            try:
                return original(obj, *args, **kwargs)
            finally:
                entry[1] -= 1
                entry[2] = getattr(obj, attribute, None)

        setattr(cls, method, watched)

    def left(self) -> list[int] | None:
        """What the threads left in each object used, in the order of first use: the value
        after the last call returned, or the value now while a call is still under way (its
        work may be done). None when no object was used or a value is not a whole number."""
        values = [getattr(obj, self.attribute, None) if busy else after
                  for obj, busy, after in self.seen.values()]
        whole = [v for v in values if isinstance(v, int)]
        if not values or len(whole) != len(values):
            return None
        return whole


class StaleWrites:
    """The reads and writes of one shared value, to tell a write made from a stale read: a
    thread that read the value, and writes it after another thread wrote it in between,
    overwrites that change unseen (a lost update, whether the writer was interrupted or
    went off to wait, in a sleep, between its read and its write). Threads are told apart
    by identity (their names may repeat)."""

    def __init__(self) -> None:
        self.version = 0                     # writes so far
        self.last_writer: Any = None         # the thread of the last write
        self._reads: dict[int, int] = {}     # thread -> the version it last read

    def read(self) -> None:
        self._reads[id(threading.current_thread())] = self.version

    def write(self) -> Any:
        """Count a write by the calling thread; return the thread whose write it overwrites
        unseen (the caller read before it), or None."""
        me = threading.current_thread()
        read = self._reads.pop(id(me), None)
        stale = self.last_writer if read is not None and read != self.version else None
        self.version += 1
        self.last_writer = me
        return stale


class CountWatch:
    """A property put on ``cls.<attribute>``, a count the program's threads share, that sees
    who reads and writes it. ``stale_write`` is set once a thread writes the count from a
    value it read before another thread's write: a lost update, whether the writer was
    interrupted or went off to wait (a sleep) between its read and its write. And it keeps
    each value the main thread read with how many workers were busy then (``busy()``), so
    that a function returning a count it read too early can be told from one returning a
    wrong count. Only a count kept on the instances is watched: a class with ``__slots__``,
    or with anything of that name of its own (a count the class keeps, read and written as
    ``Basket.count``, which a property would break), is left alone and judged by values
    only. Make it on the class of the freshly loaded module."""

    def __init__(self, cls: Any, attribute: str, busy: Callable[[], int]) -> None:
        self.stale_write = False
        self.main_reads: list[tuple[Any, int]] = []
        if not isinstance(cls, type) or "__slots__" in cls.__dict__ or hasattr(cls, attribute):
            return
        writes = StaleWrites()

        def get(obj: Any) -> Any:
            writes.read()
            try:
                value = obj.__dict__[attribute]
            except KeyError:
                raise AttributeError(attribute) from None
            if threading.current_thread() is threading.main_thread():
                self.main_reads.append((value, busy()))
            return value

        def put(obj: Any, value: Any) -> None:
            if writes.write() is not None:
                self.stale_write = True
            obj.__dict__[attribute] = value

        setattr(cls, attribute, property(get, put))

    def read_while_busy(self, value: Any) -> int:
        """How many workers were busy when the main thread last read ``value`` while any
        was (0: it never did)."""
        return next((n for read, n in reversed(self.main_reads) if n > 0 and read == value),
                    0)


def rebind(module: Any, **replacements: Any) -> None:
    """Make the module's function of each name call its replacement instead, wherever the
    student's code holds it: by name, in a dict or a list, in a ``functools.partial``, as a
    default argument (``def cook(self, n, prepare=prepare_dish)``) or in a closure. A probe
    set only as ``module.name`` misses every call that does not look the name up, and a
    student's correct program then fails (or a broken one passes) for where it kept the
    function, not for what it does.

    So a plain function is changed in place: its code becomes a forwarder to the
    replacement. A probe that runs the student's code calls the copy :func:`require` (or
    :func:`twin`) gave it before this call, never the function itself, which now leads back
    to the probe. Anything else callable (a ``functools.cache`` wrapper, an object with
    ``__call__``) is replaced by name and in the defaults and closures of the module's
    functions and methods."""
    others = {}
    for name, new in replacements.items():
        old = getattr(module, name)
        if type(old) is types.FunctionType:
            with warnings.catch_warnings():
                # 3.13 warns when a generator's or coroutine's function gets a plain
                # function's code: the forwarder hands back whatever the replacement
                # returns (a coroutine for a coroutine), which is what the probe wants.
                warnings.simplefilter("ignore", DeprecationWarning)
                old.__code__ = _forwarder(len(old.__closure__ or ()))
            old.__defaults__ = None
            old.__kwdefaults__ = {"_probe_": new}
        else:
            others[id(old)] = new
    if others:
        _swap_references(module, others)


def twin(fn: Any) -> Any:
    """A copy of the plain function ``fn`` that keeps running the student's code after
    :func:`rebind` turns ``fn`` itself into a forwarder to a probe; anything else as it is."""
    if type(fn) is not types.FunctionType:
        return fn
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                              fn.__closure__)
    copy.__kwdefaults__ = dict(fn.__kwdefaults__) if fn.__kwdefaults__ else None
    copy.__qualname__ = fn.__qualname__
    copy.__dict__.update(fn.__dict__)
    return copy


@functools.cache
def _forwarder(free: int) -> types.CodeType:
    """The code of a function that calls its keyword default ``_probe_`` with whatever it
    was given. A function's new code must name as many free variables as its closure holds
    cells, so each count gets its own; they are never read (a cell may still be empty). It
    is compiled as this file's: code named ``<...>`` that runs with a student module's
    globals is traced as code the student compiled, and this is the kit's."""
    cells = [f"_cell{i}" for i in range(free)]
    lines = ["def outer():"]
    if cells:
        lines.append(f"    {' = '.join(cells)} = None")
    lines.append("    def forward(*args, _probe_=None, **kwargs):")
    if cells:
        lines += ["        if False:", f"            {', '.join(cells)}"]
    lines += ["        return _probe_(*args, **kwargs)", "    return forward"]
    scope: dict[str, Any] = {}
    exec(compile("\n".join(lines), __file__, "exec"), scope)
    code: types.CodeType = scope["outer"]().__code__
    return code


def _swap_references(module: Any, swap: dict[int, Any]) -> None:
    """Replace the callables whose ids ``swap`` holds in the module's names and in the
    defaults and closures of its functions and its classes' methods (all gathered first)."""

    def swapped(value: object) -> Any:
        return swap.get(id(value), value)

    functions = [v for v in vars(module).values() if inspect.isfunction(v)]
    for cls in [v for v in vars(module).values() if isinstance(v, type)]:
        for member in vars(cls).values():
            member = getattr(member, "__func__", member)     # staticmethod, classmethod
            if inspect.isfunction(member):
                functions.append(member)
    for key, value in list(vars(module).items()):
        if id(value) in swap:
            setattr(module, key, swap[id(value)])
    for fn in functions:
        if fn.__defaults__ and any(id(d) in swap for d in fn.__defaults__):
            fn.__defaults__ = tuple(swapped(d) for d in fn.__defaults__)
        kwdefaults = fn.__kwdefaults__ or {}
        for key, value in kwdefaults.items():
            if id(value) in swap:
                kwdefaults[key] = swap[id(value)]
        for cell in fn.__closure__ or ():
            try:
                if id(cell.cell_contents) in swap:
                    cell.cell_contents = swap[id(cell.cell_contents)]
            except ValueError:      # an empty cell
                pass


def is_count(value: object) -> bool:
    """A count a check can compare: exactly an int or a float. Not a bool, and not an
    object of the submission's own class, whose ``==`` and ``<`` could answer anything."""
    return type(value) in (int, float)


def never_seen(result: Exploration, bug_class: str, message: str,
               details: str = "") -> Exploration:
    """Turn a clean exploration into a failure because a required witness never showed.

    Some properties are about what *can* happen (two cooks working at once in some
    schedule); when no explored schedule shows it, there is no single failing schedule to
    replay, so the failure names the whole exploration instead.
    """
    if not result.ok:
        return result
    return replace(result, failure=Failure(bug_class, message, details, 0, "all", 0, "", ""))


def verdict(settings: Settings, bug_class: str, message: str, details: str = "",
            runs: int = 1) -> Exploration:
    """A failed check that needed no thread schedules (processes, a simulator, ...).

    ``runs`` says how many cases (job sets, program runs) were tried; the failure has no
    replay token because the same settings reproduce it exactly.
    """
    return Exploration(settings, runs,
                       Failure(bug_class, message, details, 0, "all", settings.seed, "", ""))


def passed(settings: Settings, runs: int = 1) -> Exploration:
    """A passed check that needed no thread schedules; ``runs`` cases were tried."""
    return Exploration(settings, runs, None)


def numbered(groups: Sequence[Sequence[bool]]) -> list[tuple[int, int, bool]]:
    """``(group, actor, flag)`` for every actor of groups that arrive one after another
    (cars at a station, buyers at a box office), numbered across the groups from 0."""
    actors = [(g, flag) for g, group in enumerate(groups) for flag in group]
    return [(g, n, flag) for n, (g, flag) in enumerate(actors)]


def share(settings: Settings, cases: int) -> Settings:
    """An equal share of the schedules for each of ``cases`` cases, for
    :func:`explore_cases` when the cases together should cost one check's schedules (a
    replay tries its token on each case)."""
    if settings.replay is not None:
        return settings
    return replace(settings, schedules=max(1, settings.schedules // cases))


def named_error(error: BaseException) -> str:
    """An error as a report names it: its class, and its message if it has one."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def explore_cases(settings: Settings, cases: Sequence[Any],
                  run_case: Callable[[Any, Settings], Exploration]) -> Exploration:
    """Explore ``run_case(case, settings)`` for every case (sizes, orders, ...), each with
    the full number of schedules (a rare interleaving needs them all); the first case that
    fails gives the verdict. Keep each case small: the cost is the sum of the cases.

    A replay tries its schedule on each case in turn and reports the first that fails (or,
    when none does, that it did not reproduce)."""
    total, seconds, complete, only = 0, 0.0, True, True
    last: Exploration | None = None
    for case in cases:
        result = run_case(case, settings)
        total += result.schedules_run
        seconds += result.seconds
        complete = complete and result.complete
        only = only and result.only_schedule
        last = result
        if not result.ok:
            return replace(result, schedules_run=total, seconds=seconds)
    assert last is not None, "explore_cases needs at least one case"
    return replace(last, settings=settings, schedules_run=total, seconds=seconds,
                   complete=complete, only_schedule=only)


#: The CPU count the student's code sees while a check runs it, whatever machine grades it
#: (the one home of that value and of the stand-ins is graders/engine/machine.py; the
#: child-process drivers receive it as GRADERS_PD_CPUS).
COURSE_CPUS = machine.CPUS
course_machine = machine.course_machine


#: The engine's verdicts for a run that got stuck: nobody can go on (deadlock, a wait for a
#: lock one holds oneself) or nobody stops (no progress within the step budget).
STUCK = frozenset({"deadlock", "self-deadlock", "livelock", "cannot exit"})


def past_stuck(look: Callable[[Settings], Exploration], settings: Settings,
               one_line: Callable[[str], str], seen: Callable[[], int],
               stuck: frozenset[str] = STUCK, retries: int = 4) -> Exploration:
    """``look(settings)`` for a check of a property that holds or breaks at each step (two
    threads in at once, a waiter passed over, a tool missing while cooking), which a run that
    gets stuck (another check reports that) does not break by getting stuck.

    The search goes on past schedules that end with a ``stuck`` verdict, with the schedules
    left and a new seed. A schedule that breaks the property fails the check (shrunk,
    numbered among all the schedules run); when the other schedules ran to the end without
    breaking it, the check passes. When the runs get stuck ``retries`` times in a row (or on
    a replay), the check passes if the runs showed the property at work at all (``seen()``,
    a count the scenario keeps across runs, is not 0), and otherwise fails with the one line
    ``one_line(bug_class)``, which should name the check that reports the stuck runs.
    """
    quick = replace(settings, shrink=False)     # a stuck run's schedule is never shown
    result = look(quick)
    first_stuck: Exploration | None = None
    used = 0
    for attempt in range(1, retries + 1):
        f = result.failure
        if f is None or f.bug_class not in stuck:
            break
        first_stuck = first_stuck or result
        used += max(f.schedule, 1)
        if settings.replay is not None or used >= settings.schedules:
            break
        result = look(replace(quick, seed=settings.seed + 7919 * attempt, first=None,
                              schedules=settings.schedules - used))
    f = result.failure
    if f is None:   # the schedules left ran to the end and showed nothing
        return replace(result, settings=settings, schedules_run=result.schedules_run + used)
    if f.bug_class not in stuck:
        if settings.shrink and f.schedule:   # the same schedule again, shrunk this time
            result = look(replace(result.settings, shrink=True, schedules=f.schedule))
            f = result.failure
            assert f is not None
        return replace(result, settings=settings, schedules_run=result.schedules_run + used,
                       failure=replace(f, schedule=f.schedule + used))
    assert first_stuck is not None and first_stuck.failure is not None
    if seen():
        return replace(first_stuck, settings=settings, schedules_run=used, failure=None)
    f = first_stuck.failure
    return replace(first_stuck, failure=replace(f, message=one_line(f.bug_class), details="",
                                                interleaving=""))
