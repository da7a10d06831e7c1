"""semaphores: a charging station lets at most ``ports`` cars charge at once, uses all its
ports, gives a port back exactly once after a fault and lets the fault reach the driver.

The check replaces ``top_up`` with a charger of its own: it counts the cars charging at once
(the cars between taking a port and giving it back, as the station really let them in),
takes a moment of virtual time, and raises the student's ``ChargingFault`` for the cars the
check chose. The cars are threads of the check, in groups: a group starts once the one
before has left, so what a fault in one group did to the ports shows in the next. What
``charge()`` raises is judged by ``fault_reaches_driver`` (and, with no faults, by
``every_port_used``): a ``BoundedSemaphore`` released twice raises ``ValueError`` on the
release of whichever car finds the count at its bound, often a car without a fault, and
only ``fault_reaches_driver`` judges that; while another car still charges, the same double
release goes through and lets one car too many in, which ``at_most_ports_charging`` sees on
a day whose faulty car's charge ends first (``_Day.fault_first``).

Two requirements are about what a station *can* do: have all its ports busy at once, and as
many busy after a fault as before. To judge them on every schedule (each failure with its
replay token) instead of hoping some schedule shows it, the charger of such a group keeps
each car plugged in until the group's target of cars charge at once, or until it has waited
PATIENCE ticks of virtual time. A car that can run takes a step before the clock passes
again (the engine lets a thread that has not started yet lag by ``MAX_LAG`` ticks at most,
and these explorations ask for no stalls: ``Settings.stalls``), so a station with a free
port lets the next car in long before the patience runs out, and a target missed is a
port the station did not give. ``port_back_after_fault`` sets the last group that target
only on the days when the first group, charging as usual, had every port busy at once: a
station that never has is ``every_port_used``'s failure, and it costs no patience here.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graders.bugclasses import Bug
from graders.engine import (
    CheckFailed,
    Exploration,
    LoadError,
    Settings,
    draw_scenario,
    explore,
    fail,
    label,
)

from . import check
from .support import numbered, rebind, require, student_file


@dataclass(frozen=True)
class _Day:
    """One day at the station: its ports and the groups of cars, True for a faulty one."""

    ports: int
    groups: tuple[tuple[bool, ...], ...]
    #: a faulty car's charge ends, with its fault, well before the others' do: the fault
    #: comes while other cars still charge and others wait for a port
    fault_first: bool = False

    def __str__(self) -> str:
        cars = " then ".join(
            f"{len(g)} car{'s' * (len(g) != 1)}"
            + (f" ({sum(g)} with a fault)" if any(g) else "") for g in self.groups)
        return f"{self.ports} port{'s' * (self.ports != 1)}; {cars}"


class _Station:
    """What the check sees of one day: who charges now, the most at once per group, what
    each driver got back from charge()."""

    def __init__(self, day: _Day, judge_capacity: bool) -> None:
        self.day = day
        self.judge_capacity = judge_capacity
        self.charging: set[int] = set()
        self.most = [0] * len(day.groups)
        self.group = 0
        self.target = 0        # cars the charger waits for, in this group (0: none)
        self.together = label(threading.Condition(), "the grader's charger")
        self.outcomes: dict[int, BaseException | None] = {}
        self.faults: dict[int, BaseException] = {}   # the fault top_up() raised, per car
        self.overfull = ""     # what the capacity check saw, once it saw too many

    def plugged(self, car: int) -> None:
        self.charging.add(car)
        self.most[self.group] = max(self.most[self.group], len(self.charging))
        if self.judge_capacity and len(self.charging) > self.day.ports and not self.overfull:
            others = ", ".join(f"car-{c}" for c in sorted(self.charging - {car}))
            self.overfull = (
                f"car-{car} started charging while {others} were charging: "
                f"{len(self.charging)} cars at once at a station with {self.day.ports} "
                f"port{'s' * (self.day.ports != 1)} ({self.day}).")
            fail(Bug.OVER_CAPACITY, self.overfull)

    def unplugged(self, car: int) -> None:
        self.charging.discard(car)

    def gather(self) -> None:
        """Keep charging until ``target`` cars have charged at once in this group, or for
        PATIENCE ticks."""
        with self.together:
            self.together.notify_all()
            ticks = 0
            while self.most[self.group] < self.target and ticks < PATIENCE:
                self.together.wait(0.01)
                ticks += 1


def _cars_of(day: _Day) -> list[tuple[int, int, bool]]:
    """(group, car, faulty) for every car of the day, numbered across the groups."""
    return numbered(day.groups)


#: Ticks of 0.01 s a charger keeps a car plugged in while it waits for its group's target:
#: well above the engine's MAX_LAG (32) plus the steps a car takes to reach a free port.
PATIENCE = 100


def _explore_days(folder: Path, settings: Settings, days: tuple[_Day, ...],
                  after: Callable[[_Station, Any], None], judge_capacity: bool = False,
                  judge_errors: bool = False,
                  target: Callable[[_Station, int], int] | None = None) -> Exploration:
    """Explore days drawn from ``days``: every car of a group drives in at once, a group
    after the one before has left; ``after(station, ChargingFault)`` judges the day at its
    end. ``target(station, g)``: how many cars group ``g``'s charger waits for (see
    :meth:`_Station.gather`). ``judge_errors``: a car without a fault whose charge() raises
    fails the check (the other checks let that car leave, so that a double release a
    BoundedSemaphore reports, on whichever car's release it shows, fails
    fault_reaches_driver only)."""

    def scenario(module: Any) -> None:
        make = require(module, "ChargingStation", ["ports"])
        require(module, "top_up", ["car"])
        fault_class = getattr(module, "ChargingFault", None)
        if not (isinstance(fault_class, type) and issubclass(fault_class, Exception)):
            raise LoadError(f"{module.__file__}: the check expects the exception class "
                            "ChargingFault; keep it as the kit gave it.")
        day = draw_scenario(lambda: random.Random(random.getrandbits(32)).choice(days))
        seen = _Station(day, judge_capacity)
        faulty = {car for _g, car, bad in _cars_of(day) if bad}

        def top_up(car: Any) -> None:
            seen.plugged(car)
            try:
                if seen.target:
                    seen.gather()
                else:
                    time.sleep(0.05 if day.fault_first and car not in faulty else 0.01)
                if car in faulty:
                    fault = seen.faults[car] = fault_class(
                        f"car {car}: battery fault (the grader's)")
                    raise fault
            finally:
                seen.unplugged(car)

        rebind(module, top_up=top_up)
        station = make(day.ports)
        if not callable(getattr(station, "charge", None)):
            raise LoadError(f"{module.__file__}: ChargingStation should have a method "
                            "charge(car); keep it.")

        def drive_in(car: int) -> None:
            try:
                station.charge(car)
            except CheckFailed:
                raise
            except Exception as exc:   # judged below: the fault, or something else
                seen.outcomes[car] = exc
            else:
                seen.outcomes[car] = None
            if seen.overfull:          # (even if charge() caught the check's verdict)
                fail(Bug.OVER_CAPACITY, seen.overfull)
            got = seen.outcomes[car]
            if judge_errors and car not in faulty and got is not None:
                fail(Bug.EXCEPTION, f"charge({car}) raised {type(got).__name__}: {got} "
                     f"for a car without a fault ({day}).")

        for g, group in enumerate(day.groups):
            seen.group = g
            seen.target = target(seen, g) if target is not None else 0
            first = sum(len(x) for x in day.groups[:g])
            cars = [threading.Thread(target=drive_in, args=(first + i,),
                                     name=f"car-{first + i}") for i in range(len(group))]
            for c in cars:
                c.start()
            for c in cars:
                c.join()
        after(seen, fault_class)

    if target is not None:     # a deadline in virtual time: no thread may stall past it
        settings = replace(settings, stalls=False)
    return explore(scenario, [student_file(folder, "station.py")], settings)


D = _Day
OK, BAD = False, True


@check("semaphores")
def at_most_ports_charging(folder: Path, settings: Settings) -> Exploration:
    """Never more cars charging at once than the station has ports, before and after
    faults."""
    return _explore_days(folder, settings, (
        D(1, ((OK, OK, OK),)), D(2, ((BAD, OK), (OK, OK, OK))),
        D(3, ((OK, BAD, OK), (OK, OK, OK, OK))), D(2, ((OK, OK, OK, OK),)),
        D(2, ((BAD, OK, OK, OK),), fault_first=True)),
        after=lambda station, fault: None, judge_capacity=True)


@check("semaphores")
def every_port_used(folder: Path, settings: Settings) -> Exploration:
    """With as many cars as ports or more, all the ports charge at once."""

    def after(station: _Station, fault: Any) -> None:
        ports, most = station.day.ports, station.most[0]
        if most < ports:
            fail(Bug.CAPACITY_UNUSED,
                 f"{len(station.day.groups[0])} cars came to a station with {ports} ports, "
                 f"but at most {most} charged at once, although each charging car stayed "
                 "plugged in until every port was busy (or a good while had passed): "
                 f"{ports - most} port{' was' if ports - most == 1 else 's were'} never "
                 "used. A car must be able to charge whenever a port is free.")

    return _explore_days(folder, settings, (D(2, ((OK, OK, OK),)), D(3, ((OK, OK, OK, OK),))),
                         after, judge_errors=True, target=lambda station, g: station.day.ports)


@check("semaphores")
def port_back_after_fault(folder: Path, settings: Settings) -> Exploration:
    """After a charge that ends with a fault, as many cars can charge at once as before."""

    def target(station: _Station, g: int) -> int:
        # Judged only when the first group, charging as usual, had every port busy at once
        # (a station that cannot do that fails every_port_used): then the last group must
        # do it again.
        ports = station.day.ports
        return ports if g == 2 and station.most[0] == ports else 0

    def after(station: _Station, fault: Any) -> None:
        before, later = station.most[0], station.most[2]
        if station.target and later < before:
            fail(Bug.PORT_LOST,
                 f"At a station with {station.day.ports} ports, {before} cars charged at "
                 f"once before a car's charge ended with a fault, but afterwards at most "
                 f"{later} did, although each car charging stayed plugged in until {before} "
                 f"were ({station.day}): the faulty car's port was never given back.")

    return _explore_days(folder, settings, (
        D(2, ((OK, OK), (BAD,), (OK, OK))), D(3, ((OK, OK, OK), (OK, BAD), (OK, OK, OK)))),
        after, target=target)


@check("semaphores")
def fault_reaches_driver(folder: Path, settings: Settings) -> Exploration:
    """charge() raises the charger's ChargingFault to the driver of a faulty car."""

    def after(station: _Station, fault_class: Any) -> None:
        for _group, car, faulty in _cars_of(station.day):
            got = station.outcomes.get(car)
            if not faulty:
                continue
            if got is None:
                fail(Bug.ERROR_SWALLOWED,
                     f"car-{car}'s battery was faulty and top_up() raised ChargingFault, but "
                     f"charge({car}) returned as if all went well ({station.day}): the "
                     "driver never learns that the car is not charged.")
            if not isinstance(got, fault_class):
                fail(Bug.EXCEPTION,
                     f"car-{car}'s battery was faulty, and charge({car}) raised "
                     f"{type(got).__name__}: {got} instead of the ChargingFault from "
                     f"top_up() ({station.day}).")
            if car in station.faults and got is not station.faults[car]:
                fail(Bug.EXCEPTION,
                     f"car-{car}'s battery was faulty, and charge({car}) raised a new "
                     f"ChargingFault, not the one top_up() raised ({station.day}): the driver "
                     "loses where the fault happened (its traceback) and anything it carries. "
                     "Let top_up()'s own fault go on up.")

    return _explore_days(folder, settings, (
        D(1, ((BAD,),)), D(2, ((BAD, OK, OK),)), D(3, ((BAD, OK, BAD, OK),))),
        after, judge_errors=True)
