"""Where parts and dispatch meet: jobs held back for parts, and tomorrow's parts demand.

A job is held back (reason ``parts_unavailable``) when some part it needs is at no depot and
on no van of the problem, in the quantity it needs. The date its parts are due comes from
the spare-parts data, earliest first:

1. an open order (``on_order.csv``) of the part at a depot or van of the problem: its ``due``;
2. an open order at an upstream location (a central warehouse): its ``due`` plus the
   transfer lead time to the job's depot;
3. stock on hand at a location outside the problem (a central warehouse): a transfer ordered
   tonight arrives after the depot's lead time;
4. otherwise an order placed tonight on the supply chain: tonight plus the lead times of every
   leg from the supplier to the job's depot (means, rounded up to whole days).

The job's depot is the nearest depot of the problem that the parts data knows (else the
nearest depot). :func:`committed_demand` turns tomorrow's plan into parts demand per location:
the depot pick-ups of the planned routes, the van stock they use, and the parts of held jobs at
their depot, so that tonight's orders cover them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from optimizer.models import DepotStop, JobStop, Location, Plan, Problem, Unassigned
from optimizer.parts.data import SUPPLIER, PartsData


@dataclass(frozen=True)
class HeldJob:
    """A job kept out of tomorrow's plan because its parts are nowhere to be had."""

    job: str
    missing: dict[str, int]  # part -> units short over all depots and vans
    depot: str | None  # the depot its parts should come to
    parts_due: date | None  # when the parts can be at that depot (None: unknown)
    source: str  # how parts_due was found, in words
    pinned: str | None = None  # the engineer a pinned job must stay with


    def unassigned(self) -> Unassigned:
        """The plan's ``unassigned`` entry: reason ``parts_unavailable``, the date in detail.

        A pinned job can only be ``pinned_infeasible`` (contract rule 6); its detail says why.
        """
        need = ", ".join(f"{p} x{q}" for p, q in sorted(self.missing.items()))
        when = (f"parts due {self.parts_due.isoformat()} ({self.source})"
                if self.parts_due is not None else f"parts due date unknown ({self.source})")
        detail = f"needs {need}: at no depot and on no van; {when}"
        if self.pinned is not None:
            detail = f"pinned to {self.pinned}, but {detail}"
        return Unassigned(
            job=self.job,
            reason="pinned_infeasible" if self.pinned is not None else "parts_unavailable",
            detail=detail,
            parts_due=self.parts_due.isoformat() if self.parts_due else None,
            parts_depot=self.depot,
        )


@dataclass(frozen=True)
class CommittedDemand:
    """Parts that tomorrow's jobs take, per (location, part), and the jobs behind them."""

    qty: dict[tuple[str, str], int] = field(default_factory=dict)
    jobs: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _km(a: Location, b: Location) -> float:
    """Great-circle km (only used to rank depots by nearness)."""
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = la2 - la1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def available_parts(problem: Problem) -> dict[str, int]:
    """Units of each part over all depots' stock and all vans."""
    total: dict[str, int] = defaultdict(int)
    for d in problem.depots:
        for p, q in d.stock.items():
            total[p] += q
    for e in problem.engineers:
        for p, q in e.van_stock.items():
            total[p] += q
    return dict(total)


def _lead_time_days(parts: PartsData, location: str, part: str) -> float | None:
    for lt in parts.lead_times:
        if lt.location == location and lt.part == part:
            return lt.lead_time_days_mean
    for loc in parts.locations:
        if loc.location == location:
            return loc.lead_time_days_mean
    return None


def _chain_days(parts: PartsData, location: str, part: str) -> tuple[int, list[str]] | None:
    """Whole days for an order placed now at the supplier to reach ``location``, and the legs."""
    by_id = {loc.location: loc for loc in parts.locations}
    days, legs, node, seen = 0, [], location, set()
    while node in by_id and node not in seen:
        seen.add(node)
        lt = _lead_time_days(parts, node, part) or 0.0
        days += math.ceil(lt - 1e-9)
        legs.append(f"{by_id[node].supplied_by}->{node}")
        if by_id[node].supplied_by == SUPPLIER:
            return days, legs
        node = by_id[node].supplied_by
    return None


