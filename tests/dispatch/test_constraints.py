"""Each constraint of the dispatch model, shown binding and not binding."""

from __future__ import annotations

import pytest

from optimizer.dispatch import layout as layout_module
from tests.dispatch.helpers import (
    at,
    engineer,
    job,
    problem,
    reasons,
    run,
    starts,
    where,
)


# ---------------------------------------------------------------- skills
def test_skill_level_binding_picks_the_qualified_engineer() -> None:
    p = problem(
        [engineer("E1", skills={"hvac": 1}), engineer("E2", skills={"hvac": 2})],
        [job("J1", required_skills={"hvac": 2})],
    )
    assert where(run(p)) == {"J1": "E2"}


def test_skill_not_binding_any_engineer() -> None:
    p = problem(
        [engineer("E1", skills={"hvac": 3}), engineer("E2", skills={"hvac": 2})],
        [job("J1", required_skills={"hvac": 2})],
    )
    assert set(where(run(p))) == {"J1"}


def test_excluded_engineer_is_hard() -> None:
    p = problem(
        [engineer("E1", skills={"hvac": 2}), engineer("E2", skills={"hvac": 2})],
        [job("J1", km=1, required_skills={"hvac": 2}, excluded_engineers=["E1"])],
    )
    assert where(run(p)) == {"J1": "E2"}


def test_preferred_engineer_is_soft() -> None:
    p = problem(
        [engineer("E1"), engineer("E2")],
        [job("J1", preferred_engineers=["E2"])],
    )
    assert where(run(p)) == {"J1": "E2"}
    # soft: E2 cannot do it (skill), so E1 does it anyway
    p = problem(
        [engineer("E1", skills={"x": 1}), engineer("E2")],
        [job("J1", required_skills={"x": 1}, preferred_engineers=["E2"])],
    )
    assert where(run(p)) == {"J1": "E1"}


# ---------------------------------------------------------------- windows
def test_time_window_binding() -> None:
    p = problem(
        [engineer("E1")], [job("J1", time_windows=[{"start": at("14:00"), "end": at("15:00")}])]
    )
    assert "14:00" <= starts(run(p))["J1"] <= "15:00"


def test_time_window_not_binding_starts_early() -> None:
    p = problem([engineer("E1")], [job("J1")])
    assert starts(run(p))["J1"] < "08:30"


def test_multiple_windows_service_starts_inside_one_not_the_gap() -> None:
    wins = [
        {"start": at("08:00"), "end": at("09:00")},
        {"start": at("15:00"), "end": at("16:00")},
    ]
    # shift starts at 10:00: the first window is gone, the gap must be skipped
    p = problem(
        [engineer("E1", shifts=[{"start": at("10:00"), "end": at("17:00")}])],
        [job("J1", time_windows=wins)],
    )
    assert "15:00" <= starts(run(p))["J1"] <= "16:00"
    # early shift: the first window is used
    p = problem([engineer("E1")], [job("J1", time_windows=wins)])
    assert "08:00" <= starts(run(p))["J1"] <= "09:00"


# ---------------------------------------------------------------- due and priority
def test_due_lateness_goes_to_the_lower_priority() -> None:
    jobs = [
        job("LOW", km=5, dur=150, due=at("10:30"), priority="low"),
        job("HIGH", km=5, dur=150, due=at("10:30"), priority="high"),
    ]
    plan = run(problem([engineer("E1")], jobs))
    s = starts(plan)
    assert s["HIGH"] < s["LOW"]
    assert s["HIGH"] <= "10:30" < s["LOW"]


def test_due_not_binding_both_on_time() -> None:
    jobs = [job("A", km=5, dur=30, due=at("12:00")), job("B", km=5, dur=30, due=at("12:00"))]
    assert run(problem([engineer("E1")], jobs)).kpis.on_time_pct == 100.0


def test_priority_drops_the_lower_job() -> None:
    short = [{"start": at("08:00"), "end": at("10:00")}]
    for first in ("low", "critical"):
        other = "critical" if first == "low" else "low"
        jobs = [
            job(first.upper(), km=5, dur=90, priority=first),
            job(other.upper(), km=5, dur=90, priority=other),
        ]
        plan = run(problem([engineer("E1", shifts=short)], jobs))
        assert set(where(plan)) == {"CRITICAL"}
        assert reasons(plan) == {"LOW": "capacity"}


