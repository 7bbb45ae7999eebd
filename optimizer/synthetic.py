"""Seeded generator of realistic field-service days (home-appliance after-sales service).

Used for the bundled demo (``scenarios/generate_demo.py``), the scale and re-optimisation
benchmarks and tests; :func:`synthetic_events` builds the re-optimisation events of such a
day. One metro area whose size grows with the number of engineers, so that
each engineer keeps a realistic territory; a day of emergencies due within 4 hours,
same-day repairs, customer time slots, preventive maintenance and installations; depots with
stock and tools; van stock; a few pinned follow-ups and preferred engineers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np

from optimizer.dispatcher.events import Events
from optimizer.models import (
    Break,
    Depot,
    DepotHours,
    Engineer,
    HaversineTravel,
    Job,
    JobStop,
    Location,
    Pin,
    Plan,
    Priority,
    Problem,
    Shift,
    TimeWindow,
)

TRADES = ("refrigeration", "laundry", "cooking", "dishwasher", "hvac", "electrical")
TOOLS_BY_TRADE = {
    "refrigeration": "vacuum_pump",
    "hvac": "refrigerant_recovery",
    "cooking": "gas_detector",
    "electrical": "insulation_tester",
}
DEPOT_NAMES = ("D-NORTH", "D-EAST", "D-SOUTH", "D-WEST", "D-CENTRE")
CENTRE = (31.2304, 121.4737)  # a metro area (lat, lon)
KM_PER_DEG_LAT = 111.32


def default_parts_catalogue(n_parts: int = 300, seed: int = 7) -> dict[str, str]:
    """Part id -> trade, e.g. {'P-0001': 'refrigeration', ...}, spread over the trades."""
    rng = np.random.default_rng(seed)
    trades = rng.choice(len(TRADES), size=n_parts)
    return {f"P-{i + 1:04d}": TRADES[t] for i, t in enumerate(trades)}


def _point(rng: np.random.Generator, radius_km: float, centre: tuple[float, float]) -> Location:
    """A point in the metro disc, denser towards the centre (like population)."""
    r = radius_km * math.sqrt(rng.random()) ** 1.3
    a = rng.random() * 2 * math.pi
    lat = centre[0] + (r * math.cos(a)) / KM_PER_DEG_LAT
    lon = centre[1] + (r * math.sin(a)) / (KM_PER_DEG_LAT * math.cos(math.radians(centre[0])))
    return Location(lat=round(lat, 5), lon=round(lon, 5))


def generate_problem(
    n_jobs: int = 400,
    n_engineers: int = 40,
    seed: int = 0,
    *,
    day: date = date(2026, 11, 24),
    utc_offset_h: int = 8,
    n_depots: int = 3,
    parts: bool = True,
    tools: bool = True,
    parts_catalogue: Mapping[str, str] | None = None,
    depot_stock: Mapping[str, Mapping[str, int]] | None = None,
    problem_id: str | None = None,
    centre: tuple[float, float] = CENTRE,
) -> Problem:
    """A seeded, realistic one-day dispatch problem.

    ``parts_catalogue`` maps part id -> trade (defaults to 300 generated parts);
    ``depot_stock`` overrides the generated depot stock (depot id -> part -> qty).
    """
    if n_jobs < 0 or n_engineers < 0:
        raise ValueError("n_jobs and n_engineers must be >= 0")
    rng = np.random.default_rng(seed)
    tz = timezone(timedelta(hours=utc_offset_h))

    def at(hh: float) -> datetime:
        minutes = round(hh * 60)
        return datetime.combine(day, time(0, 0), tz) + timedelta(minutes=minutes)

    # A territory of ~25 km² per engineer (a dense metro), at least a 10 km radius.
    radius_km = max(10.0, math.sqrt(max(n_engineers, 1) * 25.0 / math.pi))
    catalogue = dict(parts_catalogue or default_parts_catalogue(seed=seed + 7))
    parts_by_trade: dict[str, list[str]] = {t: [] for t in TRADES}
    for part, trade in catalogue.items():
        parts_by_trade.setdefault(trade, []).append(part)
    # A few fast movers per trade: what vans carry and most jobs need.
    fast = {t: ps[: max(1, len(ps) // 8)] for t, ps in parts_by_trade.items() if ps}

    depots = _depots(rng, n_depots, radius_km, centre, fast, parts_by_trade, at, parts, tools,
                     depot_stock)
    engineers = _engineers(rng, n_engineers, radius_km, centre, fast, at, parts, tools)
    jobs = _jobs(rng, n_jobs, radius_km, centre, engineers, fast, parts_by_trade, at, parts,
                 tools)
    return Problem(
        id=problem_id or f"field-service-{day.isoformat()}-{n_jobs}j-{n_engineers}e-s{seed}",
        travel=HaversineTravel(speed_kmh=30.0, circuity=1.3),
        engineers=engineers,
        jobs=jobs,
        depots=depots,
    )


def _depots(rng, n_depots, radius_km, centre, fast, parts_by_trade, at, parts, tools,
            depot_stock) -> list[Depot]:
    depots = []
    names = list(DEPOT_NAMES) + [f"D-{i:02d}" for i in range(len(DEPOT_NAMES), n_depots)]
    for k in range(n_depots):
        angle = 2 * math.pi * k / max(n_depots, 1) + 0.3
        r = radius_km * 0.55
        lat = centre[0] + r * math.cos(angle) / KM_PER_DEG_LAT
        lon = centre[1] + r * math.sin(angle) / (KM_PER_DEG_LAT * math.cos(math.radians(centre[0])))
        depot_id = names[k]
        if depot_stock is not None:
            stock = {p: int(q) for p, q in depot_stock.get(depot_id, {}).items()}
        elif parts:
            stock = {}
            for trade, ps in parts_by_trade.items():
                for p in ps:
                    if p in fast.get(trade, []):
                        stock[p] = int(rng.integers(2, 9))
                    elif rng.random() < 0.35:
                        stock[p] = int(rng.integers(0, 3))
        else:
            stock = {}
        depots.append(
            Depot(
                id=depot_id,
                location=Location(lat=round(lat, 5), lon=round(lon, 5)),
                stock=stock,
                tools=sorted(set(TOOLS_BY_TRADE.values())) if tools else [],
                open=DepotHours(start=at(7.0), end=at(19.0)),
                pickup_min=10,
            )
        )
    return depots


def _engineers(rng, n, radius_km, centre, fast, at, parts, tools) -> list[Engineer]:
    engineers = []
    for i in range(n):
        n_trades = int(rng.choice([1, 2, 2, 3]))
        trades = [TRADES[t] for t in rng.choice(len(TRADES), size=n_trades, replace=False)]
        skills = {t: int(rng.choice([1, 2, 2, 3, 3])) for t in trades}
        start_h = float(rng.choice([7.5, 8.0, 8.0, 8.5, 9.0]))
        shift = Shift(
            start=at(start_h),
            end=at(start_h + 9.0),
            max_overtime_min=int(rng.choice([0, 30, 60, 60])),
            breaks=[Break(earliest=at(11.5), latest=at(13.5), duration_min=30)],
        )
        van: dict[str, int] = {}
        if parts:
            for t in trades:
                for p in fast.get(t, []):
                    if rng.random() < 0.5:
                        van[p] = int(rng.integers(1, 3))
        carried = sorted({TOOLS_BY_TRADE[t] for t in trades if t in TOOLS_BY_TRADE
                          and rng.random() < 0.6}) if tools else []
        engineers.append(
            Engineer(
                id=f"E{i + 1:03d}",
                start=_point(rng, radius_km, centre),
                shifts=[shift],
                skills=skills,
                van_stock=van,
                tools=carried,
                cost_per_hour=float(rng.choice([38.0, 42.0, 45.0, 50.0])),
                cost_per_km=0.6,
            )
        )
    return engineers


# kind, priority, share of jobs
_JOB_MIX: Sequence[tuple[str, Priority, float]] = (
    ("emergency", Priority.CRITICAL, 0.06),
    ("repair", Priority.HIGH, 0.24),
    ("repair", Priority.NORMAL, 0.30),
    ("maintenance", Priority.NORMAL, 0.12),
    ("maintenance", Priority.LOW, 0.16),
    ("installation", Priority.NORMAL, 0.12),
)


def _jobs(rng, n, radius_km, centre, engineers, fast, parts_by_trade, at, parts,
          tools) -> list[Job]:
    shares = np.array([m[2] for m in _JOB_MIX])
    kinds = rng.choice(len(_JOB_MIX), size=n, p=shares / shares.sum())
    # Trades in proportion to the engineers who have them, so most jobs are coverable.
    trade_weight = np.array([1.0 + sum(t in e.skills for e in engineers) for t in TRADES])
    jobs: list[Job] = []
    for i in range(n):
        kind, priority, _ = _JOB_MIX[int(kinds[i])]
        trade = TRADES[int(rng.choice(len(TRADES), p=trade_weight / trade_weight.sum()))]
        level = int(rng.choice([1, 1, 1, 2, 2, 3]))
        windows: list[TimeWindow] = []
        due = None
        if kind == "emergency":
            duration = int(rng.choice([30, 45, 60]))
            release = float(rng.choice([8.0, 8.0, 8.5, 9.0, 10.0, 11.0, 13.0, 14.0]))
            windows = [TimeWindow(start=at(release), end=at(19.0))]
            due = at(release + 4.0)
        elif kind == "repair":
            duration = int(rng.choice([20, 30, 30, 45, 60]))
            if priority is Priority.HIGH:
                due = at(18.0)
            slot = rng.random()
            if slot < 0.45:  # customer picked a 2-hour or 4-hour slot
                s = float(rng.choice([8.0, 10.0, 12.0, 14.0, 16.0]))
                windows = [TimeWindow(start=at(s), end=at(s + float(rng.choice([2.0, 4.0]))))]
            elif slot < 0.6:  # morning or late afternoon
                windows = [TimeWindow(start=at(8.0), end=at(12.0)),
                           TimeWindow(start=at(15.0), end=at(18.0))]
        elif kind == "maintenance":
            duration = int(rng.choice([20, 30, 30, 45]))
            level = int(rng.choice([1, 1, 2]))
            if rng.random() < 0.5:
                s = float(rng.choice([8.0, 13.0]))
                windows = [TimeWindow(start=at(s), end=at(s + 4.0))]
        else:  # installation
            duration = int(rng.choice([45, 60, 90]))
            s = float(rng.choice([8.0, 10.0, 13.0]))
            windows = [TimeWindow(start=at(s), end=at(s + 3.0))]
        required_parts: dict[str, int] = {}
        if parts and kind in ("emergency", "repair") and rng.random() < 0.45:
            pool = fast.get(trade) if rng.random() < 0.8 else parts_by_trade.get(trade)
            if pool:
                required_parts[str(rng.choice(pool))] = 1
        required_tools: list[str] = []
        if tools and trade in TOOLS_BY_TRADE and kind in ("installation", "repair") \
                and rng.random() < 0.3:
            required_tools = [TOOLS_BY_TRADE[trade]]
        pinned = None
        preferred: list[str] = []
        qualified = [e for e in engineers if e.skills.get(trade, 0) >= level]
        if qualified and kind == "repair" and rng.random() < 0.02:
            pinned = Pin(engineer=qualified[int(rng.integers(len(qualified)))].id)
        elif qualified and kind == "maintenance" and rng.random() < 0.3:
            preferred = [qualified[int(rng.integers(len(qualified)))].id]
        jobs.append(
            Job(
                id=f"J{i + 1:05d}",
                location=_point(rng, radius_km, centre),
                duration_min=duration,
                time_windows=windows,
                due=due,
                priority=priority,
                required_skills={trade: level},
                required_parts=required_parts,
                required_tools=required_tools,
                preferred_engineers=preferred,
                pinned=pinned,
                kind=kind,
            )
        )
    return jobs


#: The event kinds :func:`synthetic_events` combines (``"added+cancelled"``, ...).
EVENT_KINDS = ("added", "cancelled", "unavailable", "unavailable_later", "started", "finished",
               "delayed", "position")


def synthetic_events(problem: Problem, plan: Plan, mix: str, hours: float) -> Events:
    """The events of ``mix`` (kinds of :data:`EVENT_KINDS` joined by ``+``) at the first
    shift's start + ``hours``, on a generated ``problem`` and its dispatched ``plan`` (with
    at least four working routes): for re-optimisation tests and benchmarks."""
    now, evs = event_kinds(problem, plan, hours)
    chosen = [e for k in mix.split("+") for e in evs[k]]
    return Events.model_validate({"now": now.isoformat(), "events": chosen})


def event_kinds(problem: Problem, plan: Plan, hours: float
                ) -> tuple[datetime, dict[str, list[dict[str, Any]]]]:
    """``now`` (the first shift's start + ``hours``) and the events of each kind of
    :data:`EVENT_KINDS` there on ``plan`` (which needs four working routes), as contract
    JSON."""
    now = problem.engineers[0].shifts[0].start + timedelta(hours=hours)
    routes = [r for r in plan.routes if any(isinstance(s, JobStop) for s in r.stops)]
    jobs0 = [s for s in routes[0].stops if isinstance(s, JobStop)]
    jobs1 = [s for s in routes[1].stops if isinstance(s, JobStop)]
    later = [s for s in jobs0 if s.start > now]
    running = [s for s in jobs1 if s.start <= now] or jobs1[:1]
    new = problem.jobs[0].model_copy(update={"id": "NEW-1", "pinned": None, "time_windows": []})
    evs = {
        "added": [{"type": "job_added", "job": new.model_dump(mode="json")}],
        "cancelled": [{"type": "job_cancelled", "job": (later or jobs0)[-1].job}],
        "unavailable": [{"type": "engineer_unavailable", "engineer": routes[2].engineer,
                         "from": now.isoformat(), "until": None}],
        "unavailable_later": [{"type": "engineer_unavailable", "engineer": routes[2].engineer,
                               "from": (now + timedelta(hours=1)).isoformat(),
                               "until": (now + timedelta(hours=2)).isoformat()}],
        "started": [{"type": "job_started", "job": jobs0[-1].job, "engineer": routes[3].engineer,
                     "at": (now - timedelta(minutes=5)).isoformat()}],
        "finished": [{"type": "job_finished", "job": running[0].job,
                      "engineer": routes[1].engineer, "at": now.isoformat()}],
        "delayed": [{"type": "job_delayed", "job": running[-1].job,
                     "expected_end": (now + timedelta(minutes=50)).isoformat()}],
        "position": [{"type": "engineer_position", "engineer": routes[0].engineer,
                      "at": now.isoformat(), "location": {"lat": 31.24, "lon": 121.48}}],
    }
    return now, evs
