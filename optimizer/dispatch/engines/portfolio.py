"""The engine portfolio: the public ``solve(problem, options) -> Plan``.

``SolveOptions.engine`` names one engine (``ortools``, ``vroom``, ``pyvrp``) or ``auto``, the
choice by problem that ``benchmarks/README.md`` measures (:func:`auto_engines`). Re-optimisation
(``stability``) and warm starts (``initial_plan``) always go to OR-Tools, the one engine that
knows a reference plan.

With several engines, they run side by side (:mod:`.children`; one per core, 2 here: the
last in this process, the others in worker processes), in the fixed order of ``ENGINES``:
each engine gets ``ENGINE_SHARE`` of the time limit, then its routes are realised on our
insertion layer (:mod:`.realise`) and repaired (``optimizer.dispatch.fill``: left-out jobs
placed, late critical jobs brought to their due, ruin and recreate) until ``REPAIR_SHARE``.
Every plan is checked by ``optimizer.validate``;
the best valid plan by the tier order (``fill.served_by_tier``: pinned, critical, critical on
time, high, normal, low), then the fewest km, wins. The time left goes to improving the
winner: an OR-Tools search warm-started from it on days of one routing model
(``IMPROVE_MAX_JOBS``), kept only if it is at least as good by tier and shorter. Under a work
limit (``max_solutions``/``max_iterations``) VROOM runs its search to the end, PyVRP a fixed
number of iterations from the seed and the repair a fixed number of rounds, so the same
problem, seed and limit give the same plan.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from optimizer.compile import compile_problem
from optimizer.dispatch.diagnose import diagnose
from optimizer.dispatch.engines import ENGINES, EngineDeclined, EngineRoutes
from optimizer.dispatch.engines import ortools as ortools_engine
from optimizer.dispatch.engines import pyvrp as pyvrp_engine
from optimizer.dispatch.engines import vroom as vroom_engine
from optimizer.dispatch.engines.children import Outcome, can_start_children, run_in_children
from optimizer.dispatch.engines.realise import realise
from optimizer.dispatch.fill import RECREATE_ROUNDS, UNBOUNDED_ROUNDS, fill_plan
from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.territories import TerritoryRun, should_decompose
from optimizer.kpis import served_by_tier
from optimizer.models import Plan, Problem, SolverInfo
from optimizer.validate import validate

ENGINE_SHARE = 0.8  # of a time limit for the engines' own search
REPAIR_SHARE = 0.92  # ... up to here for realising and repairing their routes
MARGIN_S = 0.3  # the portfolio returns this long before the time limit
PARALLEL_MIN_JOBS = 60  # smaller days run the engines one after the other in this process
VROOM_MAX_JOBS = 2000  # larger days go to OR-Tools' territories (see auto_engines)
IMPROVE_MAX_JOBS = 250  # an OR-Tools warm start for the winner on days up to this size
ITERATIONS_PER_SOLUTION = 10  # PyVRP iterations per ``max_solutions`` under a work limit


def solve(problem: Problem, options: SolveOptions | None = None, *,
          territories: TerritoryRun | None = None) -> Plan:
    """Plan ``problem``: a valid contract plan, every job placed or reported unassigned.

    ``territories`` (territory solves on a Dask cluster, ``optimizer.distributed``) is
    OR-Tools' path (``optimizer.dispatch.solve``)."""
    options = options or SolveOptions()
    if options.engine not in ("auto", *ENGINES):
        raise ValueError(f"SolveOptions.engine: unknown engine {options.engine!r} "
                         f"(one of auto, {', '.join(ENGINES)})")
    if options.stability is not None or options.initial_plan is not None \
            or territories is not None or not problem.jobs or not problem.engineers:
        return ortools_engine.solve(problem, options, territories=territories)
    names = auto_engines(problem) if options.engine == "auto" else (options.engine,)
    if names == ("ortools",):
        return ortools_engine.solve(problem, options)
    return _portfolio(problem, options, names)


