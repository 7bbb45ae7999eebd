"""The OR-Tools routing model: build it, solve it, pull the solution into plain structures.

This is the only module of the project that imports OR-Tools routing. One vehicle per
usable engineer shift; nodes and costs come ready-made from ``layout.py`` and ``costs.py``.

- time: one dimension, transit = service of the from-node + travel (a numpy matrix registered
  with ``RegisterTransitMatrix``); windows by ``SetRange`` + ``RemoveInterval``; ``due`` by a soft
  upper bound; shift end by a soft upper bound (overtime) and a hard one at end + max overtime;
  engineer time by the span cost, which also delays departures instead of waiting.
- breaks: ``SetBreakIntervalsOfVehicle`` with the nodes' service as visit transits, each break
  additionally kept inside [route start, route end] so that it can be written as a stop.
- parts: per-part capacity dimensions limit van use per shift; depot copies of a job are
  paired with a pickup node; shared depot stock is a linear constraint on pickups' actives
  in small models, reserved per job up front in larger ones (see ``layout.py``).
- load: a capacity dimension when some engineer has a capacity.
- soft job->engineer costs: a dimension with per-vehicle unary transits and span cost 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from time import perf_counter

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.compile import Compiled
from optimizer.dispatch.costs import Costs, arc_cost_matrix
from optimizer.dispatch.layout import Layout, NodeKind
from optimizer.dispatch.search import SearchPlan
from optimizer.models import SolverStatus

WORK_LIMIT_LNS_S = 600  # LNS sub-search limit under a work limit (never reached)
WARM_STALL_FACTOR = 10  # a warm start's completion may take this many stall periods
STATUS = {  # OR-Tools' routing status codes
    0: SolverStatus.NOT_SOLVED,
    1: SolverStatus.SUCCESS,
    2: SolverStatus.PARTIAL_SUCCESS,
    3: SolverStatus.FAIL,
    4: SolverStatus.FAIL_TIMEOUT,
    5: SolverStatus.INVALID,
    6: SolverStatus.INFEASIBLE,
    7: SolverStatus.OPTIMAL,
}


@dataclass(frozen=True)
class RawRoute:
    """One vehicle's route in model minutes: visit nodes, their service starts, breaks."""

    vehicle: int
    nodes: tuple[int, ...]
    starts: tuple[int, ...]
    start_time: int
    end_time: int
    breaks: tuple[tuple[int, int], ...]  # (start, duration)


@dataclass(frozen=True)
class RawSolution:
    """What the search returned; ``warm_start_rejected``: the initial routes could not be
    completed (the caller solves again from scratch on a fresh model)."""

    routes: tuple[RawRoute, ...]
    status: SolverStatus
    objective: int | None
    found: bool
    warm_start_rejected: bool = False


@dataclass
class Built:
    """A built model and the handles needed to solve and read it."""

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    breaks: list[list[pywrapcp.IntervalVar]]
    layout: Layout
    callbacks: list[int]
    job_tier: np.ndarray  # priority tier per job (higher: more urgent)


