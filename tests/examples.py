"""Small problems and plans the validator tests build on: the contract example and a tiny one.

Everything is returned as fresh JSON-like dicts so a test can break one thing in place and
validate the result with the contract models.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from optimizer.kpis import compute_kpis
from optimizer.models import Plan, Problem

Json = dict[str, Any]

_HERE = Path(__file__).resolve().parent
DATA = _HERE / "data"
CONTRACT = _HERE.parent.parent / "shared" / "contract"
if not CONTRACT.exists():  # CI clones main with shared/ beside it; a work tree may differ
    CONTRACT = Path("/work/shared/contract")


@cache
def _load(name: str) -> Json:
    return json.loads((CONTRACT / name).read_text())


def example_problem() -> Json:
    """The contract's problem.example.json (a fresh copy)."""
    return copy.deepcopy(_load("problem.example.json"))


def example_plan() -> Json:
    """The contract's plan.example.json (a fresh copy)."""
    return copy.deepcopy(_load("plan.example.json"))


def at(hhmm: str, day: int = 24) -> str:
    """An ISO time on 2026-11-<day> in the example's +08:00 zone."""
    return f"2026-11-{day:02d}T{hhmm}:00+08:00"


def build(problem: Json, plan: Json, refresh_kpis: bool = False) -> tuple[Problem, Plan]:
    """Parse both; with ``refresh_kpis`` the plan's KPIs are recomputed from its routes."""
    p = Problem.model_validate(problem)
    pl = Plan.model_validate(plan)
    if refresh_kpis:
        kpis = compute_kpis(p, pl.routes, pl.unassigned)
        pl = Plan.model_validate({**plan, "kpis": kpis.model_dump(mode="json")})
    return p, pl


def tiny_problem() -> Json:
    """Two engineers, two jobs, one depot, a road matrix of 10-minute, 5-km legs.

    E1 carries no part P and no ladder: job A needs both, so E1 must visit depot D first.
    E2 has one P in the van for job B, which is pinned to E2 at 08:10.
    """
    names = ["H1", "H2", "A", "B", "D"]
    points = [{"id": n, "lat": 10.0 + i / 100, "lon": 20.0} for i, n in enumerate(names)]
    n = len(points)
    loc = {p["id"]: {"lat": p["lat"], "lon": p["lon"]} for p in points}
    return {
        "id": "tiny",
        "travel": {
            "model": "matrix",
            "points": points,
            "duration_min": [[0 if i == j else 10 for j in range(n)] for i in range(n)],
            "distance_km": [[0 if i == j else 5 for j in range(n)] for i in range(n)],
        },
        "engineers": [
            {
                "id": "E1",
                "start": loc["H1"],
                "shifts": [{"start": at("08:00"), "end": at("12:00")}],
                "skills": {"x": 1},
                "van_stock": {},
                "tools": ["meter"],
                "capacity": 3,
            },
            {
                "id": "E2",
                "start": loc["H2"],
                "shifts": [{"start": at("08:00"), "end": at("12:00")}],
                "skills": {"x": 1},
                "van_stock": {"P": 1},
            },
        ],
        "jobs": [
            {
                "id": "A",
                "location": loc["A"],
                "duration_min": 30,
                "required_skills": {"x": 1},
                "required_parts": {"P": 1},
                "required_tools": ["ladder", "meter"],
                "load": 2,
            },
            {
                "id": "B",
                "location": loc["B"],
                "duration_min": 30,
                "required_parts": {"P": 1},
                "load": 1,
                "pinned": {"engineer": "E2", "start": at("08:10")},
            },
        ],
        "depots": [
            {"id": "D", "location": loc["D"], "stock": {"P": 1}, "tools": ["ladder"]},
        ],
    }


def tiny_plan() -> Json:
    """The valid plan of :func:`tiny_problem` (KPIs left for :func:`build` to fill)."""
    return {
        "problem_id": "tiny",
        "routes": [
            {
                "engineer": "E1",
                "shift": 0,
                "start_time": at("08:00"),
                "end_time": at("09:10"),
                "distance_km": 15.0,
                "travel_min": 30,
                "stops": [
                    {
                        "type": "depot",
                        "depot": "D",
                        "arrival": at("08:10"),
                        "start": at("08:10"),
                        "end": at("08:20"),
                        "pickup": {"P": 1},
                        "pickup_tools": ["ladder"],
                    },
                    {
                        "type": "job",
                        "job": "A",
                        "arrival": at("08:30"),
                        "start": at("08:30"),
                        "end": at("09:00"),
                    },
                ],
            },
            {
                "engineer": "E2",
                "shift": 0,
                "start_time": at("08:00"),
                "end_time": at("08:50"),
                "distance_km": 10.0,
                "travel_min": 20,
                "stops": [
                    {
                        "type": "job",
                        "job": "B",
                        "arrival": at("08:10"),
                        "start": at("08:10"),
                        "end": at("08:40"),
                    }
                ],
            },
        ],
        "unassigned": [],
        "kpis": {
            "jobs_total": 0,
            "jobs_assigned": 0,
            "jobs_unassigned": 0,
            "on_time_pct": 0,
            "distance_km": 0,
            "travel_min": 0,
            "work_min": 0,
            "overtime_min": 0,
            "utilisation_pct": 0,
        },
        "solver": {"status": "hand-made", "wall_s": 0.0},
    }
