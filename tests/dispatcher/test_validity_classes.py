"""Hand-built regressions, one per class of invalid plan the validity sweep found.

A matrix travel model (15 min between any two distinct points) fixes every leg to the minute.
"""

from __future__ import annotations

from datetime import timedelta

from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.kpis import compute_kpis
from optimizer.models import (
    DepotStop,
    JobStop,
    Location,
    Plan,
    Problem,
    Route,
    SolverInfo,
    Stop,
    Unassigned,
)
from optimizer.travel import travel_matrix
from optimizer.validate import format_violations, validate

from .handbuilt import LEG, events_at, hhmm, matrix_travel, point

REPAIR = ReoptimizeOptions(solver_time_s=0)


def _problem(jobs: dict[str, dict], *, e2_skills: dict | None = None, van: dict | None = None,
             depot: bool = False, end: str = "18:00") -> Problem:
    """E1 (skill s) and E2 (``e2_skills``) at H, 09:00-``end``, no overtime; depot at D."""
    travel = matrix_travel()
    shift = [{"start": hhmm("09:00").isoformat(), "end": hhmm(end).isoformat(), "breaks": []}]
    engs = [{"id": "E1", "start": point("H"), "skills": {"s": 1}, "shifts": shift,
             "van_stock": van or {}},
            {"id": "E2", "start": point("H"), "skills": e2_skills or {}, "shifts": shift}]
    js = [{"id": jid, "location": point(jid), "priority": "normal", "kind": "repair",
           "time_windows": [], "required_skills": {"s": 1}, **spec}
          for jid, spec in jobs.items()]
    depots = [{"id": "DEP", "location": point("D"), "stock": {"P": 5},
               "open": {"start": hhmm("08:00").isoformat(), "end": hhmm("19:00").isoformat()},
               "pickup_min": 10}] if depot else []
    return Problem.model_validate({"id": "hand", "travel": travel, "engineers": engs,
                                   "jobs": js, "depots": depots})


def _plan(problem: Problem, stops: list[Stop]) -> Plan:
    """E1's route over ``stops``; asserted valid."""
    where = {"DEP": "D"}
    locs = [Location(**point(p)) for p in
            ["H", *[s.job if isinstance(s, JobStop) else where[s.depot] for s in stops], "H"]]
    tm = travel_matrix(problem.travel, locs)
    idx = range(len(locs) - 1)
    route = Route(engineer="E1", shift=0, start_time=hhmm("09:00"),
                  end_time=stops[-1].end + timedelta(minutes=LEG),
                  distance_km=float(sum(tm.km[i, i + 1] for i in idx)),
                  travel_min=float(sum(tm.minutes[i, i + 1] for i in idx)), stops=stops)
    on = {s.job for s in stops if isinstance(s, JobStop)}
    un = [Unassigned(job=j.id, reason="capacity") for j in problem.jobs if j.id not in on]
    plan = Plan(problem_id=problem.id, routes=[route], unassigned=un,
                kpis=compute_kpis(problem, [route], un),
                solver=SolverInfo(status="hand", wall_s=0.0))
    assert not validate(problem, plan), format_violations(validate(problem, plan))
    return plan


def _job(jid: str, start: str, end: str) -> JobStop:
    return JobStop(job=jid, arrival=hhmm(start), start=hhmm(start), end=hhmm(end))


def _valid(after: Problem, plan: Plan) -> None:
    assert not validate(after, plan), format_violations(validate(after, plan))


def test_job_started_by_an_unqualified_engineer_describes_what_happened():
    """Class skills: E2 (no skill s) reports A started; the report wins, and A in
    problem_after needs no skill, is pinned to E2 and excludes nobody."""
    problem = _problem({"A": {"duration_min": 30}, "B": {"duration_min": 30}})
    plan = _plan(problem, [_job("A", "09:15", "09:45"), _job("B", "10:00", "10:30")])
    ev = events_at("09:30", {"type": "job_started", "job": "A", "engineer": "E2",
                           "at": hhmm("09:20").isoformat()})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)
    job = after.job("A")
    assert job.required_skills == {} and job.excluded_engineers == []
    assert job.pinned is not None and job.pinned.engineer == "E2"
    route = next(r for r in new.routes if r.engineer == "E2")
    assert [s.job for s in route.stops if isinstance(s, JobStop)] == ["A"]