def parts_due_date(
    parts: PartsData | None, problem: Problem, depot: str | None, part: str, qty: int,
    tonight: date,
) -> tuple[date | None, str]:
    """When ``qty`` units of ``part`` can be at ``depot``, and how that was found."""
    if parts is None:
        return None, "no spare-parts data"
    if depot is None:
        return None, "no depot in the problem"
    local = {d.id for d in problem.depots} | {e.id for e in problem.engineers}
    by_id = {loc.location: loc for loc in parts.locations}
    candidates: list[tuple[date, str]] = []
    # 1 and 2: open orders, in due order, until they cover the quantity.
    orders = sorted((o for o in parts.on_order if o.part == part), key=lambda o: o.due)
    covered = 0.0
    for o in orders:
        if o.location in local:
            arrive, how = o.due, f"open order at {o.location}"
        else:
            lt = _lead_time_days(parts, depot, part)
            if depot not in by_id or by_id[depot].supplied_by != o.location or lt is None:
                continue
            arrive = o.due + timedelta(days=math.ceil(lt - 1e-9))
            how = f"open order at {o.location} due {o.due.isoformat()}, then transfer"
        covered += o.qty
        if covered >= qty:
            candidates.append((arrive, how))
            break
    # 3: stock upstream of the depot, transferred from tonight.
    if depot in by_id:
        upstream = by_id[depot].supplied_by
        on_hand = sum(s.on_hand for s in parts.stock
                      if s.location == upstream and s.part == part)
        lt = _lead_time_days(parts, depot, part)
        if upstream != SUPPLIER and on_hand >= qty and lt is not None:
            candidates.append((tonight + timedelta(days=math.ceil(lt - 1e-9)),
                               f"transfer from {upstream} ordered tonight"))
    # 4: a new order from the supplier tonight.
    chain = _chain_days(parts, depot, part)
    if chain is not None:
        days, legs = chain
        candidates.append((tonight + timedelta(days=days),
                           f"ordered tonight, lead time {days} d ({', '.join(reversed(legs))})"))
    if not candidates:
        return None, f"{depot} is not in the parts data"
    return min(candidates, key=lambda c: c[0])


def parts_depot(problem: Problem, parts: PartsData | None, location: Location) -> str | None:
    """The depot a job at ``location`` draws from: nearest one the parts data knows."""
    known = {loc.location for loc in parts.locations} if parts is not None else set()
    depots = [d for d in problem.depots if d.id in known] or list(problem.depots)
    if not depots:
        return None
    return min(depots, key=lambda d: (_km(d.location, location), d.id)).id


def find_held_jobs(problem: Problem, parts: PartsData | None, day: date) -> list[HeldJob]:
    """Jobs some of whose parts are at no depot and on no van, with the date they are due."""
    have = available_parts(problem)
    tonight = day - timedelta(days=1)
    held = []
    for job in problem.jobs:
        missing = {p: q - have.get(p, 0) for p, q in job.required_parts.items()
                   if q > have.get(p, 0)}
        if not missing:
            continue
        depot = parts_depot(problem, parts, job.location)
        dates = [parts_due_date(parts, problem, depot, p, q, tonight)
                 for p, q in sorted(missing.items())]
        known = [d for d in dates if d[0] is not None]
        if known and len(known) == len(dates):
            due, source = max(known, key=lambda d: d[0])  # the job waits for its last part
        else:
            due, source = None, next(s for d, s in dates if d is None)
        held.append(HeldJob(job=job.id, missing=missing, depot=depot, parts_due=due,
                            source=source,
                            pinned=job.pinned.engineer if job.pinned is not None else None))
    return held


def without_jobs(problem: Problem, job_ids: set[str]) -> Problem:
    """``problem`` less the jobs in ``job_ids`` (a new frozen object)."""
    if not job_ids:
        return problem
    return problem.model_copy(update={"jobs": [j for j in problem.jobs if j.id not in job_ids]})


def committed_demand(problem: Problem, plan: Plan, held: list[HeldJob],
                     parts: PartsData | None = None) -> CommittedDemand:
    """Parts tomorrow's work takes, by (location, part): pick-ups, van use and held jobs.

    Depot pick-ups count at the depot; parts a route uses beyond its pick-ups come from the
    engineer's van, counted at the van (location id = engineer id) when the parts data has it,
    else at the depot that restocks the van (the one nearest the engineer's base); a held
    job's missing parts count at its depot.
    """
    qty: dict[tuple[str, str], int] = defaultdict(int)
    jobs: dict[tuple[str, str], list[str]] = defaultdict(list)
    job_by_id = {j.id: j for j in problem.jobs}
    known = {loc.location for loc in parts.locations} if parts is not None else None
    engineers = {e.id: e for e in problem.engineers}

    def van_location(engineer: str) -> str:
        if known is None or engineer in known or engineer not in engineers:
            return engineer
        return parts_depot(problem, parts, engineers[engineer].start) or engineer

    for route in plan.routes:
        picked: dict[str, int] = defaultdict(int)
        used: dict[str, int] = defaultdict(int)
        route_jobs: dict[str, list[str]] = defaultdict(list)
        for stop in route.stops:
            if isinstance(stop, DepotStop):
                for p, q in stop.pickup.items():
                    qty[(stop.depot, p)] += q
                    picked[p] += q
            elif isinstance(stop, JobStop) and stop.job in job_by_id:
                for p, q in job_by_id[stop.job].required_parts.items():
                    used[p] += q
                    route_jobs[p].append(stop.job)
        for stop in route.stops:
            if isinstance(stop, DepotStop):
                for p in stop.pickup:
                    jobs[(stop.depot, p)].extend(route_jobs.get(p, []))
        for p, q in used.items():
            from_van = q - picked.get(p, 0)
            if from_van > 0:
                van = van_location(route.engineer)
                qty[(van, p)] += from_van
                jobs[(van, p)].extend(route_jobs[p])
    for h in held:
        if h.depot is None:
            continue
        for p, q in h.missing.items():
            qty[(h.depot, p)] += q
            jobs[(h.depot, p)].append(h.job)
    return CommittedDemand(qty=dict(qty), jobs={k: sorted(set(v)) for k, v in jobs.items()})
