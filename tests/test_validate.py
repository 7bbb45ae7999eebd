"""The validator: valid plans pass; each way of breaking a plan is reported under its rule.

Every row of ``CASES`` takes a valid plan (the contract example or the tiny matrix problem of
``examples.py``), breaks it in exactly one way, and expects exactly that one rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from examples import Json, at, build, example_plan, example_problem, tiny_plan, tiny_problem

from optimizer.validate import Rule, Violation, format_violations, validate

Mutation = Callable[[Json, Json], None]


@dataclass(frozen=True)
class Case:
    """Break the ``base`` plan with ``mutate`` (problem, plan); expect only ``rule``."""

    id: str
    base: str
    rule: Rule
    mutate: Mutation
    refresh_kpis: bool = False


def _set(obj: dict[str, Any], **fields: Any) -> None:
    obj.update(fields)


def _stop(plan: Json, route: int, k: int) -> dict[str, Any]:
    stop: dict[str, Any] = plan["routes"][route]["stops"][k]
    return stop


# ---------------------------------------------------------------- mutations needing steps


def _split_e01_route(pb: Json, pl: Json) -> None:
    """E01's day as two routes for shift 0: J001 from home, then the break and J002."""
    r0 = pl["routes"][0]
    first = {**r0, "end_time": at("09:14"), "distance_km": 5.08, "travel_min": 14}
    first["stops"] = [r0["stops"][0]]
    second = {**r0, "start_time": at("11:00"), "distance_km": 14.84, "travel_min": 36}
    second["stops"] = r0["stops"][1:]
    pl["routes"][0:1] = [first, second]


def _two_shifts_overlapping(pb: Json, pl: Json) -> None:
    """E01 gets a second (overlapping) shift; J002 moves to it while shift 0 still runs."""
    e01 = pb["engineers"][0]
    e01["shifts"].append({"start": at("08:00"), "end": at("17:00")})
    _split_e01_route(pb, pl)
    pl["routes"][0]["end_time"] = at("12:00")  # shift 0 route still out at 12:00
    pl["routes"][1]["shift"] = 1
    pl["routes"][1]["stops"] = pl["routes"][1]["stops"][1:]  # the break stays with shift 0
    pl["routes"][0]["stops"].append({"type": "break", "start": at("11:30"), "end": at("12:00")})
    pl["routes"][1]["travel_min"] = 36


def _duplicate_break(pb: Json, pl: Json) -> None:
    """A second 30-min break stop after the first; J002's arrival moves so both fit."""
    stops = pl["routes"][0]["stops"]
    stops.insert(2, {"type": "break", "start": at("12:00"), "end": at("12:30")})
    stops[3]["arrival"] = at("12:42")


def _break_gap_too_short(pb: Json, pl: Json) -> None:
    """J001 waits until 10:20, ends 11:20; J002 arrival 12:00: 40 min < 12 travel + 30 break."""
    _set(_stop(pl, 0, 0), start=at("10:20"), end=at("11:20"))
    _stop(pl, 0, 2)["arrival"] = at("12:00")


def _overlapping_breaks(pb: Json, pl: Json) -> None:
    """E01 gets a second 10-min break; the two break stops overlap."""
    pb["engineers"][0]["shifts"][0]["breaks"].append(
        {"earliest": at("11:30"), "latest": at("13:30"), "duration_min": 10}
    )
    pl["routes"][0]["stops"].insert(2, {"type": "break", "start": at("11:50"), "end": at("12:00")})


def _tool_picked_up_after_job(pb: Json, pl: Json) -> None:
    """J004 needs a ladder that E02 picks up at D1 only after J004."""
    pb["jobs"][3]["required_tools"] = ["ladder"]
    pb["depots"][0]["tools"] = ["ladder"]
    _stop(pl, 1, 1)["pickup_tools"] = ["ladder"]


