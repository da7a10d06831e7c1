"""Every bug class the kit can report, named once.

A bug class is the short name of what went wrong ("lost update", "deadlock"). It is what
``topics.toml`` promises for a starter and for each wrong fix, what the dev check compares,
what grading stores and what feedback shows, so a typo on either side would make a promise
nobody can keep. Checks therefore name classes through :class:`Bug`, :mod:`graders.catalog`
refuses a ``topics.toml`` that lists a class not named here, and
:func:`graders.checking.run_check` refuses a check that reports one.

The engine names its own verdicts (:class:`graders.engine.BugClass`), because it imports
nothing outside its package; they are repeated here under the same names, and
``tests/topics/test_names.py`` keeps the two in step. This module imports nothing of the
kit, so the grading sandbox can use it before any engine code is loaded.
"""

from __future__ import annotations

from enum import StrEnum


class Bug(StrEnum):
    """A bug class; the value is the exact word every output uses."""

    # ---- the engine's verdicts (graders.engine.BugClass)
    EXCEPTION = "exception"
    ASSERTION = "assertion"
    DEADLOCK = "deadlock"
    SELF_DEADLOCK = "self-deadlock"
    LIVELOCK = "livelock"
    STARVATION = "starvation"
    FOREIGN_RELEASE = "foreign-release"
    BLOCKED_OUTSIDE = "blocked-outside-engine"
    #: the code under test could not be loaded (a missing file or function, a syntax error)
    LOAD_ERROR = "load error"
    COLLECTIVE_MISMATCH = "collective mismatch"
    BLOCKING_CALL = "blocking call"
    MISSING_AWAIT = "missing await"
    LOST_EXCEPTION = "lost exception"

    # ---- what the topics' checks detect (graders/checks/)
    BAD_TIMELINE = "bad timeline"
    BLOCKS_ON_BUSY_LOCK = "blocks on busy lock"
    BUSY_WAITING = "busy waiting"
    CANNOT_EXIT = "cannot exit"
    CHARGED_FOR_NOTHING = "charged for nothing"
    CAPACITY_UNUSED = "capacity unused"
    CONNECTION_REFUSED = "connection refused"
    COOKS_WITHOUT_TOOLS = "cooks without tools"
    DOUBLE_BOOKING = "double booking"
    EATS_WITHOUT_FORKS = "eats without forks"
    EMPTY_SHELF = "empty shelf"
    ENDLESS_LOOP = "endless loop"
    ERROR_SWALLOWED = "error swallowed"
    FORK_KEPT = "fork kept"
    IDLE_WHILE_READY = "idle while ready"
    ITEM_TWICE = "item twice"
    INCONSISTENT_STATE = "inconsistent state"
    LOCK_KEPT = "lock kept"
    LOST_RECORDS = "lost records"
    LOST_ITEM = "lost item"
    LOST_UPDATE = "lost update"
    MISCOUNT = "miscount"
    NEVER_ATE = "never ate"
    NO_EXIT = "no exit"
    ONE_AT_A_TIME = "one at a time"
    NO_OVERLAP = "no overlap"
    NO_SAVER = "no saver"
    NO_SPEEDUP = "no speedup"
    NO_THREADS = "no threads"
    OUT_OF_ORDER = "out of order"
    PAUSE_HOLDING_FORK = "pause holding a fork"
    OVER_CAPACITY = "over capacity"
    OVERFULL = "overfull"
    NOT_A_THREAD = "not a thread"
    NOT_EXCLUSIVE = "not exclusive"
    NOT_AN_ITEM = "not an item"
    NOT_OPTIMAL = "not optimal"
    NOT_SHORTEST_REMAINING = "not shortest remaining"
    NOT_SPAWN_SAFE = "not spawn-safe"
    NOT_WOKEN = "not woken"
    OVERBOOKING = "overbooking"
    PARTIAL_MESSAGE = "partial message"
    PHASES_MIXED = "phases mixed"
    PILE_NOT_SPLIT = "pile not split"
    PORT_LOST = "port lost"
    POST_WITHOUT_LOCK = "post without lock"
    PREEMPTED = "preempted"
    QUANTUM_EXCEEDED = "quantum exceeded"
    READ_TOO_EARLY = "read too early"
    READERS_TAKE_TURNS = "readers take turns"
    RETURNED_EARLY = "returned too early"
    RUNS_BEFORE_ARRIVAL = "runs before arrival"
    SAVER_STILL_RUNNING = "saver still running"
    SEAT_LOST = "seat lost"
    SEGMENT_LEFT = "segment left"
    SERIAL_PART_REPEATED = "serial part repeated"
    SERIAL_PART_SKIPPED = "serial part skipped"
    SERIAL_PART_OVERLAPPED = "serial part overlapped"
    SHARED_FORK = "shared fork"
    SHARED_TOOL = "shared tool"
    SINGLE_PROCESS = "single process"
    WORK_IN_MAIN = "work in the main process"
    SLOW_RESPONSE = "slow response"
    SLOW_WORK_UNDER_LOCK = "slow work under lock"
    STOPPED_EARLY = "stopped early"
    TICKET_BEFORE_PAYMENT = "ticket before payment"
    TOO_FAST = "faster than possible"
    TOO_MANY_PROCESSES = "too many processes"
    TOO_MANY_THREADS = "too many threads"
    TOOL_KEPT = "tool kept"
    TURNED_AWAY = "turned away"
    TWO_AT_THE_LADLE = "two at the ladle"
    WORKERS_NOT_STOPPED = "workers not stopped"
    WRONG_BATCHES = "wrong batches"
    WRONG_BOOKING = "wrong booking"
    WRONG_BURST = "wrong burst"
    WRONG_CHART = "wrong chart"
    WRONG_CHEF = "wrong chef"
    WRONG_COUNT = "wrong count"
    WRONG_DISH_COUNT = "wrong dish count"
    WRONG_MEAL_COUNT = "wrong meal count"
    WRONG_ORDER = "wrong order"
    WRONG_METRICS = "wrong metrics"
    WRONG_PORTIONS = "wrong portions"
    WRONG_RESULT = "wrong result"
    WRONG_SCHEDULE = "wrong schedule"
    WRONG_TIMING = "wrong timing"

    # ---- what class grading's sandbox decides around a check (graders/grading/supervisor.py)
    #: the grader could not run the check for reasons of its own: never the student's fault
    GRADER = "grader"
    TIMEOUT = "timeout"
    PROCESS_LIMIT = "process limit"
    CRASH = "crash"
    TAMPERING = "tampering"
    FORBIDDEN_OPERATION = "forbidden operation"


#: every class's word, for checking text that names one (topics.toml, a child's record)
WORDS: frozenset[str] = frozenset(b.value for b in Bug)
