"""A charging station: electric cars share a few charging ports.

Run the grader with:  pytest exercises/semaphores
"""

import threading
import time


class ChargingFault(Exception):
    """The charger found a fault in a car's battery and stopped charging it."""


_meter = threading.Lock()
charging = set()     # the cars charging right now
most_at_once = 0     # the most cars that were ever charging at once


def top_up(car):
    """Charge `car`'s battery at a port (it takes a while). Raises ChargingFault when the
    battery is faulty."""
    global most_at_once
    with _meter:
        charging.add(car)
        most_at_once = max(most_at_once, len(charging))
    try:
        time.sleep(0.01)
        if car % 7 == 3:
            raise ChargingFault(f"car {car}: battery fault, charging stopped")
    finally:
        with _meter:
            charging.discard(car)


class ChargingStation:
    """A station with `ports` charging ports: each port charges one car at a time."""

    def __init__(self, ports):
        self.ports = ports
        self._free = threading.Semaphore(ports)   # counts the free ports

    def charge(self, car):
        """Charge `car` at a free port, waiting while every port is busy. A fault is raised
        to the driver, and the port is free again for the next car."""
        self._free.acquire()           # waits while no port is free
        try:
            top_up(car)
        finally:
            self._free.release()       # once, whatever happened while charging


def open_day(cars=12, ports=3):
    """`cars` drivers charge at a station with `ports` ports, all at once."""
    station = ChargingStation(ports)
    faults = []

    def drive_in(car):
        try:
            station.charge(car)
        except ChargingFault as fault:
            faults.append(str(fault))

    drivers = [threading.Thread(target=drive_in, args=(car,), name=f"car-{car}")
               for car in range(cars)]
    for driver in drivers:
        driver.start()
    for driver in drivers:
        driver.join()
    print(f"{cars} cars at {ports} ports: at most {most_at_once} charged at once; "
          f"faults: {faults}")


if __name__ == "__main__":
    open_day()
