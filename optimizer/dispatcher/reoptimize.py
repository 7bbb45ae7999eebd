"""Re-optimisation during the day (``shared/contract/EVENTS.md``).

``reoptimize(problem, plan, events)`` returns ``(problem_after, plan_after, diff)`` in named
steps:

1. **History and the problem as it stands** (:mod:`optimizer.dispatcher.history`): what
   happened before ``now`` is frozen and pinned; shifts are cut by absences; a reported
   position moves where the engineer's future starts (haversine travel: ``problem_after``
   cannot hold a mid-route position, so the plan carries it in its times; the contract leg
   is measured from the last stop, which by the triangle inequality is never longer).
2. **Working routes**: every kept route keeps its order; stops are re-timed forward (never
   earlier than planned); a stop that no longer fits goes to a pool with cancelled-engineer
   work and added jobs.
3. **Repair** (:mod:`optimizer.insertion.repair`, designed for < 2 s on 1,000 jobs): the pool
   is placed by cheapest insertion (critical first), paying ``reassign_cost_min`` to leave the
   previous engineer. Jobs the events do not touch are never moved voluntarily; a pool job
   that finds no place may displace a lower-priority job, which then moves (counted against
   ``max_moved_jobs``).
4. **Safety net**: the repaired plan is validated; each future job a rule objects to is taken
   out and re-inserted, unassigned in the last round. History is never touched.
5. **Solver path** (:mod:`optimizer.dispatcher.solver_path`): within the time budget, one
   solve of the affected engineers, kept only if it is valid and better.
"""

from __future__ import annotations

import time
from datetime import timedelta

from optimizer.compile import Compiled, compile_problem
from optimizer.dispatcher.diff import compute_diff
from optimizer.dispatcher.events import (
    Diff,
    Events,
    JobFinished,
    JobStarted,
)
from optimizer.dispatcher.history import (
    DayEvents,
    History,
    check_events,
    freeze_history,
    problem_after,
    read_events,
)
from optimizer.dispatcher.options import ReoptimizeOptions
from optimizer.dispatcher.solver_path import (
    AFTER_SOLVE_S,
    MIN_SOLVE_S,
    SOLVER_OVERRUN_S,
    Repaired,
    improve,
)
from optimizer.insertion.board import Board, StopKind, WorkRoute
from optimizer.insertion.repair import left_reasons, place_pool, safety_net
from optimizer.insertion.routes import (
    frozen_stop,
    piece_of_flat,
    planned_items,
    previous_engineers,
    retime_route,
    stops_by_shift,
)
from optimizer.models import JobStop, Plan, Problem
from optimizer.travel import travel_matrix


def reoptimize(
    problem: Problem,
    plan: Plan,
    events: Events,
    *,
    options: ReoptimizeOptions | None = None,
) -> tuple[Problem, Plan, Diff]:
    """Apply ``events`` to the dispatched ``plan``: the problem as it stands, a valid plan for
    it that keeps history and changes little, and what changed (see the module docstring)."""
    t0 = time.perf_counter()
    opt = options or ReoptimizeOptions()
    check_events(problem, plan, events)
    ev = read_events(problem, events)
    hist = freeze_history(problem, plan, ev)
    after, piece_of = problem_after(problem, ev, hist)
    c = compile_problem(after)
    board, pool = _working_board(c, ev, hist, piece_of)
    pool += [c.job_index[j] for j in hist.not_done
             if j in c.job_index and j not in hist.frozen_job]
    pool += [c.job_index[j.id] for j in ev.added_jobs
             if j.id not in hist.frozen_job and j.id in c.job_index]
    was_left = [c.job_index[u.job] for u in plan.unassigned if u.job in c.job_index
                and u.job not in hist.frozen_job]
    touched = {c.job_ids[j] for j in pool}
    old_eng = previous_engineers(c, plan)
    left = place_pool(board, pool, was_left, old_eng, opt)
    reasons = left_reasons(c, left, plan, was_left, opt)
    plan_after = safety_net(after, board, left, old_eng, opt, reasons, t0, ev.warnings)
    diff = _diff(plan, plan_after, ev, hist)
    ctx = Repaired(after=after, c=c, board=board, dispatched=plan, repaired=plan_after,
                   diff=diff, touched=touched, seeds=_seed_engineers(events, ev, hist),
                   position=ev.position, opt=opt)
    better, info = _solver_step(ctx, opt, t0)
    if better is not None:
        plan_after, diff = better, _diff(plan, better, ev, hist)
    solver = plan_after.solver.model_copy(
        update={"wall_s": round(time.perf_counter() - t0, 3), **info})
    return after, plan_after.model_copy(update={"solver": solver}), diff


def _diff(plan: Plan, plan_after: Plan, ev: DayEvents, hist: History) -> Diff:
    return compute_diff(plan, plan_after, added=[j.id for j in ev.added_jobs],
                        cancelled=sorted(hist.cancelled_out), warnings=ev.warnings)