def _two_engineers_pick_the_last_part(pb: Json, pl: Json) -> None:
    """E2 has no P in the van and also fetches one at D, which stocks only one."""
    pb["engineers"][1]["van_stock"] = {}
    pb["jobs"][1]["pinned"] = {"engineer": "E2", "start": at("08:30")}
    e2 = pl["routes"][1]
    e2["stops"] = [
        {
            "type": "depot",
            "depot": "D",
            "arrival": at("08:10"),
            "start": at("08:10"),
            "end": at("08:20"),
            "pickup": {"P": 1},
        },
        {
            "type": "job",
            "job": "B",
            "arrival": at("08:30"),
            "start": at("08:30"),
            "end": at("09:00"),
        },
    ]
    _set(e2, end_time=at("09:10"), distance_km=15.0, travel_min=30)


def _empty_route(pb: Json, pl: Json) -> None:
    """A route for a second E01 shift the next day that does nothing."""
    pb["engineers"][0]["shifts"].append({"start": at("08:00", 25), "end": at("17:00", 25)})
    pl["routes"].append(
        {
            "engineer": "E01",
            "shift": 1,
            "start_time": at("08:00", 25),
            "end_time": at("08:00", 25),
            "distance_km": 0,
            "travel_min": 0,
            "stops": [],
        }
    )


# ---------------------------------------------------------------- the table

