"""Reports that contradict planned history: hand-built days, independent of the generator.

A matrix travel model fixes every leg to the minute, so each case is exact.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from optimizer.events import Events
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
from optimizer.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.travel import travel_matrix
from optimizer.validate import format_violations, validate

TZ = timezone(timedelta(hours=8))
PTS = {"H": (31.20, 121.40), "A": (31.21, 121.41), "B": (31.22, 121.42),
       "C": (31.23, 121.43), "D": (31.24, 121.44)}
LEG = 15  # minutes between any two distinct points (home included)


def _t(hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2026, 11, 24, int(h), int(m), tzinfo=TZ)


def _loc(p: str) -> dict:
    return {"lat": PTS[p][0], "lon": PTS[p][1]}


def _problem(jobs: dict[str, tuple[int, str | None]], breaks: list[dict] | None = None) -> Problem:
    """One engineer at H, 09:00-18:00; jobs id -> (duration, earliest start or None)."""
    names = list(PTS)
    n = len(names)
    travel = {"model": "matrix", "points": [{"id": k, **_loc(k)} for k in names],
              "duration_min": [[0 if i == j else LEG for j in range(n)] for i in range(n)],
              "distance_km": [[0 if i == j else 5 for j in range(n)] for i in range(n)]}
    eng = {"id": "E1", "start": _loc("H"), "skills": {"s": 1},
           "shifts": [{"start": _t("09:00").isoformat(), "end": _t("18:00").isoformat(),
                       "breaks": breaks or []}]}
    js = []
    for jid, (dur, earliest) in jobs.items():
        tw = [] if earliest is None else [{"start": _t(earliest).isoformat(),
                                           "end": _t("17:00").isoformat()}]
        js.append({"id": jid, "location": _loc(jid), "duration_min": dur, "priority": "normal",
                   "kind": "repair", "time_windows": tw, "required_skills": {"s": 1}})
    return Problem.model_validate({"id": "hand", "travel": travel, "engineers": [eng],
                                   "jobs": js})


def _plan(problem: Problem, stops: list[Stop]) -> Plan:
    """E1's route over ``stops`` (contract totals and KPIs); asserted valid."""
    locs = [Location(**_loc(p)) for p in
            ["H", *[s.job for s in stops if isinstance(s, JobStop)], "H"]]
    tm = travel_matrix(problem.travel, locs)
    idx = range(len(locs) - 1)
    last = [s for s in stops if isinstance(s, JobStop)][-1]
    route = Route(engineer="E1", shift=0, start_time=_t("09:00"),
                  end_time=max(stops[-1].end, last.end + timedelta(minutes=LEG)),
                  distance_km=float(sum(tm.km[i, i + 1] for i in idx)),
                  travel_min=float(sum(tm.minutes[i, i + 1] for i in idx)), stops=stops)
    plan = Plan(problem_id=problem.id, routes=[route], unassigned=[],
                kpis=compute_kpis(problem, [route], []),
                solver=SolverInfo(status="hand", wall_s=0.0))
    assert not validate(problem, plan), format_violations(validate(problem, plan))
    return plan


def _job(jid: str, arrival: str, start: str, end: str) -> JobStop:
    return JobStop(job=jid, arrival=_t(arrival), start=_t(start), end=_t(end))


def _events(now: str, *events: dict) -> Events:
    return Events.model_validate({"now": _t(now).isoformat(), "events": list(events)})


def _finished(job: str, at: str) -> dict:
    return {"type": "job_finished", "job": job, "engineer": "E1", "at": _t(at).isoformat()}


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
    ev = _events("13:00", _finished("A", "13:00"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    st = _stops(new)
    assert (st["A"].start, st["A"].end) == (_t("09:15"), _t("13:00"))
    assert st["C"].arrival >= _t("13:15") and st["C"].start >= _t("13:15")
    assert st["B"].start >= _t("13:00")  # B did not happen as planned: re-planned
    assert any("not done" in w for w in diff.warnings or [])


@pytest.mark.parametrize("solver_s", SOLVER)
def test_finished_late_leaves_no_travel_to_next_history_stop(solver_s):
    """A finishes 10 min late, still before B's planned start, but B is 15 min away: B, in
    history, cannot have happened as planned (the report wins): it is re-planned, not kept."""
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, None)})
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           _job("B", "09:50", "09:50", "10:35"),
                           _job("C", "10:50", "10:50", "11:10")])
    ev = _events("11:30", _finished("A", "09:45"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    st = _stops(new)
    assert (st["A"].start, st["A"].end) == (_t("09:15"), _t("09:45"))
    assert st["B"].start >= _t("11:30")
    assert any("not done" in w for w in diff.warnings or [])


def test_travel_under_way_kept_when_history_allows_it():
    """A reported finished on time: C, which the engineer is driving to, stays exactly."""
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, "13:00")})
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           _job("B", "09:50", "09:50", "10:35"),
                           _job("C", "10:50", "13:00", "13:20")])
    ev = _events("12:00", _finished("A", "09:35"))
    after, new, diff = reoptimize(problem, plan, ev,
                                  options=ReoptimizeOptions(solver_time_s=0))
    assert not validate(after, new), format_violations(validate(after, new))
    assert _stops(new) == _stops(plan)
    assert not diff.warnings


@pytest.mark.parametrize("solver_s", SOLVER)
def test_finished_late_before_a_taken_break(solver_s):
    """A planned break right after A, in history: A reported finished inside it drops the
    break (taken later) and the stop after it."""
    brk = [{"earliest": _t("09:30").isoformat(), "latest": _t("14:00").isoformat(),
            "duration_min": 30}]
    problem = _problem({"A": (20, None), "B": (45, None), "C": (20, None)}, brk)
    plan = _plan(problem, [_job("A", "09:15", "09:15", "09:35"),
                           BreakStop(start=_t("09:35"), end=_t("10:05")),
                           _job("B", "10:20", "10:20", "11:05"),
                           _job("C", "11:20", "11:20", "11:40")])
    ev = _events("11:10", _finished("A", "10:00"))
    after, new, _ = reoptimize(problem, plan, ev,
                               options=ReoptimizeOptions(solver_time_s=solver_s))
    assert not validate(after, new), format_violations(validate(after, new))
    assert _stops(new)["A"].end == _t("10:00")


def test_finished_before_the_shift_starts_moves_after_the_drive():
    """A reported at 09:00 (shift start) for a 20-min job would have started before the shift:
    it moves to the shift start plus the drive from home (09:15), with a warning."""
    problem = _problem({"A": (20, None), "B": (45, None)})
    plan = _plan(problem, [_job("B", "09:15", "09:15", "10:00"),
                           _job("A", "10:15", "10:15", "10:35")])
    ev = _events("09:00", _finished("A", "09:00"))
    after, new, diff = reoptimize(problem, plan, ev, options=ReoptimizeOptions(solver_time_s=0))
    assert not validate(after, new), format_violations(validate(after, new))
    assert (_stops(new)["A"].start, _stops(new)["A"].end) == (_t("09:15"), _t("09:35"))
    assert any("moved" in w for w in diff.warnings or [])
