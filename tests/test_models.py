"""The contract models: the example files parse and round-trip; bad input is named clearly.

Also the travel model: our great-circle distance is geopy's (radius 6371.0088 km), and the
contract example's legs take the minutes its plan says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from examples import CONTRACT, Json, at, example_problem, tiny_problem
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from optimizer.models import HaversineTravel, Location, Plan, Problem, describe_validation_error
from optimizer.travel import EARTH_RADIUS_KM, great_circle_km, leg_minutes, travel_matrix


def test_example_files_parse() -> None:
    problem = Problem.model_validate_json((CONTRACT / "problem.example.json").read_text())
    plan = Plan.model_validate_json((CONTRACT / "plan.example.json").read_text())
    assert [j.id for j in problem.jobs] == ["J001", "J002", "J003", "J004", "J005"]
    assert plan.problem_id == problem.id
    assert [r.engineer for r in plan.routes] == ["E01", "E02"]


@pytest.mark.parametrize("name", ["problem.example.json", "plan.example.json"])
def test_example_files_round_trip(name: str) -> None:
    """Parse, dump without Nones, parse again: the same model and the same JSON values."""
    model = Problem if name.startswith("problem") else Plan
    text = (CONTRACT / name).read_text()
    first = model.model_validate_json(text)
    dumped = first.model_dump_json(exclude_none=True)
    again = model.model_validate_json(dumped)
    assert again == first
    assert again.model_dump_json(exclude_none=True) == dumped


def test_plan_dump_keeps_the_contract_fields() -> None:
    plan = Plan.model_validate_json((CONTRACT / "plan.example.json").read_text())
    out = json.loads(plan.model_dump_json(exclude_none=True))
    original = json.loads((CONTRACT / "plan.example.json").read_text())
    assert out["kpis"] == original["kpis"]
    assert out["routes"][1]["stops"][1]["pickup"] == {"P-2002": 1}
    assert out["unassigned"] == original["unassigned"]


Mutation = Callable[[Json], Any]

# (mutation of a valid problem, base problem, text the message must contain)
BAD_INPUT: list[tuple[str, Mutation, Callable[[], Json], str]] = [
    # two jobs with the id J001
    ("dup_job", lambda d: d["jobs"][1].update(id="J001"), example_problem, "duplicate id 'J001'"),
    # two engineers with the id E01
    (
        "dup_engineer",
        lambda d: d["engineers"][1].update(id="E01"),
        example_problem,
        "engineers: duplicate id 'E01'",
    ),
    # the depot listed twice
    (
        "dup_depot",
        lambda d: d["depots"].append(dict(d["depots"][0])),
        example_problem,
        "depots: duplicate id 'D1'",
    ),
    # excluded engineer that does not exist
    (
        "unknown_excluded",
        lambda d: d["jobs"][1].update(excluded_engineers=["E9"]),
        example_problem,
        "job 'J002'.excluded_engineers: unknown engineer 'E9'",
    ),
    # preferred engineer that does not exist
    (
        "unknown_preferred",
        lambda d: d["jobs"][1].update(preferred_engineers=["E9"]),
        example_problem,
        "job 'J002'.preferred_engineers: unknown engineer 'E9'",
    ),
    # pinned to an engineer that does not exist
    (
        "unknown_pinned",
        lambda d: d["jobs"][1].update(pinned={"engineer": "E9"}),
        example_problem,
        "job 'J002'.pinned.engineer: unknown engineer 'E9'",
    ),
    # J004's second window ends 13:00 but starts 14:00
    (
        "window_reversed",
        lambda d: d["jobs"][3]["time_windows"][1].update(end=at("13:00")),
        example_problem,
        "(id 'J004').time_windows[1]: time window: end is before start",
    ),
    # a due without UTC offset
    (
        "due_naive",
        lambda d: d["jobs"][1].update(due="2026-11-24T13:00:00"),
        example_problem,
        "(id 'J002').due: time has no UTC offset",
    ),
    # a shift start without UTC offset
    (
        "shift_naive",
        lambda d: d["engineers"][0]["shifts"][0].update(start="2026-11-24T08:00:00"),
        example_problem,
        "(id 'E01').shifts[0].start: time has no UTC offset",
    ),
    # latitude 91
    (
        "lat_high",
        lambda d: d["jobs"][2]["location"].update(lat=91),
        example_problem,
        "(id 'J003').location.lat: Input should be less than or equal to 90",
    ),
    # latitude -91 on an engineer's start
    (
        "lat_low",
        lambda d: d["engineers"][1]["start"].update(lat=-91),
        example_problem,
        "(id 'E02').start.lat: Input should be greater than or equal to -90",
    ),
    # negative job duration
    (
        "negative_duration",
        lambda d: d["jobs"][2].update(duration_min=-1),
        example_problem,
        "(id 'J003').duration_min: Input should be greater than or equal to 0",
    ),
    # negative break duration
    (
        "negative_break",
        lambda d: d["engineers"][0]["shifts"][0]["breaks"][0].update(duration_min=-2),
        example_problem,
        "(id 'E01').shifts[0].breaks[0].duration_min",
    ),
    # negative part quantity on a job
    (
        "negative_required_part",
        lambda d: d["jobs"][0]["required_parts"].update({"P-1001": -1}),
        example_problem,
        "(id 'J001').required_parts.P-1001: Input should be greater than or equal to 0",
    ),
    # negative van stock
    (
        "negative_van_stock",
        lambda d: d["engineers"][0]["van_stock"].update({"P-1001": -2}),
        example_problem,
        "(id 'E01').van_stock.P-1001",
    ),
    # negative depot stock
    (
        "negative_depot_stock",
        lambda d: d["depots"][0]["stock"].update({"P-2002": -2}),
        example_problem,
        "(id 'D1').stock.P-2002",
    ),
    # a matrix with a row missing
    (
        "matrix_rows",
        lambda d: d["travel"]["duration_min"].pop(),
        tiny_problem,
        "travel: duration_min: has 4 rows but there are 5 points",
    ),
    # a matrix row with a column missing
    (
        "matrix_columns",
        lambda d: d["travel"]["distance_km"][2].pop(),
        tiny_problem,
        "distance_km[2] (point 'A'): has 4 columns but there are 5 points",
    ),
    # job A moved to a place the matrix does not have
    (
        "matrix_misses_location",
        lambda d: d["jobs"][0]["location"].update(lat=50.0),
        tiny_problem,
        "job 'A'.location: (50.0, 20.0) matches no point of the travel matrix",
    ),
    # a misspelt field is not silently ignored
    (
        "unknown_field",
        lambda d: d["jobs"][0].update(duraton_min=3),
        example_problem,
        "(id 'J001').duraton_min: Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "base", "expected"),
    [row[1:] for row in BAD_INPUT],
    ids=[row[0] for row in BAD_INPUT],
)
def test_bad_input_is_named(mutate: Mutation, base: Callable[[], Json], expected: str) -> None:
    data = base()
    Problem.model_validate(data)  # valid before the mutation
    mutate(data)
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(data)
    messages = describe_validation_error(info.value, data)
    assert any(expected in m for m in messages), messages


# ---------------------------------------------------------------- travel

_lat = st.floats(-90, 90, allow_nan=False)
_lon = st.floats(-180, 180, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_lat, _lon), min_size=2, max_size=6))
def test_great_circle_matches_geopy(points: list[tuple[float, float]]) -> None:
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    km = great_circle_km(lat, lon)
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            ref = great_circle(a, b, radius=EARTH_RADIUS_KM).km
            # 1 mm, except near antipodes where haversine's arcsin is ill-conditioned (the
            # angle is good to ~1e-8 relative there: 0.2 m at 20,000 km; geopy uses atan2)
            assert abs(km[i, j] - ref) <= max(1e-6, 1e-8 * ref), (a, b, km[i, j], ref)


def test_earth_radius_is_the_contracts() -> None:
    assert EARTH_RADIUS_KM == 6371.0088


def test_example_legs_take_7_12_18_minutes() -> None:
    """E01 home -> J001 -> J002 -> home in the contract example: 7, 12 and 18 minutes."""
    problem = Problem.model_validate(example_problem())
    assert isinstance(problem.travel, HaversineTravel)
    home, j1, j2 = problem.engineers[0].start, problem.jobs[0].location, problem.jobs[1].location
    legs = [(home, j1), (j1, j2), (j2, home)]
    assert [leg_minutes(problem.travel, a, b) for a, b in legs] == [7, 12, 18]
    m = travel_matrix(problem.travel, [home, j1, j2])
    assert [int(m.minutes[0, 1]), int(m.minutes[1, 2]), int(m.minutes[2, 0])] == [7, 12, 18]
    assert round(float(m.km[0, 1] + m.km[1, 2] + m.km[2, 0]), 2) == 14.84


def test_haversine_minutes_round_up() -> None:
    """A leg of exactly 1 km at 60 km/h is 1 minute; a hair more is 2."""
    travel = HaversineTravel(speed_kmh=60, circuity=1.0)
    a = Location(lat=0.0, lon=0.0)
    one_km_deg = float(np.degrees(1.0 / EARTH_RADIUS_KM))
    assert leg_minutes(travel, a, Location(lat=one_km_deg, lon=0.0)) == 1
    assert leg_minutes(travel, a, Location(lat=one_km_deg * 1.001, lon=0.0)) == 2
