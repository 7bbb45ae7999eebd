"""A contract plan from given visit sequences: to check a published solution with the validator.

Each stop starts as early as it can (arrival = previous end + travel; service at the start of the
first window that has not closed); the route leaves its start as late as it can without delaying
its first stop. Breaks are not placed: use this only for shifts without breaks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from optimizer.kpis import plan_of
from optimizer.models import (
    DepotStop,
    JobStop,
    Location,
    Plan,
    Problem,
    Route,
    SolverInfo,
    TimeWindow,
    Unassigned,
    UnassignedReason,
)
from optimizer.travel import travel_matrix


@dataclass(frozen=True)
class DepotVisit:
    """A depot stop in a visit sequence, with what is picked up there."""

    depot: str
    pickup: Mapping[str, int] = field(default_factory=dict)
    tools: Sequence[str] = ()


Visit = str | DepotVisit
"""A job id, or a depot visit."""


def plan_from_sequences(
    problem: Problem,
    sequences: Mapping[str, Sequence[Visit]],
    *,
    shift: int = 0,
    status: str = "given",
) -> Plan:
    """The plan that visits, for each engineer id, its sequence in order, in shift ``shift``.

    Jobs in no sequence are reported unassigned. Raises ``KeyError`` on an unknown engineer, job
    or depot id, and ``ValueError`` when a job's windows have all closed on arrival.
    """
    engineers = {e.id: e for e in problem.engineers}
    jobs = {j.id: j for j in problem.jobs}
    depots = {d.id: d for d in problem.depots}
    locations: list[Location] = []
    index: dict[tuple[float, float], int] = {}

    def loc_index(loc: Location) -> int:
        key = (loc.lat, loc.lon)
        if key not in index:
            index[key] = len(locations)
            locations.append(loc)
        return index[key]

    for eid, seq in sequences.items():
        e = engineers[eid]
        loc_index(e.start)
        loc_index(e.end_location)
        for v in seq:
            loc_index(depots[v.depot].location if isinstance(v, DepotVisit) else jobs[v].location)
    tm = travel_matrix(problem.travel, locations)

    routes: list[Route] = []
    placed: set[str] = set()
    for eid, seq in sequences.items():
        if not seq:
            continue
        e = engineers[eid]
        sh = e.shifts[shift]
        here = loc_index(e.start)
        t = sh.start
        stops: list[JobStop | DepotStop] = []
        first_leg = -1
        km = 0.0
        minutes = 0
        for v in seq:
            if isinstance(v, DepotVisit):
                d = depots[v.depot]
                nxt = loc_index(d.location)
            else:
                nxt = loc_index(jobs[v].location)
            leg = int(tm.minutes[here, nxt])
            if first_leg < 0:
                first_leg = leg
            km += float(tm.km[here, nxt])
            minutes += leg
            arrival = t + timedelta(minutes=leg)
            if isinstance(v, DepotVisit):
                start = max(arrival, d.open.start) if d.open is not None else arrival
                end = start + timedelta(minutes=d.pickup_min)
                stops.append(
                    DepotStop(
                        depot=d.id,
                        arrival=arrival,
                        start=start,
                        end=end,
                        pickup=dict(v.pickup),
                        pickup_tools=list(v.tools),
                    )
                )
            else:
                job = jobs[v]
                start = _service_start(job.time_windows, arrival, job.id)
                end = start + timedelta(minutes=job.duration_min)
                stops.append(JobStop(job=job.id, arrival=arrival, start=start, end=end))
                placed.add(job.id)
            t = end
            here = nxt
        back = loc_index(e.end_location)
        leg = int(tm.minutes[here, back])
        km += float(tm.km[here, back])
        minutes += leg
        end_time = t + timedelta(minutes=leg)
        # Leave as late as possible without delaying the first stop.
        start_time = max(sh.start, stops[0].start - timedelta(minutes=first_leg))
        first = stops[0]
        stops[0] = first.model_copy(update={"arrival": start_time + timedelta(minutes=first_leg)})
        routes.append(
            Route(
                engineer=eid,
                shift=shift,
                start_time=start_time,
                end_time=end_time,
                distance_km=round(km, 6),
                travel_min=minutes,
                stops=stops,
            )
        )
    unassigned = [
        Unassigned(job=j.id, reason=UnassignedReason.CAPACITY, detail="in no given sequence")
        for j in problem.jobs
        if j.id not in placed
    ]
    return plan_of(problem, routes, unassigned, SolverInfo(status=status, wall_s=0.0))


def _service_start(windows: Sequence[TimeWindow], arrival: datetime, job_id: str) -> datetime:
    """Earliest start at or after ``arrival`` inside one of ``windows`` (any time if none)."""
    if not windows:
        return arrival
    for w in sorted(windows, key=lambda w: w.start):
        if arrival <= w.end:
            return max(arrival, w.start)
    raise ValueError(f"job {job_id!r}: arrival {arrival.isoformat()} is after all its windows")
