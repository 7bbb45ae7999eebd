"""Solomon VRPTW instances (text format) as contract problems, CVRPLIB convention.

Convention (CVRPLIB / DIMACS, the one of ``shared/data/solomon/bks.csv``): the objective is total
distance only, every arc is truncated to one decimal, ``d_ij = floor(10 * euclid_ij) / 10``, and
travel time equals that truncated distance. To keep every time exact in whole minutes, time is
scaled by 10: one minute is 0.1 Solomon time unit, so a leg takes ``floor(10 * euclid)`` minutes,
service times and windows are multiplied by 10, and ``distance_km`` keeps the truncated distance.

One engineer per vehicle (``K`` identical engineers), each starting and ending at the depot with
one shift [0, due date of the depot], no breaks, ``capacity`` = the vehicle capacity and cost by
distance only; one job per customer with its demand as ``load`` and its window.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.instances.grid import at_minute, grid_location, grid_point
from optimizer.models import Engineer, Job, MatrixTravel, Problem, Shift, TimeWindow

TIME_SCALE = 10
"""Minutes per Solomon time unit."""


@dataclass(frozen=True)
class SolomonInstance:
    """A Solomon instance; index 0 of every array is the depot, 1..n the customers."""

    name: str
    vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def n_customers(self) -> int:
        return len(self.x) - 1

    @property
    def cls(self) -> str:
        """The Solomon class: C1, C2, R1, R2, RC1 or RC2."""
        return class_of(self.name)


def class_of(name: str) -> str:
    """Solomon class of an instance name (``"RC105"`` -> ``"RC1"``)."""
    m = re.match(r"([A-Za-z]+)(\d)", name)
    if m is None:
        raise ValueError(f"instance name {name!r} is not of the form C101 / R2xx / RC1xx")
    return m.group(1).upper() + m.group(2)


def read_solomon(path: str | Path) -> SolomonInstance:
    """Read a Solomon text file (``VEHICLE`` then ``CUSTOMER`` sections; CRLF or LF)."""
    path = Path(path)
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    if len(lines) < 6:
        raise ValueError(f"{path}: too short for a Solomon instance")
    name = lines[0]
    try:
        v = lines.index("VEHICLE")
        c = lines.index("CUSTOMER")
    except ValueError:
        raise ValueError(f"{path}: missing VEHICLE or CUSTOMER section") from None
    vehicles, capacity = (int(t) for t in lines[v + 2].split()[:2])
    rows = []
    for ln in lines[c + 1 :]:
        fields = ln.split()
        if not fields[0].isdigit():
            continue  # the column header line
        if len(fields) != 7:
            raise ValueError(f"{path}: customer line {ln!r} has {len(fields)} fields, not 7")
        rows.append([float(t) for t in fields])
    data = np.array(rows)
    if not (data[:, 0] == np.arange(len(rows))).all():
        raise ValueError(f"{path}: customers are not numbered 0..n in order")
    return SolomonInstance(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        x=data[:, 1],
        y=data[:, 2],
        demand=data[:, 3].astype(np.int64),
        ready=data[:, 4].astype(np.int64),
        due=data[:, 5].astype(np.int64),
        service=data[:, 6].astype(np.int64),
    )


def truncated_tenths(inst: SolomonInstance) -> np.ndarray:
    """Integer matrix ``floor(10 * euclid_ij)``: distance in tenths, and travel minutes.

    Computed exactly (integer square root) when the coordinates are integers, so no float
    rounding can move a value across a truncation boundary.
    """
    xs = inst.x
    ys = inst.y
    if np.all(xs == np.round(xs)) and np.all(ys == np.round(ys)):
        xi = xs.astype(np.int64)
        yi = ys.astype(np.int64)
        d2 = (xi[:, None] - xi[None, :]) ** 2 + (yi[:, None] - yi[None, :]) ** 2
        return np.vectorize(lambda v: math.isqrt(100 * int(v)), otypes=[np.int64])(d2)
    euclid = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    return np.floor(10.0 * euclid + 1e-9).astype(np.int64)


def job_id(customer: int) -> str:
    """Contract job id of Solomon customer ``customer`` (1-based)."""
    return f"c{customer}"


def engineer_id(vehicle: int) -> str:
    """Contract engineer id of vehicle ``vehicle`` (1-based)."""
    return f"v{vehicle}"


def to_problem(inst: SolomonInstance, *, vehicles: int | None = None) -> Problem:
    """The contract problem of a Solomon instance (see the module docstring).

    ``vehicles`` overrides the fleet size (default: the instance's ``K``).
    """
    tenths = truncated_tenths(inst)
    n = inst.n_customers
    points = [grid_point(f"n{i}", float(inst.x[i]), float(inst.y[i])) for i in range(n + 1)]
    travel = MatrixTravel(
        points=points,
        duration_min=tenths.astype(float).tolist(),
        distance_km=(tenths / 10.0).tolist(),
    )
    depot = grid_location(float(inst.x[0]), float(inst.y[0]))
    shift = Shift(
        start=at_minute(int(inst.ready[0]) * TIME_SCALE),
        end=at_minute(int(inst.due[0]) * TIME_SCALE),
    )
    k = inst.vehicles if vehicles is None else vehicles
    engineers = [
        Engineer(
            id=engineer_id(v),
            start=depot,
            shifts=[shift],
            capacity=inst.capacity,
            cost_per_km=1.0,
            cost_per_hour=0.0,
        )
        for v in range(1, k + 1)
    ]
    jobs = [
        Job(
            id=job_id(i),
            location=grid_location(float(inst.x[i]), float(inst.y[i])),
            duration_min=int(inst.service[i]) * TIME_SCALE,
            time_windows=[
                TimeWindow(
                    start=at_minute(int(inst.ready[i]) * TIME_SCALE),
                    end=at_minute(int(inst.due[i]) * TIME_SCALE),
                )
            ],
            load=int(inst.demand[i]),
        )
        for i in range(1, n + 1)
    ]
    return Problem(id=inst.name, travel=travel, engineers=engineers, jobs=jobs)


def read_solution(path: str | Path) -> tuple[list[list[int]], float]:
    """A CVRPLIB ``.sol`` file: routes as lists of customer numbers, and the stated cost."""
    routes: list[list[int]] = []
    cost = math.nan
    for ln in Path(path).read_text().splitlines():
        ln = ln.strip()
        if ln.lower().startswith("route"):
            routes.append([int(t) for t in ln.split(":", 1)[1].split()])
        elif ln.lower().startswith("cost"):
            cost = float(ln.split()[1])
    return routes, cost


def solution_sequences(routes: list[list[int]]) -> dict[str, list[str]]:
    """CVRPLIB routes as contract visit sequences, route ``r`` on engineer ``v{r+1}``."""
    return {engineer_id(r + 1): [job_id(c) for c in route] for r, route in enumerate(routes)}


@dataclass(frozen=True)
class Bks:
    """A best-known solution: number of routes and total distance."""

    vehicles: int
    distance: float


def read_bks(path: str | Path) -> dict[str, Bks]:
    """``bks.csv`` of the Solomon folder: instance -> best-known (vehicles, distance)."""
    with open(path, newline="") as f:
        return {
            row["instance"]: Bks(vehicles=int(row["vehicles"]), distance=float(row["distance"]))
            for row in csv.DictReader(f)
        }