CASES = [
    # plan.problem_id names another problem
    Case("problem_id", "example", Rule.PROBLEM_ID, lambda pb, pl: _set(pl, problem_id="x")),
    # 1. J005 is neither on a route nor unassigned
    Case("drop_job", "example", Rule.NOTHING_LOST, lambda pb, pl: _set(pl, unassigned=[])),
    # 1. J001 is on E01's route and also unassigned
    Case(
        "duplicate_job",
        "example",
        Rule.NOTHING_LOST,
        lambda pb, pl: pl["unassigned"].append({"job": "J001", "reason": "capacity"}),
    ),
    # 1. an unassigned entry names a job the problem does not have
    Case(
        "unknown_job",
        "example",
        Rule.NOTHING_LOST,
        lambda pb, pl: pl["unassigned"].append({"job": "J999", "reason": "capacity"}),
    ),
    # 2. the second route names engineer E99
    Case(
        "unknown_engineer",
        "example",
        Rule.ROUTE_IDENTITY,
        lambda pb, pl: _set(pl["routes"][1], engineer="E99"),
    ),
    # 2. E02 has one shift; the route says shift 1
    Case(
        "shift_out_of_range",
        "example",
        Rule.ROUTE_IDENTITY,
        lambda pb, pl: _set(pl["routes"][1], shift=1),
    ),
    # 2. E01 shift 0 split into two routes (times, totals and KPIs all consistent)
    Case("two_routes_one_shift", "example", Rule.ROUTE_IDENTITY, _split_e01_route, True),
    # 2. a route that does no work
    Case("route_without_work", "example", Rule.ROUTE_IDENTITY, _empty_route, True),
    # 3. E01's hvac drops to level 1; J001 needs level 2
    Case(
        "unqualified",
        "example",
        Rule.SKILLS,
        lambda pb, pl: pb["engineers"][0]["skills"].update(hvac=1),
    ),
    # 3. J002 excludes E01, who does it
    Case(
        "excluded",
        "example",
        Rule.SKILLS,
        lambda pb, pl: _set(pb["jobs"][1], excluded_engineers=["E01"]),
    ),
    # 4. E02 leaves at 08:30; the shift starts 09:00
    Case(
        "start_before_shift",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(pl["routes"][1], start_time=at("08:30")),
    ),
    # 4. E02 arrives at D1 10:20, but J004 ends 10:12 and the leg takes 13 min
    Case(
        "arrival_before_travel",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(_stop(pl, 1, 1), arrival=at("10:20")),
    ),
    # 4. J003 starts 10:40, its arrival is 10:44 (end moved along)
    Case(
        "start_before_arrival",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(_stop(pl, 1, 2), start=at("10:40"), end=at("12:10")),
    ),
    # 4. J002 starts 12:30; its only window opens 13:00
    Case(
        "start_outside_windows",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(_stop(pl, 0, 2), start=at("12:30"), end=at("13:15")),
    ),
    # 4. J004 lasts 60 min but ends 53 min after its start
    Case(
        "end_not_start_plus_duration",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(_stop(pl, 1, 0), end=at("10:05")),
    ),
    # 4. E02 returns 18:10; shift ends 18:00 with no overtime allowed
    Case(
        "late_return",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(pl["routes"][1], end_time=at("18:10")),
        True,
    ),
    # 4. E01 ends 13:55; J002 ends 13:45 and the way home takes 18 min
    Case(
        "end_time_too_early",
        "example",
        Rule.TIME,
        lambda pb, pl: _set(pl["routes"][0], end_time=at("13:55")),
    ),
    # 4. stops overlap: a second break starts before the first ends
    Case("overlapping_stops", "example", Rule.TIME, _overlapping_breaks),
    # 4. two routes of one engineer overlap in time (two overlapping shifts)
    Case("engineer_in_two_places", "example", Rule.TIME, _two_shifts_overlapping, True),
    # 4. E01's break stop is removed
    Case(
        "break_missing",
        "example",
        Rule.BREAKS,
        lambda pb, pl: pl["routes"][0]["stops"].pop(1),
    ),
    # 4. E01 takes the break twice
    Case("break_duplicated", "example", Rule.BREAKS, _duplicate_break),
    # 4. the break starts 11:00; it may start only in [11:30, 13:30]
    Case(
        "break_outside_window",
        "example",
        Rule.BREAKS,
        lambda pb, pl: _set(_stop(pl, 0, 1), start=at("11:00"), end=at("11:30")),
    ),
    # 4. the break 11:50-12:20 runs past J002's arrival 12:12
    Case(
        "break_outside_gap",
        "example",
        Rule.BREAKS,
        lambda pb, pl: _set(_stop(pl, 0, 1), start=at("11:50"), end=at("12:20")),
    ),
    # 4. the gap holds the break but not the break plus the travel
    Case("break_gap_too_short", "example", Rule.BREAKS, _break_gap_too_short),
    # 4. the break lasts 20 min; the shift's break is 30 min
    Case(
        "break_wrong_length",
        "example",
        Rule.BREAKS,
        lambda pb, pl: _set(_stop(pl, 0, 1), end=at("11:50")),
    ),
    # 5. E01's van has no P-1001 for J001
    Case(
        "van_parts_negative",
        "example",
        Rule.PARTS,
        lambda pb, pl: _set(pb["engineers"][0], van_stock={}),
    ),
    # 5. E2 picks up P at D after E1 took D's only one
    Case("depot_overcommitted", "tiny", Rule.PARTS, _two_engineers_pick_the_last_part, True),
    # 5. E02 also picks up a P-1001 at D1, which has none
    Case(
        "depot_part_not_stocked",
        "example",
        Rule.PARTS,
        lambda pb, pl: _stop(pl, 1, 1)["pickup"].update({"P-1001": 1}),
    ),
    # 5. D1 opens 11:00; E02 is there 10:25-10:35
    Case(
        "depot_closed",
        "example",
        Rule.PARTS,
        lambda pb, pl: _set(pb["depots"][0], open={"start": at("11:00"), "end": at("19:00")}),
    ),
    # 5. J003 needs a ladder; E02 has none and picks none up
    Case(
        "tool_missing",
        "example",
        Rule.TOOLS,
        lambda pb, pl: _set(pb["jobs"][2], required_tools=["ladder"]),
    ),
    # 5. J004 needs a ladder that E02 picks up at D1 only later
    Case("tool_picked_up_too_late", "example", Rule.TOOLS, _tool_picked_up_after_job),
    # 5. E02 picks up a ladder at D1, which has no tools
    Case(
        "tool_not_at_depot",
        "example",
        Rule.TOOLS,
        lambda pb, pl: _set(_stop(pl, 1, 1), pickup_tools=["ladder"]),
    ),
    # 5. job A's load grows to 4; E1's capacity is 3
    Case("load_over_capacity", "tiny", Rule.LOAD, lambda pb, pl: _set(pb["jobs"][0], load=4)),
    # 6. J003 pinned to E01, done by E02
    Case(
        "pinned_other_engineer",
        "example",
        Rule.PINNED,
        lambda pb, pl: _set(pb["jobs"][2], pinned={"engineer": "E01"}),
    ),
    # 6. J003 pinned to E02 at 10:50, starts 10:44
    Case(
        "pinned_other_start",
        "example",
        Rule.PINNED,
        lambda pb, pl: _set(pb["jobs"][2], pinned={"engineer": "E02", "start": at("10:50")}),
    ),
    # 6. J005 pinned to E01 but unassigned as no_qualified_engineer
    Case(
        "pinned_wrong_reason",
        "example",
        Rule.PINNED,
        lambda pb, pl: _set(pb["jobs"][4], pinned={"engineer": "E01"}),
    ),
    # 6. J005 is not pinned but unassigned as pinned_infeasible
    Case(
        "not_pinned_but_pinned_reason",
        "example",
        Rule.PINNED,
        lambda pb, pl: _set(pl["unassigned"][0], reason="pinned_infeasible"),
    ),
    # 7. E01's distance_km 15.5, its legs give 14.84 (KPIs follow the routes)
    Case(
        "route_distance",
        "example",
        Rule.TOTALS,
        lambda pb, pl: _set(pl["routes"][0], distance_km=15.5),
        True,
    ),
    # 7. E02's travel_min 45, its legs give 41
    Case(
        "route_travel",
        "example",
        Rule.TOTALS,
        lambda pb, pl: _set(pl["routes"][1], travel_min=45),
        True,
    ),
    # 7. kpis.work_min 200, the jobs give 255
    Case("kpi_work", "example", Rule.KPIS, lambda pb, pl: _set(pl["kpis"], work_min=200)),
    # 7. kpis.utilisation_pct 35, the routes give 31.8
    Case(
        "kpi_utilisation",
        "example",
        Rule.KPIS,
        lambda pb, pl: _set(pl["kpis"], utilisation_pct=35.0),
    ),
    # 7. kpis.jobs_unassigned 2, there is 1
    Case("kpi_counts", "example", Rule.KPIS, lambda pb, pl: _set(pl["kpis"], jobs_unassigned=2)),
]


