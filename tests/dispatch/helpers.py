"""Small problems built in code for the dispatch solver tests."""

from __future__ import annotations

from typing import Any

from optimizer.dispatch import SolveOptions, solve
from optimizer.models import Plan, Problem
from optimizer.validate import validate

DAY = "2026-11-24"
TZ = "+01:00"
BASE = {"lat": 48.85, "lon": 2.35}


def at(hhmm: str) -> str:
    """An ISO time on the test day."""
    return f"{DAY}T{hhmm}:00{TZ}"


def east(km: float) -> dict[str, float]:
    """A point ``km`` road-km east of BASE along the parallel (circuity 1, 60 km/h: 1 km/min)."""
    # 1 degree of longitude at 48.85N is 111.195 * cos(48.85) km great-circle (approximately)
    import math

    deg = km / (6371.0088 * math.radians(1) * math.cos(math.radians(BASE["lat"])))
    return {"lat": BASE["lat"], "lon": BASE["lon"] + deg}


def engineer(eid: str, **kw: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "id": eid,
        "start": BASE,
        "shifts": [{"start": at("08:00"), "end": at("17:00")}],
        "skills": {},
        "van_stock": {},
    }
    e.update(kw)
    return e


def job(jid: str, km: float = 10.0, dur: int = 60, **kw: Any) -> dict[str, Any]:
    j: dict[str, Any] = {"id": jid, "location": east(km), "duration_min": dur}
    j.update(kw)
    return j


def problem(engineers: list, jobs: list, depots: list | None = None) -> Problem:
    return Problem.model_validate(
        {
            "id": "t",
            "travel": {"model": "haversine", "speed_kmh": 60, "circuity": 1.0},
            "engineers": engineers,
            "jobs": jobs,
            "depots": depots or [],
        }
    )


def run(p: Problem, **kw: Any) -> Plan:
    """Solve with a small work limit and assert the plan is valid."""
    kw.setdefault("max_solutions", 200)
    plan = solve(p, SolveOptions(**kw))
    violations = validate(p, plan)
    assert not violations, "\n".join(map(str, violations))
    return plan


def where(plan: Plan) -> dict[str, str]:
    """Job id -> engineer id, for assigned jobs."""
    return {s.job: r.engineer for r in plan.routes for s in r.stops if s.type == "job"}


def reasons(plan: Plan) -> dict[str, str]:
    return {u.job: u.reason.value for u in plan.unassigned}


def starts(plan: Plan) -> dict[str, str]:
    return {
        s.job: s.start.strftime("%H:%M") for r in plan.routes for s in r.stops if s.type == "job"
    }
