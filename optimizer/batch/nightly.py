"""The nightly batch: read the data directory, plan tomorrow, order tonight, report.

:func:`run_nightly` is the whole pipeline and returns every output as data
(:class:`NightlyResult`); it writes no file and prints nothing. ``progress`` receives one line
per stage with the time it took, for the CLI to print on stderr. Stages:

1. **read**: the problem (``problem.json`` or tables) and the spare-parts files;
2. **parts check**: jobs whose parts are at no depot and on no van are held back
   (``parts_unavailable``, with the date the parts are due);
3. **solve**: the dispatch solver on the rest (territories on a Dask cluster when ``workers``
   or ``scheduler`` is given);
4. **validate**: the merged plan against the problem as read; an invalid plan is an error and
   nothing is published;
5. **parts**: stocking policies and tonight's orders, with tomorrow's parts demand (pick-ups,
   van use, held jobs) added at the depot or van concerned;
6. **kpis** and 7. **report**.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.batch import parts_stage
from optimizer.batch.holdback import (
    HeldJob,
    committed_demand,
    find_held_jobs,
    parts_depot,
    parts_due_date,
    without_jobs,
)
from optimizer.batch.inputs import locate, read_data_dir_problem
from optimizer.batch.report import render_report
from optimizer.batch.standards import service_standards
from optimizer.dispatch import SolveOptions, solve
from optimizer.distributed import solve_partitioned
from optimizer.errors import InputError, SolverError
from optimizer.io import to_json
from optimizer.kpis import plan_of
from optimizer.limits import fits_this_machine
from optimizer.maintenance.nightly import NightlyMaintenance, plan_for_night, with_visits
from optimizer.models import (
    BreakStop,
    DepotStop,
    JobStop,
    Plan,
    Problem,
    Route,
    Unassigned,
    UnassignedReason,
)
from optimizer.parts.data import PartsData, read_parts_data
from optimizer.validate import validate

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StageTime:
    stage: str
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class NightlyResult:
    """Everything one nightly run produces, as data."""

    date: date
    problem: Problem
    plan: Plan
    held: tuple[HeldJob, ...]
    kpis: dict[str, Any]
    routes: pd.DataFrame
    unassigned: pd.DataFrame
    orders: pd.DataFrame | None
    policy: pd.DataFrame | None
    report_html: str
    stages: tuple[StageTime, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    violations: tuple[str, ...] = field(default_factory=tuple)  # only with allow_invalid
    maintenance: NightlyMaintenance | None = None  # with DATA_DIR/maintenance/

    def files(self) -> dict[str, bytes]:
        """OUT_DIR's files by name (what :func:`optimizer.batch.outputs.write_atomic_dir` takes)."""
        out = {
            "plan.json": to_json(self.plan).encode(),
            "routes.csv": self.routes.to_csv(index=False).encode(),
            "unassigned.csv": self.unassigned.to_csv(index=False).encode(),
            "kpis.json": (json.dumps(self.kpis, indent=1, default=str) + "\n").encode(),
            "report.html": self.report_html.encode(),
        }
        if self.orders is not None:
            out["orders.csv"] = self.orders.to_csv(index=False).encode()
        if self.policy is not None:
            out["policy.csv"] = self.policy.to_csv(index=False).encode()
        if self.maintenance is not None:
            out["pm_plan.csv"] = self.maintenance.table.to_csv(index=False).encode()
            out["pm_notices.csv"] = self.maintenance.notices.to_csv(index=False).encode()
        return out


class _Stages:
    """Times each stage and reports it through ``progress``."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.done: list[StageTime] = []

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    @contextmanager
    def stage(self, name: str) -> Iterator[list[str]]:
        note: list[str] = []
        self.say(f"[nightly] {name} ...")
        t0 = time.perf_counter()
        yield note
        seconds = time.perf_counter() - t0
        text = "; ".join(note)
        self.done.append(StageTime(name, round(seconds, 3), text))
        self.say(f"[nightly] {name}: {seconds:.2f} s" + (f" ({text})" if text else ""))


# --------------------------------------------------------------------------- the day


def plan_day(problem: Problem, day: date | None) -> date:
    """The day to plan: ``day``, else the date of the first shift start (its own offset)."""
    starts = sorted(s.start for e in problem.engineers for s in e.shifts)
    if day is not None:
        days = sorted({s.date() for s in starts})
        if starts and day not in days:
            raise InputError(f"--date {day.isoformat()}: no shift starts that day; the problem "
                             f"has shifts on {', '.join(d.isoformat() for d in days)}")
        return day
    if not starts:
        raise InputError("problem: no engineer has a shift (nothing to plan)")
    return starts[0].date()


def day_problem(problem: Problem, day: date) -> tuple[Problem, dict[str, list[int]]]:
    """``problem`` with only the shifts starting on ``day``, and each kept shift's old index."""
    index: dict[str, list[int]] = {}
    engineers = []
    changed = False
    for e in problem.engineers:
        keep = [i for i, s in enumerate(e.shifts) if s.start.date() == day]
        index[e.id] = keep
        if len(keep) != len(e.shifts):
            changed = True
            e = e.model_copy(update={"shifts": [e.shifts[i] for i in keep]})
        engineers.append(e)
    if not changed:
        return problem, index
    return problem.model_copy(update={"engineers": engineers}), index