def auto_engines(problem: Problem) -> tuple[str, ...]:
    """The engines ``auto`` runs for ``problem`` (measured: ``benchmarks/README.md``).

    Days whose jobs need parts or tools keep OR-Tools, the engine that models depot
    pick-ups and stock, beside VROOM; days without them run VROOM and PyVRP, or VROOM alone
    (on every core) where PyVRP's matrices, one per skill set, would pass its memory limit.
    Past ``VROOM_MAX_JOBS`` OR-Tools' territories plan the day alone: VROOM's construction,
    which its timeout does not bound, did not finish a 5,000-job day in minutes."""
    if len(problem.jobs) > VROOM_MAX_JOBS:
        return ("ortools",)
    if any(j.required_parts or j.required_tools for j in problem.jobs):
        return ("ortools", "vroom")
    skill_sets = {tuple(sorted(e.skills.items())) for e in problem.engineers}
    homes = {(e.start.lat, e.start.lon) for e in problem.engineers}
    if pyvrp_engine.matrix_mb(len(skill_sets), len(problem.jobs) + len(homes)) \
            > pyvrp_engine.MAX_MATRIX_MB:
        return ("vroom",)
    return ("vroom", "pyvrp")


def _portfolio(problem: Problem, options: SolveOptions, names: Sequence[str]) -> Plan:
    t0 = time.perf_counter()
    log: Callable[[str], None] = options.progress or (lambda _m: None)
    timed = options.max_solutions is None and options.max_iterations is None
    limit = options.time_limit_s
    engine_until = t0 + ENGINE_SHARE * limit if timed else None
    repair_until = t0 + REPAIR_SHARE * limit if timed else None
    child_opts = replace(options, progress=None)
    alone = _cores(options) if len(names) == 1 else 1  # VROOM alone searches on every core
    calls = [(run_engine, (n, problem, child_opts, engine_until, repair_until, alone))
             for n in names]
    parallel = len(names) > 1 and can_start_children() and options.workers != 1 \
        and len(problem.jobs) >= PARALLEL_MIN_JOBS
    log(f"dispatch: engines {', '.join(names)} "
        f"({'in parallel' if parallel else 'one after the other'}"
        f"{f', {limit * ENGINE_SHARE:.1f} s search each' if timed else ', work limit'})")
    if parallel:  # the last engine in this process, the others in workers meanwhile
        outcomes = run_in_children(calls[:-1], deadline=None if not timed else t0 + limit + 30.0,
                                   here=calls[-1])
    else:
        outcomes = []
        for i, (fn, args) in enumerate(calls):
            if timed:  # share the engine time out between the engines in turn
                now = time.perf_counter()
                share = (t0 + ENGINE_SHARE * limit - now) / (len(calls) - i)
                rep = (t0 + REPAIR_SHARE * limit - now) / (len(calls) - i)
                args = (*args[:3], now + share, now + rep, args[5])
            try:
                outcomes.append(Outcome(value=fn(*args)))
            except EngineDeclined as exc:
                outcomes.append(Outcome(error=f"EngineDeclined: {exc}"))
    best, tried = _pick(problem, names, outcomes, log)
    if best is None:
        left = max(1.0, t0 + limit - time.perf_counter()) if timed else limit
        log("dispatch: no engine returned a valid plan; planning with OR-Tools")
        return ortools_engine.solve(problem, replace(options, time_limit_s=left))
    winner = best.solver.model_extra.get("engine", "?")
    left = t0 + limit - MARGIN_S - time.perf_counter()
    if timed and left > 1.0 and len(problem.jobs) <= IMPROVE_MAX_JOBS \
            and not should_decompose(problem):
        best = _improve(problem, options, best, left, log)
    info = best.solver.model_dump()
    info.update(engine=winner, engines=tried, wall_s=round(time.perf_counter() - t0, 3))
    log(f"dispatch: {winner}'s plan: {best.kpis.jobs_assigned}/{best.kpis.jobs_total} jobs, "
        f"{best.kpis.distance_km:.1f} km, in {info['wall_s']:.1f} s")
    return best.model_copy(update={"solver": SolverInfo(**info)})


def _cores(options: SolveOptions) -> int:
    """Threads for an engine running alone: ``options.workers`` or the usable CPUs (<= 2)."""
    if options.workers is not None:
        return max(1, options.workers)
    try:
        return max(1, min(2, len(os.sched_getaffinity(0))))
    except AttributeError:  # not on Linux
        return max(1, min(2, os.cpu_count() or 1))


