"""One routing model for a whole (sub-)problem: compile, diagnose, lay out, build, solve, read.

See ``model.py`` for what the routing model holds and ``costs.py`` for the objective and the
drop-penalty tiers. A timed search with jobs to place starts from the cheapest-insertion day
(``optimizer.dispatch.fill.insertion_plan``); a work limit keeps OR-Tools' own first solution.

Stability cap (``Stability.max_moved_jobs``): the cap on reassigned reference jobs cannot be
expressed in the routing model, so it is enforced afterwards: if the solution moves more
reference jobs than allowed, the excess moved jobs that are cheapest to keep (closest to their
reference engineer's route in the solution) are restricted to their reference engineer
(dropping them stays allowed) and the model is solved again, warm-started from the solution
without them. After two such rounds, the last resort restricts every reference job to its
reference engineer (zero moves). A reference job that ends unassigned does not count as
moved. With a cap, the first solve gets half the time limit, the rounds share the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.compile import Compiled, compile_problem
from optimizer.dispatch.costs import compute_costs
from optimizer.dispatch.diagnose import diagnose
from optimizer.dispatch.fill import UNBOUNDED_ROUNDS, insertion_plan
from optimizer.dispatch.layout import Layout, NodeKind, build_layout
from optimizer.dispatch.model import RawSolution, build_model, solve_model
from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.read import read_routes, read_unassigned
from optimizer.dispatch.search import search_plan
from optimizer.kpis import plan_of
from optimizer.models import DepotStop, JobStop, Plan, Problem, SolverInfo, SolverStatus

INSERTION_SHARE = 0.1  # of the search's time at most for the insertion day it starts from


def solve_single(problem: Problem, options: SolveOptions, t0: float | None = None,
                 watch_service: bool = False, compiled: Compiled | None = None) -> Plan:
    """One routing model for the whole problem. ``watch_service``: a timed search that leaves
    jobs out and stops serving more may end early (``SearchPlan.service_stall_s``), for the
    repair that follows in ``solve``; territories, whose repair comes later, search on.
    ``compiled``: ``problem`` already compiled by the caller."""
    t0 = time.perf_counter() if t0 is None else t0
    log: Callable[[str], None] = options.progress or (lambda _m: None)

    c = compiled if compiled is not None else compile_problem(problem)
    d = diagnose(c)
    log(
        f"dispatch: {c.n_jobs} jobs, {c.n_engineers} engineers, {c.n_shifts} shifts; "
        f"{len(d.reasons)} jobs cannot be placed at all"
    )
    jobs = np.flatnonzero(d.candidates.any(axis=1))
    if options.seed:
        jobs = np.random.default_rng(options.seed).permutation(jobs)
    shifts = np.arange(c.n_shifts)
    info: dict[str, object] = {"seed": options.seed}
    pickups = _warm_pickups(c, options.initial_plan) if options.initial_plan else {}
    warm_depot = {j: dp for j, (dp, _pos) in pickups.items()}
    layout = build_layout(c, d, jobs, shifts, warm_depot)
    reference = _reference(c, options)

    raw: RawSolution | None = None
    timed = options.max_solutions is None and options.max_iterations is None
    if layout.disjunctions and options.initial_plan is None and options.stability is None \
            and timed:
        # Start the search from the cheapest-insertion day (with its repair): on tight days
        # it serves jobs OR-Tools' own first solution and search leave out (Pillac R101).
        # Timed searches only: under a work limit guided local search from a warm start
        # finds few solutions and runs to its stall limit (seconds on a 60-job day).
        start = insertion_plan(problem, compiled=c, recreate_rounds=UNBOUNDED_ROUNDS,
                               until=t0 + options.time_limit_s * INSERTION_SHARE)
        if start.routes:
            log(f"dispatch: cheapest insertion placed {start.kpis.jobs_assigned} jobs in "
                f"{time.perf_counter() - t0:.1f} s; the search starts from there")
            options = replace(options, initial_plan=start)
            pickups = _warm_pickups(c, start)
            warm_depot = {j: dp for j, (dp, _pos) in pickups.items()}
            layout = build_layout(c, d, jobs, shifts, warm_depot)
            info["warm_start_from"] = "insertion"
    if layout.disjunctions:
        cap = options.stability.max_moved_jobs if options.stability is not None else None
        deadline = t0 + options.time_limit_s * (0.5 if cap is not None else 1.0)
        initial = (_initial_routes(c, layout, options, pickups)
                   if options.initial_plan is not None else None)
        raw, info2 = _solve_layout(c, layout, options, reference, log, deadline, initial,
                                   insertion_start="warm_start_from" in info,
                                   watch_service=watch_service)
        info.update(info2)
        if cap is not None and raw.found:
            layout, raw, rounds = _enforce_cap(c, layout, raw, options, reference, log, t0, cap)
            info["stability_rounds"] = rounds
    served = _served(layout, raw)
    routes = read_routes(c, layout, raw) if raw is not None and raw.found else []
    if raw is not None and not raw.found:
        served = set()
    unassigned = read_unassigned(c, d, layout, served)
    wall = time.perf_counter() - t0
    status = SolverStatus.NO_JOBS if raw is None else raw.status
    plan = plan_of(problem, routes, unassigned,
                   SolverInfo(status=status, wall_s=round(wall, 3), **info))
    log(
        f"dispatch: done in {wall:.1f} s, {plan.kpis.jobs_assigned}/{plan.kpis.jobs_total} jobs "
        f"assigned, {plan.kpis.distance_km:.1f} km"
    )
    return plan


def _solve_layout(
    c: Compiled,
    layout: Layout,
    options: SolveOptions,
    reference: dict[str, tuple[str, int]],
    log: Callable[[str], None],
    deadline: float,
    initial: list[list[int]] | None = None,
    insertion_start: bool = False,
    watch_service: bool = False,
) -> tuple[RawSolution, dict[str, object]]:
    t1 = time.perf_counter()
    costs = compute_costs(c, layout, options.affinity, options.stability, reference, log)
    parts_dims = _parts_dims(c, layout)
    depot_limits = _depot_limits(c, layout)
    built = build_model(c, layout, costs, parts_dims, depot_limits)
    spent = time.perf_counter() - t1
    sub = SolveOptions(
        time_limit_s=max(0.1, deadline - time.perf_counter() - 0.2),
        seed=options.seed,
        max_solutions=options.max_solutions,
        max_iterations=options.max_iterations,
    )
    plan = search_plan(sub, layout.n_nodes)
    plan = replace(plan, insertion_start=initial is not None and insertion_start,
                   service_stall_s=plan.service_stall_s if watch_service else None)
    limit = (
        f"solution limit {plan.solution_limit}"
        if plan.solution_limit
        else f"{plan.time_limit_s:.1f} s"
    )
    log(
        f"dispatch: model of {layout.n_nodes} nodes, {layout.n_vehicles} vehicles built in "
        f"{spent:.1f} s; searching ({plan.first_solution} + {plan.metaheuristic}, {limit})"
    )
    raw = solve_model(built, plan, initial, log)
    rejected = raw.warm_start_rejected
    if rejected:
        fresh = build_model(c, layout, costs, parts_dims, depot_limits)
        left = max(0.05, deadline - time.perf_counter() - 0.2)
        if plan.solution_limit is None and plan.check_limit is None:
            plan = replace(plan, time_limit_s=left)
        raw = solve_model(fresh, plan, None, log)
        initial = None
    info: dict[str, object] = {
        "objective": raw.objective,
        "first_solution_strategy": plan.first_solution,
        "metaheuristic": plan.metaheuristic,
        "solution_limit": plan.solution_limit,
        "time_limit_s": plan.time_limit_s,
        "nodes": layout.n_nodes,
        "vehicles": layout.n_vehicles,
        "warm_start": initial is not None,
    }
    if rejected:
        info["warm_start_rejected"] = True
    return raw, info


def _enforce_cap(
    c: Compiled,
    layout: Layout,
    raw: RawSolution,
    options: SolveOptions,
    reference: dict[str, tuple[str, int]],
    log: Callable[[str], None],
    t0: float,
    cap: int,
) -> tuple[Layout, RawSolution, int]:
    """Re-solve until at most ``cap`` reference jobs changed engineer (see module docstring)."""
    ref_eng = {c.job_index[j]: c.eng_index.get(e, -1) for j, (e, _t) in reference.items()}
    veh_eng = c.shift_engineer[layout.vehicles]
    for rounds in range(1, 4):
        moved = []
        on_route: dict[int, list[int]] = {}
        for r in raw.routes:
            e = int(veh_eng[r.vehicle])
            on_route.setdefault(e, []).extend(int(c.job_loc[layout.job[n]]) for n in r.nodes)
            for n in r.nodes:
                j = int(layout.job[n])
                if layout.kind[n] != NodeKind.PICKUP and j in ref_eng and ref_eng[j] != e:
                    moved.append(j)
        if len(moved) <= cap:
            return layout, raw, rounds - 1
        if rounds < 3:
            cost = {j: _keep_cost(c, j, ref_eng[j], on_route) for j in moved}
            fix = set(sorted(moved, key=lambda j: (cost[j], j))[: len(moved) - cap])
        else:
            fix = set(ref_eng)  # last resort: no reference job may change engineer
        log(f"dispatch: {len(moved)} jobs moved (cap {cap}); keeping {len(fix)} on their engineer")
        allowed = list(layout.allowed)
        for n in range(layout.n_nodes):
            j = int(layout.job[n])
            if j in fix:
                mine = np.flatnonzero(veh_eng == ref_eng[j])
                al = layout.allowed[n]
                allowed[n] = mine if al is None else np.intersect1d(al, mine)
        layout = replace(layout, allowed=tuple(allowed))
        initial: list[list[int]] = [[] for _ in range(layout.n_vehicles)]
        for r in raw.routes:
            initial[r.vehicle] = [n for n in r.nodes if int(layout.job[n]) not in fix]
        left = t0 + options.time_limit_s - time.perf_counter()
        deadline = time.perf_counter() + max(0.1, left / (4 - rounds))
        raw, _ = _solve_layout(c, layout, options, reference, log, deadline, initial)
        if not raw.found:
            break
    return layout, raw, 3


def _keep_cost(c: Compiled, j: int, e: int, on_route: dict[int, list[int]]) -> float:
    """How far job ``j`` is from its reference engineer's route (km): cheap to keep if near."""
    if e < 0:
        return float("inf")
    locs = on_route.get(e) or [int(c.eng_start_loc[e])]
    return float(c.travel.km[c.job_loc[j], locs].min())