def _remap_shifts(routes: list[Route], index: dict[str, list[int]]) -> list[Route]:
    out = []
    for r in routes:
        kept = index.get(r.engineer)
        if kept is not None and 0 <= r.shift < len(kept) and kept[r.shift] != r.shift:
            r = r.model_copy(update={"shift": kept[r.shift]})
        out.append(r)
    return out


# --------------------------------------------------------------------------- solving


def _solve(problem: Problem, *, time_limit_s: float, seed: int, max_solutions: int | None,
           workers: int | None, scheduler: str | None, progress: Progress | None,
           engine: str = "auto") -> Plan:
    if workers is not None or scheduler is not None:
        options = SolveOptions(time_limit_s=time_limit_s, seed=seed, max_solutions=max_solutions,
                               engine=engine)
        return solve_partitioned(problem, options, workers=workers, scheduler=scheduler,
                                 seed=seed)
    options = SolveOptions(time_limit_s=time_limit_s, seed=seed, max_solutions=max_solutions,
                           progress=progress, engine=engine)
    return solve(problem, options)


def merge_plan(problem: Problem, solved: Plan, held: list[HeldJob],
               shift_index: dict[str, list[int]], parts: PartsData | None,
               day: date) -> Plan:
    """The plan of the problem as read: solver routes (shift indices restored), held jobs added
    as ``parts_unavailable``, the solver's own ``parts_unavailable`` given a due date, and the
    KPIs recomputed."""
    routes = _remap_shifts(list(solved.routes), shift_index)
    jobs = {j.id: j for j in problem.jobs}
    unassigned: list[Unassigned] = []
    tonight = day - timedelta(days=1)
    for u in solved.unassigned:
        if u.reason == UnassignedReason.PARTS_UNAVAILABLE and u.job in jobs and not getattr(
                u, "parts_due", None):
            job = jobs[u.job]
            depot = parts_depot(problem, parts, job.location)
            found = [parts_due_date(parts, problem, depot, p, q, tonight)
                     for p, q in sorted(job.required_parts.items())]
            dates = [d for d, _ in found if d is not None]
            if dates and len(dates) == len(found):
                due = max(dates)
                u = u.model_copy(update={
                    "detail": f"{u.detail}; parts due {due.isoformat()} at {depot}".lstrip("; "),
                    "parts_due": due.isoformat(), "parts_depot": depot})
        unassigned.append(u)
    unassigned += [h.unassigned() for h in held]
    return plan_of(problem, routes, unassigned, solved.solver)


# --------------------------------------------------------------------------- tables


def _quantities(q: dict[str, int]) -> str:
    return ";".join(f"{p}:{n}" for p, n in sorted(q.items()))


def routes_table(problem: Problem, plan: Plan) -> pd.DataFrame:
    """One row per stop, in visiting order: what each engineer does tomorrow."""
    jobs = {j.id: j for j in problem.jobs}
    depots = {d.id: d for d in problem.depots}
    rows = []
    for r in plan.routes:
        for seq, s in enumerate(r.stops, start=1):
            row: dict[str, Any] = {
                "engineer": r.engineer, "shift": r.shift, "seq": seq, "type": s.type,
                "job": "", "depot": "", "priority": "", "kind": "", "arrival": "",
                "start": s.start.isoformat(), "end": s.end.isoformat(), "duration_min":
                round((s.end - s.start).total_seconds() / 60), "lat": "", "lon": "", "due": "",
                "late": "", "pickup": "",
            }
            if isinstance(s, JobStop):
                job = jobs.get(s.job)
                row.update(job=s.job, arrival=s.arrival.isoformat())
                if job is not None:
                    row.update(priority=job.priority.value, kind=job.kind or "",
                               lat=job.location.lat, lon=job.location.lon,
                               due=job.due.isoformat() if job.due else "",
                               late=bool(job.due and s.start > job.due))
            elif isinstance(s, DepotStop):
                row.update(depot=s.depot, arrival=s.arrival.isoformat(),
                           pickup=_quantities(dict(s.pickup)))
                if s.depot in depots:
                    row.update(lat=depots[s.depot].location.lat, lon=depots[s.depot].location.lon)
            elif isinstance(s, BreakStop):
                pass
            rows.append(row)
    columns = ["engineer", "shift", "seq", "type", "job", "depot", "priority", "kind", "arrival",
               "start", "end", "duration_min", "lat", "lon", "due", "late", "pickup"]
    return pd.DataFrame(rows, columns=columns)


