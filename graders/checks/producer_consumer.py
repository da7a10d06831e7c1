"""producer_consumer: bakers put loaves on a bounded rack, packers take them off; every loaf
is packed once, the rack is never overfull, and every packer stops, neither too soon nor never.

The check watches what the threads really do, not what ``run_bakery`` returns: ``bake`` is
replaced by a probe that hands out loaves of its own (one object per loaf, so a loaf packed
twice or a stop message packed is seen at once), ``pack`` by a probe that notes each loaf
packed, and ``baker`` and ``packer`` (the threads' targets) by probes that meet the rack each
is given and note when a packer stops; the threads still running when ``run_bakery`` returns
are the engine's to name. When the rack is a ``queue.Queue`` (or a subclass), the probe gives
that one object a ``_put`` of its own (the method every ``put`` calls with the queue's lock
held), which counts the items on the rack right after one is placed; the standard library's
classes are left alone (the grading sandbox refuses a program that changes them). A rack
that is no ``queue.Queue`` is judged by what the other probes count: each baker and each
packer holds at most one loaf in hand, so more than ``rack_size`` + bakers + packers loaves
made and not yet handed to ``pack`` means the rack held too many.

Each check draws, for every schedule, a bakery from its own list (numbers of bakers,
packers, loaves, the rack's size, an oven slower than the packers or packers slower than the
oven) from ``random``, which the engine seeds per schedule, so a replay rebuilds it. The
lists are chosen so that one bug fails one check: ``every_packer_stops`` gives the rack room
for every loaf and stop message, so a packer that stops too soon cannot leave a baker waiting
for ever there; the other checks go on past runs that get stuck (:func:`support.past_stuck`),
because getting stuck is ``every_packer_stops``'s business.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    Exploration,
    LoadError,
    Settings,
    draw_scenario,
    explore,
    fail,
    label,
    thread_name,
)

from . import check
from .support import past_stuck, rebind, require, student_file, twin


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


@dataclass(frozen=True)
class _Bakery:
    """One bakery: drawn per schedule from a check's list."""

    bakers: int
    packers: int
    loaves: int        # per baker
    rack_size: int
    slow: str = ""     # "oven": baking takes long; "packers": packing does

    def __str__(self) -> str:
        slow = {"oven": ", a slow oven", "packers": ", slow packers"}.get(self.slow, "")
        return (f"{_count(self.bakers, 'baker')} with {_count(self.loaves, 'loaf', 'loaves')}"
                f"{' each' if self.bakers > 1 else ''}, {_count(self.packers, 'packer')}, "
                f"a rack with room for {self.rack_size}{slow}")


class _Loaf:
    """A loaf the check's ``bake`` made: one object each, so the check knows it again."""

    __slots__ = ("baker", "number")

    def __init__(self, baker: object, number: object) -> None:
        self.baker = baker
        self.number = number

    def __repr__(self) -> str:
        return f"loaf {self.number} of baker {self.baker}"


