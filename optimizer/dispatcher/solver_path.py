"""Re-optimisation's solver path: after the repair, one solve of the affected engineers.

The engineers the events (or the repair) touched, each with up to ``neighbours`` nearest
others, their future jobs and up to ``max_sub_pool`` jobs without a place become a small
problem that starts where and when each route resumes; ``optimizer.dispatch.solve`` plans it
warm-started from the repair, with stability costs against the dispatched plan; its routes go
back after each engineer's history. The result is kept only if it is valid, within the cap
of moved jobs and better by :func:`score` (more served by priority, then cheaper).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import replace as dc_replace

import numpy as np

from optimizer.compile import Compiled
from optimizer.dispatch import SolveOptions, Stability, solve
from optimizer.dispatcher.diff import compute_diff
from optimizer.dispatcher.events import Diff, EngineerPosition
from optimizer.dispatcher.options import ReoptimizeOptions
from optimizer.insertion.board import BIG, LATE_WEIGHT, Board, StopKind, WorkRoute, schedule
from optimizer.kpis import plan_of
from optimizer.models import (
    Break,
    DepotStop,
    JobStop,
    Plan,
    Problem,
    Route,
    Shift,
    SolverInfo,
    SolverStatus,
)
from optimizer.validate import validate

AFTER_SOLVE_S = 0.3  # merging, validating and comparing after the solver returns
SOLVER_OVERRUN_S = 0.3  # how far past its time limit solve() may return (reading, cap)
MIN_SOLVE_S = 0.3  # below this the solver is not worth starting
MIN_OPEN_MIN = 30  # a route with less time than this beside the drive home is left as it is


@dataclass(frozen=True)
class Repaired:
    """What the repair produced, for the solver path to improve on."""

    after: Problem
    c: Compiled
    board: Board
    dispatched: Plan
    repaired: Plan
    diff: Diff
    touched: set[str]  # jobs the events put in the pool (they had to move)
    seeds: set[str]  # engineers the events name
    position: dict[str, EngineerPosition]
    opt: ReoptimizeOptions


def improve(x: Repaired, seconds: float) -> tuple[Plan | None, dict[str, object]]:
    """Solve the affected engineers' sub-problem warm-started from the repair; the merged plan
    if it is valid, within the cap and better (see :func:`score`), else None; and a note."""
    c, board, opt = x.c, x.board, x.opt
    routes = _sub_routes(x)
    if not routes:
        return None, {"path": "repair", "solver_note": "no engineer to re-plan"}
    sub_engs = {c.eng_ids[board.routes[ri].eng] for ri in routes}
    jobs = _sub_jobs(x, routes)
    if not jobs:
        return None, {"path": "repair", "solver_note": "no job to re-plan"}
    sub, shift_route = _sub_problem(x, routes, jobs)
    minute = float(np.mean([c.cost_per_hour[c.eng_index[e]] for e in sub_engs])) / 60.0
    minute = minute if minute > 0 else 1.0
    in_ref = {s.job for r in x.dispatched.routes for s in r.stops if isinstance(s, JobStop)}
    forced = len(x.touched & in_ref & {j.id for j in sub.jobs})
    cap = None if opt.max_moved_jobs is None else opt.max_moved_jobs + forced
    warm = _warm_plan(x, sub, shift_route)
    note: dict[str, object] = {"sub_engineers": len(sub_engs), "sub_jobs": len(sub.jobs)}
    t0 = time.perf_counter()
    try:
        sol = solve(sub, SolveOptions(
            time_limit_s=seconds, seed=opt.seed, initial_plan=warm,
            stability=Stability(
                reference=x.dispatched, reassign_cost=opt.reassign_cost_min * minute,
                retime_cost_per_min=opt.retime_cost_per_min * minute, max_moved_jobs=cap)))
    except Exception as exc:  # the repair stays valid whatever the solver does
        return None, note | {"path": "repair",
                             "solver_note": f"solver failed: {type(exc).__name__}: {exc}"}
    note["solver_status"] = sol.solver.status
    note["solver_time_s"] = round(seconds, 3)
    note["solver_wall_s"] = round(time.perf_counter() - t0, 3)
    note["solver_assigned"] = f"{sol.kpis.jobs_assigned}/{sol.kpis.jobs_total}"
    note["warm_start"] = "rejected" if sol.solver.model_extra.get("warm_start_rejected") \
        else "used"
    merged = _merge(x, sub, sol, shift_route)
    bad = validate(x.after, merged)
    if bad:
        return None, note | {"path": "repair", "solver_note": f"solver plan invalid after "
                             f"merging ({len(bad)} violations: {bad[0]})"}
    moved = _moved_untouched(x, merged)
    if opt.max_moved_jobs is not None and moved > opt.max_moved_jobs:
        return None, note | {"path": "repair", "solver_note": f"solver plan moves {moved} "
                             f"untouched jobs, over the cap of {opt.max_moved_jobs}"}
    s_new, s_old = score(x, merged), score(x, x.repaired)
    note |= {"objective_solver": round(s_new[1], 1), "objective_repair": round(s_old[1], 1)}
    if s_new <= s_old:
        return None, note | {"path": "repair", "solver_note": "solver plan is not better"}
    return merged, note | {"path": "solver"}


def _open_routes(board: Board) -> dict[int, int]:
    """Engineer -> the one board route still open (engineers with several are left out)."""
    open_: dict[int, list[int]] = {}
    for i, r in enumerate(board.routes):
        if r.limit > r.resume_t + int(board.minutes[r.resume_loc, r.end_loc]) + MIN_OPEN_MIN:
            open_.setdefault(r.eng, []).append(i)
    return {e: lst[0] for e, lst in open_.items()
            if len(lst) == 1 and board.routes[lst[0]].ok}


def _points(r: WorkRoute) -> list[int]:
    return [r.resume_loc] + [x.loc for x in r.future if x.kind == StopKind.JOB]


def _sub_routes(x: Repaired) -> list[int]:
    """Board routes to re-plan: the engineers the events or the repair touched, and for each,
    and for each job still without a place, the nearest others (by travel between stops)."""
    c, board, opt = x.c, x.board, x.opt
    open_ = _open_routes(board)
    if not open_:
        return []
    engs = sorted(open_)
    pts = [np.asarray(_points(board.routes[open_[e]]), dtype=np.int64) for e in engs]
    owner = np.repeat(np.arange(len(engs)), [len(p) for p in pts])
    allp = np.concatenate(pts)
    m = board.minutes
    changed = set(x.seeds)
    changed |= {r.from_ for r in x.diff.reassigned} | {r.to for r in x.diff.reassigned}
    where = {s.job: r.engineer for r in x.repaired.routes for s in r.stops
             if isinstance(s, JobStop)}
    was = {s.job: r.engineer for r in x.dispatched.routes for s in r.stops
           if isinstance(s, JobStop)}
    changed |= {where[t.job] for t in x.diff.retimed if t.job in where}
    changed |= {where[j] for j in x.diff.added if j in where}
    changed |= {was[j] for j in x.diff.unassigned if j in was}
    chosen: list[int] = []

    def near(src: np.ndarray, allowed: np.ndarray | None = None) -> list[int]:
        d = np.full(len(engs), np.inf)
        np.minimum.at(d, owner, np.minimum(m[np.ix_(src, allp)], m[np.ix_(allp, src)].T)
                      .min(axis=0))
        if allowed is not None:
            d[~allowed] = np.inf
        order = [int(k) for k in np.argsort(d, kind="stable") if np.isfinite(d[k])]
        return [engs[k] for k in order if engs[k] not in chosen][: opt.neighbours]

    for eid in sorted(changed):
        e = c.eng_index.get(eid)
        if e in open_ and e not in chosen:
            chosen.append(e)
    lists = [near(pts[engs.index(e)]) for e in list(chosen)]
    for jid in sorted(x.touched - set(where)):
        j = c.job_index.get(jid)
        if j is not None:
            lists.append(near(np.array([c.job_loc[j]]), c.qualified[j][engs]))
    for k in range(max((len(lst) for lst in lists), default=0)):
        for lst in lists:
            if k < len(lst) and lst[k] not in chosen:
                chosen.append(lst[k])
    return [open_[e] for e in chosen[: opt.max_sub_engineers]]


def _sub_jobs(x: Repaired, routes: list[int]) -> list[int]:
    """The routes' future jobs, then jobs without a place (touched first, critical first,
    nearest first), at most ``max_sub_pool`` of them."""
    c, board = x.c, x.board
    engs = np.array([board.routes[ri].eng for ri in routes])
    jobs = [it.ref for ri in routes for it in board.routes[ri].future if it.kind == StopKind.JOB]
    jobs = [j for j in jobs if c.pinned_engineer[j] < 0 or c.pinned_engineer[j] in engs]
    pts = np.concatenate([np.asarray(_points(board.routes[ri]), dtype=np.int64)
                          for ri in routes])
    left = []
    for u in x.repaired.unassigned:
        j = c.job_index[u.job]
        if not c.qualified[j][engs].any() or (
                c.pinned_engineer[j] >= 0 and c.pinned_engineer[j] not in engs):
            continue
        d = int(board.minutes[pts, c.job_loc[j]].min())
        left.append((u.job not in x.touched, -int(c.job_tier[j]), d, j))
    left.sort()
    return jobs + [j for *_, j in left[: x.opt.max_sub_pool]]


def _sub_problem(x: Repaired, routes: list[int], jobs: list[int]) -> tuple[Problem, dict]:
    """The future of the chosen routes as a problem: each engineer starts where and when his
    route resumes, with the van stock, tools and capacity left after his history (and what his
    other shifts need); the depots keep what the other routes and all history do not take."""
    c, board, after = x.c, x.board, x.after
    engs, shift_route = [], {}
    depot_stock = board.depot_left.copy()
    for ri in routes:
        r = board.routes[ri]
        e = after.engineers[r.eng]
        sh = e.shifts[int(c.shift_index[r.shift])]
        start = c.to_datetime(r.resume_t)
        end = max(sh.end, start)
        breaks = []
        for it in r.future:
            if it.kind == StopKind.DEPOT:
                for p, q in it.pickup.items():
                    depot_stock[it.ref, p] += q
            if it.kind != StopKind.BREAK:
                continue
            lo = max(int(it.windows[0, 0]), r.resume_t)
            hi = max(lo, min(int(it.windows[0, 1]), r.limit - it.dur))
            breaks.append(Break(earliest=c.to_datetime(lo), latest=c.to_datetime(hi),
                                duration_min=it.dur))
        stock = c.van_stock[r.eng].copy() if len(c.parts) else np.zeros(0, dtype=np.int64)
        tools = c.eng_tools[r.eng].copy() if len(c.tools) else np.zeros(0, dtype=bool)
        load = 0
        for o in board.routes:  # the engineer's other shifts keep their parts (pick-ups
            if o is not r and o.eng == r.eng and len(c.parts):  # there are not counted)
                for it in [*o.prefix, *o.future]:
                    if it.kind == StopKind.JOB:
                        stock = stock - c.job_parts[it.ref]
        for f in r.prefix:
            if f.kind == StopKind.JOB:
                stock = stock - c.job_parts[f.ref] if len(c.parts) else stock
                load += int(c.job_load[f.ref])
            elif f.kind == StopKind.DEPOT:
                for p, q in f.pickup.items():
                    stock[p] += q
                tools[list(f.pickup_tools)] = True
        here = x.position[e.id].location if r.resume_loc >= len(c.locations) else \
            c.locations[r.resume_loc]
        engs.append(e.model_copy(update={
            "start": here, "end": c.locations[r.end_loc],
            "shifts": [Shift(start=start, end=end, max_overtime_min=max(
                0, r.limit - c.to_minutes(end)), breaks=breaks)],
            "van_stock": {c.parts[p]: int(q) for p, q in enumerate(stock) if q > 0},
            "tools": [c.tools[t] for t in np.flatnonzero(tools)],
            "capacity": None if e.capacity is None else max(0, e.capacity - load)}))
        shift_route[(e.id, 0)] = ri
    ids = {e.id for e in engs}
    sub_jobs = []
    for j in jobs:
        job = after.jobs[j]
        sub_jobs.append(job.model_copy(update={
            "excluded_engineers": [e for e in job.excluded_engineers if e in ids],
            "preferred_engineers": [e for e in job.preferred_engineers if e in ids]}))
    depots = [d.model_copy(update={"stock": {
        c.parts[p]: int(max(0, depot_stock[k, p])) for p in range(len(c.parts))
        if c.parts[p] in d.stock}}) for k, d in enumerate(after.depots)]
    sub = Problem.model_validate({"id": after.id, "travel": after.travel, "engineers": engs,
                                  "jobs": sub_jobs, "depots": depots})
    return sub, shift_route


def _warm_plan(x: Repaired, sub: Problem, shift_route: dict) -> Plan:
    """The repair's future on the sub-problem's shifts (the solver's warm start)."""
    c = x.c
    routes = []
    for (eid, k), ri in shift_route.items():
        r = x.board.routes[ri]
        stops = [JobStop(job=c.job_ids[it.ref], arrival=c.to_datetime(it.arr),
                         start=c.to_datetime(it.start), end=c.to_datetime(it.end))
                 for it in r.future if it.kind == StopKind.JOB]
        routes.append(Route(engineer=eid, shift=k, start_time=c.to_datetime(r.resume_t),
                            end_time=c.to_datetime(r.end_time), distance_km=0.0,
                            travel_min=0.0, stops=stops))
    return Plan(problem_id=sub.id, routes=routes, kpis=x.repaired.kpis,
                solver=SolverInfo(status=SolverStatus.REPAIR, wall_s=0.0))


def _merge(x: Repaired, sub: Problem, sol: Plan, shift_route: dict) -> Plan:
    """The solver's routes after each engineer's history (frozen stops exactly as they were),
    the other routes as the repair left them; totals recomputed on the contract's travel."""
    c, board = x.c, x.board
    by_route = {shift_route[(rt.engineer, rt.shift)]: rt for rt in sol.routes}
    depot_idx = {d.id: k for k, d in enumerate(x.after.depots)}
    tm, tk = c.travel.minutes, c.travel.km
    new_routes = []
    for ri in shift_route.values():
        r = board.routes[ri]
        rt = by_route.get(ri)
        if rt is None:  # no work left: only the breaks still to take
            r2 = dc_replace(r, future=[dc_replace(it, lb=-BIG) for it in r.future
                                       if it.kind == StopKind.BREAK])
            schedule(r2, board.minutes)
            if r2.worked():
                new_routes.append(board.emit(r2))
            continue
        stops = [f.stop for f in r.prefix] + list(rt.stops)
        locs = [int(c.eng_start_loc[r.eng])]
        for st in stops:
            if isinstance(st, JobStop):
                locs.append(int(c.job_loc[c.job_index[st.job]]))
            elif isinstance(st, DepotStop):
                locs.append(int(c.depot_loc[depot_idx[st.depot]]))
        locs.append(int(r.end_loc))
        idx = np.asarray(locs, dtype=np.int64)
        new_routes.append(Route(
            engineer=rt.engineer, shift=int(c.shift_index[r.shift]),
            start_time=r.start_time if r.prefix and r.start_time is not None else rt.start_time,
            end_time=rt.end_time, distance_km=round(float(tk[idx[:-1], idx[1:]].sum()), 3),
            travel_min=float(tm[idx[:-1], idx[1:]].sum()), stops=stops))
    replaced = {(c.eng_ids[board.routes[ri].eng], int(c.shift_index[board.routes[ri].shift]))
                for ri in shift_route.values()}
    sub_jobs = {j.id for j in sub.jobs}
    routes = [rt for rt in x.repaired.routes if (rt.engineer, rt.shift) not in replaced]
    routes += new_routes
    routes.sort(key=lambda rt: (rt.engineer, rt.shift))
    un = [u for u in x.repaired.unassigned if u.job not in sub_jobs] + list(sol.unassigned)
    return plan_of(x.after, routes, un,
                   x.repaired.solver.model_copy(update={"solver_status": sol.solver.status}))


def _moved_untouched(x: Repaired, plan: Plan) -> int:
    """Jobs of the dispatched plan the events did not touch that changed engineer or lost
    their place."""
    d = compute_diff(x.dispatched, plan)
    return sum(r.job not in x.touched for r in d.reassigned) + sum(
        j not in x.touched for j in d.unassigned)


def score(x: Repaired, plan: Plan) -> tuple[tuple[int, ...], float]:
    """(jobs served per priority tier, critical first; minus the cost), larger is better.

    The cost is the solver's objective in money: each route's span at its engineer's
    ``cost_per_hour`` and distance at ``cost_per_km``, plus, at the engineers' mean price of a
    minute, ``LATE_WEIGHT`` per minute after a due and the stability costs against the
    dispatched plan (``reassign_cost_min`` per job on another engineer, ``retime_cost_per_min`` per
    minute a job on the same engineer moved)."""
    c, opt = x.c, x.opt
    minute = float(np.mean(c.cost_per_hour)) / 60.0 if c.n_engineers else 0.0
    minute = minute if minute > 0 else 1.0
    ref = {s.job: (r.engineer, s.start) for r in x.dispatched.routes for s in r.stops
           if isinstance(s, JobStop)}
    served = [0] * (int(c.job_tier.max(initial=0)) + 1)
    money = minutes = 0.0
    for r in plan.routes:
        e = c.eng_index[r.engineer]
        span = (r.end_time - r.start_time).total_seconds() / 60.0
        money += float(c.cost_per_hour[e]) / 60.0 * span + float(c.cost_per_km[e]) * r.distance_km
        for s in r.stops:
            if not isinstance(s, JobStop):
                continue
            j = c.job_index[s.job]
            served[int(c.job_tier[j])] += 1
            if c.job_due[j] >= 0:
                minutes += LATE_WEIGHT * max(0, c.to_minutes(s.start) - int(c.job_due[j]))
            if s.job in ref:
                e0, t0 = ref[s.job]
                if e0 != r.engineer:
                    minutes += opt.reassign_cost_min
                else:
                    minutes += opt.retime_cost_per_min * abs((s.start - t0).total_seconds()) / 60
    return tuple(reversed(served)), -(money + minute * minutes)