def run_engine(name: str, problem: Problem, options: SolveOptions,
               engine_until: float | None, repair_until: float | None,
               threads: int = 1) -> Plan:
    """One engine's repaired plan (module level: it runs in a child process). ``*_until``
    are ``time.perf_counter()`` values (None: the work limits of ``options``); ``threads``
    for VROOM."""
    t0 = time.perf_counter()
    if name == "ortools":
        limit = options.time_limit_s if repair_until is None else max(0.5, repair_until - t0)
        return ortools_engine.solve(problem, replace(options, time_limit_s=limit))
    c = compile_problem(problem)
    d = diagnose(c)
    budget = None if engine_until is None else max(0.1, engine_until - t0)
    found: EngineRoutes
    if name == "vroom":
        found = vroom_engine.solve(c, d, time_limit_s=budget, threads=threads)
    elif name == "pyvrp":
        iterations = None
        if engine_until is None:
            iterations = options.max_iterations or \
                ITERATIONS_PER_SOLUTION * max(20, options.max_solutions or 0)
        found = pyvrp_engine.solve(c, d, time_limit_s=budget, seed=options.seed,
                                   max_iterations=iterations)
    else:
        raise ValueError(f"unknown engine {name!r}")
    plan = realise(c, d, found, wall_s=time.perf_counter() - t0, affinity=options.affinity)
    rounds = RECREATE_ROUNDS if repair_until is None else UNBOUNDED_ROUNDS
    filled = fill_plan(problem, plan, recreate_until=repair_until, recreate_rounds=rounds)
    info = plan.solver.model_dump()
    info.update(realised_assigned=plan.kpis.jobs_assigned,
                wall_s=round(time.perf_counter() - t0, 3))
    return filled.model_copy(update={"solver": SolverInfo(**info)})


def plan_key(problem: Problem, plan: Plan) -> tuple[tuple[int, ...], float]:
    """Larger is better: the tier order, then the fewest km."""
    return served_by_tier(problem, plan), -round(plan.kpis.distance_km, 3)


def _pick(problem: Problem, names: Sequence[str], outcomes: Sequence[Outcome],
          log: Callable[[str], None]) -> tuple[Plan | None, list[dict[str, object]]]:
    """The best valid plan by :func:`plan_key` (the first engine on ties), and what each
    engine gave."""
    best: Plan | None = None
    tried: list[dict[str, object]] = []
    for name, out in zip(names, outcomes, strict=True):
        row: dict[str, object] = {"engine": name}
        plan = out.value
        if plan is not None:
            plan = plan.model_copy(update={"solver": SolverInfo(
                **(plan.solver.model_dump() | {"engine": name}))})
        if plan is None:
            row["error"] = out.error
            log(f"dispatch: {name}: {out.error}")
        elif bad := validate(problem, plan):
            row["error"] = f"invalid plan ({len(bad)} violations; first: {bad[0]})"
            log(f"dispatch: {name}: {row['error']}: dropped")
            plan = None
        else:
            row.update(assigned=plan.kpis.jobs_assigned, distance_km=plan.kpis.distance_km,
                       wall_s=plan.solver.wall_s)
            log(f"dispatch: {name}: {plan.kpis.jobs_assigned}/{plan.kpis.jobs_total} jobs, "
                f"{plan.kpis.distance_km:.1f} km, tiers {served_by_tier(problem, plan)}")
            if best is None or plan_key(problem, plan) > plan_key(problem, best):
                best = plan
        tried.append(row)
    return best, tried


def _improve(problem: Problem, options: SolveOptions, best: Plan, left: float,
             log: Callable[[str], None]) -> Plan:
    """An OR-Tools search from ``best`` for ``left`` seconds; kept if not worse."""
    log(f"dispatch: {left:.1f} s left: OR-Tools searches on from the winner's routes")
    again = ortools_engine.search_from(problem, options, best, left)
    if not again.solver.model_extra.get("warm_start") or validate(problem, again):
        return best
    if plan_key(problem, again) > plan_key(problem, best):
        info = best.solver.model_dump()
        info.update(improved_by="ortools", improved_km=round(
            best.kpis.distance_km - again.kpis.distance_km, 3))
        return again.model_copy(update={"solver": SolverInfo(**info)})
    return best
