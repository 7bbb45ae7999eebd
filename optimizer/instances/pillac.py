"""Pillac, Guéret & Medaglia technician routing (TRSP) instances as contract problems.

The instance (``instances_txt/*.txt``): node 0 is the central depot, nodes 1..K the technicians'
homes, then the requests (Solomon customers). Technicians hold binary skills and tools and carry
a spare-part stock per part type; a request needs a set of skills, a set of tools and part
quantities. Missing tools and parts may be fetched at the central depot, which has all of them in
unlimited supply. Distances are Euclidean (double precision); the objective is total route
duration (travel + service + waiting), from leaving home to coming back.

Conversion: engineer ``t{k}`` per technician, starting and ending at home, one shift over the
depot horizon; skills ``s{i}`` at level 1, tools ``t{i}``, van stock ``p{i}``; one contract depot
``central`` with every tool and :data:`UNLIMITED` of every part, pick-up time 0; one job
``r{node}`` per request. Travel is a matrix: ``distance_km`` = exact Euclidean distance and
``duration_min`` = ``ceil(time_scale x distance)`` per leg (rounded up, so a plan feasible here is
feasible in the original); windows and service times are multiplied by ``time_scale``.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.instances.grid import at_minute, grid_location, grid_point, minute_of
from optimizer.models import (
    Depot,
    DepotStop,
    Engineer,
    Job,
    JobStop,
    MatrixTravel,
    Plan,
    Problem,
    Shift,
    TimeWindow,
)

TIME_SCALE = 100
"""Default minutes per instance time unit: fine enough that every published BKS stays feasible
with travel times rounded up to whole minutes (at 10, eleven of them do not)."""

UNLIMITED = 1_000_000
"""Stock of every part at the central depot (the instance's depot is unlimited)."""

DEPOT_ID = "central"


@dataclass(frozen=True)
class PillacInstance:
    """A TRSP instance; arrays are indexed by node (0 depot, 1..K homes, then requests)."""

    name: str
    n_technicians: int
    n_skills: int
    n_tools: int
    n_parts: int
    x: np.ndarray
    y: np.ndarray
    tw_start: np.ndarray
    tw_end: np.ndarray
    service: np.ndarray
    skills: list[list[int]]
    tools: list[list[int]]
    parts: list[list[int]]

    @property
    def requests(self) -> range:
        """Node numbers of the requests."""
        return range(self.n_technicians + 1, len(self.x))

    @property
    def technicians(self) -> range:
        """Node numbers of the technicians' homes (technician k lives at node k)."""
        return range(1, self.n_technicians + 1)

    @property
    def base(self) -> str:
        """The Solomon instance it derives from (``"C101"``)."""
        return self.name.split(".", 1)[0]

    @property
    def cls(self) -> str:
        """The Solomon class (``"RC1"``)."""
        m = re.match(r"([A-Za-z]+)(\d)", self.base)
        return (m.group(1).upper() + m.group(2)) if m else self.base


_LINE = re.compile(r"\s*" + r"(\S+)\s+" * 6 + r"(\[.*?\])\s*" * 3)
"""ID X Y TWS TWE Serv [skills] [tools] [parts]."""


def _int_list(text: str) -> list[int]:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise ValueError(f"expected a [..] list, got {text!r}")
    body = text[1:-1].strip()
    return [int(t) for t in body.split(",")] if body else []


def read_pillac(path: str | Path) -> PillacInstance:
    """Read a TRSP instance in Pillac's text format."""
    path = Path(path)
    lines = [ln.rstrip() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln.strip()]
    name = lines[0].strip()
    try:
        info = next(i for i, ln in enumerate(lines) if ln.strip() == "INFO")
        body = next(i for i, ln in enumerate(lines) if ln.strip().startswith("DEPOT TECHNICIANS"))
    except StopIteration:
        raise ValueError(f"{path}: missing INFO or DEPOT TECHNICIANS AND REQUESTS") from None
    crew, n_skills, n_tools, n_parts = (int(t) for t in lines[info + 2].split()[:4])
    num: list[list[float]] = []
    skills: list[list[int]] = []
    tools: list[list[int]] = []
    parts: list[list[int]] = []
    for ln in lines[body + 2 :]:
        m = re.match(
            r"\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\[.*?\])\s*(\[.*?\])\s*(\[.*?\])",
            ln,
        )
        if m is None:
            raise ValueError(f"{path}: cannot read line {ln!r}")
        num.append([float(m.group(i)) for i in range(1, 7)])
        skills.append(_int_list(m.group(7)))
        tools.append(_int_list(m.group(8)))
        parts.append(_int_list(m.group(9)))
    data = np.array(num)
    if not (data[:, 0] == np.arange(len(num))).all():
        raise ValueError(f"{path}: nodes are not numbered 0..n in order")
    for node, p in enumerate(parts):
        if not p:
            parts[node] = [0] * n_parts
        elif len(p) != n_parts:
            raise ValueError(f"{path}: node {node} lists {len(p)} part quantities, not {n_parts}")
    return PillacInstance(
        name=name,
        n_technicians=crew,
        n_skills=n_skills,
        n_tools=n_tools,
        n_parts=n_parts,
        x=data[:, 1],
        y=data[:, 2],
        tw_start=data[:, 3],
        tw_end=data[:, 4],
        service=data[:, 5],
        skills=skills,
        tools=tools,
        parts=parts,
    )


def euclid(inst: PillacInstance) -> np.ndarray:
    """Exact Euclidean distances between all nodes."""
    return np.hypot(inst.x[:, None] - inst.x[None, :], inst.y[:, None] - inst.y[None, :])


def technician_id(node: int) -> str:
    return f"t{node}"


def request_id(node: int) -> str:
    return f"r{node}"


def _scaled(value: float, scale: int, *, up: bool) -> int:
    v = value * scale
    return math.ceil(v - 1e-9) if up else math.floor(v + 1e-9)


def to_problem(
    inst: PillacInstance,
    *,
    time_scale: int = TIME_SCALE,
    objective: str = "duration",
) -> Problem:
    """The contract problem of a TRSP instance (see the module docstring).

    ``objective`` sets the engineers' costs: ``"duration"`` (Pillac's objective: cost per hour
    only) or ``"distance"`` (cost per km only).
    """
    if objective not in ("duration", "distance"):
        raise ValueError(f"objective must be 'duration' or 'distance', not {objective!r}")
    dist = euclid(inst)
    minutes = np.ceil(dist * time_scale - 1e-9)
    n = len(inst.x)
    travel = MatrixTravel(
        points=[grid_point(f"n{i}", float(inst.x[i]), float(inst.y[i])) for i in range(n)],
        duration_min=minutes.tolist(),
        distance_km=dist.tolist(),
    )
    # Work happens within the depot's horizon (windows shrink inward when rounded).
    shift = Shift(
        start=at_minute(_scaled(float(inst.tw_start[0]), time_scale, up=True)),
        end=at_minute(_scaled(float(inst.tw_end[0]), time_scale, up=False)),
    )
    cost = {"cost_per_hour": 60.0 / time_scale, "cost_per_km": 0.0}
    if objective == "distance":
        cost = {"cost_per_hour": 0.0, "cost_per_km": 1.0}
    engineers = [
        Engineer(
            id=technician_id(k),
            start=grid_location(float(inst.x[k]), float(inst.y[k])),
            shifts=[shift],
            skills={f"s{s}": 1 for s in inst.skills[k]},
            tools=[f"t{t}" for t in inst.tools[k]],
            van_stock={f"p{p}": q for p, q in enumerate(inst.parts[k]) if q > 0},
            **cost,
        )
        for k in inst.technicians
    ]
    jobs = [
        Job(
            id=request_id(r),
            location=grid_location(float(inst.x[r]), float(inst.y[r])),
            duration_min=_scaled(float(inst.service[r]), time_scale, up=True),
            time_windows=[
                TimeWindow(
                    start=at_minute(_scaled(float(inst.tw_start[r]), time_scale, up=True)),
                    end=at_minute(_scaled(float(inst.tw_end[r]), time_scale, up=False)),
                )
            ],
            required_skills={f"s{s}": 1 for s in inst.skills[r]},
            required_tools=[f"t{t}" for t in inst.tools[r]],
            required_parts={f"p{p}": q for p, q in enumerate(inst.parts[r]) if q > 0},
        )
        for r in inst.requests
    ]
    depot = Depot(
        id=DEPOT_ID,
        location=grid_location(float(inst.x[0]), float(inst.y[0])),
        stock={f"p{p}": UNLIMITED for p in range(inst.n_parts)},
        tools=[f"t{t}" for t in range(inst.n_tools)],
        pickup_min=_scaled(float(inst.service[0]), time_scale, up=True),
    )
    return Problem(id=inst.name, travel=travel, engineers=engineers, jobs=jobs, depots=[depot])


@dataclass(frozen=True)
class RouteFigures:
    """Distance and least duration of a plan, in the instance's own (unscaled) units."""

    technicians: int
    distance: float
    duration: float


def plan_figures(inst: PillacInstance, plan: Plan) -> RouteFigures:
    """Exact distance and duration of ``plan``'s visit sequences in the original instance.

    The duration of each route is the least one its sequence allows with exact travel times
    (leaving home as late as possible; service at the earliest possible start), so the rounding
    of travel times to whole minutes in the contract problem does not count against the plan.
    """
    dist = euclid(inst)
    node_of = {request_id(r): r for r in inst.requests}
    total_d = 0.0
    total_t = 0.0
    used = 0
    for route in plan.routes:
        home = int(route.engineer.removeprefix("t"))
        seq: list[int] = []
        for stop in route.stops:
            if isinstance(stop, JobStop):
                seq.append(node_of[stop.job])
            elif isinstance(stop, DepotStop):
                seq.append(0)
        if not any(isinstance(s, JobStop) for s in route.stops):
            continue
        used += 1
        d, t = route_figures(inst, home, seq, dist)
        total_d += d
        total_t += t
    return RouteFigures(technicians=used, distance=total_d, duration=total_t)


def route_figures(
    inst: PillacInstance, home: int, seq: list[int], dist: np.ndarray | None = None
) -> tuple[float, float]:
    """Distance and least duration of the route home -> seq -> home, in instance units.

    ``seq`` lists nodes (requests, or 0 for a depot visit, which has no window). Service starts
    as early as possible; the route then leaves home as late as that allows, which removes the
    waiting that a later start absorbs. This reproduces the per-route figures of Pillac's BKS.
    """
    if dist is None:
        dist = euclid(inst)
    t0 = float(inst.tw_start[0])
    t = t0
    here = home
    d = 0.0
    waited = 0.0
    slack = math.inf  # how much later the route could leave without breaking a window
    for node in seq:
        leg = float(dist[here, node])
        d += leg
        arrival = t + leg
        if node == 0:
            start = arrival
        else:
            start = max(arrival, float(inst.tw_start[node]))
            waited += start - arrival
            slack = min(slack, waited + float(inst.tw_end[node]) - start)
        t = start + float(inst.service[node])
        here = node
    d += float(dist[here, home])
    end = t + float(dist[here, home])
    delay = max(0.0, min(slack, waited))
    return d, end - t0 - delay


def plan_minutes(plan: Plan) -> float:
    """Sum over routes of end_time - start_time, in scaled minutes (for a cross-check)."""
    return sum(minute_of(r.end_time) - minute_of(r.start_time) for r in plan.routes)


@dataclass(frozen=True)
class Bks:
    """Pillac's best-known solution: technicians used, distance, duration (and 2014 duration)."""

    vehicles: int
    distance: float
    duration: float
    best_duration_2014: float


def read_bks(path: str | Path) -> dict[str, Bks]:
    """``bks.csv`` of the TRSP folder: instance name -> best-known figures."""
    with open(path, newline="") as f:
        return {
            row["instance"]: Bks(
                vehicles=int(row["vehicles"]),
                distance=float(row["distance"]),
                duration=float(row["duration"]),
                best_duration_2014=float(row["best_duration_2014"] or row["duration"]),
            )
            for row in csv.DictReader(f)
        }