def test_one_high_beats_many_low() -> None:
    short = [{"start": at("08:00"), "end": at("10:00")}]
    jobs = [job(f"L{i}", km=5, dur=25, priority="low") for i in range(4)]
    jobs.append(job("H", km=40, dur=30, priority="high"))  # far away: costs all the lows
    plan = run(problem([engineer("E1", shifts=short)], jobs))
    assert "H" in where(plan)


def test_priority_not_binding_all_served() -> None:
    jobs = [job("A", dur=90, priority="low"), job("B", dur=90, priority="critical")]
    assert set(where(run(problem([engineer("E1")], jobs)))) == {"A", "B"}


# ---------------------------------------------------------------- breaks and overtime
def _brk(earliest: str, latest: str, dur: int = 30) -> dict:
    return {"earliest": at(earliest), "latest": at(latest), "duration_min": dur}


def test_break_is_a_stop_inside_its_window() -> None:
    shift = [{"start": at("08:00"), "end": at("17:00"), "breaks": [_brk("12:00", "12:30")]}]
    jobs = [job(f"J{i}", km=3, dur=100) for i in range(4)]
    plan = run(problem([engineer("E1", shifts=shift)], jobs))
    brks = [s for r in plan.routes for s in r.stops if s.type == "break"]
    assert len(brks) == 1
    assert "12:00" <= brks[0].start.strftime("%H:%M") <= "12:30"
    # no job overlaps the break
    for s in plan.routes[0].stops:
        if s.type == "job":
            assert s.end <= brks[0].start or s.start >= brks[0].end


def test_break_after_the_last_job_still_taken() -> None:
    shift = [{"start": at("08:00"), "end": at("17:00"), "breaks": [_brk("15:00", "16:00")]}]
    plan = run(problem([engineer("E1", shifts=shift)], [job("J1", km=3, dur=30)]))
    route = plan.routes[0]
    assert [s.type for s in route.stops] == ["job", "break"]
    assert route.end_time >= route.stops[-1].end


def test_unworked_shift_has_no_route() -> None:
    shift = [{"start": at("08:00"), "end": at("17:00"), "breaks": [_brk("12:00", "12:30")]}]
    plan = run(
        problem(
            [engineer("E1", shifts=shift), engineer("E2")], [job("J1", excluded_engineers=["E1"])]
        )
    )
    assert [r.engineer for r in plan.routes] == ["E2"]


def test_overtime_used_when_allowed() -> None:
    shift = [{"start": at("08:00"), "end": at("10:00"), "max_overtime_min": 60}]
    plan = run(problem([engineer("E1", shifts=shift)], [job("J1", km=5, dur=150)]))
    assert where(plan) == {"J1": "E1"}
    end = plan.routes[0].end_time.strftime("%H:%M")
    assert "10:00" < end <= "11:00"
    assert plan.kpis.overtime_min > 0


def test_no_overtime_allowed_job_does_not_fit() -> None:
    shift = [{"start": at("08:00"), "end": at("10:00")}]
    plan = run(problem([engineer("E1", shifts=shift)], [job("J1", km=5, dur=150)]))
    assert reasons(plan) == {"J1": "no_time_window_fit"}


def test_overtime_avoided_when_not_needed() -> None:
    shift = [{"start": at("08:00"), "end": at("17:00"), "max_overtime_min": 60}]
    plan = run(problem([engineer("E1", shifts=shift)], [job("J1", km=5, dur=150)]))
    assert plan.kpis.overtime_min == 0


# ---------------------------------------------------------------- parts, depots, tools
def test_van_stock_not_over_committed() -> None:
    jobs = [
        job("A", km=3, dur=30, required_parts={"P": 1}),
        job("B", km=4, dur=30, required_parts={"P": 1}),
    ]
    plan = run(problem([engineer("E1", van_stock={"P": 1})], jobs))
    assert len(where(plan)) == 1
    assert list(reasons(plan).values()) == ["capacity"]
    # not binding: two in the van
    plan = run(problem([engineer("E1", van_stock={"P": 2})], jobs))
    assert len(where(plan)) == 2
    assert all(s.type != "depot" for r in plan.routes for s in r.stops)


def _depot(stock: dict, **kw: object) -> dict:
    from tests.dispatch.helpers import east

    d = {"id": "D1", "location": east(2), "stock": stock}
    d.update(kw)
    return d