def _served(layout: Layout, raw: RawSolution | None) -> set[int]:
    if raw is None or not raw.found:
        return set()
    return {
        int(layout.job[n])
        for r in raw.routes
        for n in r.nodes
        if layout.kind[n] in (NodeKind.JOB_VAN, NodeKind.JOB_DEPOT)
    }


def _parts_dims(c: Compiled, layout: Layout) -> list[int]:
    """Parts whose van share some shift could over-commit through van-served jobs."""
    van = np.flatnonzero(layout.kind == NodeKind.JOB_VAN)
    out = []
    for k in range(len(c.parts)):
        need = c.job_parts[layout.job[van], k]
        if not need.any():
            continue
        for v in range(layout.n_vehicles):
            ok = np.array(
                [layout.allowed[n] is None or v in layout.allowed[n] for n in van], dtype=bool
            )
            if need[ok].sum() > layout.van_alloc[v, k]:
                out.append(k)
                break
    return out


def _depot_limits(c: Compiled, layout: Layout) -> list[tuple[int, int]]:
    """(depot, part) pairs whose stock all pick-ups together could exceed."""
    if layout.reserved:
        return []
    pu = np.flatnonzero(layout.kind == NodeKind.PICKUP)
    out = []
    for dp in range(len(c.depot_loc)):
        at = pu[layout.depot[pu] == dp]
        if len(at) == 0:
            continue
        tot = c.job_parts[layout.job[at]].sum(axis=0)
        for k in np.flatnonzero(tot > c.depot_stock[dp]):
            out.append((dp, int(k)))
    return out