def _seed_engineers(events: Events, ev: DayEvents, hist: History) -> set[str]:
    """The engineers the events name (the solver path re-plans around them)."""
    seeds = set(ev.unavailable) | set(ev.position)
    seeds |= {e.engineer for e in events.events if isinstance(e, JobStarted | JobFinished)}
    seeds |= {hist.planned[j][0] for j in [*ev.delayed, *ev.cancelled] if j in hist.planned}
    return seeds


def _solver_step(ctx: Repaired, opt: ReoptimizeOptions, t0: float
                 ) -> tuple[Plan | None, dict[str, object]]:
    """The solver path within what the time budget leaves (None: the repair stands)."""
    seconds = opt.solver_time_s
    if opt.time_budget_s is not None:
        seconds = min(seconds, opt.time_budget_s - (time.perf_counter() - t0) - AFTER_SOLVE_S
                      - SOLVER_OVERRUN_S)
    if opt.solver_time_s <= 0:
        return None, {"path": "repair"}
    if seconds < MIN_SOLVE_S:
        return None, {"path": "repair", "solver_note": "no time left in the budget for the solver"}
    return improve(ctx, seconds)


def _working_board(c: Compiled, ev: DayEvents, hist: History,
                   piece_of: dict[tuple[str, int], list[int]]) -> tuple[Board, list[int]]:
    """The board of ``problem_after``'s shifts: each with its frozen history (prefix) and its
    future stops re-timed (module docstring, step 2); the jobs that no longer fit (the pool)."""
    position = ev.position
    extra = [p.location for p in position.values()]
    if extra:
        tm = travel_matrix(c.problem.travel, [*c.locations, *extra])
        minutes, km = tm.minutes, tm.km
    else:
        minutes, km = c.travel.minutes, c.travel.km
    pos_loc = {e: len(c.locations) + k for k, e in enumerate(position)}
    nowm = c.to_minutes(ev.now)
    home_of, pool = stops_by_shift(c, [
        ([piece_of_flat(c, eid, p) for p in piece_of.get((eid, si), [])], stops)
        for (eid, si), stops in hist.future.items()], skip=set(hist.frozen_job))
    routes: list[WorkRoute] = []
    for s in range(c.n_shifts):
        r = _route_with_history(c, s, hist, minutes, nowm)
        eid = c.eng_ids[r.eng]
        if eid in position and r.resume_t <= max(nowm, int(c.shift_start[s])) and \
                int(c.shift_start[s]) <= nowm <= r.limit:
            pl = pos_loc[eid]
            r.resume_t = max(nowm, (max(x.end for x in r.prefix) if r.prefix else nowm)
                             + int(minutes[r.resume_loc, pl]))
            r.resume_loc = pl
        taken = [bi for bi, (a, b, d) in enumerate(c.shift_breaks[s])
                 if any(x.kind == StopKind.BREAK and a <= x.start <= b for x in r.prefix)]
        r.future = planned_items(c, s, home_of.get(s, []), taken)
        retime_route(r, minutes, pool, c)
        routes.append(r)
    return Board(c, routes, minutes, km), pool


def _route_with_history(c: Compiled, s: int, hist: History, minutes, nowm: int) -> WorkRoute:
    """Shift ``s`` as a working route with its frozen stops; its future resumes after them."""
    e = int(c.shift_engineer[s])
    eid = c.eng_ids[e]
    sh = c.problem.engineers[e].shifts[int(c.shift_index[s])]
    lo, hi = sh.start, sh.end + timedelta(minutes=sh.max_overtime_min)
    prefix = [d.stop for d in hist.done.get(eid, []) if lo <= d.stop.start <= hi]
    home = int(c.eng_start_loc[e])
    r = WorkRoute(eng=e, shift=s, home=home, end_loc=int(c.eng_end_loc[e]),
                  limit=int(c.shift_end[s] + c.shift_max_ot[s]),
                  resume_t=max(int(c.shift_start[s]), nowm), resume_loc=home)
    for st in prefix:
        r.prefix.append(frozen_stop(c, st))
    if r.prefix:
        route_start = hist.route_start
        orig = [k for k in route_start if k[0] == eid and route_start[k] <= prefix[0].start]
        first_loc = next((x for x in r.prefix if x.loc >= 0), None)
        dep = c.shift_start[s]
        if first_loc is not None:
            dep = max(int(c.shift_start[s]),
                      first_loc.start - int(minutes[home, first_loc.loc]))
        orig = [k for k in orig if c.to_minutes(route_start[k]) >= c.shift_start[s]]
        r.start_time = route_start[max(orig, key=lambda k: route_start[k])] if orig else \
            c.to_datetime(int(dep))
        if not orig and isinstance(r.prefix[0].stop, JobStop) and first_loc is r.prefix[0]:
            st0 = r.prefix[0].stop
            r.prefix[0].stop = st0.model_copy(update={
                "arrival": min(st0.start, c.to_datetime(int(dep) + int(
                    minutes[home, first_loc.loc])))})
        r.resume_t = max(r.resume_t, max(x.end for x in r.prefix))
        r.resume_loc = next((x.loc for x in reversed(r.prefix) if x.loc >= 0), home)
    return r


__all__ = ["ReoptimizeOptions", "compute_diff", "reoptimize"]
