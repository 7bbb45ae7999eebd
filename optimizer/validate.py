"""Check a plan against its problem by every rule of the contract's "What makes a plan valid".

:func:`validate` is a pure function that returns *all* violations, each tagged with the rule
it breaks and a message naming the ids and the numbers, so that a broken plan can be fixed in
one pass. Travel comes from :func:`optimizer.travel.travel_matrix`, the code the solver uses.
Tolerances: times exact to the minute (1 s allowed for rounding), route distances within
0.01 km, KPIs within 0.1.

How the time rule reads the contract (see ``shared/contract/README.md``):

- a route is its engineer's start, the job and depot stops in list order, and its end
  location; break stops have no location and sit in the gap between two of those points;
- in each gap, ``next arrival >= previous end + travel`` (rule ``time``); when the gap holds
  breaks, each must lie inside the gap and the gap must hold the travel plus the breaks
  (rule ``breaks``);
- ``end_time`` is the arrival at the end location: at or after the last stop's end plus the
  travel home (and the breaks in that gap), and by shift end + ``max_overtime_min``. Like
  ``arrival``, it may be later than the earliest possible (the contract example's E02 route
  returns 30 min after it could).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from itertools import pairwise
from typing import Any

from optimizer.certificates import describe_lapse, lapsed, local_day, local_tz
from optimizer.kpis import compute_kpis
from optimizer.models import (
    BreakStop,
    Depot,
    DepotStop,
    Engineer,
    Job,
    JobStop,
    Kpis,
    Location,
    Plan,
    Problem,
    Route,
    Shift,
    UnassignedReason,
)
from optimizer.travel import TravelMatrix, travel_matrix

TIME_TOLERANCE = timedelta(seconds=1)
DISTANCE_TOLERANCE_KM = 0.01
TRAVEL_TOLERANCE_MIN = 1.0 / 60.0
KPI_TOLERANCE = 0.1


class Rule(StrEnum):
    """The rule a violation breaks (numbers refer to the contract's list)."""

    PROBLEM_ID = "problem_id"  # plan.problem_id names another problem
    NOTHING_LOST = "nothing_lost"  # 1
    ROUTE_IDENTITY = "route_identity"  # 2
    SKILLS = "skills"  # 3
    TIME = "time"  # 4: route start/end, arrivals, windows, durations, overlaps
    BREAKS = "breaks"  # 4: every break once, in its window, inside a gap that holds it
    PARTS = "parts"  # 5: van stock, depot stock, depot open hours
    TOOLS = "tools"  # 5
    LOAD = "load"  # 5
    PINNED = "pinned"  # 6
    TOTALS = "totals"  # 7: a route's distance_km / travel_min
    KPIS = "kpis"  # 7: plan.kpis


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (route index, engineer, shift, job, stop index) and what."""

    rule: Rule
    message: str
    route: int | None = None
    engineer: str | None = None
    shift: int | None = None
    job: str | None = None
    stop: int | None = None

    def __str__(self) -> str:
        return f"[{self.rule.value}] {self.message}"


def format_violations(violations: Sequence[Violation]) -> str:
    """Violations as text, one per line, grouped by rule in contract order."""
    if not violations:
        return "plan is valid: no violations"
    order = list(Rule)
    ordered = sorted(violations, key=lambda v: order.index(v.rule))
    noun = "violation" if len(violations) == 1 else "violations"
    lines = [f"{len(violations)} {noun}:"]
    lines += [f"  - {v}" for v in ordered]
    return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def _t(dt: datetime) -> str:
    """A time for messages: date and minute (and second when there is one)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S" if dt.second else "%Y-%m-%d %H:%M")


def _min(delta: timedelta) -> str:
    """A duration in minutes for messages."""
    m = delta.total_seconds() / 60.0
    return f"{m:g} min" if m == int(m) else f"{m:.2f} min"


def _before(a: datetime, b: datetime) -> bool:
    """``a`` is earlier than ``b`` by more than the rounding tolerance."""
    return a < b - TIME_TOLERANCE


def _differ(a: datetime, b: datetime) -> bool:
    return abs(a - b) > TIME_TOLERANCE


def _stop_name(stop: Any, k: int) -> str:
    if isinstance(stop, JobStop):
        return f"stop {k} (job {stop.job!r})"
    if isinstance(stop, DepotStop):
        return f"stop {k} (depot {stop.depot!r})"
    return f"stop {k} (break {_t(stop.start)}–{_t(stop.end)})"


@dataclass(frozen=True)
class _Places:
    """Matrix indices of every location of the problem, and the travel between them."""

    matrix: TravelMatrix
    engineer_start: dict[str, int]
    engineer_end: dict[str, int]
    job: dict[str, int]
    depot: dict[str, int]

    def minutes(self, a: int, b: int) -> int:
        return int(self.matrix.minutes[a, b])

    def km(self, a: int, b: int) -> float:
        return float(self.matrix.km[a, b])


def _places(problem: Problem) -> _Places:
    locations: list[Location] = []

    def add(loc: Location) -> int:
        locations.append(loc)
        return len(locations) - 1

    starts = {e.id: add(e.start) for e in problem.engineers}
    ends = {e.id: add(e.end_location) for e in problem.engineers}
    jobs = {j.id: add(j.location) for j in problem.jobs}
    depots = {d.id: add(d.location) for d in problem.depots}
    return _Places(travel_matrix(problem.travel, locations), starts, ends, jobs, depots)


@dataclass(frozen=True)
class _Ctx:
    """What every per-route check needs: the problem by id and the travel."""

    problem: Problem
    engineers: dict[str, Engineer]
    jobs: dict[str, Job]
    depots: dict[str, Depot]
    places: _Places
    tz: tzinfo  # the problem's local offset (certificates count by local date)


def _where(ri: int, route: Route) -> str:
    return f"route {ri} ({route.engineer!r} shift {route.shift})"


# --------------------------------------------------------------------------- rule 1


def _check_nothing_lost(ctx: _Ctx, plan: Plan) -> list[Violation]:
    """Every job exactly once, on a route or unassigned; no unknown job ids."""
    out: list[Violation] = []
    seen: dict[str, list[str]] = defaultdict(list)
    for ri, route in enumerate(plan.routes):
        for k, stop in enumerate(route.stops):
            if isinstance(stop, JobStop):
                seen[stop.job].append(f"{_where(ri, route)} stop {k}")
                if stop.job not in ctx.jobs:
                    out.append(
                        Violation(
                            Rule.NOTHING_LOST,
                            f"{_where(ri, route)} stop {k}: unknown job {stop.job!r}",
                            route=ri,
                            engineer=route.engineer,
                            shift=route.shift,
                            job=stop.job,
                            stop=k,
                        )
                    )
    for u in plan.unassigned:
        seen[u.job].append("unassigned")
        if u.job not in ctx.jobs:
            out.append(
                Violation(Rule.NOTHING_LOST, f"unassigned: unknown job {u.job!r}", job=u.job)
            )
    for job in ctx.problem.jobs:
        places = seen.get(job.id, [])
        if not places:
            out.append(
                Violation(
                    Rule.NOTHING_LOST,
                    f"job {job.id!r} is lost: on no route and not unassigned",
                    job=job.id,
                )
            )
        elif len(places) > 1:
            out.append(
                Violation(
                    Rule.NOTHING_LOST,
                    f"job {job.id!r} appears {len(places)} times: {', '.join(places)}",
                    job=job.id,
                )
            )
    return out


# --------------------------------------------------------------------------- rule 2


def _check_routes(ctx: _Ctx, plan: Plan) -> tuple[list[Violation], set[int]]:
    """Existing engineer and shift, one route per shift; returns the routes fit to check."""
    out: list[Violation] = []
    ok: set[int] = set()
    first: dict[tuple[str, int], int] = {}
    for ri, route in enumerate(plan.routes):
        eng = ctx.engineers.get(route.engineer)
        v: dict[str, Any] = dict(route=ri, engineer=route.engineer, shift=route.shift)
        if eng is None:
            out.append(
                Violation(
                    Rule.ROUTE_IDENTITY,
                    f"route {ri}: unknown engineer {route.engineer!r}",
                    **v,
                )
            )
            continue
        if route.shift >= len(eng.shifts):
            out.append(
                Violation(
                    Rule.ROUTE_IDENTITY,
                    f"route {ri}: engineer {route.engineer!r} has {len(eng.shifts)} shift(s), "
                    f"no shift index {route.shift}",
                    **v,
                )
            )
            continue
        key = (route.engineer, route.shift)
        if key in first:
            out.append(
                Violation(
                    Rule.ROUTE_IDENTITY,
                    f"route {ri}: engineer {route.engineer!r} shift {route.shift} already has "
                    f"route {first[key]} (at most one route per engineer shift)",
                    **v,
                )
            )
        else:
            first[key] = ri
        if all(isinstance(s, BreakStop) for s in route.stops):
            out.append(
                Violation(
                    Rule.ROUTE_IDENTITY,
                    f"{_where(ri, route)} does no work (no job or depot stop); routes are "
                    "only for engineer shifts that do work",
                    **v,
                )
            )
        ok.add(ri)
    return out, ok


# --------------------------------------------------------------------------- rule 3


def _check_skills(ctx: _Ctx, ri: int, route: Route) -> list[Violation]:
    out: list[Violation] = []
    eng = ctx.engineers[route.engineer]
    for k, stop in enumerate(route.stops):
        if not isinstance(stop, JobStop) or stop.job not in ctx.jobs:
            continue
        job = ctx.jobs[stop.job]
        v: dict[str, Any] = dict(route=ri, engineer=eng.id, shift=route.shift, job=job.id, stop=k)
        if eng.id in job.excluded_engineers:
            out.append(
                Violation(
                    Rule.SKILLS,
                    f"{_where(ri, route)} stop {k}: job {job.id!r} excludes engineer {eng.id!r}",
                    **v,
                )
            )
        missing = [
            f"{skill} level {level} (has {eng.skills.get(skill, 0)})"
            for skill, level in sorted(job.required_skills.items())
            if eng.skills.get(skill, 0) < level
        ]
        if missing:
            out.append(
                Violation(
                    Rule.SKILLS,
                    f"{_where(ri, route)} stop {k}: engineer {eng.id!r} is not qualified for "
                    f"job {job.id!r}: needs {', '.join(missing)}",
                    **v,
                )
            )
        day = local_day(stop.start, ctx.tz)
        gone = lapsed(eng, job.required_skills, day)
        if gone:
            out.append(
                Violation(
                    Rule.SKILLS,
                    f"{_where(ri, route)} stop {k}: job {job.id!r} starts on {day.isoformat()} "
                    f"(local) but {describe_lapse(eng.id, gone)}",
                    **v,
                )
            )
    return out


# --------------------------------------------------------------------------- rule 4


def _location_of(ctx: _Ctx, stop: JobStop | DepotStop) -> int | None:
    if isinstance(stop, JobStop):
        return ctx.places.job.get(stop.job)
    return ctx.places.depot.get(stop.depot)


def _check_time(ctx: _Ctx, ri: int, route: Route) -> list[Violation]:
    """Rule 4 on one route: the chain of arrivals, windows, durations, breaks in their gaps."""
    out: list[Violation] = []
    eng = ctx.engineers[route.engineer]
    shift = eng.shifts[route.shift]
    where = _where(ri, route)
    base: dict[str, Any] = dict(route=ri, engineer=eng.id, shift=route.shift)

    def add(rule: Rule, msg: str, k: int | None = None, job: str | None = None) -> None:
        out.append(Violation(rule, msg, stop=k, job=job, **base))

    if _before(route.start_time, shift.start):
        add(
            Rule.TIME,
            f"{where}: start_time {_t(route.start_time)} is before shift start {_t(shift.start)}",
        )

    prev_loc: int | None = ctx.places.engineer_start[eng.id]
    prev_end = route.start_time
    prev_name = "start_time"
    breaks: list[tuple[int, BreakStop]] = []

    def close_gap(loc: int | None, arrival: datetime, name: str, k: int | None) -> None:
        """Check the gap from the previous point to ``arrival`` at ``loc`` (and its breaks)."""
        for (ka, a), (kb, b) in pairwise(breaks):
            if _before(b.start, a.end):
                add(Rule.TIME, f"{where}: {_stop_name(b, kb)} overlaps {_stop_name(a, ka)}", kb)
        for kb, b in breaks:
            if _before(b.start, prev_end) or _before(arrival, b.end):
                add(
                    Rule.BREAKS,
                    f"{where}: {_stop_name(b, kb)} is not inside its gap from {prev_name} "
                    f"{_t(prev_end)} to {name} {_t(arrival)}",
                    kb,
                )
        if prev_loc is None or loc is None:
            return  # an unknown job or depot: reported by its own rule, travel unknown
        travel = timedelta(minutes=ctx.places.minutes(prev_loc, loc))
        if _before(arrival, prev_end + travel):
            add(
                Rule.TIME,
                f"{where}: {name} {_t(arrival)} is before {prev_name} {_t(prev_end)} + "
                f"travel {_min(travel)} = {_t(prev_end + travel)}",
                k,
            )
            return
        if breaks:
            pause = sum((b.end - b.start for _, b in breaks), timedelta())
            if _before(arrival, prev_end + travel + pause):
                add(
                    Rule.BREAKS,
                    f"{where}: the gap from {prev_name} {_t(prev_end)} to {name} {_t(arrival)} "
                    f"({_min(arrival - prev_end)}) cannot hold travel {_min(travel)} plus "
                    f"break(s) {_min(pause)}",
                    breaks[0][0],
                )

    for k, stop in enumerate(route.stops):
        if isinstance(stop, BreakStop):
            if _before(stop.end, stop.start):
                add(Rule.TIME, f"{where}: {_stop_name(stop, k)} ends before it starts", k)
            breaks.append((k, stop))
            continue
        name = _stop_name(stop, k)
        job_id = stop.job if isinstance(stop, JobStop) else None
        loc = _location_of(ctx, stop)
        close_gap(loc, stop.arrival, f"{name} arrival", k)
        if _before(stop.start, stop.arrival):
            add(
                Rule.TIME,
                f"{where}: {name} starts {_t(stop.start)} before its arrival {_t(stop.arrival)}",
                k,
                job_id,
            )
        duration: int | None = None
        if isinstance(stop, JobStop) and stop.job in ctx.jobs:
            job = ctx.jobs[stop.job]
            duration = job.duration_min
            if job.time_windows and not any(
                not _before(stop.start, w.start) and not _before(w.end, stop.start)
                for w in job.time_windows
            ):
                windows = ", ".join(f"[{_t(w.start)}, {_t(w.end)}]" for w in job.time_windows)
                add(
                    Rule.TIME,
                    f"{where}: {name} starts {_t(stop.start)}, outside every time window "
                    f"of the job: {windows}",
                    k,
                    job_id,
                )
        elif isinstance(stop, DepotStop) and stop.depot in ctx.depots:
            duration = ctx.depots[stop.depot].pickup_min
        if duration is not None and _differ(stop.end, stop.start + timedelta(minutes=duration)):
            add(
                Rule.TIME,
                f"{where}: {name} ends {_t(stop.end)} but start {_t(stop.start)} + "
                f"{duration} min is {_t(stop.start + timedelta(minutes=duration))}",
                k,
                job_id,
            )
        prev_loc, prev_end, prev_name, breaks = loc, stop.end, f"{name} end", []

    close_gap(ctx.places.engineer_end[eng.id], route.end_time, "end_time", None)
    latest = shift.end + timedelta(minutes=shift.max_overtime_min)
    if _before(latest, route.end_time):
        add(
            Rule.TIME,
            f"{where}: end_time {_t(route.end_time)} is after shift end {_t(shift.end)} + "
            f"max_overtime {shift.max_overtime_min} min = {_t(latest)}",
        )
    return out


def _check_engineer_overlap(ctx: _Ctx, plan: Plan, ok: set[int]) -> list[Violation]:
    """Two routes of one engineer must not overlap in time."""
    out: list[Violation] = []
    by_eng: dict[str, list[int]] = defaultdict(list)
    for ri in sorted(ok):
        by_eng[plan.routes[ri].engineer].append(ri)
    for eng, ris in by_eng.items():
        ris.sort(key=lambda i: plan.routes[i].start_time)
        for a, b in pairwise(ris):
            ra, rb = plan.routes[a], plan.routes[b]
            if _before(rb.start_time, ra.end_time):
                out.append(
                    Violation(
                        Rule.TIME,
                        f"{_where(b, rb)} starts {_t(rb.start_time)} before {_where(a, ra)} "
                        f"ends {_t(ra.end_time)}: one engineer, two places",
                        route=b,
                        engineer=eng,
                        shift=rb.shift,
                    )
                )
    return out


def _max_matching(edges: list[list[int]], n_right: int) -> list[int]:
    """Maximum bipartite matching (augmenting paths); returns right -> left or -1."""
    match_right = [-1] * n_right

    def augment(u: int, seen: set[int]) -> bool:
        for v in edges[u]:
            if v in seen:
                continue
            seen.add(v)
            if match_right[v] < 0 or augment(match_right[v], seen):
                match_right[v] = u
                return True
        return False

    for u in range(len(edges)):
        augment(u, set())
    return match_right


def _check_breaks(ctx: _Ctx, plan: Plan, ok: set[int]) -> list[Violation]:
    """Every break of a worked shift appears exactly once, in [earliest, latest]."""
    out: list[Violation] = []
    by_shift: dict[tuple[str, int], list[int]] = defaultdict(list)
    for ri in sorted(ok):
        by_shift[(plan.routes[ri].engineer, plan.routes[ri].shift)].append(ri)
    for (eng_id, si), ris in by_shift.items():
        shift: Shift = ctx.engineers[eng_id].shifts[si]
        stops = [
            (ri, k, s)
            for ri in ris
            for k, s in enumerate(plan.routes[ri].stops)
            if isinstance(s, BreakStop)
        ]
        edges = [
            [
                bi
                for bi, b in enumerate(shift.breaks)
                if not _before(s.start, b.earliest)
                and not _before(b.latest, s.start)
                and not _differ(s.end, s.start + timedelta(minutes=b.duration_min))
            ]
            for _, _, s in stops
        ]
        match = _max_matching(edges, len(shift.breaks))
        matched_stops = {m for m in match if m >= 0}
        loose_stops = [i for i in range(len(stops)) if i not in matched_stops]
        loose_breaks = [bi for bi in range(len(shift.breaks)) if match[bi] < 0]
        # A stop and a break both left over are one mistake: a break taken wrongly.
        for n, i in enumerate(loose_stops):
            ri, k, s = stops[i]
            route = plan.routes[ri]
            what = f"{_where(ri, route)}: {_stop_name(s, k)} ({_min(s.end - s.start)})"
            if n < len(loose_breaks):
                b = shift.breaks[loose_breaks[n]]
                msg = (
                    f"{what} should be break {loose_breaks[n]} of the shift: "
                    f"{b.duration_min} min starting in [{_t(b.earliest)}, {_t(b.latest)}]"
                )
            elif edges[i]:
                msg = f"{what} repeats a break of the shift that is already taken"
            else:
                msg = f"{what} is an extra break: the shift has {len(shift.breaks)} break(s)"
            out.append(Violation(Rule.BREAKS, msg, route=ri, engineer=eng_id, shift=si, stop=k))
        for bi in loose_breaks[len(loose_stops) :]:
            b = shift.breaks[bi]
            out.append(
                Violation(
                    Rule.BREAKS,
                    f"engineer {eng_id!r} shift {si}: break {bi} ({b.duration_min} min "
                    f"starting in [{_t(b.earliest)}, {_t(b.latest)}]) does not appear",
                    route=ris[0],
                    engineer=eng_id,
                    shift=si,
                )
            )
    return out


# --------------------------------------------------------------------------- rule 5


def _check_stock_and_tools(ctx: _Ctx, plan: Plan, ok: set[int]) -> list[Violation]:
    """Van stock, tools (per engineer in time order), depot stock and hours."""
    out: list[Violation] = []
    by_eng: dict[str, list[int]] = defaultdict(list)
    for ri in sorted(ok):
        by_eng[plan.routes[ri].engineer].append(ri)
    taken: dict[tuple[str, str], int] = defaultdict(int)
    takers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for eng_id, ris in by_eng.items():
        eng = ctx.engineers[eng_id]
        ris.sort(key=lambda i: (plan.routes[i].start_time, plan.routes[i].shift))
        stock: dict[str, int] = dict(eng.van_stock)
        tools = set(eng.tools)
        for ri in ris:
            route = plan.routes[ri]
            where = _where(ri, route)
            base: dict[str, Any] = dict(route=ri, engineer=eng_id, shift=route.shift)
            for k, stop in enumerate(route.stops):
                if isinstance(stop, DepotStop):
                    depot = ctx.depots.get(stop.depot)
                    if depot is None:
                        out.append(
                            Violation(
                                Rule.PARTS,
                                f"{where} stop {k}: unknown depot {stop.depot!r}",
                                stop=k,
                                **base,
                            )
                        )
                        continue
                    hours = depot.open
                    if hours is not None and (
                        _before(stop.start, hours.start) or _before(hours.end, stop.end)
                    ):
                        out.append(
                            Violation(
                                Rule.PARTS,
                                f"{where} stop {k}: depot {depot.id!r} visit "
                                f"{_t(stop.start)}–{_t(stop.end)} is outside its open hours "
                                f"{_t(hours.start)}–{_t(hours.end)}",
                                stop=k,
                                **base,
                            )
                        )
                    for part, qty in stop.pickup.items():
                        stock[part] = stock.get(part, 0) + qty
                        taken[(depot.id, part)] += qty
                        takers[(depot.id, part)].append(f"{eng_id} {qty}")
                    for tool in stop.pickup_tools:
                        if tool in depot.tools:
                            tools.add(tool)
                        else:
                            out.append(
                                Violation(
                                    Rule.TOOLS,
                                    f"{where} stop {k}: picks up tool {tool!r} at depot "
                                    f"{depot.id!r}, which does not have it "
                                    f"(has {sorted(depot.tools)})",
                                    stop=k,
                                    **base,
                                )
                            )
                elif isinstance(stop, JobStop) and stop.job in ctx.jobs:
                    job = ctx.jobs[stop.job]
                    for part, qty in job.required_parts.items():
                        stock[part] = stock.get(part, 0) - qty
                        if stock[part] < 0:
                            out.append(
                                Violation(
                                    Rule.PARTS,
                                    f"{where} stop {k}: job {job.id!r} needs {qty} x {part!r} "
                                    f"but engineer {eng_id!r} has only {stock[part] + qty} "
                                    "(van stock plus pick-ups so far minus parts used so far)",
                                    job=job.id,
                                    stop=k,
                                    **base,
                                )
                            )
                    lacking = [t for t in job.required_tools if t not in tools]
                    if lacking:
                        out.append(
                            Violation(
                                Rule.TOOLS,
                                f"{where} stop {k}: job {job.id!r} needs tool(s) {lacking} that "
                                f"engineer {eng_id!r} neither carries nor picked up earlier",
                                job=job.id,
                                stop=k,
                                **base,
                            )
                        )
    for (depot_id, part), qty in sorted(taken.items()):
        have = ctx.depots[depot_id].stock.get(part, 0)
        if qty > have:
            out.append(
                Violation(
                    Rule.PARTS,
                    f"depot {depot_id!r}: {qty} x {part!r} picked up "
                    f"({', '.join(takers[(depot_id, part)])}) but its stock is {have}",
                )
            )
    return out


def _check_load(ctx: _Ctx, ri: int, route: Route) -> list[Violation]:
    eng = ctx.engineers[route.engineer]
    if eng.capacity is None:
        return []
    load = sum(
        ctx.jobs[s.job].load for s in route.stops if isinstance(s, JobStop) and s.job in ctx.jobs
    )
    if load <= eng.capacity:
        return []
    return [
        Violation(
            Rule.LOAD,
            f"{_where(ri, route)}: the jobs' load adds up to {load}, over the capacity "
            f"{eng.capacity} of engineer {eng.id!r}",
            route=ri,
            engineer=eng.id,
            shift=route.shift,
        )
    ]


# --------------------------------------------------------------------------- rule 6


def _check_pinned(ctx: _Ctx, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    for ri, route in enumerate(plan.routes):
        for k, stop in enumerate(route.stops):
            if not isinstance(stop, JobStop) or stop.job not in ctx.jobs:
                continue
            pin = ctx.jobs[stop.job].pinned
            if pin is None:
                continue
            v: dict[str, Any] = dict(
                route=ri, engineer=route.engineer, shift=route.shift, job=stop.job, stop=k
            )
            if route.engineer != pin.engineer:
                out.append(
                    Violation(
                        Rule.PINNED,
                        f"{_where(ri, route)} stop {k}: job {stop.job!r} is pinned to engineer "
                        f"{pin.engineer!r}, not {route.engineer!r}",
                        **v,
                    )
                )
            if pin.start is not None and _differ(stop.start, pin.start):
                out.append(
                    Violation(
                        Rule.PINNED,
                        f"{_where(ri, route)} stop {k}: job {stop.job!r} is pinned to start at "
                        f"{_t(pin.start)}, starts at {_t(stop.start)}",
                        **v,
                    )
                )
    for u in plan.unassigned:
        job = ctx.jobs.get(u.job)
        if job is None:
            continue
        if job.pinned is not None and u.reason != UnassignedReason.PINNED_INFEASIBLE:
            out.append(
                Violation(
                    Rule.PINNED,
                    f"unassigned job {u.job!r} is pinned to {job.pinned.engineer!r}: the only "
                    f"allowed reason is 'pinned_infeasible', not {u.reason.value!r}",
                    job=u.job,
                )
            )
        if job.pinned is None and u.reason == UnassignedReason.PINNED_INFEASIBLE:
            out.append(
                Violation(
                    Rule.PINNED,
                    f"unassigned job {u.job!r} has reason 'pinned_infeasible' but is not pinned",
                    job=u.job,
                )
            )
    return out


# --------------------------------------------------------------------------- rule 7


def _check_totals(ctx: _Ctx, ri: int, route: Route) -> list[Violation]:
    """The route's distance_km and travel_min are what its legs add up to."""
    stops = [_location_of(ctx, s) for s in route.stops if not isinstance(s, BreakStop)]
    if any(i is None for i in stops):
        return []  # an unknown job or depot is reported elsewhere; legs unknown
    seq = [
        ctx.places.engineer_start[route.engineer],
        *(i for i in stops if i is not None),
        ctx.places.engineer_end[route.engineer],
    ]
    legs = list(pairwise(seq))
    km = sum(ctx.places.km(a, b) for a, b in legs)
    minutes = sum(ctx.places.minutes(a, b) for a, b in legs)
    out: list[Violation] = []
    base: dict[str, Any] = dict(route=ri, engineer=route.engineer, shift=route.shift)
    if abs(route.distance_km - km) > DISTANCE_TOLERANCE_KM + 1e-9:
        out.append(
            Violation(
                Rule.TOTALS,
                f"{_where(ri, route)}: distance_km {route.distance_km:g} but its "
                f"{len(legs)} legs add up to {km:.2f} km",
                **base,
            )
        )
    if abs(route.travel_min - minutes) > TRAVEL_TOLERANCE_MIN:
        out.append(
            Violation(
                Rule.TOTALS,
                f"{_where(ri, route)}: travel_min {route.travel_min:g} but its "
                f"{len(legs)} legs add up to {minutes} min",
                **base,
            )
        )
    return out


def _close(a: Any, b: Any) -> bool:
    """Equal within KPI rounding: ints and strings exact, floats within 0.1, dicts by key."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= KPI_TOLERANCE + 1e-9
    return bool(a == b)


def _check_kpis(problem: Problem, plan: Plan) -> list[Violation]:
    """plan.kpis agree with compute_kpis: the contract fields, and any extra field it shares."""
    want = compute_kpis(problem, plan.routes, plan.unassigned)
    fields: Iterable[str] = list(Kpis.model_fields) + [
        f for f in (plan.kpis.model_extra or {}) if f in (want.model_extra or {})
    ]
    out: list[Violation] = []
    for field in fields:
        have, expect = getattr(plan.kpis, field), getattr(want, field)
        if field in Kpis.model_fields and field.startswith("jobs_"):
            same = int(have) == have and int(have) == int(expect)
        else:
            same = _close(have, expect)
        if not same:
            out.append(
                Violation(
                    Rule.KPIS,
                    f"kpis.{field} is {have!r} but the routes give {expect!r}",
                )
            )
    return out


# --------------------------------------------------------------------------- entry point


def validate(problem: Problem, plan: Plan) -> list[Violation]:
    """Every violation of the contract's validity rules by ``plan`` for ``problem``.

    Returns an empty list for a valid plan. Checks that need an object the plan names wrongly
    (an unknown engineer, shift, job or depot) skip it, so one mistake is reported once.
    """
    ctx = _Ctx(
        problem=problem,
        engineers={e.id: e for e in problem.engineers},
        jobs={j.id: j for j in problem.jobs},
        depots={d.id: d for d in problem.depots},
        places=_places(problem),
        tz=local_tz(problem),
    )
    out: list[Violation] = []
    if plan.problem_id != problem.id:
        out.append(
            Violation(
                Rule.PROBLEM_ID,
                f"plan.problem_id {plan.problem_id!r} is not the problem's id {problem.id!r}",
            )
        )
    out += _check_nothing_lost(ctx, plan)
    route_violations, ok = _check_routes(ctx, plan)
    out += route_violations
    for ri in sorted(ok):
        route = plan.routes[ri]
        out += _check_skills(ctx, ri, route)
        out += _check_time(ctx, ri, route)
        out += _check_load(ctx, ri, route)
        out += _check_totals(ctx, ri, route)
    out += _check_engineer_overlap(ctx, plan, ok)
    out += _check_breaks(ctx, plan, ok)
    out += _check_stock_and_tools(ctx, plan, ok)
    out += _check_pinned(ctx, plan)
    out += _check_kpis(problem, plan)
    return out