def build_model(
    c: Compiled,
    layout: Layout,
    costs: Costs,
    parts_dims: Sequence[int],
    depot_limits: Sequence[tuple[int, int]],
) -> Built:
    """The routing model of ``layout`` (see module docstring).

    ``parts_dims``: part indices that need a van-stock dimension; ``depot_limits``:
    (depot, part) pairs whose stock the pickups could over-commit. The parts are added in a
    fixed order (callbacks and dimensions are numbered by it, and the search follows them).
    """
    n_v, n_n = layout.n_vehicles, layout.n_nodes
    starts = list(range(n_v))
    ends = list(range(n_v, 2 * n_v))
    manager = pywrapcp.RoutingIndexManager(n_n, n_v, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    m = _Model(c, layout, costs, manager, routing, cbs=[])
    _arc_costs(m)
    time = _time_dimension(m)
    breaks = _breaks(m, time)
    _van_stock(m, parts_dims)
    _load(m)
    _pickups_and_depot_stock(m, depot_limits)
    _affinity(m)
    _drop_penalties(m)
    return Built(manager, routing, time, breaks, layout, m.cbs, c.job_tier)


@dataclass
class _Model:
    """What the parts of :func:`build_model` add to (``cbs``: registered callbacks)."""

    c: Compiled
    layout: Layout
    costs: Costs
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    cbs: list[int]


def _arc_costs(m: _Model) -> None:
    """Distance costs, one evaluator per distinct ``cost_per_km``."""
    c, layout, costs, routing, cbs = m.c, m.layout, m.costs, m.routing, m.cbs
    n_v = layout.n_vehicles
    classes: dict[float, int] = {}
    for v in range(n_v):
        coef = float(costs.km_coef[v])
        if coef not in classes:
            arcs = arc_cost_matrix(c, layout, coef)
            classes[coef] = routing.RegisterTransitMatrix(arcs.tolist())
            cbs.append(classes[coef])
        routing.SetArcCostEvaluatorOfVehicle(classes[coef], v)


def _time_dimension(m: _Model) -> pywrapcp.RoutingDimension:
    """Travel and service time; shifts with overtime; windows, dues and retiming; who may
    serve each node."""
    c, layout, costs, manager, routing, cbs = m.c, m.layout, m.costs, m.manager, m.routing, m.cbs
    n_v, n_n = layout.n_vehicles, layout.n_nodes
    minutes = c.travel.minutes[np.ix_(layout.loc, layout.loc)] + layout.service[:, None]
    # Pick-ups one after another at one depot are one stop: only the last one's time counts
    # (as the plan reads them, see read.py, and as the repair's insertion board plans them).
    pick = np.flatnonzero(layout.kind == NodeKind.PICKUP)
    if len(pick) > 1:
        same = layout.depot[pick][:, None] == layout.depot[pick][None, :]
        rows, cols = np.nonzero(same)
        minutes[pick[rows], pick[cols]] = 0
    time_cb = routing.RegisterTransitMatrix(minutes.tolist())
    cbs.append(time_cb)
    horizon = int(c.horizon) + 1
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time = routing.GetDimensionOrDie("time")
    for v in range(n_v):
        s = int(layout.vehicles[v])
        lo = int(c.shift_start[s])
        end = int(c.shift_end[s])
        hi = end + int(c.shift_max_ot[s])
        time.CumulVar(routing.Start(v)).SetRange(lo, hi)
        time.CumulVar(routing.End(v)).SetRange(lo, hi)
        if hi > end:
            time.SetCumulVarSoftUpperBound(routing.End(v), end, int(costs.overtime_coef[v]))
        time.SetSpanCostCoefficientForVehicle(int(costs.span_coef[v]), v)
    for n in range(2 * n_v, n_n):
        idx = manager.NodeToIndex(n)
        w = layout.windows[n]
        lo, hi = max(0, int(w[0, 0])), min(horizon, int(w[-1, 1]))
        cum = time.CumulVar(idx)
        cum.SetRange(lo, max(lo, hi) if hi >= lo else lo)
        for k in range(len(w) - 1):
            a, b = int(w[k, 1]) + 1, int(w[k + 1, 0]) - 1
            if a <= b:
                cum.RemoveInterval(a, b)
        if costs.due[n] >= 0 or costs.retime_ref[n] >= 0:
            ub, coef = int(costs.due[n]), int(costs.late_coef[n])
            if costs.retime_ref[n] >= 0:
                ref = int(costs.retime_ref[n])
                ub = ref if ub < 0 else min(ub, ref)
                coef += costs.retime_coef
                time.SetCumulVarSoftLowerBound(idx, ref, costs.retime_coef)
            time.SetCumulVarSoftUpperBound(idx, ub, coef)
        al = layout.allowed[n]
        if al is not None:
            routing.VehicleVar(idx).SetValues([-1, *(int(x) for x in al)])
    return time


def _breaks(m: _Model, time: pywrapcp.RoutingDimension) -> list[list[pywrapcp.IntervalVar]]:
    """Breaks: visits are not interrupted; each break lies inside the route."""
    c, layout, manager, routing = m.c, m.layout, m.manager, m.routing
    solver = routing.solver()
    n_v = layout.n_vehicles
    breaks: list[list[pywrapcp.IntervalVar]] = []
    if any(len(c.shift_breaks[int(s)]) for s in layout.vehicles):
        visit = [0] * routing.Size()
        for i in range(routing.Size()):
            visit[i] = int(layout.service[manager.IndexToNode(i)])
        for v in range(n_v):
            s = int(layout.vehicles[v])
            ivs = []
            for k, (e, la, dur) in enumerate(c.shift_breaks[s].tolist()):
                iv = solver.FixedDurationIntervalVar(int(e), int(la), int(dur), False, f"b{v}_{k}")
                ivs.append(iv)
                solver.Add(iv.StartExpr() >= time.CumulVar(routing.Start(v)))
                solver.Add(iv.EndExpr() <= time.CumulVar(routing.End(v)))
            if ivs:
                time.SetBreakIntervalsOfVehicle(ivs, v, visit)
            breaks.append(ivs)
    else:
        breaks = [[] for _ in range(n_v)]
    return breaks


def _van_stock(m: _Model, parts_dims: Sequence[int]) -> None:
    """Van stock per part: consumption by van-served jobs within the shift's share."""
    c, layout, routing, cbs = m.c, m.layout, m.routing, m.cbs
    n_n = layout.n_nodes
    for k in parts_dims:
        demand = np.zeros(n_n, dtype=np.int64)
        for n in np.flatnonzero(layout.kind == NodeKind.JOB_VAN):
            demand[n] = c.job_parts[layout.job[n], k]
        cb = routing.RegisterUnaryTransitVector(demand.tolist())
        cbs.append(cb)
        caps = [int(x) for x in layout.van_alloc[:, k]]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"van_{c.parts[k]}")


