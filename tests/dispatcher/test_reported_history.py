"""Reports that contradict planned history: hand-built days, independent of the generator.

A matrix travel model fixes every leg to the minute, so each case is exact.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.kpis import compute_kpis
from optimizer.models import (
    BreakStop,
    JobStop,
    Location,
    Plan,
    Problem,
    Route,
    SolverInfo,
    Stop,
)
from optimizer.travel import travel_matrix
from optimizer.validate import format_violations, validate

from .handbuilt import LEG, events_at, hhmm, matrix_travel, point


def _problem(jobs: dict[str, tuple[int, str | None]], breaks: list[dict] | None = None) -> Problem:
    """One engineer at H, 09:00-18:00; jobs id -> (duration, earliest start or None)."""
    travel = matrix_travel()
    eng = {"id": "E1", "start": point("H"), "skills": {"s": 1},
           "shifts": [{"start": hhmm("09:00").isoformat(), "end": hhmm("18:00").isoformat(),
                       "breaks": breaks or []}]}
    js = []
    for jid, (dur, earliest) in jobs.items():
        tw = [] if earliest is None else [{"start": hhmm(earliest).isoformat(),
                                           "end": hhmm("17:00").isoformat()}]
        js.append({"id": jid, "location": point(jid), "duration_min": dur, "priority": "normal",
                   "kind": "repair", "time_windows": tw, "required_skills": {"s": 1}})
    return Problem.model_validate({"id": "hand", "travel": travel, "engineers": [eng],
                                   "jobs": js})


def _plan(problem: Problem, stops: list[Stop]) -> Plan:
    """E1's route over ``stops`` (contract totals and KPIs); asserted valid."""
    locs = [Location(**point(p)) for p in
            ["H", *[s.job for s in stops if isinstance(s, JobStop)], "H"]]
    tm = travel_matrix(problem.travel, locs)
    idx = range(len(locs) - 1)
    last = [s for s in stops if isinstance(s, JobStop)][-1]
    route = Route(engineer="E1", shift=0, start_time=hhmm("09:00"),
                  end_time=max(stops[-1].end, last.end + timedelta(minutes=LEG)),
                  distance_km=float(sum(tm.km[i, i + 1] for i in idx)),
                  travel_min=float(sum(tm.minutes[i, i + 1] for i in idx)), stops=stops)
    plan = Plan(problem_id=problem.id, routes=[route], unassigned=[],
                kpis=compute_kpis(problem, [route], []),
                solver=SolverInfo(status="hand", wall_s=0.0))
    assert not validate(problem, plan), format_violations(validate(problem, plan))
    return plan


def _job(jid: str, arrival: str, start: str, end: str) -> JobStop:
    return JobStop(job=jid, arrival=hhmm(arrival), start=hhmm(start), end=hhmm(end))


def _finished(job: str, at: str) -> dict:
    return {"type": "job_finished", "job": job, "engineer": "E1", "at": hhmm(at).isoformat()}


def _stops(plan: Plan) -> dict[str, JobStop]:
    return {s.job: s for r in plan.routes for s in r.stops if isinstance(s, JobStop)}


SOLVER = [pytest.param(0.0, id="repair"), pytest.param(1.0, id="solver")]


@pytest.mark.parametrize("solver_s", SOLVER)
def test_finished_late_unfreezes_travel_under_way(solver_s):
    """The generator's case: A reported finished at ``now``, hours after its planned end; the
    planned next stop B (then finished) clashes; C, which the engineer was planned to be driving
    to at ``now`` (arrival 10:45, waiting for its 13:00 window), was frozen with that arrival,
    before A's end + travel. C is not under way: it is re-planned after A."""
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, "13:00")})
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           _job("B", "09:50", "09:50", "10:35"),
                           _job("C", "10:50", "13:00", "13:20")])
    ev = events_at("13:00", _finished("A", "13:00"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    st = _stops(new)
    assert (st["A"].start, st["A"].end) == (hhmm("09:15"), hhmm("13:00"))
    assert st["C"].arrival >= hhmm("13:15") and st["C"].start >= hhmm("13:15")
    assert st["B"].start >= hhmm("13:00")  # B did not happen as planned: re-planned
    assert any("not done" in w for w in diff.warnings or [])


@pytest.mark.parametrize("solver_s", SOLVER)
def test_finished_late_leaves_no_travel_to_next_history_stop(solver_s):
    """A finishes 10 min late, still before B's planned start, but B is 15 min away: B, in
    history, cannot have happened as planned (the report wins): it is re-planned, not kept."""
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, None)})
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           _job("B", "09:50", "09:50", "10:35"),
                           _job("C", "10:50", "10:50", "11:10")])
    ev = events_at("11:30", _finished("A", "09:45"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    st = _stops(new)
    assert (st["A"].start, st["A"].end) == (hhmm("09:15"), hhmm("09:45"))
    assert st["B"].start >= hhmm("11:30")
    assert any("not done" in w for w in diff.warnings or [])


def test_travel_under_way_kept_when_history_allows_it():
    """A reported finished on time: C, which the engineer is driving to, stays exactly."""
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, "13:00")})
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           _job("B", "09:50", "09:50", "10:35"),
                           _job("C", "10:50", "13:00", "13:20")])
    ev = events_at("12:00", _finished("A", "09:35"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=0))
    assert not validate(after, new), format_violations(validate(after, new))
    assert _stops(new) == _stops(plan)
    assert not diff.warnings


@pytest.mark.parametrize("solver_s", SOLVER)
def test_finished_late_before_a_taken_break(solver_s):
    """A planned break right after A, in history: A reported finished inside it drops the
    break (taken later) and the stop after it."""
    brk = [{"earliest": hhmm("09:30").isoformat(), "latest": hhmm("14:00").isoformat(),
            "duration_min": 30}]
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, None)}, brk)
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           BreakStop(start=hhmm("09:35"), end=hhmm("10:05")),
                           _job("B", "10:20", "10:20", "11:05"),
                           _job("C", "11:20", "11:20", "11:40")])
    ev = events_at("11:10", _finished("A", "10:00"))
    after, new, _ = reoptimize(problem, plan, ev,
                               options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    assert _stops(new)["A"].end == hhmm("10:00")


def test_finished_before_the_shift_starts_moves_after_the_drive():
    """A reported at 09:00 (shift start) for a 20-min job would have started before the shift:
    it moves to the shift start plus the drive from home (09:15), with a warning."""
    problem = _problem({"A": (20, None), "B": (45, None)})
    plan = _plan(problem, [_job("B", "09:15", "09:15", "10:00"),
                           _job("A", "10:15", "10:15", "10:35")])
    ev = events_at("09:00", _finished("A", "09:00"))
    after, new, diff = reoptimize(problem, plan, ev, options=ReoptimizeOptions(solver_time_s=0))
    assert not validate(after, new), format_violations(validate(after, new))
    assert (_stops(new)["A"].start, _stops(new)["A"].end) == (hhmm("09:15"), hhmm("09:35"))
    assert any("moved" in w for w in diff.warnings or [])