# What each case's messages must name (the ids and numbers that locate the fault).
MENTIONS = {
    "problem_id": "'x'",
    "drop_job": "'J005' is lost",
    "duplicate_job": "'J001' appears 2 times",
    "unknown_job": "'J999'",
    "unknown_engineer": "'E99'",
    "shift_out_of_range": "no shift index 1",
    "two_routes_one_shift": "already has route 0",
    "route_without_work": "does no work",
    "unqualified": "hvac level 2 (has 1)",
    "excluded": "'J002' excludes engineer 'E01'",
    "start_before_shift": "before shift start",
    "arrival_before_travel": "travel 13 min",
    "start_before_arrival": "before its arrival",
    "start_outside_windows": "outside every time window",
    "end_not_start_plus_duration": "+ 60 min",
    "late_return": "max_overtime 0 min",
    "end_time_too_early": "travel 18 min",
    "overlapping_stops": "overlaps",
    "engineer_in_two_places": "two places",
    "break_missing": "does not appear",
    "break_duplicated": "already taken",
    "break_outside_window": "should be break 0",
    "break_outside_gap": "not inside its gap",
    "break_gap_too_short": "cannot hold travel 12 min plus break(s) 30 min",
    "break_wrong_length": "(20 min) should be break 0",
    "van_parts_negative": "needs 1 x 'P-1001'",
    "depot_overcommitted": "2 x 'P' picked up (E1 1, E2 1) but its stock is 1",
    "depot_part_not_stocked": "'P-1001'",
    "depot_closed": "outside its open hours",
    "tool_missing": "['ladder']",
    "tool_picked_up_too_late": "'J004' needs tool(s) ['ladder']",
    "tool_not_at_depot": "which does not have it",
    "load_over_capacity": "adds up to 4",
    "pinned_other_engineer": "pinned to engineer 'E01'",
    "pinned_other_start": "starts at 2026-11-24 10:44",
    "pinned_wrong_reason": "'no_qualified_engineer'",
    "not_pinned_but_pinned_reason": "is not pinned",
    "route_distance": "14.84 km",
    "route_travel": "41 min",
    "kpi_work": "kpis.work_min",
    "kpi_utilisation": "31.8",
    "kpi_counts": "kpis.jobs_unassigned",
}