def unassigned_table(problem: Problem, plan: Plan) -> pd.DataFrame:
    """One row per job left for tomorrow: reason, detail and, for parts, when they are due."""
    jobs = {j.id: j for j in problem.jobs}
    rows = []
    for u in plan.unassigned:
        job = jobs.get(u.job)
        rows.append({
            "job": u.job,
            "priority": job.priority.value if job else "",
            "kind": (job.kind or "") if job else "",
            "due": job.due.isoformat() if job and job.due else "",
            "reason": u.reason.value,
            "detail": u.detail,
            "parts_due": getattr(u, "parts_due", None) or "",
            "parts_depot": getattr(u, "parts_depot", None) or "",
        })
    columns = ["job", "priority", "kind", "due", "reason", "detail", "parts_due", "parts_depot"]
    order = {"critical": 0, "high": 1, "normal": 2, "low": 3}
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame = frame.sort_values(["priority", "job"], key=lambda s: s.map(order).fillna(9)
                                  if s.name == "priority" else s, kind="stable")
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- the pipeline


def run_nightly(
    data_dir: str | Path,
    *,
    date: date | None = None,
    time_limit_s: float = 30.0,
    seed: int = 0,
    max_solutions: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    allow_invalid: bool = False,
    parts_system_target: float | None = None,
    parts_calibrate: bool = False,
    pm_time_limit_s: float = 10.0,
    engine: str = "auto",
) -> NightlyResult:
    """Plan the day ``date`` (default: the problem's first shift day) from ``data_dir``.

    Parts policies are per part-location by default; ``parts_system_target`` plans the
    system view at that overall stockout rate, ``parts_calibrate`` at the planned target that
    realised it on the demand history (``optimizer.parts.plan.plan_policy``). ``engine``
    is the dispatch engine (``SolveOptions.engine``).

    Raises InputError for bad data, and
    SolverError when the solver's plan breaks a contract rule — unless ``allow_invalid``
    (benchmarks, diagnosis), which keeps the violations in the result and on the report.
    """
    stages = _Stages(progress)
    notes: list[str] = []
    with stages.stage("read") as note:
        where = locate(data_dir)
        problem = read_data_dir_problem(where.root)
        if too_big := fits_this_machine(problem):
            raise InputError(too_big)
        parts = read_parts_data(where.parts_dir) if where.parts_dir is not None else None
        day = plan_day(problem, date)
        note.append(f"{len(problem.engineers)} engineers, {len(problem.jobs)} jobs, "
                    f"{len(problem.depots)} depots from {where.problem_source}; parts data "
                    + (f"{len(parts.parts)} parts" if parts else "absent") + f"; day {day}")
        if parts is None:
            notes.append("no spare-parts files: no policies, no orders")
        else:
            notes.extend(f"spare-parts data warning: {w}" for w in parts.warnings)
    pm = _maintenance_stage(stages, where.root, problem, day, pm_time_limit_s)
    if pm is not None:
        problem = with_visits(problem, pm.jobs)
        notes.extend(pm.notes)
    with stages.stage("parts check") as note:
        todays, shift_index = day_problem(problem, day)
        held = find_held_jobs(todays, parts, day)
        note.append(f"{len(held)} jobs held for parts")
    with stages.stage("solve") as note:
        to_solve = without_jobs(todays, {h.job for h in held})
        solved = _solve(to_solve, time_limit_s=time_limit_s, seed=seed,
                        max_solutions=max_solutions, workers=workers, scheduler=scheduler,
                        progress=stages.say if progress else None, engine=engine)
        note.append(f"status {solved.solver.status}, {solved.kpis.jobs_assigned} planned, "
                    f"{solved.kpis.jobs_unassigned} left"
                    + (f", {workers or 'cluster'} workers" if workers or scheduler else ""))
    with stages.stage("validate") as note:
        plan = merge_plan(problem, solved, held, shift_index, parts, day)
        violations = _validate(problem, plan)
        if violations and not allow_invalid:
            raise SolverError("the plan breaks the contract; nothing written:\n"
                              + "\n".join(violations[:20]))
        note.append(f"INVALID: {len(violations)} violations" if violations else "plan valid")
    policy = orders = None
    supply_pct = stockout_pct = planned_to = None
    with stages.stage("parts") as note:
        if parts is not None:
            committed = committed_demand(todays, plan, held, parts)
            outcome = parts_stage.policies_and_orders(parts, committed, day,
                                                      system_target=parts_system_target,
                                                      calibrate=parts_calibrate)
            policy, orders, supply_pct = outcome.policy, outcome.orders, outcome.on_time_pct
            stockout_pct, planned_to = outcome.stockout_backtested_pct, outcome.planned_to
            notes.extend(outcome.notes)
            note.append(f"{0 if policy is None else len(policy)} policy rows, "
                        f"{0 if orders is None else len(orders)} order lines; "
                        f"{sum(committed.qty.values())} units committed to tomorrow's jobs")
        else:
            note.append("skipped: no spare-parts files")
    with stages.stage("kpis"):
        kpis = service_standards(todays, _day_plan(plan, todays, shift_index), policy=policy,
                                 orders=orders, parts=parts, supply_on_time_pct=supply_pct,
                                 stockout_backtested_pct=stockout_pct,
                                 stockout_planned_to=planned_to)
        kpis = {"date": day.isoformat(), **kpis, "held_for_parts": len(held), "notes": notes}
        if pm is not None:
            kpis["standards"] = [*kpis["standards"], pm.kpi()]
            kpis["maintenance"] = {k: pm.summary[k] for k in (
                "today", "assets_due", "visits", "compliance", "compliance_bound",
                "overdue_left", "unplannable", "travel_km_per_visit")}
    with stages.stage("report"):
        unassigned = unassigned_table(problem, plan)
        meta = {
            "date": day.isoformat(),
            "generated_at": datetime.now(UTC).astimezone().isoformat(timespec="minutes"),
            "validation": (f"PLAN INVALID: {len(violations)} contract violations, e.g. "
                           f"{violations[0]}" if violations else
                           "Plan checked against every contract rule: valid.")
                          + (" " + " ".join(notes) if notes else ""),
            "stages": [s.__dict__ for s in stages.done],
        }
        html = render_report(problem, plan, kpis, unassigned=unassigned, orders=orders,
                             meta=meta, maintenance=None if pm is None else pm.outlook)
    return NightlyResult(
        date=day, problem=problem, plan=plan, held=tuple(held), kpis=kpis,
        routes=routes_table(problem, plan), unassigned=unassigned, orders=orders,
        policy=policy, report_html=html, stages=tuple(stages.done), notes=tuple(notes),
        violations=tuple(violations), maintenance=pm,
    )


