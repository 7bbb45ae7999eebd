"""The PM programme in the nightly run: tomorrow's visits as dispatch jobs, and the outlook.

MAINTENANCE.md: the visits planned for the day become jobs of the dispatch problem with
``kind`` = ``maintenance``, the agreed slot as the time window (none for ``any``: the shift
bounds it), priority ``normal`` (``high`` for critical equipment), the required skills and the
planned engineer as ``preferred_engineers``. The nightly plans the PM programme as of the
evening before the day (announced visits kept), so tomorrow's visits are the announced ones
and those overdue or due within the notice period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.maintenance.data import SLOT_HOURS, SUBFOLDER, find_data_dir, read_maintenance_data
from optimizer.maintenance.outputs import notices_table, plan_table, summarise
from optimizer.maintenance.plan import PmPlan, plan_maintenance
from optimizer.maintenance.visits import PlanOptions
from optimizer.models import Job, Location, Priority, Problem, TimeWindow

JOB_PREFIX = "PM-"
OUTLOOK_WEEKS = 6


@dataclass(frozen=True)
class NightlyMaintenance:
    """What the nightly takes from the PM programme."""

    plan: PmPlan
    jobs: tuple[Job, ...]
    table: pd.DataFrame  # pm_plan.csv
    notices: pd.DataFrame  # notices.csv
    summary: dict
    outlook: pd.DataFrame  # visits per week and engineer over the next weeks
    notes: tuple[str, ...]

    def kpi(self) -> dict:
        """PM compliance as a service-standard line of the nightly KPIs."""
        s = self.summary
        return {"key": "pm_compliance", "label": "PM visits on time (expected)",
                "value": round(100 * s["compliance"], 1), "unit": "%", "target": 100.0,
                "target_op": ">=", "met": s["overdue_left"] == 0,
                "definition": "share of assets due in the PM horizon visited by their due date "
                              f"(at most {100 * s['compliance_bound']:.1f} % whatever the "
                              "capacity)",
                "of": f"{s['assets_due']} assets due; {s['overdue_left']} overdue left, "
                      f"{s['unplannable']} unplannable; {len(self.jobs)} visits tomorrow"}


def maintenance_dir(data_dir: str | Path) -> Path | None:
    """The maintenance files beside a nightly's data: DATA_DIR/maintenance/ (or None)."""
    sub = Path(data_dir) / SUBFOLDER
    return find_data_dir(sub) if sub.is_dir() else None


def _offset(problem: Problem, day: dt.date) -> dt.tzinfo:
    for e in problem.engineers:
        for s in e.shifts:
            if s.start.date() == day and s.start.tzinfo is not None:
                return s.start.tzinfo
    return dt.UTC


def visit_jobs(plan: PmPlan, day: dt.date, problem: Problem) -> tuple[list[Job], list[str]]:
    """The visits planned on ``day`` as dispatch jobs (contract: kind maintenance)."""
    p = plan.problem
    tz = _offset(problem, day)
    known = {e.id for e in problem.engineers}
    taken = {j.id for j in problem.jobs}
    jobs, notes = [], []
    for (e, d), plan_day in sorted(plan.days.items()):
        if p.date(d) != day:
            continue
        engineer = p.engineers[e].engineer
        for v in plan_day.visits:
            visit = p.visits[v]
            job_id = f"{JOB_PREFIX}{visit.customer}-{day.isoformat()}-{visit.assets[0]}"
            if job_id in taken:
                notes.append(f"{job_id}: a job of that id is already in the problem; kept it")
                continue
            windows = []
            if visit.slot in SLOT_HOURS:
                start, end = SLOT_HOURS[visit.slot]
                windows = [TimeWindow(start=dt.datetime.combine(day, start, tz),
                                      end=dt.datetime.combine(day, end, tz))]
            site = p.points[visit.site]
            preferred = [engineer] if engineer in known else []
            if not preferred:
                notes.append(f"{job_id}: planned engineer {engineer} is not in the dispatch "
                             "problem; any qualified engineer may take it")
            jobs.append(Job(id=job_id, location=Location(lat=site.lat, lon=site.lon),
                            duration_min=visit.duration_min, time_windows=windows,
                            priority=Priority.HIGH if visit.critical else Priority.NORMAL,
                            required_skills=dict(visit.skills),
                            preferred_engineers=preferred, kind="maintenance"))
            taken.add(job_id)
    return jobs, notes


def outlook(table: pd.DataFrame, start: dt.date, weeks: int = OUTLOOK_WEEKS) -> pd.DataFrame:
    """Assets to visit per ISO week and engineer over the next ``weeks`` weeks."""
    rows = table[table["visit_date"] != ""].copy()
    rows["date"] = pd.to_datetime(rows["visit_date"]).dt.date
    rows = rows[(rows["date"] >= start) & (rows["date"] < start + dt.timedelta(weeks=weeks))]
    if rows.empty:
        return pd.DataFrame(columns=["week", "engineer", "visit_days", "assets", "late"])
    rows["week"] = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in rows["date"]]
    rows["late"] = rows["visit_date"] > rows["due_date"]
    out = rows.groupby(["week", "engineer"]).agg(
        visit_days=("visit_date", "nunique"), assets=("asset", "count"), late=("late", "sum"))
    return out.reset_index()


def plan_for_night(data_dir: str | Path, problem: Problem, day: dt.date,
                   time_limit_s: float = 15.0) -> NightlyMaintenance | None:
    """Plan the PM programme as of the evening before ``day``; None without maintenance data."""
    where = maintenance_dir(data_dir)
    if where is None:
        return None
    data = read_maintenance_data(where)
    plan = plan_maintenance(data, day - dt.timedelta(days=1),
                            PlanOptions(time_limit_s=time_limit_s))
    jobs, notes = visit_jobs(plan, day, problem)
    table = plan_table(plan)
    return NightlyMaintenance(plan=plan, jobs=tuple(jobs), table=table,
                              notices=notices_table(plan), summary=summarise(plan, table),
                              outlook=outlook(table, day), notes=tuple(notes))


def with_visits(problem: Problem, jobs: tuple[Job, ...]) -> Problem:
    """``problem`` with the PM jobs added (ids are unique: see :func:`visit_jobs`)."""
    if not jobs:
        return problem
    return problem.model_copy(update={"jobs": [*problem.jobs, *jobs]})