def _base(name: str) -> tuple[Json, Json]:
    return (
        (example_problem(), example_plan()) if name == "example" else (tiny_problem(), tiny_plan())
    )


def _validate(base: str, mutate: Mutation | None = None, refresh: bool = False) -> list[Violation]:
    pb, pl = _base(base)
    if mutate is not None:
        mutate(pb, pl)
    return validate(*build(pb, pl, refresh_kpis=refresh or base == "tiny"))


@pytest.mark.parametrize("base", ["example", "tiny"])
def test_valid_plans_have_no_violation(base: str) -> None:
    violations = _validate(base)
    assert violations == [], format_violations(violations)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_break_is_reported_under_its_rule(case: Case) -> None:
    violations = _validate(case.base, case.mutate, case.refresh_kpis)
    assert violations, f"{case.id}: not detected"
    assert {v.rule for v in violations} == {case.rule}, format_violations(violations)
    assert any(MENTIONS[case.id] in v.message for v in violations), format_violations(violations)


def test_every_case_says_what_its_message_names() -> None:
    assert set(MENTIONS) == {c.id for c in CASES}


# ---------------------------------------------------------------- beyond one rule at a time


def _two_day_tiny(pickup_day: int, job_day: int) -> tuple[Json, Json]:
    """Tiny, with E1 working two days: the depot visit on one day, job A on another."""
    pb, pl = tiny_problem(), tiny_plan()
    pb["engineers"][0]["shifts"].append({"start": at("08:00", 25), "end": at("12:00", 25)})
    e1 = pl["routes"][0]
    depot, job = e1["stops"]
    day = {24: 0, 25: 1}

    def route(stop: dict[str, Any], d: int) -> Json:
        moved = {
            k: v.replace("-24T", f"-{d}T") if isinstance(v, str) else v for k, v in stop.items()
        }
        end = moved["end"]
        return {
            "engineer": "E1",
            "shift": day[d],
            "start_time": at("08:00", d),
            "end_time": end[:11] + f"{int(end[11:13]):02d}:{int(end[14:16]) + 10:02d}" + end[16:],
            "distance_km": 10.0,
            "travel_min": 20,
            "stops": [moved],
        }

    depot = {**depot, "arrival": at("08:10"), "start": at("08:10"), "end": at("08:20")}
    job = {**job, "arrival": at("08:10"), "start": at("08:10"), "end": at("08:40")}
    pl["routes"][0:1] = [route(depot, pickup_day), route(job, job_day)]
    pl["routes"].sort(key=lambda r: r["start_time"])
    return pb, pl