def _load(m: _Model) -> None:
    """Load within the engineers' capacity."""
    c, layout, routing, cbs = m.c, m.layout, m.routing, m.cbs
    veh_eng = c.shift_engineer[layout.vehicles]
    cap = c.eng_capacity[veh_eng]
    is_job = (layout.kind == NodeKind.JOB_VAN) | (layout.kind == NodeKind.JOB_DEPOT)
    if (cap >= 0).any():
        load = np.where(is_job, c.job_load[np.maximum(layout.job, 0)], 0)
        if load.any():
            cb = routing.RegisterUnaryTransitVector(load.astype(np.int64).tolist())
            cbs.append(cb)
            big = int(load.sum())
            caps = [int(x) if x >= 0 else big for x in cap]
            routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "load")


def _pickups_and_depot_stock(m: _Model, depot_limits: Sequence[tuple[int, int]]) -> None:
    """Each pick-up before its job on the same vehicle; shared depot stock never exceeded."""
    c, layout, manager, routing = m.c, m.layout, m.manager, m.routing
    solver = routing.solver()
    for p, d in layout.pairs:
        pi, di = manager.NodeToIndex(p), manager.NodeToIndex(d)
        # Same vehicle and pickup first are what a pickup-and-delivery pair means. No extra
        # constraint on the cumuls: it would bind unperformed pairs too, whose windows may
        # not meet (a depot opening after a job's only time made the whole model infeasible).
        routing.AddPickupAndDelivery(pi, di)

    # Shared depot stock.
    pickups = np.flatnonzero(layout.kind == NodeKind.PICKUP)
    for dp, k in depot_limits:
        at = [n for n in pickups if layout.depot[n] == dp and c.job_parts[layout.job[n], k] > 0]
        if not at:
            continue
        acts = [routing.ActiveVar(manager.NodeToIndex(int(n))) for n in at]
        qty = [int(c.job_parts[layout.job[n], k]) for n in at]
        solver.Add(solver.ScalProd(acts, qty) <= int(c.depot_stock[dp, k]))


def _affinity(m: _Model) -> None:
    """Soft job -> engineer costs."""
    costs, routing, cbs = m.costs, m.routing, m.cbs
    n_v = m.layout.n_vehicles
    if costs.pref is not None:
        evals: dict[bytes, int] = {}
        per_v = []
        for v in range(n_v):
            row = costs.pref[v]
            key = row.tobytes()
            if key not in evals:
                evals[key] = routing.RegisterUnaryTransitVector(row.tolist())
                cbs.append(evals[key])
            per_v.append(evals[key])
        big = int(costs.pref.max(axis=0).sum()) + 1
        routing.AddDimensionWithVehicleTransits(per_v, 0, big, True, "affinity")
        routing.GetDimensionOrDie("affinity").SetSpanCostCoefficientForAllVehicles(1)


def _drop_penalties(m: _Model) -> None:
    """Drop penalties: one disjunction per job over its alternative nodes."""
    layout, costs, manager, routing = m.layout, m.costs, m.manager, m.routing
    for nodes, j in layout.disjunctions:
        idx = [manager.NodeToIndex(n) for n in nodes]
        routing.AddDisjunction(idx, int(costs.penalty[j]), 1)
    for p, _d in layout.pairs:
        routing.AddDisjunction([manager.NodeToIndex(p)], 0)


