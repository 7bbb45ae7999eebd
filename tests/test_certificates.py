"""Certified skills (``certified_until``): a skill does not count after its date.

Each place that reads the rule is checked on one small two-day problem: the models and the
CSV short form, the validator (by the job's local start date), the solver and its pre-solve
diagnosis, the insertion board (re-optimisation), and ``explain``'s renewal relaxation.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from optimizer.batch.inputs import read_data_dir_problem, write_problem_tables
from optimizer.cli import main
from optimizer.compile import compile_problem
from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.solve import solve
from optimizer.dispatcher.events import Events
from optimizer.dispatcher.explain import explain_plan
from optimizer.dispatcher.reoptimize import reoptimize
from optimizer.dispatcher.slots import offer_slots
from optimizer.errors import InputError
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.kpis import compute_kpis
from optimizer.models import (
    Job,
    Plan,
    Problem,
    UnassignedReason,
    parse_certificates,
    parse_skill_levels,
)
from optimizer.scenario.apply import change_skills
from optimizer.scenario.data import ScenarioData
from optimizer.scenario.models import ChangeSkills
from optimizer.travel import travel_matrix
from optimizer.validate import Rule, validate

Json = dict[str, Any]
FAST = SolveOptions(max_solutions=200, time_limit_s=5)


def t(day: int, hhmm: str) -> str:
    return f"2026-11-{day:02d}T{hhmm}:00+08:00"


def shift(day: int) -> Json:
    return {"start": t(day, "08:00"), "end": t(day, "17:00")}


def window(day: int, a: str = "08:00", b: str = "16:00") -> list[Json]:
    return [{"start": t(day, a), "end": t(day, b)}]


def two_day_problem(**e1: Any) -> Json:
    """E1 holds gas, certified until 2026-11-24 (the first of two days); E2 has no gas."""
    base = {"lat": 31.23, "lon": 121.47}
    near = {"lat": 31.24, "lon": 121.48}
    return {
        "id": "certs",
        "travel": {"model": "haversine", "speed_kmh": 30, "circuity": 1.3},
        "engineers": [
            {"id": "E1", "start": base, "shifts": [shift(24), shift(25)],
             "skills": {"gas": 2, "hvac": 1}, "certified_until": {"gas": "2026-11-24"}, **e1},
            {"id": "E2", "start": base, "shifts": [shift(24), shift(25)], "skills": {"hvac": 1}},
        ],
        "jobs": [
            {"id": "G-DAY1", "location": near, "duration_min": 60,
             "required_skills": {"gas": 1}, "time_windows": window(24)},
            {"id": "G-DAY2", "location": near, "duration_min": 60,
             "required_skills": {"gas": 1}, "time_windows": window(25)},
            {"id": "G-EITHER", "location": near, "duration_min": 60,
             "required_skills": {"gas": 1}, "time_windows": window(24) + window(25)},
            {"id": "H-DAY2", "location": near, "duration_min": 30,
             "required_skills": {"hvac": 1}, "time_windows": window(25)},
        ],
    }


def starts(plan: Plan) -> dict[str, tuple[str, str]]:
    return {s.job: (r.engineer, s.start.isoformat()) for r in plan.routes for s in r.stops
            if s.type == "job"}


# ----------------------------------------------------------------------------- models


def test_parsers_read_the_csv_short_forms() -> None:
    assert parse_certificates(" gas:2026-12-31; hvac:2027-01-15 ;") == {
        "gas": date(2026, 12, 31), "hvac": date(2027, 1, 15)}
    assert parse_skill_levels("hvac:2;electrical:1") == {"hvac": 2, "electrical": 1}
    for bad, says in [("gas", "expected 'name:YYYY-MM-DD'"), ("gas:2026-13-01", "not a date"),
                      ("gas:20261231", "not a date"), ("gas:2026-12-01;gas:2027-01-01", "twice")]:
        with pytest.raises(ValueError, match=says):
            parse_certificates(bad)
    with pytest.raises(ValueError, match="whole number >= 1"):
        parse_skill_levels("hvac:0")


def test_a_certificate_for_a_skill_not_held_is_an_error() -> None:
    data = two_day_problem(certified_until={"Gas": "2026-11-24"})
    with pytest.raises(ValidationError, match="'Gas' not among the engineer's skills"):
        Problem.model_validate(data)


def test_the_schema_shows_certified_until(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "problem"]) == 0
    schema = json.loads(capsys.readouterr().out)
    prop = schema["$defs"]["Engineer"]["properties"]["certified_until"]
    assert prop["additionalProperties"]["format"] == "date"
    assert "local calendar" in prop["description"]


# ----------------------------------------------------------------------------- validator


def one_route_plan(problem: Problem, job: str, start: str, shift_index: int = 1) -> Plan:
    """E1 does ``job`` alone at ``start`` in ``shift_index``; every other job unassigned."""
    c = compile_problem(problem)
    board, _ = greedy_plan_routes(c, order=[])
    plan = board_plan(board, [i for i in range(c.n_jobs) if c.job_ids[i] != job],
                      status="test", wall_s=0.0)
    j = problem.job(job)
    e1 = problem.engineer("E1")
    leg = travel_matrix(problem.travel, [e1.start, j.location])
    go, km = int(leg.minutes[0, 1]), float(leg.km[0, 1])
    st = datetime.fromisoformat(start)
    route = {"engineer": "E1", "shift": shift_index,
             "start_time": (st - timedelta(minutes=go)).isoformat(),
             "end_time": (st + timedelta(minutes=j.duration_min + go)).isoformat(),
             "distance_km": 2 * km, "travel_min": 2 * go,
             "stops": [{"type": "job", "job": job, "arrival": start, "start": start,
                        "end": (st + timedelta(minutes=j.duration_min)).isoformat()}]}
    data = plan.model_dump(mode="json")
    data["routes"] = [route]
    p = Plan.model_validate(data)
    return p.model_copy(update={"kpis": compute_kpis(problem, p.routes, p.unassigned)})


def test_validator_counts_the_local_start_date() -> None:
    problem = Problem.model_validate(two_day_problem())
    ok = one_route_plan(problem, "G-EITHER", t(24, "10:00"), shift_index=0)
    assert validate(problem, ok) == []
    late = one_route_plan(problem, "G-EITHER", t(25, "10:00"), shift_index=1)
    bad = validate(problem, late)
    assert [v.rule for v in bad] == [Rule.SKILLS]
    assert "starts on 2026-11-25 (local)" in bad[0].message
    assert "E1's gas certificate lapsed (certified until 2026-11-24)" in bad[0].message


def test_validator_reads_dates_in_the_problems_offset_not_utc() -> None:
    # 2026-11-25T01:00+08:00 is still 2026-11-24 in UTC: the local date (the 25th) counts.
    data = two_day_problem()
    data["engineers"][0]["shifts"] = [{"start": t(24, "08:00"), "end": t(25, "03:00")}]
    data["jobs"][2]["time_windows"] = [{"start": t(24, "08:00"), "end": t(25, "02:00")}]
    problem = Problem.model_validate(data)
    late = one_route_plan(problem, "G-EITHER", "2026-11-24T17:00:00+00:00", shift_index=0)
    assert [v.rule for v in validate(problem, late)] == [Rule.SKILLS]
    before = one_route_plan(problem, "G-EITHER", "2026-11-24T15:30:00+00:00", shift_index=0)
    assert validate(problem, before) == []  # 23:30 local on the 24th


def test_a_skill_without_certificate_always_counts() -> None:
    problem = Problem.model_validate(two_day_problem(certified_until={}))
    plan = one_route_plan(problem, "G-DAY2", t(25, "10:00"))
    assert validate(problem, plan) == []


# ----------------------------------------------------------------------------- solver


def test_solver_uses_the_certificate_only_while_it_counts() -> None:
    problem = Problem.model_validate(two_day_problem())
    plan = solve(problem, FAST)
    assert validate(problem, plan) == []
    where = starts(plan)
    assert where["G-DAY1"][0] == "E1" and where["G-DAY1"][1].startswith("2026-11-24")
    assert where["G-EITHER"][0] == "E1" and where["G-EITHER"][1].startswith("2026-11-24")
    assert "H-DAY2" in where
    un = {u.job: u for u in plan.unassigned}
    assert set(un) == {"G-DAY2"}
    assert un["G-DAY2"].reason == UnassignedReason.NO_QUALIFIED_ENGINEER
    assert un["G-DAY2"].detail == (
        "needs gas level 1; E1 is not certified on the job's day (2026-11-25): "
        "E1's gas certificate lapsed (certified until 2026-11-24)")


def test_renewed_certificate_places_the_job() -> None:
    problem = Problem.model_validate(two_day_problem(certified_until={"gas": "2026-11-25"}))
    plan = solve(problem, FAST)
    assert validate(problem, plan) == []
    assert plan.unassigned == []


def test_a_pin_to_a_lapsed_engineer_is_pinned_infeasible() -> None:
    data = two_day_problem()
    data["engineers"].append({"id": "E3", "start": data["engineers"][0]["start"],
                              "shifts": [shift(25)], "skills": {"gas": 1}})
    data["jobs"][1]["pinned"] = {"engineer": "E1"}
    data["jobs"].append({**data["jobs"][1], "id": "G-DAY2-FREE", "pinned": None})
    problem = Problem.model_validate(data)
    plan = solve(problem, FAST)
    assert validate(problem, plan) == []
    un = {u.job: u for u in plan.unassigned}
    assert un["G-DAY2"].reason == UnassignedReason.PINNED_INFEASIBLE
    assert un["G-DAY2"].detail.startswith("pinned to E1: needs gas level 1; E1 is not certified")
    assert starts(plan)["G-DAY2-FREE"][0] == "E3"  # the certified engineer takes the other


def test_a_shift_running_past_the_certificate_counts_it_only_before_midnight() -> None:
    # E1's only shift runs from the certificate's last day into the next. The routing model
    # cannot give a job a deadline per engineer, so it does not count the skill on that shift
    # (conservative); the repair may still place a job before midnight. After midnight: never.
    data = two_day_problem()
    data["engineers"][0]["shifts"] = [{"start": t(24, "20:00"), "end": t(25, "04:00")}]
    either = {"start": t(24, "20:00"), "end": t(25, "02:00")}
    after = {"start": t(25, "00:30"), "end": t(25, "02:00")}
    data["jobs"] = [{**data["jobs"][0], "id": "EITHER", "time_windows": [either]},
                    {**data["jobs"][0], "id": "AFTER", "time_windows": [after]}]
    problem = Problem.model_validate(data)
    c = compile_problem(problem)
    assert c.qualified[0].tolist() == [True, False] and not c.qualified_shift.any()
    plan = solve(problem, FAST)
    assert validate(problem, plan) == []
    assert [(u.job, u.reason) for u in plan.unassigned if u.job == "AFTER"] == [
        ("AFTER", UnassignedReason.NO_QUALIFIED_ENGINEER)]
    for _engineer, start in starts(plan).values():
        assert start < t(25, "00:00")


def test_insertion_board_respects_the_date_exactly() -> None:
    problem = Problem.model_validate(two_day_problem())
    c = compile_problem(problem)
    board, left = greedy_plan_routes(c)
    plan = board_plan(board, left, status="greedy", wall_s=0.0)
    assert validate(problem, plan) == []
    assert [(u.job, u.reason) for u in plan.unassigned] == [
        ("G-DAY2", UnassignedReason.NO_QUALIFIED_ENGINEER)]
    assert starts(plan)["G-EITHER"][1].startswith("2026-11-24")


# ----------------------------------------------------------------------------- explain


def test_explain_suggests_renewing_the_certificate(tmp_path) -> None:
    problem = Problem.model_validate(two_day_problem())
    plan = solve(problem, FAST)
    out = explain_plan(problem, plan)
    (u,) = out.unassigned
    best = u.relaxations[0]
    assert best.kind == "certificate"
    assert best.description == ("renew E1's gas certificate (certified gas until 2026-11-24; "
                                "the job would start 2026-11-25)")
    assert best.engineer == "E1" and best.skills == ["gas"]
    assert "cheapest fix: renew E1's gas certificate" in u.detail
    # and through the CLI, as the dispatcher runs it
    (tmp_path / "p.json").write_text(problem.model_dump_json())
    (tmp_path / "plan.json").write_text(plan.model_dump_json())
    assert main(["explain", str(tmp_path / "p.json"), str(tmp_path / "plan.json"),
                 "-o", str(tmp_path / "out.json")]) == 0
    explained = json.loads((tmp_path / "out.json").read_text())
    assert explained["unassigned"][0]["relaxations"][0]["kind"] == "certificate"


# ----------------------------------------------------------------------------- tables


def test_nightly_tables_read_the_short_form(tmp_path) -> None:
    data = two_day_problem()
    data["depots"] = [{"id": "D1", "location": {"lat": 31.2, "lon": 121.4}}]
    problem = Problem.model_validate(data)
    write_problem_tables(problem, tmp_path)
    frame = pd.read_csv(tmp_path / "engineers.csv")
    frame["certified_until"] = ["gas:2026-11-24", ""]
    frame.to_csv(tmp_path / "engineers.csv", index=False)
    assert read_data_dir_problem(tmp_path) == problem
    frame["certified_until"] = ["gas:2026-11-31", ""]
    frame.to_csv(tmp_path / "engineers.csv", index=False)
    with pytest.raises(InputError, match=r"engineers.csv.*certified_until.*gas:2026-11-31: not a "
                       "date"):
        read_data_dir_problem(tmp_path)


def test_a_certificate_to_the_end_of_the_calendar_counts_for_ever() -> None:
    problem = Problem.model_validate(two_day_problem(certified_until={"gas": "9999-12-31"}))
    plan = solve(problem, FAST)
    assert validate(problem, plan) == [] and plan.unassigned == []


# ----------------------------------------------------------------------------- re-optimisation


def test_reoptimisation_does_not_put_a_new_job_on_a_lapsed_certificate() -> None:
    problem = Problem.model_validate(two_day_problem())
    plan = solve(problem, FAST)
    near = problem.jobs[0].location.model_dump()
    events = Events.model_validate({"now": t(24, "09:00"), "events": [
        {"type": "job_added", "job": {"id": "NEW-DAY2", "location": near, "duration_min": 30,
                                      "required_skills": {"gas": 1},
                                      "time_windows": window(25)}},
        {"type": "job_added", "job": {"id": "NEW-DAY1", "location": near, "duration_min": 30,
                                      "required_skills": {"gas": 1},
                                      "time_windows": window(24, "12:00", "16:00")}}]})
    after, new_plan, _diff = reoptimize(problem, plan, events)
    assert validate(after, new_plan) == []
    where = starts(new_plan)
    assert where["NEW-DAY1"][0] == "E1"
    un = {u.job: u.reason for u in new_plan.unassigned}
    assert un["NEW-DAY2"] == UnassignedReason.NO_QUALIFIED_ENGINEER


def test_a_scenario_removing_a_skill_drops_its_certificate() -> None:
    problem = Problem.model_validate(two_day_problem())
    change = ChangeSkills(type="change_skills", engineers=["E1"], remove=["gas"])
    after = change_skills(ScenarioData(problem=problem), change, problem).problem
    e1 = after.engineer("E1")
    assert "gas" not in e1.skills and e1.certified_until == {}
    Problem.model_validate(after.model_dump(mode="json"))  # still a valid problem


def test_slots_are_offered_only_while_the_certificate_counts() -> None:
    problem = Problem.model_validate(two_day_problem())
    plan = solve(problem, FAST)
    call = Job.model_validate({"id": "CALL", "location": {"lat": 31.24, "lon": 121.48},
                               "duration_min": 30, "required_skills": {"gas": 1}})
    offers = offer_slots(problem, plan, call, days=2, slot_min=120)
    assert offers and {o.engineer for o in offers} == {"E1"}
    assert {o.planned_start.date().isoformat() for o in offers} == {"2026-11-24"}
    renewed = Problem.model_validate(two_day_problem(certified_until={"gas": "2026-11-25"}))
    days = {o.planned_start.date().isoformat()
            for o in offer_slots(renewed, solve(renewed, FAST), call, days=2, slot_min=120)}
    assert days == {"2026-11-24", "2026-11-25"}