def test_parts_and_tools_carry_over_to_a_later_shift() -> None:
    """Picked up on the 24th, used on the 25th: van stock and tools follow the engineer."""
    pb, pl = _two_day_tiny(pickup_day=24, job_day=25)
    violations = validate(*build(pb, pl, refresh_kpis=True))
    assert violations == [], format_violations(violations)


def test_parts_and_tools_picked_up_the_day_after_are_too_late() -> None:
    """Used on the 24th, picked up on the 25th: both the part and the ladder are missing."""
    pb, pl = _two_day_tiny(pickup_day=25, job_day=24)
    violations = validate(*build(pb, pl, refresh_kpis=True))
    assert {v.rule for v in violations} == {Rule.PARTS, Rule.TOOLS}, format_violations(violations)


def test_all_violations_are_reported_with_where() -> None:
    """Three independent mistakes give three violations, each locating its stop and job."""
    pb, pl = example_problem(), example_plan()
    pl["unassigned"] = []  # J005 lost
    _set(_stop(pl, 1, 2), start=at("10:40"), end=at("12:10"))  # J003 before its arrival
    pb["jobs"][1]["excluded_engineers"] = ["E01"]  # J002 excludes E01
    violations = validate(*build(pb, pl))
    by_rule = {v.rule: v for v in violations}
    assert set(by_rule) == {Rule.NOTHING_LOST, Rule.TIME, Rule.SKILLS}
    assert len(violations) == 3
    assert by_rule[Rule.TIME].route == 1 and by_rule[Rule.TIME].stop == 2
    assert by_rule[Rule.TIME].engineer == "E02"
    assert by_rule[Rule.SKILLS].job == "J002" and by_rule[Rule.SKILLS].stop == 2
    assert by_rule[Rule.NOTHING_LOST].job == "J005"
    text = format_violations(violations)
    assert text.startswith("3 violations:")
    lines = text.splitlines()[1:]
    assert [line.split("]")[0] for line in lines] == [
        "  - [nothing_lost",
        "  - [skills",
        "  - [time",
    ]


def test_format_of_a_valid_plan() -> None:
    assert format_violations([]) == "plan is valid: no violations"


@pytest.mark.parametrize(
    ("end_time", "valid"),
    [
        ("2026-11-24T14:03:00+08:00", True),  # exactly J002 end 13:45 + 18 min
        ("2026-11-24T14:02:59+08:00", True),  # 1 s early: rounding, allowed
        ("2026-11-24T14:02:58+08:00", False),  # 2 s early: not rounding any more
        ("2026-11-24T14:02:00+08:00", False),  # a minute early
    ],
)
def test_time_tolerance_is_one_second(end_time: str, valid: bool) -> None:
    pb, pl = example_problem(), example_plan()
    pl["routes"][0]["end_time"] = end_time
    violations = validate(*build(pb, pl))
    assert (violations == []) is valid, format_violations(violations)


@pytest.mark.parametrize(
    ("distance_km", "valid"),
    [
        (14.84, True),  # the legs: 14.842 km
        (14.85, True),  # within 0.01 km
        (14.86, False),  # 0.018 km off
    ],
)
def test_distance_tolerance_is_a_hundredth_km(distance_km: float, valid: bool) -> None:
    pb, pl = example_problem(), example_plan()
    pl["routes"][0]["distance_km"] = distance_km
    violations = validate(*build(pb, pl, refresh_kpis=True))
    assert (violations == []) is valid, format_violations(violations)


def test_the_example_end_time_may_be_later_than_the_earliest_return() -> None:
    """E02 could be home at 12:21 but the example says 12:51: like arrival, end_time may wait."""
    pb, pl = example_problem(), example_plan()
    assert pl["routes"][1]["end_time"] == at("12:51")
    pl["routes"][1]["end_time"] = at("12:21")
    assert validate(*build(pb, pl)) == []
    pl["routes"][1]["end_time"] = at("12:20")
    assert {v.rule for v in validate(*build(pb, pl))} == {Rule.TIME}
