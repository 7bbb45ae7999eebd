"""Why a job is unassigned, and the cheapest single change that would place it.

For every unassigned job, each kind of relaxation is tried by *actually* re-inserting the job
into the plan's routes (the vectorised evaluator of ``optimizer.insertion.board``, never the
solver):

- ``window``: its time windows widened by N minutes (N the least that works);
- ``overtime``: N more minutes of overtime for engineer E;
- ``skill``: an engineer one level short of skill S (at level L) counted as qualified;
- ``certificate``: engineer E's certificate for skill S renewed (it lapses before the job);
- ``part``: part P couriered from depot D (which has it) straight to the job;
- ``displace``: a lower-priority job J taken out of a route to make room.

Costs are in travel-minute equivalents (insertion travel + the relaxation's own price:
1 per widened minute, 2 per overtime minute, 60 per skill waiver, 30 per certificate renewal
(the engineer has the skill; renewal is paperwork and a refresher), courier minutes,
the displaced job's tier weight). The cheapest comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.certificates import lapsed, local_day
from optimizer.compile import NO_CERT_LIMIT, PRIORITY_TIER, Compiled, compile_problem
from optimizer.insertion.board import (
    BIG,
    Board,
    Frozen,
    Item,
    StopKind,
    WorkRoute,
    displacement_candidates,
    empty_routes,
    schedule,
)
from optimizer.kpis import compute_kpis
from optimizer.models import BreakStop, DepotStop, JobStop, Plan, Problem, Relaxation

TIER_WEIGHT = {0: 60.0, 1: 240.0, 2: 960.0, 3: 3840.0}
SKILL_WAIVER_COST = 60.0
RENEWAL_COST = 30.0


def board_from_plan(c: Compiled, plan: Plan) -> Board:
    """The plan's routes as working routes (every stop movable, planned starts as bounds),
    plus an empty route for each shift the plan does not work."""
    m = c.travel.minutes
    by_shift = {}
    for r in plan.routes:
        e = c.eng_index[r.engineer]
        hits = np.flatnonzero((c.shift_engineer == e) & (c.shift_index == r.shift))
        by_shift[int(hits[0])] = r
    routes = []
    for wr in empty_routes(c):
        r = by_shift.get(wr.shift)
        if r is not None:
            wr.future = []
            wr.resume_t = max(c.to_minutes(r.start_time), int(c.shift_start[wr.shift]))
            bi = 0
            for s in r.stops:
                st = c.to_minutes(s.start)
                if isinstance(s, JobStop):
                    j = c.job_index[s.job]
                    w = c.job_windows[j]
                    if c.pinned_start[j] >= 0:
                        w = np.array([[c.pinned_start[j]] * 2], dtype=np.int64)
                    wr.future.append(Item(StopKind.JOB, j, int(c.job_loc[j]),
                                          int(c.job_duration[j]), w, lb=st))
                elif isinstance(s, DepotStop):
                    d = next(i for i, dp in enumerate(c.problem.depots) if dp.id == s.depot)
                    wr.future.append(Item(
                        StopKind.DEPOT, d, int(c.depot_loc[d]), c.to_minutes(s.end) - st,
                        c.depot_open[d].reshape(1, 2), lb=st,
                        pickup={c.parts.index(p): q for p, q in s.pickup.items()},
                        pickup_tools=tuple(c.tools.index(t) for t in s.pickup_tools)))
                elif isinstance(s, BreakStop):
                    brs = c.shift_breaks[wr.shift]
                    k = next((i for i, (a, b, _) in enumerate(brs) if a <= st <= b), bi)
                    a, b, dur = (int(v) for v in brs[k]) if len(brs) else (st, st, 0)
                    wr.future.append(Item(StopKind.BREAK, k, -1, dur, np.array([[a, b]]), lb=st))
                    bi += 1
            if schedule(wr, m) != -1:  # keep the plan's own times if our pass disagrees
                wr.prefix = [Frozen(s, "x", -1, -1, 0, 0) for s in r.stops]
                wr.future = []
                wr.ok = False
        routes.append(wr)
    return Board(c, routes)


@dataclass(frozen=True)
class _Found:
    cost: float
    relaxation: Relaxation


def relaxations(c: Compiled, board: Board, j: int, *, limit: int = 5) -> list[Relaxation]:
    """The cheapest single relaxations that place job ``j`` (best first, at most ``limit``)."""
    found: list[_Found] = []
    jid = c.job_ids[j]

    # window widened by N minutes
    w = c.job_windows[j]
    wide = np.array([[-BIG // 2, BIG // 2]], dtype=np.int64)
    ev = board.evaluate_any(j, windows=wide)
    if ev.ok.any():
        st = ev.start
        gap = np.full(len(st), np.inf)
        for a, b in w:
            gap = np.minimum(gap, np.where(st < a, a - st, np.where(st > b, st - b, 0)))
        score = np.where(ev.ok, ev.cost + gap, np.inf)
        k = int(np.argmin(score))
        n = int(gap[k])
        if n > 0 and np.isfinite(score[k]):
            eng = c.eng_ids[int(board.gaps.eng[k])]
            found.append(_Found(float(score[k]), Relaxation(
                kind="window", description=f"widen {jid}'s time window by {n} min "
                f"(then {eng} can take it)", cost=float(score[k]), minutes=n, engineer=eng)))

    # overtime for one engineer
    extra = np.full(len(board.routes), 24 * 60, dtype=np.int64)
    ev = board.evaluate_any(j, extra_limit=extra)
    if ev.ok.any():
        g = board.gaps
        need = np.maximum(0, ev.delay - g.chk_md)
        over = np.where(ev.ok, need, BIG)
        score = np.where(ev.ok, ev.cost + 2.0 * over, np.inf)
        k = int(np.argmin(score))
        n = int(over[k])
        if n > 0:
            eng = c.eng_ids[int(g.eng[k])]
            found.append(_Found(float(score[k]), Relaxation(
                kind="overtime", description=f"{n} min of overtime for {eng}",
                cost=float(score[k]), minutes=n, engineer=eng)))

    # skill one level short
    job = c.problem.jobs[j]
    for skill, level in job.required_skills.items():
        short = np.array([
            e.skills.get(skill, 0) == level - 1 and all(
                e.skills.get(s, 0) >= lv for s, lv in job.required_skills.items() if s != skill)
            and e.id not in job.excluded_engineers
            for e in c.problem.engineers])
        if not short.any():
            continue
        ev = board.evaluate_any(j, qualified=short | c.qualified[j])
        if ev.ok.any():
            k = int(np.argmin(ev.cost))
            eng = c.eng_ids[int(board.gaps.eng[k])]
            if short[int(board.gaps.eng[k])]:
                cost = float(ev.cost[k]) + SKILL_WAIVER_COST
                found.append(_Found(cost, Relaxation(
                    kind="skill", description=f"let {eng} (one level short) do {skill} at "
                    f"level {level}", cost=cost, skill=skill, level=level, engineer=eng,
                    engineers_one_level_short=[c.eng_ids[i] for i in np.flatnonzero(short)])))

    found += _renewals(c, board, j)

    # parts couriered from a depot
    need = c.job_parts[j]
    if need.any():
        ev = board.evaluate(j, ignore_parts=True)
        if ev.ok.any():
            k = int(np.argmin(ev.cost))
            ok_d = [d for d in range(len(c.depot_loc)) if (board.depot_left[d] >= need).all()]
            if ok_d:
                jl = int(c.job_loc[j])
                d = min(ok_d, key=lambda d: int(board.minutes[c.depot_loc[d], jl]))
                courier = float(board.minutes[c.depot_loc[d], jl])
                cost = float(ev.cost[k]) + courier
                parts = [c.parts[p] for p in np.flatnonzero(need)]
                dep = c.problem.depots[d].id
                found.append(_Found(cost, Relaxation(
                    kind="part", description=f"bring {', '.join(parts)} from {dep} "
                    f"({int(courier)} min courier), then {c.eng_ids[int(board.gaps.eng[k])]} "
                    "can do it", cost=cost, part=parts[0], parts=parts, depot=dep,
                    engineer=c.eng_ids[int(board.gaps.eng[k])])))

    # displace a lower-priority job
    best = None
    for v in displacement_candidates(board, j, 10):
        snap = board.snapshot()
        ri, _at = board.remove_job(v)
        mv = board.best_insertion(j, allow_depot=False)
        board.restore(snap)
        if mv is not None:
            cost = mv.cost + TIER_WEIGHT[int(c.job_tier[v])]
            if best is None or cost < best[0]:
                best = (cost, v, c.eng_ids[board.routes[ri].eng])
    if best is not None:
        cost, v, eng = best
        found.append(_Found(cost, Relaxation(
            kind="displace", description=f"take {c.job_ids[v]} "
            f"({c.problem.jobs[v].priority.value}) off {eng}'s route", cost=cost,
            displaced_job=c.job_ids[v], engineer=eng)))

    found.sort(key=lambda f: f.cost)
    return [f.relaxation for f in found[:limit]]


def _renewals(c: Compiled, board: Board, j: int) -> list[_Found]:
    """For each qualified engineer whose certificate lapses before job ``j`` could start: the
    cheapest insertion once that engineer's certificates are renewed."""
    out = []
    job = c.problem.jobs[j]
    g = board.gaps
    for e in np.flatnonzero(c.qualified[j] & (c.cert_limit[j] < NO_CERT_LIMIT)):
        limit = c.cert_limit[j].copy()
        limit[e] = NO_CERT_LIMIT
        ev = board.evaluate_any(j, cert_limit=limit)
        score = np.where(ev.ok & (g.eng == e) & (ev.start >= c.cert_limit[j, e]), ev.cost, np.inf)
        if not np.isfinite(score).any():
            continue
        k = int(np.argmin(score))
        eng = c.problem.engineers[int(e)]
        day = local_day(c.to_datetime(int(ev.start[k])), c.tz)
        skills = lapsed(eng, job.required_skills, day)
        names = " and ".join(s for s, _ in skills)
        until = ", ".join(f"{s} until {d.isoformat()}" for s, d in skills)
        cost = float(score[k]) + RENEWAL_COST * len(skills)
        out.append(_Found(cost, Relaxation(
            kind="certificate", description=f"renew {eng.id}'s {names} certificate"
            f"{'s' if len(skills) > 1 else ''} (certified {until}; the job would start "
            f"{day.isoformat()})", cost=cost, engineer=eng.id, skills=[s for s, _ in skills],
            certified_until={s: d.isoformat() for s, d in skills}, day=day.isoformat())))
    return out