def _maintenance_stage(stages: _Stages, root: Path, problem: Problem, day: date,
                       time_limit_s: float) -> NightlyMaintenance | None:
    """With DATA_DIR/maintenance/: the PM programme as of tonight, tomorrow's visits as jobs."""
    if not (root / "maintenance").is_dir():
        return None
    with stages.stage("maintenance") as note:
        pm = plan_for_night(root, problem, day, time_limit_s)
        assert pm is not None
        s = pm.summary
        note.append(f"{len(pm.jobs)} PM visits tomorrow added as jobs; {s['assets_due']} assets "
                    f"due in {s['horizon_days']} days, compliance expected "
                    f"{100 * s['compliance']:.1f} %")
    return pm


def _day_plan(plan: Plan, todays: Problem, shift_index: dict[str, list[int]]) -> Plan:
    """``plan`` with shift indices of ``todays`` (for KPIs over the planned day only)."""
    back: dict[str, dict[int, int]] = defaultdict(dict)
    for eng, kept in shift_index.items():
        for new, old in enumerate(kept):
            back[eng][old] = new
    routes = [r.model_copy(update={"shift": back[r.engineer].get(r.shift, r.shift)})
              for r in plan.routes]
    return plan.model_copy(update={"routes": routes})


def _validate(problem: Problem, plan: Plan) -> list[str]:
    return [str(v) for v in validate(problem, plan)]
