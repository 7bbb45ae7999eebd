"""Key performance indicators of a plan, computed from its routes alone.

The solver calls :func:`compute_kpis` to fill ``plan.kpis`` and the validator calls it to check
rule 7 of the contract, so both always agree on what each number means. Definitions (the
contract's ``plan.example.json`` reproduces exactly):

- ``jobs_total``: jobs of the problem; ``jobs_assigned``: distinct known jobs on some route;
  ``jobs_unassigned`` = total - assigned.
- ``on_time_pct``: of the assigned jobs that have a ``due``, the share whose service starts by
  it (100.0 when none has a due), 1 decimal.
- ``distance_km`` (2 decimals) and ``travel_min``: sums of the routes' own fields.
- ``work_min``: the assigned jobs' ``duration_min``.
- ``overtime_min``: over routes, ``max(0, end_time - shift end)``.
- ``utilisation_pct``: (work + travel + depot pick-up minutes) / (the lengths of all shifts of
  all engineers, worked or not) x 100, 1 decimal.

Extra fields: ``late_jobs`` and ``lateness_min`` (minutes started after ``due``, summed),
``depot_min``, ``break_min``, and per-priority ``assigned_by_priority`` /
``unassigned_by_priority`` / ``on_time_pct_by_priority``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from optimizer.models import (
    BreakStop,
    DepotStop,
    Job,
    JobStop,
    Kpis,
    Plan,
    Priority,
    Problem,
    Route,
    SolverInfo,
    Unassigned,
)


def minutes_between(a: datetime, b: datetime) -> float:
    """Minutes from ``a`` to ``b`` (negative when ``b`` is earlier)."""
    return (b - a).total_seconds() / 60.0


def _pct(part: int, whole: int) -> float:
    """``part / whole`` in percent, 1 decimal; 100.0 when there is nothing to measure."""
    return 100.0 if whole == 0 else round(100.0 * part / whole, 1)


def _assigned_starts(problem: Problem, routes: Sequence[Route]) -> dict[str, datetime]:
    """Start of service of each known job on a route (its first occurrence if repeated)."""
    known = {j.id for j in problem.jobs}
    starts: dict[str, datetime] = {}
    for route in routes:
        for stop in route.stops:
            if isinstance(stop, JobStop) and stop.job in known and stop.job not in starts:
                starts[stop.job] = stop.start
    return starts


def _shift_end(problem: Problem, route: Route) -> datetime | None:
    """End of the shift a route works, or None if the route names no existing shift."""
    for e in problem.engineers:
        if e.id == route.engineer:
            return e.shifts[route.shift].end if 0 <= route.shift < len(e.shifts) else None
    return None


def compute_kpis(
    problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned]
) -> Kpis:
    """The contract KPIs (plus a few extras) of a plan made of ``routes`` and ``unassigned``.

    Robust to invalid plans (unknown ids, repeated jobs): those are the validator's business,
    and the numbers here stay defined so that rule 7 reports only real disagreements.
    ``unassigned`` is accepted for symmetry with the plan; the counts derive from the routes.
    """
    del unassigned  # counts derive from the routes so a lost job is not also a KPI error
    jobs: dict[str, Job] = {j.id: j for j in problem.jobs}
    starts = _assigned_starts(problem, routes)

    with_due = on_time = 0
    lateness = 0.0
    by_priority_due: dict[str, list[int]] = {p.value: [0, 0] for p in Priority}
    assigned_by_priority = {p.value: 0 for p in Priority}
    for job_id, start in starts.items():
        job = jobs[job_id]
        assigned_by_priority[job.priority.value] += 1
        if job.due is not None:
            with_due += 1
            counts = by_priority_due[job.priority.value]
            counts[1] += 1
            if start <= job.due:
                on_time += 1
                counts[0] += 1
            else:
                lateness += minutes_between(job.due, start)
    unassigned_by_priority = {p.value: 0 for p in Priority}
    for job in problem.jobs:
        if job.id not in starts:
            unassigned_by_priority[job.priority.value] += 1

    work = float(sum(jobs[j].duration_min for j in starts))
    travel = float(sum(r.travel_min for r in routes))
    distance = round(sum(r.distance_km for r in routes), 2)
    depot = sum(
        minutes_between(s.start, s.end) for r in routes for s in r.stops if isinstance(s, DepotStop)
    )
    breaks = sum(
        minutes_between(s.start, s.end) for r in routes for s in r.stops if isinstance(s, BreakStop)
    )
    overtime = 0.0
    for route in routes:
        end = _shift_end(problem, route)
        if end is not None:
            overtime += max(0.0, minutes_between(end, route.end_time))
    shift_min = sum(minutes_between(s.start, s.end) for e in problem.engineers for s in e.shifts)
    utilisation = 0.0 if shift_min <= 0 else round(100.0 * (work + travel + depot) / shift_min, 1)

    return Kpis(
        jobs_total=len(problem.jobs),
        jobs_assigned=len(starts),
        jobs_unassigned=len(problem.jobs) - len(starts),
        on_time_pct=_pct(on_time, with_due),
        distance_km=distance,
        travel_min=travel,
        work_min=work,
        overtime_min=float(overtime),
        utilisation_pct=utilisation,
        late_jobs=with_due - on_time,
        lateness_min=float(lateness),
        depot_min=float(depot),
        break_min=float(breaks),
        assigned_by_priority=assigned_by_priority,
        unassigned_by_priority=unassigned_by_priority,
        on_time_pct_by_priority={p: _pct(ok, n) for p, (ok, n) in by_priority_due.items() if n > 0},
    )


TIERS = (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def served_by_tier(problem: Problem, plan: Plan) -> tuple[int, ...]:
    """Jobs served, compared in order: pinned, critical, critical by their ``due`` (the
    emergency standard comes before lower-priority work), then high, normal, low."""
    start = {s.job: s.start for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    jobs = [j for j in problem.jobs if j.id in start]
    pinned = sum(1 for j in jobs if j.pinned is not None)
    critical = [j for j in jobs if j.priority == Priority.CRITICAL]
    on_time = sum(1 for j in critical if j.due is None or start[j.id] <= j.due)
    return (pinned, len(critical), on_time,
            *(sum(1 for j in jobs if j.priority == t) for t in TIERS[1:]))


def plan_of(problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned],
            solver: SolverInfo) -> Plan:
    """The contract plan of ``routes`` and ``unassigned``, with its KPIs over ``problem``:
    the one place a plan is put together from its parts."""
    return Plan(problem_id=problem.id, routes=list(routes), unassigned=list(unassigned),
                kpis=compute_kpis(problem, routes, unassigned), solver=solver)
