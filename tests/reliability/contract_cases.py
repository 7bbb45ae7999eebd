"""Bad numbers and ids in contract JSON: where to put them and what the answer must name."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[1] / "service" / "data" / "problem.example.json"


def example_problem() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def put(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``value`` at ``path``."""
    out = copy.deepcopy(doc)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


INF, NAN = math.inf, math.nan

# (path in the problem, value, the field the answer must name, a regex the message matches)
CASES: list[tuple[tuple[Any, ...], Any, str, str]] = [
    (("travel", "speed_kmh"), INF, "travel.speed_kmh", "finite"),
    (("travel", "circuity"), INF, "travel.circuity", "finite"),
    (("travel", "speed_kmh"), 1e-300, "travel.speed_kmh", "greater than or equal to 1"),
    (("travel", "speed_kmh"), NAN, "travel.speed_kmh", "finite"),
    (("engineers", 0, "cost_per_hour"), INF, "cost_per_hour", "finite"),
    (("engineers", 0, "cost_per_km"), 1e300, "cost_per_km", "less than or equal"),
    (("jobs", 0, "duration_min"), 1e20, "duration_min", "maximum size|less than or equal"),
    (("jobs", 0, "duration_min"), 600_000, "duration_min", "less than or equal to 527040"),
    (("jobs", 0, "load"), 1e19, "load", "maximum size|less than or equal"),
    (("jobs", 0, "location", "lat"), NAN, "location.lat", "finite"),
    (("jobs", 0, "location", "lon"), -INF, "location.lon", "finite"),
    (("jobs", 0, "required_skills", "hvac"), 10**12, "required_skills.hvac", "less than"),
    (("engineers", 0, "shifts", 0, "max_overtime_min"), 1e9, "max_overtime_min", "less than"),
    (("jobs", 0, "id"), "   ", "jobs[0]", "blank"),
    (("engineers", 1, "id"), "\t", "engineers[1]", "blank"),
]


def case_id(case: tuple[tuple[Any, ...], Any, str, str]) -> str:
    return ".".join(map(str, case[0])) + "=" + repr(case[1])
