"""Hypothesis strategies for small, varied dispatch problems.

:func:`problems` draws contract problems with skills and levels, one or several time windows,
dues, priorities, breaks, overtime, van parts and depot stock, tools, pins with and without
a start, capacity and load, certificates ending before, on or after the shifts' days,
haversine or matrix travel, and a few jobs that are infeasible
for a reason one can tell before solving (``Generated.expected`` maps them to that reason).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from optimizer.models import Problem, UnassignedReason

Json = dict[str, Any]
R = UnassignedReason

SKILLS = ("hvac", "electrical", "plumbing")
PARTS = ("P1", "P2", "P3")
TOOLS = ("ladder", "meter")
PRIORITIES = ("critical", "high", "normal", "low")
DAY0 = datetime(2026, 11, 24)

# How a designed-infeasible job is made, and the reason the plan must give it.
INFEASIBLE_KINDS: dict[str, R] = {
    "skill": R.NO_QUALIFIED_ENGINEER,  # needs a skill nobody has
    "excluded": R.NO_QUALIFIED_ENGINEER,  # excludes every engineer
    "tool": R.NO_QUALIFIED_ENGINEER,  # needs a tool nobody carries and no depot has
    "parts": R.PARTS_UNAVAILABLE,  # needs a part no van and no depot holds
    "time": R.NO_TIME_WINDOW_FIT,  # its only window is days after every shift
    "pin_excluded": R.PINNED_INFEASIBLE,  # pinned to an engineer it excludes
    "pin_start": R.PINNED_INFEASIBLE,  # pinned to start days after every shift
    "certificate": R.NO_QUALIFIED_ENGINEER,  # only engineer EC has welding, certified till the eve
}

# Settings profiles for the solver property test: fast by default (< 60 s with the solver's
# limits), thorough on demand (HYPOTHESIS_PROFILE=plans-thorough). Applied per test, never
# loaded globally, so other test files keep their own settings.
settings.register_profile(
    "plans-fast",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "plans-thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Generated:
    """A drawn problem, its JSON form (for fixtures), and the designed-infeasible jobs."""

    problem: Problem
    data: Json
    expected: dict[str, R] = field(default_factory=dict)

    def __repr__(self) -> str:
        """The problem as JSON, ready to paste into a ``tests/data`` fixture."""
        return f"Generated(expected={self.expected!r}, data={json.dumps(self.data)})"


def _iso(t: datetime) -> str:
    return t.isoformat()


@st.composite
def _location(draw: st.DrawFn, center: tuple[float, float]) -> Json:
    """A point within ~10 km of ``center``, rounded so that matrix matching is exact."""
    lat = center[0] + draw(st.integers(-900, 900)) / 10_000
    lon = center[1] + draw(st.integers(-900, 900)) / 10_000
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


@st.composite
def _shift(draw: st.DrawFn, day: datetime) -> Json:
    start = day + timedelta(hours=7, minutes=15 * draw(st.integers(0, 12)))
    length = 15 * draw(st.integers(16, 40))  # 4 to 10 hours
    end = start + timedelta(minutes=length)
    shift: Json = {"start": _iso(start), "end": _iso(end)}
    if draw(st.booleans()):
        shift["max_overtime_min"] = draw(st.sampled_from([0, 15, 30, 60]))
    if draw(st.integers(0, 2)) == 0:
        earliest = start + timedelta(minutes=15 * draw(st.integers(4, max(4, length // 15 - 6))))
        latest = earliest + timedelta(minutes=draw(st.sampled_from([0, 30, 60, 120])))
        shift["breaks"] = [
            {
                "earliest": _iso(earliest),
                "latest": _iso(latest),
                "duration_min": draw(st.sampled_from([15, 30, 45])),
            }
        ]
    return shift


@st.composite
def _engineer(draw: st.DrawFn, i: int, day0: datetime, center: tuple[float, float]) -> Json:
    n_shifts = draw(st.integers(1, 2))
    eng: Json = {
        "id": f"E{i}",
        "start": draw(_location(center)),
        "shifts": [draw(_shift(day0 + timedelta(days=d))) for d in range(n_shifts)],
        "skills": draw(
            st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), min_size=1, max_size=3)
        ),
        "van_stock": draw(st.dictionaries(st.sampled_from(PARTS), st.integers(0, 3), max_size=3)),
    }
    if draw(st.booleans()):
        eng["end"] = draw(_location(center))
    tools = draw(st.lists(st.sampled_from(TOOLS), unique=True, max_size=2))
    if tools:
        eng["tools"] = tools
    if draw(st.integers(0, 2)) == 0:
        eng["capacity"] = draw(st.integers(1, 8))
    if draw(st.integers(0, 2)) == 0:  # certificates ending before, on or after the shifts' days
        held = sorted(eng["skills"])
        eng["certified_until"] = {
            s: (day0 + timedelta(days=draw(st.integers(-1, 2)))).date().isoformat()
            for s in draw(st.lists(st.sampled_from(held), unique=True, min_size=1))
        }
    return eng


@st.composite
def _windows(draw: st.DrawFn, day0: datetime) -> list[Json]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        day = day0 + timedelta(days=draw(st.integers(0, 1)))
        start = day + timedelta(hours=6, minutes=30 * draw(st.integers(0, 24)))
        end = start + timedelta(minutes=30 * draw(st.integers(1, 10)))
        out.append({"start": _iso(start), "end": _iso(end)})
    return out


@st.composite
def _job(
    draw: st.DrawFn, i: int, day0: datetime, center: tuple[float, float], engineers: list[Json]
) -> Json:
    """A job meant to be doable: its skills are those of some engineer, at or below level."""
    who = draw(st.sampled_from(engineers))
    skills = {
        s: draw(st.integers(1, lvl))
        for s, lvl in who["skills"].items()
        if draw(st.integers(0, 2)) == 0
    }
    job: Json = {
        "id": f"J{i}",
        "location": draw(_location(center)),
        "duration_min": draw(st.sampled_from([0, 10, 20, 30, 45, 60, 90])),
        "time_windows": draw(_windows(day0)),
        "priority": draw(st.sampled_from(PRIORITIES)),
        "required_skills": skills,
        "kind": draw(st.sampled_from(["repair", "maintenance", "installation"])),
    }
    if draw(st.booleans()):
        due = day0 + timedelta(hours=8, minutes=30 * draw(st.integers(0, 20)))
        job["due"] = _iso(due)
    if draw(st.integers(0, 2)) == 0:
        job["required_parts"] = draw(
            st.dictionaries(st.sampled_from(PARTS), st.integers(1, 2), min_size=1, max_size=2)
        )
    if draw(st.integers(0, 3)) == 0:
        job["required_tools"] = draw(
            st.lists(st.sampled_from(TOOLS), unique=True, min_size=1, max_size=2)
        )
    if draw(st.booleans()):
        job["load"] = draw(st.integers(0, 3))
    ids = [e["id"] for e in engineers]
    if len(ids) > 1 and draw(st.integers(0, 3)) == 0:
        job["excluded_engineers"] = [draw(st.sampled_from(ids))]
    if draw(st.integers(0, 3)) == 0:
        job["preferred_engineers"] = [draw(st.sampled_from(ids))]
    if draw(st.integers(0, 4)) == 0:
        pin: Json = {"engineer": who["id"]}
        if draw(st.booleans()):
            shift = draw(st.sampled_from(who["shifts"]))
            start = datetime.fromisoformat(shift["start"])
            pin["start"] = _iso(start + timedelta(minutes=15 * draw(st.integers(1, 16))))
        job["pinned"] = pin
    return job


def _infeasible_job(
    kind: str, i: int, day0: datetime, location: Json, engineers: list[Json]
) -> Json:
    """A job that cannot be done for exactly the reason ``INFEASIBLE_KINDS[kind]``."""
    far = day0 + timedelta(days=5, hours=2)
    job: Json = {"id": f"X{i}-{kind}", "location": location, "duration_min": 30}
    first = engineers[0]["id"]
    if kind == "skill":
        job["required_skills"] = {"gas": 1}
    elif kind == "excluded":
        job["excluded_engineers"] = [e["id"] for e in engineers]
    elif kind == "tool":
        job["required_tools"] = ["crane"]
    elif kind == "parts":
        job["required_parts"] = {"P-none": 1}
    elif kind == "time":
        job["time_windows"] = [{"start": _iso(far), "end": _iso(far + timedelta(hours=1))}]
    elif kind == "pin_excluded":
        job["excluded_engineers"] = [first]
        job["pinned"] = {"engineer": first}
    elif kind == "pin_start":
        job["pinned"] = {"engineer": first, "start": _iso(far)}
    elif kind == "certificate":
        job["required_skills"] = {"welding": 1}
    return job


def _lapsed_welder(day0: datetime, location: Json) -> Json:
    """Engineer EC: the only welder, whose certificate ended the day before the first shift."""
    return {"id": "EC", "start": location,
            "shifts": [{"start": _iso(day0 + timedelta(hours=8)),
                        "end": _iso(day0 + timedelta(hours=16))}],
            "skills": {"welding": 2},
            "certified_until": {"welding": (day0 - timedelta(days=1)).date().isoformat()}}


@st.composite
def _matrix(draw: st.DrawFn, locations: list[Json]) -> Json:
    """A road matrix over ``locations``: whole or half minutes, km below the minutes."""
    n = len(locations)
    points = [{"id": f"L{k}", **loc} for k, loc in enumerate(locations)]
    minutes = [
        [0.0 if a == b else draw(st.integers(2, 80)) / 2 for b in range(n)] for a in range(n)
    ]
    km = [[round(m * draw(st.sampled_from([0.3, 0.5, 0.8])), 3) for m in row] for row in minutes]
    return {"model": "matrix", "points": points, "duration_min": minutes, "distance_km": km}


def _all_locations(data: Json) -> list[Json]:
    locs: list[Json] = []
    for e in data["engineers"]:
        locs.append(e["start"])
        if "end" in e:
            locs.append(e["end"])
    locs += [j["location"] for j in data["jobs"]]
    locs += [d["location"] for d in data["depots"]]
    unique: list[Json] = []
    for loc in locs:
        if loc not in unique:
            unique.append(loc)
    return unique


@st.composite
def problems(
    draw: st.DrawFn, max_engineers: int = 3, max_jobs: int = 8, infeasible: bool = True
) -> Generated:
    """A small contract problem with a mix of every feature (see module docstring)."""
    tz = timezone(timedelta(hours=draw(st.sampled_from([0, 8, -5]))))
    day0 = DAY0.replace(tzinfo=tz)
    center = (draw(st.integers(-60, 60)) * 1.0, draw(st.integers(-170, 170)) * 1.0)
    n_eng = draw(st.integers(1, max_engineers))
    engineers = [draw(_engineer(i, day0, center)) for i in range(n_eng)]
    jobs = [draw(_job(i, day0, center, engineers)) for i in range(draw(st.integers(1, max_jobs)))]
    expected: dict[str, R] = {}
    if infeasible:
        kinds = draw(st.lists(st.sampled_from(sorted(INFEASIBLE_KINDS)), max_size=3))
        if "certificate" in kinds:
            engineers.append(_lapsed_welder(day0, draw(_location(center))))
        for k, kind in enumerate(kinds):
            job = _infeasible_job(kind, k, day0, draw(_location(center)), engineers)
            jobs.append(job)
            expected[job["id"]] = INFEASIBLE_KINDS[kind]
    depots = []
    for d in range(draw(st.integers(0, 2))):
        depot: Json = {
            "id": f"D{d}",
            "location": draw(_location(center)),
            "stock": draw(st.dictionaries(st.sampled_from(PARTS), st.integers(0, 4), max_size=3)),
            "pickup_min": draw(st.sampled_from([5, 10, 15])),
        }
        tools = draw(st.lists(st.sampled_from(TOOLS), unique=True, max_size=2))
        if tools:
            depot["tools"] = tools
        if draw(st.booleans()):
            depot["open"] = {
                "start": _iso(day0 + timedelta(hours=draw(st.integers(6, 10)))),
                "end": _iso(day0 + timedelta(days=1, hours=draw(st.integers(12, 20)))),
            }
        depots.append(depot)
    data: Json = {"id": "generated", "engineers": engineers, "jobs": jobs, "depots": depots}
    if draw(st.booleans()):
        data["travel"] = {
            "model": "haversine",
            "speed_kmh": draw(st.sampled_from([20, 30, 45])),
            "circuity": draw(st.sampled_from([1.0, 1.3])),
        }
    else:
        data["travel"] = draw(_matrix(_all_locations(data)))
    return Generated(Problem.model_validate(data), data, expected)