def test_depot_stop_not_done_replans_the_jobs_that_needed_its_parts():
    """Class parts: A reported finished late clashes with the planned depot stop (not done);
    C, later, needed the part picked up there: it is re-planned (with its own depot detour)
    or left unassigned, never left on the route without the part."""
    problem = _problem({"A": {"duration_min": 30}, "B": {"duration_min": 30},
                        "C": {"duration_min": 30, "required_parts": {"P": 1}}}, depot=True)
    plan = _plan(problem, [_job("A", "09:15", "09:45"),
                           DepotStop(depot="DEP", arrival=hhmm("10:00"), start=hhmm("10:00"),
                                     end=hhmm("10:10"), pickup={"P": 1}),
                           _job("B", "10:25", "10:55"), _job("C", "11:10", "11:40")])
    ev = events_at("10:30", {"type": "job_finished", "job": "A", "engineer": "E1",
                           "at": hhmm("10:20").isoformat()})
    after, new, diff = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)
    assert any("not done" in w for w in diff.warnings or [])


def test_reported_work_past_the_shift_limit_is_overtime_that_happened():
    """Class overtime: B reported started at 17:50 (45 min) on a shift ending 18:00 with no
    overtime; the plan stays valid (problem_after records the overtime worked) and nothing
    planned is pushed past the limit."""
    problem = _problem({"A": {"duration_min": 30}, "B": {"duration_min": 45},
                        "C": {"duration_min": 30}})
    plan = _plan(problem, [_job("A", "09:15", "09:45"), _job("C", "17:00", "17:30")])
    ev = events_at("18:00", {"type": "job_started", "job": "B", "engineer": "E1",
                           "at": hhmm("17:50").isoformat()})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)


def test_reported_work_after_the_shift_extends_it():
    """A job reported started after the shift's limit is on the route, not lost."""
    problem = _problem({"A": {"duration_min": 30}, "B": {"duration_min": 45}})
    plan = _plan(problem, [_job("A", "09:15", "09:45")])
    ev = events_at("18:45", {"type": "job_started", "job": "B", "engineer": "E1",
                           "at": hhmm("18:30").isoformat()})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)
    assert any(isinstance(s, JobStop) and s.job == "B" for r in new.routes for s in r.stops)


def test_delay_pushing_later_stops_past_the_limit_replans_them():
    """A delayed to 17:20: C (planned 17:00) cannot fit before the 18:00 limit on E1; it
    moves to E2 or is unassigned, never left past the limit."""
    problem = _problem({"A": {"duration_min": 30}, "C": {"duration_min": 30}})
    plan = _plan(problem, [_job("A", "16:00", "16:30"), _job("C", "17:00", "17:30")])
    ev = events_at("16:10", {"type": "job_delayed", "job": "A",
                           "expected_end": hhmm("17:20").isoformat()})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)
    e1 = [s.job for r in new.routes if r.engineer == "E1" for s in r.stops
          if isinstance(s, JobStop)]
    assert "C" not in e1


def test_now_after_the_shift_ends_keeps_the_route_home_in_time():
    """Class time (late in the day): ``now`` after every shift's end; a route with nothing
    left goes home when its history ends, not at ``now``."""
    problem = _problem({"A": {"duration_min": 30}, "B": {"duration_min": 30}}, end="17:00")
    plan = _plan(problem, [_job("A", "09:15", "09:45"), _job("B", "16:00", "16:30")])
    ev = events_at("17:30", {"type": "job_cancelled", "job": "A"})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)


def test_unavailable_later_does_not_freeze_travel_into_the_second_piece():
    """Class split shift: at 11:00 E1 is driving to C (arrival 10:45, waiting for its 13:00
    window) but is away 12:00-13:00; C is not under way (he leaves before it ends), so the
    second piece [13:00, 18:00] starts no earlier than 13:00 and overlaps nothing."""
    problem = _problem({"A": {"duration_min": 30}, "C": {
        "duration_min": 30, "time_windows": [{"start": hhmm("13:00").isoformat(),
                                              "end": hhmm("17:00").isoformat()}]}})
    plan = _plan(problem, [_job("A", "09:15", "09:45"),
                           JobStop(job="C", arrival=hhmm("10:00"), start=hhmm("13:00"),
                                   end=hhmm("13:30"))])
    ev = events_at("11:00", {"type": "engineer_unavailable", "engineer": "E1",
                           "from": hhmm("12:00").isoformat(), "until": hhmm("13:00").isoformat()})
    after, new, _ = reoptimize(problem, plan, ev, options=REPAIR)
    _valid(after, new)

