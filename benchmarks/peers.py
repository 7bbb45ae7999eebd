"""Peer solvers on a contract problem: VROOM (pyvroom) and PyVRP, benchmark-only extras.

Both read the very problem our solver gets, through the same travel matrix
(``optimizer.travel.travel_matrix``), so the figures compare like with like. What a peer cannot
express is left out and said so: VROOM has no parts, tools, depots or soft due times; the PyVRP
conversion covers capacitated routing with time windows only (Solomon).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from benchmarks.common import Outcome, Timer
from optimizer.models import Engineer, Location, Priority, Problem
from optimizer.travel import travel_matrix

VROOM_PRIORITY: dict[Priority, int] = {
    Priority.CRITICAL: 100,
    Priority.HIGH: 50,
    Priority.NORMAL: 25,
    Priority.LOW: 12,
}
"""VROOM priority (0-100) per tier, in the ratio of ``common.PRIORITY_WEIGHT``."""

NO_CAPACITY = 10**9


@dataclass(frozen=True)
class Indexed:
    """A problem's distinct locations, the travel between them, and each object's index."""

    t0: datetime
    minutes: np.ndarray
    metres: np.ndarray
    start: list[int]  # per engineer
    end: list[int]  # per engineer
    job: list[int]  # per job

    def minute(self, t: datetime) -> int:
        """Whole minutes from ``t0`` to ``t``."""
        return int((t - self.t0).total_seconds() // 60)


def index_problem(problem: Problem) -> Indexed:
    """Distinct locations of engineers and jobs, and their travel matrix (minutes, metres)."""
    locs: list[Location] = []
    seen: dict[tuple[float, float], int] = {}

    def idx(loc: Location) -> int:
        key = (loc.lat, loc.lon)
        if key not in seen:
            seen[key] = len(locs)
            locs.append(loc)
        return seen[key]

    start = [idx(e.start) for e in problem.engineers]
    end = [idx(e.end_location) for e in problem.engineers]
    job = [idx(j.location) for j in problem.jobs]
    tm = travel_matrix(problem.travel, locs)
    times = [s.start for e in problem.engineers for s in e.shifts]
    times += [w.start for j in problem.jobs for w in j.time_windows]
    t0 = min(times)
    return Indexed(
        t0=t0,
        minutes=tm.minutes,
        metres=np.rint(tm.km * 1000.0).astype(np.int64),
        start=start,
        end=end,
        job=job,
    )


def _skill_ids(problem: Problem) -> tuple[list[set[int]], list[set[int]]]:
    """VROOM skill sets per engineer and per job.

    One id per (skill, level): an engineer at level L holds the ids of levels 1..L, a job needing
    level l requires the id of level l, so VROOM's set inclusion means 'level >= required'. Jobs
    with excluded engineers require an id every other engineer holds; pinned jobs require the id
    of their engineer.
    """
    ids: dict[tuple[str, ...], int] = {}

    def sid(*key: str) -> int:
        return ids.setdefault(key, len(ids))

    eng = [
        {sid("skill", s, str(lv)) for s, top in e.skills.items() for lv in range(1, top + 1)}
        for e in problem.engineers
    ]
    for k, e in enumerate(problem.engineers):
        eng[k].add(sid("engineer", e.id))
    jobs: list[set[int]] = []
    for j in problem.jobs:
        req = {sid("skill", s, str(lv)) for s, lv in j.required_skills.items()}
        if j.excluded_engineers:
            allow = sid("allow", j.id)
            excluded = set(j.excluded_engineers)
            for k, e in enumerate(problem.engineers):
                if e.id not in excluded:
                    eng[k].add(allow)
            req.add(allow)
        if j.pinned is not None:
            req.add(sid("engineer", j.pinned.engineer))
        jobs.append(req)
    return eng, jobs


def solve_vroom(
    problem: Problem, time_limit_s: float, *, exploration_level: int = 5, threads: int = 1
) -> Outcome:
    """VROOM on ``problem`` (skills, windows, shifts, breaks, capacity, priorities, costs).

    Parts, tools, depots and soft ``due`` times are left out: VROOM has none. Durations are in
    seconds (minutes x 60) and distances in metres; each engineer shift is one vehicle.
    """
    import vroom

    out = Outcome(solver="vroom")
    with Timer() as build:
        ix = index_problem(problem)
        inp = vroom.Input()
        inp.set_durations_matrix("car", (ix.minutes * 60).astype(np.uint32))
        inp.set_distances_matrix("car", ix.metres.astype(np.uint32))
        eng_skills, job_skills = _skill_ids(problem)
        capacitated = any(e.capacity is not None for e in problem.engineers) or any(
            j.load for j in problem.jobs
        )
        vehicles: list[tuple[str, int]] = []
        for k, e in enumerate(problem.engineers):
            if e.cost_per_hour is None and e.cost_per_km is None:
                costs = vroom.VehicleCosts()
            else:
                costs = vroom.VehicleCosts(
                    per_hour=round(100 * (e.cost_per_hour or 0.0)),
                    per_km=round(100 * (e.cost_per_km or 0.0)),
                )
            for s, shift in enumerate(e.shifts):
                vid = len(vehicles)
                vehicles.append((e.id, s))
                breaks = [
                    vroom.Break(
                        b,
                        time_windows=[
                            vroom.TimeWindow(60 * ix.minute(br.earliest), 60 * ix.minute(br.latest))
                        ],
                        service=60 * br.duration_min,
                    )
                    for b, br in enumerate(shift.breaks)
                ]
                end = shift.end + timedelta(minutes=shift.max_overtime_min)
                inp.add_vehicle(
                    vroom.Vehicle(
                        vid,
                        start=ix.start[k],
                        end=ix.end[k],
                        capacity=[e.capacity if e.capacity is not None else NO_CAPACITY]
                        if capacitated
                        else (),
                        skills=eng_skills[k],
                        time_window=vroom.TimeWindow(
                            60 * ix.minute(shift.start), 60 * ix.minute(end)
                        ),
                        breaks=breaks,
                        costs=costs,
                    )
                )
        jobs = [
            vroom.Job(
                i,
                location=ix.job[i],
                default_service=60 * j.duration_min,
                delivery=[j.load] if capacitated else vroom.Amount([]),
                skills=job_skills[i],
                priority=VROOM_PRIORITY[j.priority],
                time_windows=[
                    vroom.TimeWindow(60 * ix.minute(w.start), 60 * ix.minute(w.end))
                    for w in j.time_windows
                ],
            )
            for i, j in enumerate(problem.jobs)
        ]
        inp.add_job(jobs)
    with Timer() as t:
        sol = inp.solve(
            exploration_level=exploration_level,
            nb_threads=threads,
            timeout=timedelta(seconds=time_limit_s),
        )
    out.ok = True
    out.wall_s = t.wall_s
    out.extra["cpu_s"] = round(t.cpu_s, 2)
    out.extra["build_s"] = round(build.wall_s, 3)
    routes = sol.routes
    routes = routes[routes["type"] == "job"]
    seqs: dict[str, list[str]] = {}
    starts: dict[str, datetime] = {}
    for vid, arrival, waiting, setup, jid in zip(
        routes["vehicle_id"],
        routes["arrival"],
        routes["waiting_time"],
        routes["setup"],
        routes["id"],
        strict=True,
    ):
        eid, _ = vehicles[int(vid)]
        job = problem.jobs[int(jid)]
        seqs.setdefault(eid, []).append(job.id)
        starts[job.id] = ix.t0 + timedelta(seconds=int(arrival) + int(waiting) + int(setup))
    out.sequences = seqs
    out.vehicles = len({int(v) for v in routes["vehicle_id"]})
    ends = sol.routes[sol.routes["type"] == "end"]
    out.distance_km = float(ends["distance"].sum()) / 1000.0
    out.assigned = len(starts)
    out.unassigned = len(problem.jobs) - out.assigned
    out.extra["starts"] = starts
    out.extra["multi_shift_engineers"] = sum(1 for e in problem.engineers if len(e.shifts) > 1)
    return out


def solve_pyvrp(problem: Problem, time_limit_s: float, *, seed: int = 1) -> Outcome:
    """PyVRP on a capacitated problem with time windows (no skills, breaks, parts or tools).

    Each engineer's single shift is a vehicle of a type per (start, end, capacity, shift); the
    objective is distance (metres), as in the Solomon benchmark.
    """
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    unsupported = [
        name
        for name, present in (
            ("skills", any(j.required_skills for j in problem.jobs)),
            ("breaks", any(s.breaks for e in problem.engineers for s in e.shifts)),
            ("several shifts", any(len(e.shifts) != 1 for e in problem.engineers)),
            ("multiple time windows", any(len(j.time_windows) > 1 for j in problem.jobs)),
        )
        if present
    ]
    out = Outcome(solver="pyvrp")
    if unsupported:
        out.error = "the PyVRP conversion does not cover " + ", ".join(unsupported)
        return out
    with Timer() as build:
        ix = index_problem(problem)
        m = Model()
        where: list[int] = []  # matrix index of each model location, in order of creation
        depot_of = {}
        for loc in sorted(set(ix.start) | set(ix.end)):
            depot_of[loc] = m.add_depot(m.add_location(x=0, y=0))
            where.append(loc)
        for i, j in enumerate(problem.jobs):
            w = j.time_windows[0] if j.time_windows else None
            m.add_client(
                m.add_location(x=0, y=0),
                delivery=[j.load],
                service_duration=j.duration_min,
                tw_early=ix.minute(w.start) if w else 0,
                tw_late=ix.minute(w.end) if w else 2**40,
                name=j.id,
            )
            where.append(ix.job[i])
        type_of = [_vehicle_key(ix, k, e) for k, e in enumerate(problem.engineers)]
        groups: dict[tuple[int, int, int, int, int], list[str]] = {}
        for key, e in zip(type_of, problem.engineers, strict=True):
            groups.setdefault(key, []).append(e.id)
        for (a, b, cap, early, late), members in groups.items():
            m.add_vehicle_type(
                num_available=len(members),
                capacity=[cap],
                start_depot=depot_of[a],
                end_depot=depot_of[b],
                tw_early=early,
                tw_late=late,
                unit_distance_cost=1,
                unit_duration_cost=0,
            )
        locs = m.locations
        for a, la in enumerate(locs):
            for b, lb in enumerate(locs):
                if a != b:
                    m.add_edge(
                        la,
                        lb,
                        distance=int(ix.metres[where[a], where[b]]),
                        duration=int(ix.minutes[where[a], where[b]]),
                    )
    with Timer() as t:
        res = m.solve(stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    out.ok = bool(res.is_feasible())
    if not out.ok:
        out.error = "no feasible solution"
    out.wall_s = t.wall_s
    out.extra["cpu_s"] = round(t.cpu_s, 2)
    out.extra["build_s"] = round(build.wall_s, 3)
    out.extra["iterations"] = res.num_iterations
    best = res.best
    free = [list(members) for members in groups.values()]  # engineers per vehicle type
    seqs: dict[str, list[str]] = {}
    for route in best.routes():
        eid = free[route.vehicle_type()].pop(0)
        seqs[eid] = [problem.jobs[a.idx].id for a in route if a.is_client()]
    out.sequences = seqs
    out.vehicles = len(seqs)
    out.distance_km = best.distance() / 1000.0
    out.assigned = sum(len(s) for s in seqs.values())
    out.unassigned = len(problem.jobs) - out.assigned
    return out


def _vehicle_key(ix: Indexed, k: int, e: Engineer) -> tuple[int, int, int, int, int]:
    """PyVRP vehicle type of engineer ``k``: start, end, capacity, shift start and end."""
    s = e.shifts[0]
    end = s.end + timedelta(minutes=s.max_overtime_min)
    cap = e.capacity if e.capacity is not None else NO_CAPACITY
    return (ix.start[k], ix.end[k], cap, ix.minute(s.start), ix.minute(end))


def solve_pyvrp_field(problem: Problem, time_limit_s: float, *, seed: int = 1) -> Outcome:
    """PyVRP alone on a field-service day, modelled by our adapter
    (``optimizer.dispatch.engines.pyvrp``: skills as routing profiles, several windows as
    client groups, priorities as prizes, shifts with overtime), its own routes as they come.

    Breaks, parts, tools and soft ``due`` times are left out (PyVRP has none): its routes are
    counted as PyVRP returns them, without our realisation, so they need not fit the breaks.
    """
    from optimizer.compile import compile_problem
    from optimizer.dispatch.diagnose import diagnose
    from optimizer.dispatch.engines import EngineDeclined
    from optimizer.dispatch.engines import pyvrp as adapter

    out = Outcome(solver="pyvrp")
    c = compile_problem(problem)
    d = diagnose(c)
    try:
        with Timer() as t:
            found = adapter.solve(c, d, time_limit_s=time_limit_s, seed=seed)
    except EngineDeclined as exc:
        out.error = str(exc)
        return out
    out.ok = True
    out.wall_s = t.wall_s
    out.extra["cpu_s"] = round(t.cpu_s, 2)
    out.extra.update(found.info)
    km = np.asarray(c.travel.km)
    seqs: dict[str, list[str]] = {}
    dist = 0.0
    for s, jobs in found.routes.items():
        e = int(c.shift_engineer[s])
        locs = [int(c.eng_start_loc[e]), *(int(c.job_loc[j]) for j in jobs),
                int(c.eng_end_loc[e])]
        dist += float(km[locs[:-1], locs[1:]].sum())
        seqs.setdefault(c.eng_ids[e], []).extend(c.job_ids[j] for j in jobs)
    out.sequences = seqs
    out.vehicles = len(found.routes)
    out.distance_km = dist
    out.assigned = sum(len(v) for v in seqs.values())
    out.unassigned = len(problem.jobs) - out.assigned
    return out
