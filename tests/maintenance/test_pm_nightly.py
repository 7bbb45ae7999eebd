"""Tomorrow's PM visits as dispatch jobs (MAINTENANCE.md) and the nightly with them."""

from __future__ import annotations

import datetime as dt
import json

from pm_helpers import asset, engineer, write_dir

from optimizer.batch.nightly import run_nightly
from optimizer.maintenance.nightly import plan_for_night, with_visits
from optimizer.synthetic import generate_problem
from optimizer.validate import validate

DAY = dt.date(2026, 11, 24)  # the dispatch day; the PM plan is made the evening before


def _data(tmp_path):
    problem = generate_problem(n_jobs=6, n_engineers=3, seed=3, parts=False, tools=False)
    (tmp_path / "problem.json").write_text(problem.model_dump_json())
    e1, e2 = problem.engineers[0], problem.engineers[1]
    skill = next(iter(e1.skills))
    lat, lon = e1.start.lat, e1.start.lon
    write_dir(tmp_path / "maintenance", [
        # overdue: short notice, as soon as possible, i.e. tomorrow
        asset("AM1", "C1", lat=lat + 0.01, lon=lon, skills=f"{skill}:1", slot="am",
              due_in=-10, minutes=40),
        asset("CRIT", "C2", lat=lat, lon=lon + 0.01, skills=f"{skill}:1", due_in=-3,
              criticality="critical", minutes=30),
        asset("LATER", "C3", lat=lat - 0.01, lon=lon, skills=f"{skill}:1", due_in=80),
    ], [engineer(e1.id, lat=lat, lon=lon, skills=f"{skill}:{e1.skills[skill]}",
                 workdays="Mon-Sun", pm_share=1.0),
        engineer(e2.id, lat=e2.start.lat, lon=e2.start.lon,
                 skills=";".join(f"{s}:{n}" for s, n in e2.skills.items()))])
    return problem


def test_tomorrows_visits_become_maintenance_jobs(tmp_path):
    problem = _data(tmp_path)
    pm = plan_for_night(tmp_path, problem, DAY, time_limit_s=2)
    assert pm is not None and pm.summary["today"] == "2026-11-23"
    jobs = {j.id.split("-")[-1]: j for j in pm.jobs}
    assert set(jobs) == {"AM1", "CRIT"}  # LATER is weeks away
    am, crit = jobs["AM1"], jobs["CRIT"]
    assert am.kind == crit.kind == "maintenance"
    assert am.priority.value == "normal" and crit.priority.value == "high"
    tz = problem.engineers[0].shifts[0].start.tzinfo
    assert [(w.start, w.end) for w in am.time_windows] == [
        (dt.datetime(2026, 11, 24, 8, tzinfo=tz), dt.datetime(2026, 11, 24, 12, tzinfo=tz))]
    assert crit.time_windows == []  # slot "any": the shift bounds it
    assert am.preferred_engineers == [problem.engineers[0].id]
    assert am.duration_min == 40 and am.required_skills
    both = with_visits(problem, pm.jobs)
    assert len(both.jobs) == len(problem.jobs) + 2
    assert pm.kpi()["key"] == "pm_compliance" and not pm.outlook.empty


def test_nightly_plans_them_and_reports_the_outlook(tmp_path):
    _data(tmp_path)
    result = run_nightly(tmp_path, time_limit_s=2, pm_time_limit_s=2)
    assert [s.stage for s in result.stages][:2] == ["read", "maintenance"]
    assert validate(result.problem, result.plan) == []
    ids = {j.id for j in result.problem.jobs if j.kind == "maintenance"}
    assert len(ids) == 2
    planned = {s.job for r in result.plan.routes for s in r.stops if hasattr(s, "job")}
    left = {u.job for u in result.plan.unassigned}
    assert ids <= planned | left
    assert "pm_plan.csv" in result.files() and "pm_notices.csv" in result.files()
    assert result.kpis["standards"][-1]["key"] == "pm_compliance"
    assert 'id="maintenance-table"' in result.report_html
    json.dumps(result.kpis)  # stays JSON