def _reference(c: Compiled, options: SolveOptions) -> dict[str, tuple[str, int]]:
    """Job id -> (engineer id, start minute) in the stability reference plan."""
    if options.stability is None:
        return {}
    out = {}
    for r in options.stability.reference.routes:
        for s in r.stops:
            if isinstance(s, JobStop) and s.job in c.job_index:
                out[s.job] = (r.engineer, max(0, c.to_minutes(s.start)))
    return out


def _warm_pickups(c: Compiled, plan: Plan) -> dict[int, tuple[int, int]]:
    """Job index -> (depot, position of the depot stop in its route) for the jobs of ``plan``
    whose parts, or tools its engineer does not carry, come from a depot stop before it.

    The model picks each job's parts and tools up at a pick-up node of its own, so a stop's
    parts and tools are shared out and each serves one job; a job served with what a stop
    brought for another (a tool picked up once) gets its own pick-up at the latest earlier
    stop whose depot can give it (with its stock: the layout grants warm pick-ups first)."""
    depot_of = {d.id: k for k, d in enumerate(c.problem.depots)}
    out: dict[int, tuple[int, int]] = {}
    for r in plan.routes:
        e = c.eng_index.get(r.engineer)
        if e is None:
            continue
        carried = set(np.flatnonzero(c.eng_tools[e]).tolist()) if c.eng_tools.shape[1] else set()
        stops: list[tuple[int, int, dict[str, int], set[str]]] = []  # pos, depot, parts, tools
        for pos, st in enumerate(r.stops):
            if isinstance(st, DepotStop) and st.depot in depot_of:
                stops.append((pos, depot_of[st.depot], dict(st.pickup), set(st.pickup_tools)))
                continue
            if not isinstance(st, JobStop) or st.job not in c.job_index:
                continue
            j = c.job_index[st.job]
            need = {c.parts[k]: int(q) for k, q in enumerate(c.job_parts[j]) if q > 0}
            tools = {c.tools[k] for k in np.flatnonzero(c.job_tools[j]) if k not in carried}
            if not need and not tools:
                continue
            for p0, dp, left, picked in stops:
                if all(left.get(p, 0) >= q for p, q in need.items()) and tools <= picked:
                    for p, q in need.items():
                        left[p] -= q
                    picked -= tools
                    out[j] = (dp, p0)
                    break
            else:
                # Served with what an earlier stop brought for another job (a tool picked up
                # once serves the day): the model picks its share up at the latest such stop
                # that can give it, at no extra travel (pick-ups in a row at one depot).
                for p0, dp, _left, _picked in reversed(stops):
                    if all(c.depot_stock[dp, c.parts.index(p)] >= q for p, q in need.items()) \
                            and all(c.depot_tools[dp, c.tools.index(t)] for t in tools):
                        out[j] = (dp, p0)
                        break
    return out


