"""The compiled form: minutes from the origin, merged windows, eligibility, parts and tools."""

from __future__ import annotations

import numpy as np

from optimizer.compile import PRIORITY_TIER, compile_problem
from tests.dispatch.helpers import at, engineer, job, problem


def _two_engineers():
    return problem(
        [engineer("E1", skills={"gas": 2}, van_stock={"p1": 1}, tools=["ladder"]),
         engineer("E2", skills={"gas": 1},
                  shifts=[{"start": at("09:00"), "end": at("12:00"), "max_overtime_min": 30,
                           "breaks": [{"earliest": at("10:00"), "latest": at("11:00"),
                                       "duration_min": 15}]},
                          {"start": at("13:00"), "end": at("17:00")}])],
        [job("A", required_skills={"gas": 2}, required_parts={"p1": 1}, priority="critical",
             time_windows=[{"start": at("09:00"), "end": at("10:00")},
                           {"start": at("09:30"), "end": at("11:00")},
                           {"start": at("14:00"), "end": at("15:00")}]),
         job("B", km=10.0, required_tools=["ladder"], excluded_engineers=["E1"],
             preferred_engineers=["E2"], due=at("12:00"),
             pinned={"engineer": "E2", "start": at("13:30")})],
        [{"id": "D", "location": {"lat": 48.9, "lon": 2.4}, "stock": {"p2": 3},
          "tools": ["ladder"], "open": {"start": at("07:30"), "end": at("18:00")}}])


def test_times_are_minutes_from_the_first_shift_start():
    c = compile_problem(_two_engineers())
    assert c.origin.isoformat() == at("08:00")
    assert list(c.shift_start) == [0, 60, 300] and list(c.shift_end) == [540, 240, 540]
    assert list(c.shift_max_ot) == [0, 30, 0] and c.horizon == 540
    assert c.shift_breaks[1].tolist() == [[120, 180, 15]]
    assert c.to_datetime(90).isoformat() == at("09:30") and c.to_minutes(c.to_datetime(90)) == 90


def test_overlapping_windows_merge_and_gaps_stay():
    c = compile_problem(_two_engineers())
    assert c.job_windows[0].tolist() == [[60, 180], [360, 420]]
    assert c.job_windows[1].tolist() == [[0, 540]]  # no windows: the horizon
    assert list(c.job_has_windows) == [True, False]


def test_eligibility_pins_and_dues():
    c = compile_problem(_two_engineers())
    assert c.skill_ok.tolist() == [[True, False], [True, True]]
    assert c.excluded.tolist() == [[False, False], [True, False]]
    assert c.preferred.tolist() == [[False, False], [False, True]]
    assert c.qualified.tolist() == [[True, False], [False, True]]
    assert list(c.pinned_engineer) == [-1, 1] and list(c.pinned_start) == [-1, 330]
    assert list(c.job_due) == [-1, 240]
    assert list(c.job_tier) == [PRIORITY_TIER["critical"], PRIORITY_TIER["normal"]]


def test_parts_and_tools_as_matrices():
    c = compile_problem(_two_engineers())
    assert c.parts == ("p1", "p2") and c.tools == ("ladder",)
    assert c.job_parts.tolist() == [[1, 0], [0, 0]]
    assert c.van_stock.tolist() == [[1, 0], [0, 0]] and c.depot_stock.tolist() == [[0, 3]]
    assert c.job_tools.tolist() == [[False], [True]] and c.eng_tools.tolist() == [[True], [False]]
    assert c.depot_tools.tolist() == [[True]] and c.depot_open.tolist() == [[-30, 600]]


def test_equal_points_share_one_location():
    p = problem([engineer("E1"), engineer("E2")], [job("A", km=5.0), job("B", km=5.0)])
    c = compile_problem(p)
    assert len(c.locations) == 2  # the shared start and the shared job point
    assert c.eng_start_loc.tolist() == [0, 0] and c.job_loc.tolist() == [1, 1]
    assert c.travel.minutes.shape == (2, 2) and c.travel.minutes[0, 1] == 5
    assert np.all(np.diag(c.travel.minutes) == 0)