def _parameters(plan: SearchPlan) -> pywrapcp.RoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, plan.first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, plan.metaheuristic
    )
    params.time_limit.FromMilliseconds(int(plan.time_limit_s * 1000))
    params.guided_local_search_lambda_coefficient = plan.gls_lambda
    if plan.solution_limit is not None:
        params.solution_limit = int(plan.solution_limit)
    if plan.solution_limit is not None or plan.check_limit is not None:
        # Work-limited: no clock may cut a neighbourhood short (OR-Tools bounds its LNS
        # sub-searches by 100 ms by default, which a loaded machine can reach).
        params.lns_time_limit.FromSeconds(int(WORK_LIMIT_LNS_S))
    return params


def solve_model(
    built: Built,
    plan: SearchPlan,
    initial_routes: list[list[int]] | None = None,
    log: Callable[[str], None] | None = None,
) -> RawSolution:
    """Solve (from ``initial_routes`` of visit nodes per vehicle, if given) and read back."""
    routing, manager = built.routing, built.manager
    params = _parameters(plan)
    meter = _WorkMeter(plan, warm=initial_routes is not None)
    if plan.solution_limit is not None or plan.check_limit is not None:
        routing.AddSearchMonitor(routing.solver().CustomLimit(meter.check))
        routing.AddAtSolutionCallback(meter.solution)
    watch = None
    if plan.service_stall_s is not None and plan.solution_limit is None \
            and plan.check_limit is None:
        watch = _ServiceWatch(built, plan)
        routing.AddSearchMonitor(routing.solver().CustomLimit(watch.check))
        routing.AddAtSolutionCallback(watch.solution)
    solution = None
    if initial_routes is not None:
        routing.CloseModelWithParameters(params)
        idx_routes = [[manager.NodeToIndex(n) for n in r] for r in initial_routes]
        initial = _warm_assignment(routing, idx_routes)
        if initial is not None and plan.insertion_start:
            solution = _search_from_better_start(built, idx_routes, initial, plan, params, log)
        elif initial is not None:
            solution = routing.SolveFromAssignmentWithParameters(initial, params)
        if solution is None:
            # The model is not reused after a failed warm start (a search from scratch on it
            # found nothing): the caller builds a fresh one.
            if log:
                log("warm start rejected: "
                    + ("its routes do not fit the model" if initial is None
                       else "the search could not complete it") + "; solving from scratch")
            return RawSolution(routes=(), status=SolverStatus.NOT_SOLVED, objective=None,
                               found=False, warm_start_rejected=True)
    else:
        solution = routing.SolveWithParameters(params)
    status = STATUS.get(int(routing.status()), SolverStatus.NOT_SOLVED)
    if watch is not None and watch.stopped and log:
        log(f"dispatch: search stopped after {watch.stopped:.1f} s: {watch.left_out} jobs left "
            f"out and none more served for {plan.service_stall_s:.1f} s; the repair takes "
            "the rest of the time")
    if solution is None:
        return RawSolution(routes=(), status=status, objective=None, found=False)
    return _extract(built, solution, status)


def _warm_assignment(routing, idx_routes: list[list[int]]):
    """The warm start's next-variables as an assignment for ``SolveFromAssignment``, or None
    when the routes do not fit the model's structure (unknown or repeated visits).

    Not ``ReadAssignmentFromRoutes``: that one also completes every dimension by a search of
    its own, outside the time limit, which took 6.6 s on a 91-job territory with parts and
    breaks (the search then completed the same routes at once); a warm start the search
    cannot complete makes it return no solution, and the caller falls back as before."""
    assignment = routing.solver().Assignment()
    if not routing.RoutesToAssignment(idx_routes, True, True, assignment):
        return None
    return assignment


def _search_from_better_start(built: Built, warm_routes: list[list[int]], warm,
                              plan: SearchPlan, params: pywrapcp.RoutingSearchParameters, log):
    """Search from the warm start (our insertion day) when OR-Tools' own first solution
    serves fewer jobs in some priority tier (tight days: on Pillac's R101 its search never
    served them all), else from OR-Tools' own first solution (on Pillac's R2 instances the
    insertion day's routes were a basin guided local search could not leave)."""
    routing = built.routing
    first = _parameters(replace(plan, solution_limit=1, check_limit=None))
    own = routing.SolveWithParameters(first)
    own_routes = None if own is None else _index_routes(routing, own.Value)
    if own_routes is None or \
            _served_by_tier(built, own_routes) < _served_by_tier(built, warm_routes):
        return routing.SolveFromAssignmentWithParameters(warm, params)
    if log:
        log(f"dispatch: {plan.first_solution} serves as many jobs in every tier as the "
            "insertion day: the search starts from it")
    return routing.SolveWithParameters(params)