def test_depot_pickup_before_job_and_shared_stock() -> None:
    engs = [engineer("E1"), engineer("E2")]
    jobs = [
        job("A", km=3, dur=300, required_parts={"P": 1}),
        job("B", km=4, dur=300, required_parts={"P": 1}),
    ]
    plan = run(problem(engs, jobs, [_depot({"P": 1})]))
    assert len(where(plan)) == 1  # one unit for two engineers
    stops = [s for r in plan.routes for s in r.stops]
    assert [s.type for s in stops] == ["depot", "job"]
    assert stops[0].pickup == {"P": 1}
    plan = run(problem(engs, jobs, [_depot({"P": 2})]))
    assert len(where(plan)) == 2


def test_depot_detour_only_when_needed() -> None:
    jobs = [job("A", km=3, dur=30, required_parts={"P": 1})]
    plan = run(problem([engineer("E1", van_stock={"P": 1})], jobs, [_depot({"P": 5})]))
    assert [s.type for s in plan.routes[0].stops] == ["job"]


def test_depot_open_hours_respected() -> None:
    jobs = [job("A", km=3, dur=30, required_parts={"P": 1})]
    hours = {"start": at("13:00"), "end": at("14:00")}
    plan = run(problem([engineer("E1")], jobs, [_depot({"P": 1}, open=hours)]))
    d = plan.routes[0].stops[0]
    assert d.type == "depot" and d.start.strftime("%H:%M") >= "13:00"


def test_tool_picked_up_at_depot() -> None:
    jobs = [job("A", km=3, dur=30, required_tools=["pump"])]
    plan = run(problem([engineer("E1")], jobs, [_depot({}, tools=["pump"])]))
    stops = plan.routes[0].stops
    assert [s.type for s in stops] == ["depot", "job"]
    assert stops[0].pickup_tools == ["pump"]
    # carried: no detour
    plan = run(problem([engineer("E1", tools=["pump"])], jobs, [_depot({}, tools=["pump"])]))
    assert [s.type for s in plan.routes[0].stops] == ["job"]


# ---------------------------------------------------------------- pins and load
def test_pinned_with_start() -> None:
    jobs = [job("A", km=3, dur=30, pinned={"engineer": "E2", "start": at("11:00")})]
    plan = run(problem([engineer("E1"), engineer("E2")], jobs))
    assert where(plan) == {"A": "E2"} and starts(plan) == {"A": "11:00"}


def test_pinned_without_start() -> None:
    jobs = [job("A", km=3, dur=30, pinned={"engineer": "E2"})]
    plan = run(problem([engineer("E1"), engineer("E2", start={"lat": 48.0, "lon": 2.0})], jobs))
    assert where(plan) == {"A": "E2"}


def test_pinned_to_unqualified_engineer() -> None:
    jobs = [job("A", required_skills={"x": 1}, pinned={"engineer": "E1"})]
    plan = run(problem([engineer("E1"), engineer("E2", skills={"x": 1})], jobs))
    assert reasons(plan) == {"A": "pinned_infeasible"}


def test_capacity_load() -> None:
    jobs = [job("A", km=3, dur=30, load=6), job("B", km=4, dur=30, load=6)]
    plan = run(problem([engineer("E1", capacity=10)], jobs))
    assert len(where(plan)) == 1 and list(reasons(plan).values()) == ["capacity"]
    plan = run(problem([engineer("E1", capacity=10), engineer("E2", capacity=10)], jobs))
    assert len(where(plan)) == 2
    plan = run(problem([engineer("E1", capacity=12)], jobs))
    assert len(where(plan)) == 2


def test_depot_stock_reserved_in_large_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above EXACT_STOCK_JOBS jobs stock is granted up front: never over-committed either."""
    monkeypatch.setattr(layout_module, "EXACT_STOCK_JOBS", 0)
    engs = [engineer("E1"), engineer("E2")]
    jobs = [
        job("A", km=3, dur=300, required_parts={"P": 1}, priority="low"),
        job("B", km=4, dur=300, required_parts={"P": 1}, priority="high"),
    ]
    plan = run(problem(engs, jobs, [_depot({"P": 1})]))
    assert set(where(plan)) == {"B"}
    assert reasons(plan) == {"A": "parts_unavailable"}
    plan = run(problem(engs, jobs, [_depot({"P": 2})]))
    assert len(where(plan)) == 2


def test_pinned_job_left_out_is_always_pinned_infeasible() -> None:
    jobs = [job("A", required_parts={"P": 1}, pinned={"engineer": "E1"})]
    plan = run(problem([engineer("E1")], jobs))
    assert reasons(plan) == {"A": "pinned_infeasible"}