def explain_plan(problem: Problem, plan: Plan) -> Plan:
    """``plan`` with each unassigned job's ``relaxations`` filled and summarised in ``detail``."""
    c = compile_problem(problem)
    board = board_from_plan(c, plan)
    out = []
    for u in plan.unassigned:
        if u.job not in c.job_index:
            out.append(u)
            continue
        rel = relaxations(c, board, c.job_index[u.job])
        best = f"cheapest fix: {rel[0].description} (cost {rel[0].cost:.0f})" if rel else \
            "no single relaxation places it"
        detail = f"{u.detail}; {best}" if u.detail else best
        out.append(u.model_copy(update={"relaxations": rel, "detail": detail}))
    return plan.model_copy(update={"unassigned": out})


@dataclass(frozen=True)
class TierFigures:
    """One priority tier: jobs, assigned, unserved, lateness (minutes after due), on-time %."""

    priority: str
    jobs: int
    assigned: int
    unserved: int
    late_jobs: int
    lateness_min: float


@dataclass(frozen=True)
class Breakdown:
    """The objective by tier (unserved priority first), then lateness, overtime, travel."""

    tiers: list[TierFigures]
    lateness_min: float
    overtime_min: float
    travel_min: float
    distance_km: float
    kpis: dict


def objective_breakdown(problem: Problem, plan: Plan) -> Breakdown:
    """The plan's objective split by priority tier, with the KPIs of each part."""
    kp = compute_kpis(problem, plan.routes, plan.unassigned)
    starts = {s.job: s.start for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    tiers = []
    for pr in sorted(PRIORITY_TIER, key=lambda p: -PRIORITY_TIER[p]):
        jobs = [j for j in problem.jobs if j.priority == pr]
        done = [j for j in jobs if j.id in starts]
        late = [j for j in done if j.due is not None and starts[j.id] > j.due]
        lateness = sum((starts[j.id] - j.due).total_seconds() / 60.0 for j in late)
        tiers.append(TierFigures(pr.value, len(jobs), len(done), len(jobs) - len(done),
                                 len(late), lateness))
    extra = kp.model_dump()
    return Breakdown(tiers=tiers, lateness_min=float(extra.get("lateness_min", 0.0)),
                     overtime_min=kp.overtime_min, travel_min=kp.travel_min,
                     distance_km=kp.distance_km, kpis=extra)


__all__ = ["Breakdown", "TierFigures", "WorkRoute", "explain_plan", "objective_breakdown",
           "relaxations"]