class _Watch:
    """What the check sees of one run: loaves made and packed, the racks, the threads.

    ``judge`` names the requirement this check judges; the other properties are only
    counted, so one bug fails one check."""

    def __init__(self, bakery: _Bakery, judge: str, seen: list[int]) -> None:
        self.bakery = bakery
        self.judge = judge
        self.seen = seen                       # across runs: how often it was at stake
        self.total = bakery.bakers * bakery.loaves
        self.made: list[_Loaf] = []
        self.packed: dict[int, str] = {}       # id(loaf) -> the packer that packed it
        self.in_hand = 0                       # made and not yet handed to pack()
        self.racks: dict[int, Any] = {}        # the queue.Queues handed to the threads

    # ---- the probes' callbacks
    def baked(self, loaf: _Loaf) -> None:
        self.made.append(loaf)
        self.in_hand += 1
        self.seen[0] += self.judge in ("rack", "items")
        b = self.bakery
        bound = b.rack_size + b.bakers + b.packers
        # A rack that is no queue.Queue (none was met) is judged by these counts.
        if self.judge == "rack" and not self.racks and self.in_hand > bound:
            fail(Bug.OVERFULL,
                 f"The bakers ran ahead: {self.in_hand} loaves were baked and not yet packed, "
                 f"but a rack with room for {b.rack_size}, with one loaf in the hands of each "
                 f"of the {_count(b.bakers, 'baker')} and {_count(b.packers, 'packer')}, "
                 f"leaves room for {bound} "
                 f"at most ({b}). A baker with a loaf for a full rack must wait.")

    def meet(self, rack: Any) -> None:
        """A baker or packer was handed ``rack``: watch it if it is a queue.Queue."""
        if not isinstance(rack, queue.Queue) or id(rack) in self.racks:
            return
        self.racks[id(rack)] = rack
        for part in ("mutex", "not_empty", "not_full", "all_tasks_done"):
            label(getattr(rack, part), f"rack.{part}")   # the name a report uses
        place = rack._put

        def _put(item: Any) -> None:
            place(item)
            self.on_rack(rack)

        # this one object's method, not the class's: queue.Queue itself stays as it was
        rack._put = _put  # type: ignore[method-assign]

    def on_rack(self, rack: Any) -> None:
        """Right after an item was placed on ``rack`` (a queue.Queue), under its lock."""
        items = list(rack.queue)
        if self.judge == "rack" and len(items) > self.bakery.rack_size:
            fail(Bug.OVERFULL,
                 f"The rack held {len(items)} items at once ({', '.join(map(repr, items))}), "
                 f"but it has room for {self.bakery.rack_size} only ({self.bakery}). A baker "
                 "with a loaf for a full rack must wait until a packer has taken one off.")

    def packing(self, loaf: Any) -> None:
        me = thread_name()
        if self.judge != "items":
            if isinstance(loaf, _Loaf):
                self.in_hand -= 1
            return
        if not isinstance(loaf, _Loaf) or all(loaf is not m for m in self.made):
            fail(Bug.NOT_AN_ITEM,
                 f"{me} packed {loaf!r}, which is no loaf the bakers baked ({self.bakery}). "
                 "Only loaves are packed: a stop message tells a packer to stop, it is not "
                 "packed.")
        if id(loaf) in self.packed:
            fail(Bug.ITEM_TWICE,
                 f"{me} packed {loaf!r}, which {self.packed[id(loaf)]} had packed already "
                 f"({self.bakery}): two packers took the same loaf.")
        self.packed[id(loaf)] = me
        self.in_hand -= 1

    def on_the_racks(self) -> list[_Loaf]:
        return [item for rack in self.racks.values() for item in list(rack.queue)
                if isinstance(item, _Loaf)]

    def packer_stops(self, me: str) -> None:
        if self.judge != "wait":
            return
        to_bake = self.total - len(self.made)
        if to_bake > 0:
            fail(Bug.STOPPED_EARLY,
                 f"{me} stopped while the bakers still had {to_bake} of {self.total} "
                 f"loa{'f' if to_bake == 1 else 'ves'} to bake ({self.bakery}). A packer "
                 "must go on until no more bread can come.")
        left = self.on_the_racks()
        if left:
            fail(Bug.STOPPED_EARLY,
                 f"{me} stopped while {', '.join(map(repr, left))} still lay on the rack "
                 f"({self.bakery}). A packer must go on until no more bread can come, and "
                 "the stop messages must come out after the last loaf.")

    # ---- after run_bakery() returned
    def returned(self) -> None:
        if self.judge != "stops":
            return
        me = threading.current_thread()
        busy = sorted(t.name for t in threading.enumerate() if t is not me)
        if busy:
            fail(Bug.RETURNED_EARLY,
                 f"run_bakery() returned while {', '.join(busy)} had not stopped yet "
                 f"({self.bakery}). It must return only once every thread it started has "
                 "stopped: join them.")

    def finished(self) -> None:
        """Every thread has ended."""
        if self.judge != "items":
            return
        left = {id(loaf) for loaf in self.on_the_racks()}
        lost = [loaf for loaf in self.made if id(loaf) not in self.packed
                and id(loaf) not in left]
        if lost:
            fail(Bug.LOST_ITEM,
                 f"{len(lost)} of the {len(self.made)} loaves baked never reached a packer "
                 f"({', '.join(map(repr, lost))}; {self.bakery}): every loaf baked must be "
                 "packed.")


def _join_the_rest() -> None:
    """Wait for every thread the program left running, so that what is judged at the end
    is judged when they are all done, however run_bakery waited for them."""
    me = threading.current_thread()
    while others := [t for t in threading.enumerate() if t is not me]:
        for t in others:
            t.join()