def _initial_routes(
    c: Compiled, layout: Layout, options: SolveOptions, pickups: dict[int, tuple[int, int]]
) -> list[list[int]]:
    """The warm-start plan's routes as visit nodes per vehicle (unknown jobs skipped).

    A job that the plan served after a depot stop (``pickups``, from ``_warm_pickups``) becomes
    its copy at that depot, with the pick-up node placed where that depot stop was; other jobs
    take their van node. A job with neither is left out for the search to place: a pick-up
    node just before it would add a detour the plan did not make and could make the whole
    warm start infeasible.
    """
    assert options.initial_plan is not None
    veh = {
        (c.eng_ids[int(c.shift_engineer[s])], int(c.shift_index[s])): v
        for v, s in enumerate(layout.vehicles)
    }
    pickup_of = {dn: pn for pn, dn in layout.pairs}
    routes: list[list[int]] = [[] for _ in range(layout.n_vehicles)]
    for r in options.initial_plan.routes:
        v = veh.get((r.engineer, r.shift))
        if v is None:
            continue
        slots: dict[int, list[int]] = {}
        order: list[list[int]] = []
        for pos, st in enumerate(r.stops):
            if isinstance(st, DepotStop):
                slots[pos] = []
                order.append(slots[pos])
                continue
            if not isinstance(st, JobStop) or st.job not in c.job_index:
                continue
            j = c.job_index[st.job]
            nodes = [
                n for n in layout.job_nodes.get(j, ())
                if layout.allowed[n] is None or v in layout.allowed[n]
            ]
            chosen = None
            if j in pickups:
                dp, p0 = pickups[j]
                at = [n for n in nodes
                      if layout.kind[n] == NodeKind.JOB_DEPOT and layout.depot[n] == dp]
                if at and p0 in slots:
                    slots[p0].append(pickup_of[at[0]])
                    chosen = at[0]
            if chosen is None:  # from the van; else left out (a new pick-up is a detour)
                chosen = next((n for n in nodes if layout.kind[n] == NodeKind.JOB_VAN), None)
            if chosen is not None:
                order.append([chosen])
        routes[v] = [n for slot in order for n in slot]
    return routes