def _served_by_tier(built: Built, routes: list[list[int]]) -> tuple[int, ...]:
    """Jobs visited per priority tier, most urgent first (compared as tuples)."""
    manager, layout = built.manager, built.layout
    jobs = [int(layout.job[n]) for route in routes for n in map(manager.IndexToNode, route)
            if layout.kind[n] in (NodeKind.JOB_VAN, NodeKind.JOB_DEPOT)]
    counts = np.bincount(built.job_tier[jobs], minlength=int(built.job_tier.max(initial=0)) + 1)
    return tuple(int(x) for x in counts[::-1])


def _index_routes(routing, value: Callable[[pywrapcp.IntVar], int]) -> list[list[int]]:
    """Visit indices per vehicle, reading next-variables with ``value`` (a solution's
    ``Value``, or the bound value inside a solution callback)."""
    out = []
    for v in range(routing.vehicles()):
        idx, route = value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(idx):
            route.append(idx)
            idx = value(routing.NextVar(idx))
        out.append(route)
    return out


class _WorkMeter:
    """A deterministic work limit: counts the search's limit checks (about one per neighbour
    examined) and the solutions found; stops after ``check_limit`` checks, or after
    ``stall_checks`` checks without a new solution (a local optimum GLS cannot leave), which
    OR-Tools' ``solution_limit`` alone would never end."""

    def __init__(self, plan: SearchPlan, warm: bool = False) -> None:
        self.warm = warm
        self.checks = 0
        self.last_solution = 0
        self.solutions = 0
        self.limit = plan.check_limit
        self.stall = plan.stall_checks

    def check(self) -> bool:
        self.checks += 1
        if self.limit is not None and self.checks >= self.limit:
            return True
        # Completing a warm start can take OR-Tools hundreds of thousands of checks (with one
        # solution callback on the way): stopping it there would lose the warm start.
        stall = self.stall * (WARM_STALL_FACTOR if self.warm and self.solutions < 2 else 1)
        return self.checks - self.last_solution > stall

    def solution(self) -> None:
        self.solutions += 1
        self.last_solution = self.checks


class _ServiceWatch:
    """Stops a timed search that leaves jobs out and no longer serves more (see
    ``SearchPlan.service_stall_s``): counts the job visits of every solution found."""

    def __init__(self, built: Built, plan: SearchPlan) -> None:
        self.clock = perf_counter
        self.t0 = self.clock()
        assert plan.service_stall_s is not None
        self.stall_s, self.min_s = plan.service_stall_s, plan.service_min_s
        self.routing, self.manager = built.routing, built.manager
        self.is_job = np.isin(built.layout.kind, (NodeKind.JOB_VAN, NodeKind.JOB_DEPOT))
        self.n_jobs = len(built.layout.disjunctions)
        self.best = -1
        self.gain_t = self.t0
        self.left_out = self.n_jobs
        self.stopped = 0.0

    def solution(self) -> None:
        routes = _index_routes(self.routing, lambda var: var.Value())
        served = sum(int(self.is_job[self.manager.IndexToNode(i)]) for r in routes for i in r)
        if served > self.best:
            self.best, self.gain_t = served, self.clock()
            self.left_out = self.n_jobs - served

    def check(self) -> bool:
        if self.left_out == 0 or self.best < 0:
            return False
        now = self.clock()
        if now - self.t0 >= self.min_s and now - self.gain_t >= self.stall_s:
            self.stopped = now - self.t0
            return True
        return False


def _extract(built: Built, solution: pywrapcp.Assignment, status: SolverStatus) -> RawSolution:
    routing, manager, time = built.routing, built.manager, built.time
    routes = []
    for v in range(built.layout.n_vehicles):
        idx = routing.Start(v)
        start_time = solution.Min(time.CumulVar(idx))
        nodes, starts = [], []
        idx = solution.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            nodes.append(manager.IndexToNode(idx))
            starts.append(solution.Min(time.CumulVar(idx)))
            idx = solution.Value(routing.NextVar(idx))
        end_time = solution.Min(time.CumulVar(idx))
        if not nodes:
            continue
        brks = tuple(
            sorted((int(solution.StartValue(iv)), int(iv.DurationMin())) for iv in built.breaks[v])
        )
        routes.append(
            RawRoute(
                vehicle=v,
                nodes=tuple(int(n) for n in nodes),
                starts=tuple(int(t) for t in starts),
                start_time=int(start_time),
                end_time=int(end_time),
                breaks=brks,
            )
        )
    return RawSolution(
        routes=tuple(routes), status=status, objective=int(solution.ObjectiveValue()), found=True
    )