def _probe_threads(module: Any, watch: _Watch) -> None:
    """Replace bake, pack, baker and packer in ``module`` by the check's probes."""
    bake = require(module, "bake", ["baker", "number"])
    pack = require(module, "pack", ["packer", "loaf"])
    for name in ("baker", "packer"):
        if not callable(getattr(module, name, None)):
            raise LoadError(f"{module.__file__}: the check expects a function {name}(), the "
                            "target of each of its threads; keep baker() and packer().")
    baker, packer = twin(module.baker), twin(module.packer)
    slow = watch.bakery.slow

    def watched_bake(who: Any, number: Any) -> _Loaf:
        bake(who, number)
        if slow == "oven":
            time.sleep(1.0)
        loaf = _Loaf(who, number)
        watch.baked(loaf)
        return loaf

    def watched_pack(who: Any, loaf: Any) -> None:
        watch.packing(loaf)
        if slow == "packers":
            time.sleep(0.02)
        pack(who, loaf)

    def watched_baker(*args: Any, **kwargs: Any) -> Any:
        watch.meet(args[0] if args else kwargs.get("rack"))
        return baker(*args, **kwargs)

    def watched_packer(*args: Any, **kwargs: Any) -> Any:
        watch.meet(args[0] if args else kwargs.get("rack"))
        me = thread_name()
        watch.seen[0] += watch.judge == "wait"
        result = packer(*args, **kwargs)
        watch.packer_stops(me)
        return result

    rebind(module, bake=watched_bake, pack=watched_pack, baker=watched_baker,
           packer=watched_packer)


def _bakeries(folder: Path, settings: Settings, bakeries: tuple[_Bakery, ...], judge: str,
              seen: list[int] | None = None) -> Exploration:
    """Explore bakeries drawn from ``bakeries`` with the student's run_bakery, judging the
    requirement ``judge`` names ("items", "rack", "stops", "wait") and nothing else."""
    seen = [0] if seen is None else seen

    def scenario(module: Any) -> None:
        run_bakery = require(module, "run_bakery", ["bakers", "packers", "loaves",
                                                    "rack_size"])
        bakery = draw_scenario(
            lambda: random.Random(random.getrandbits(32)).choice(bakeries))
        watch = _Watch(bakery, judge, seen)
        _probe_threads(module, watch)
        run_bakery(bakery.bakers, bakery.packers, bakery.loaves, bakery.rack_size)
        watch.returned()
        _join_the_rest()
        watch.finished()

    return explore(scenario, [student_file(folder, "bakery.py")], settings)


def _cannot_judge(what: str) -> Callable[[str], str]:
    return lambda bug_class: (
        f"Cannot judge {what}: the bakery got stuck ({bug_class}) on this schedule and on "
        "the others tried. The check every_packer_stops shows why.")


def _past_stuck(folder: Path, settings: Settings, bakeries: tuple[_Bakery, ...], judge: str,
                what: str) -> Exploration:
    seen = [0]
    return past_stuck(lambda s: _bakeries(folder, s, bakeries, judge, seen), settings,
                      _cannot_judge(what), lambda: seen[0])


B = _Bakery


@check("producer_consumer")
def every_loaf_packed_once(folder: Path, settings: Settings) -> Exploration:
    """Every loaf baked is packed exactly once, and nothing else is packed."""
    return _past_stuck(folder, settings, (
        B(2, 2, 2, 1, "packers"), B(1, 2, 3, 1), B(2, 1, 2, 1, "packers"), B(3, 2, 1, 2),
        B(1, 1, 0, 1)), "items", "whether every loaf is packed once")


@check("producer_consumer")
def rack_never_overfull(folder: Path, settings: Settings) -> Exploration:
    """The rack never holds more than rack_size items."""
    return _past_stuck(folder, settings, (
        B(2, 1, 3, 1, "packers"), B(3, 1, 2, 2, "packers"), B(1, 1, 4, 1), B(2, 1, 2, 1),
        B(3, 1, 4, 1, "packers")),
        "rack", "whether the rack is ever overfull")


@check("producer_consumer")
def every_packer_stops(folder: Path, settings: Settings) -> Exploration:
    """Every packer stops, and run_bakery() returns only after every thread has stopped.
    Every rack has room for every loaf, so that packers who stop too soon (the check
    packers_wait_for_bakers) never leave a baker waiting for room for ever; in two bakeries
    no more than that, with slow packers, so that the stop messages can meet a full rack."""
    return _bakeries(folder, settings, (
        B(1, 2, 2, 9), B(1, 3, 1, 9), B(2, 2, 1, 9), B(2, 1, 2, 9), B(1, 2, 0, 9),
        B(1, 2, 2, 2, "packers"), B(1, 3, 3, 3, "packers")), "stops")


@check("producer_consumer")
def packers_wait_for_bakers(folder: Path, settings: Settings) -> Exploration:
    """No packer stops while bread is still to be baked or lies on the rack."""
    return _past_stuck(folder, settings, (
        B(2, 2, 2, 2, "oven"), B(1, 2, 3, 3, "oven"), B(2, 1, 2, 2), B(1, 1, 3, 4, "oven"),
        B(2, 2, 1, 3)), "wait", "whether a packer stops too soon")
