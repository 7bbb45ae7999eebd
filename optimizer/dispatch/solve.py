"""Entry point of the dispatch solver: plan the day, then repair it.

``solve`` is a pure function of the problem and the options:

1. **Plan**: one routing model for the whole day (:mod:`optimizer.dispatch.single_model`),
   or, above ``DECOMPOSE_JOBS`` jobs, one per territory (:mod:`optimizer.dispatch.decompose`).
2. **Fill** (:mod:`optimizer.dispatch.fill`): jobs the search left out are placed into the
   routes' gaps by the repair operators of :mod:`optimizer.insertion`, with ruin and recreate
   around those still left out; critical jobs served late are brought to their due.
3. **Insertion day**: if jobs are still left out, the cheapest-insertion day from scratch,
   repaired the same way, is returned instead when it serves more by priority.
4. **Search again**: time left after the repair goes to a search warm-started from the
   repaired plan (one routing model only).

The problem is compiled once (the territories each compile their own sub-problem). Timed
solves keep ``REPAIR_SHARE`` of the limit for the repair; under a work limit
(``max_solutions``/``max_iterations``) every step is bounded by work, so the same problem
and seed give the same plan.
"""

from __future__ import annotations

import time
from dataclasses import replace

from optimizer.compile import Compiled, compile_problem
from optimizer.dispatch.decompose import solve_decomposed
from optimizer.dispatch.fill import RECREATE_ROUNDS, UNBOUNDED_ROUNDS, fill_plan, insertion_plan
from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.single_model import solve_single
from optimizer.dispatch.territories import TerritoryRun, n_parts_for, should_decompose
from optimizer.kpis import served_by_tier
from optimizer.models import Plan, Problem, SolverInfo

REPAIR_SHARE = 0.1  # of a time limit kept for the fill pass's ruin and recreate
GIVE_BACK_SHARE = 0.2  # time left after the repair worth another search (and >= 1 s)
REPAIR_MARGIN = 0.02  # of the time limit: the repair stops this long before it (0.2-2 s)


def solve(problem: Problem, options: SolveOptions | None = None, *,
          territories: TerritoryRun | None = None) -> Plan:
    """Plan ``problem``: a valid contract plan, every job placed or reported unassigned.

    ``territories``: solve by territory however large the day, with the territory solves run
    by ``territories.map_fn`` (e.g. on a Dask cluster: ``optimizer.distributed``); by
    default a day above ``DECOMPOSE_JOBS`` jobs is cut and solved on local processes."""
    options = options or SolveOptions()
    t0 = time.perf_counter()
    timed = options.max_solutions is None and options.max_iterations is None
    full = options
    if timed and options.stability is None:  # keep a share of the time for the repair
        options = replace(options, time_limit_s=options.time_limit_s * (1 - REPAIR_SHARE))
    decomposed = territories is not None or should_decompose(problem)
    c: Compiled | None = None
    if decomposed:
        if options.progress:
            n = territories.n_parts if territories and territories.n_parts else \
                n_parts_for(problem)
            options.progress(
                f"dispatch: {len(problem.jobs)} jobs: solving by territory ({n} territories)")
        plan = solve_decomposed(problem, options, t0, territories)
    else:
        c = compile_problem(problem)
        plan = solve_single(problem, options, t0, watch_service=True, compiled=c)
    if options.stability is not None:  # re-optimisation places and moves jobs itself
        return plan
    c = c if c is not None else compile_problem(problem)
    until = t0 + full.time_limit_s - min(2.0, max(0.2, full.time_limit_s * REPAIR_MARGIN)) \
        if timed else None
    filled = _fill(problem, c, plan, options, until)
    left = None if until is None else until - time.perf_counter()
    if left is not None and left > max(1.0, GIVE_BACK_SHARE * full.time_limit_s) \
            and not decomposed and filled.routes:
        filled = _search_again(problem, c, filled, options, left)
    info = filled.solver.model_dump()
    info["wall_s"] = round(time.perf_counter() - t0, 3)
    return filled.model_copy(update={"solver": SolverInfo(**info)})


def _fill(problem: Problem, c: Compiled, plan: Plan, options: SolveOptions,
          until: float | None) -> Plan:
    """The fill pass on the search's plan, then, if jobs are still left out, the repaired
    cheapest-insertion day instead when it serves more by priority."""
    # Most of the repair time for the search's plan, the rest to try cheapest insertion from
    # scratch (and repair that instead if it serves more by priority).
    first = None if until is None else time.perf_counter() + (until - time.perf_counter()) * 0.9
    # Timed: ruin and recreate runs until its deadline; under a work limit, a fixed number of
    # rounds keeps the plan reproducible.
    rounds = RECREATE_ROUNDS if until is None else UNBOUNDED_ROUNDS
    filled = fill_plan(problem, plan, compiled=c, recreate_until=first, recreate_rounds=rounds)
    if filled is not plan and options.progress:
        options.progress(
            f"dispatch: fill pass placed {filled.kpis.jobs_assigned - plan.kpis.jobs_assigned} "
            f"more jobs into the routes' gaps ({filled.kpis.jobs_assigned}/"
            f"{filled.kpis.jobs_total} assigned)"
        )
    if filled.unassigned and options.initial_plan is None and (
        until is None or time.perf_counter() < until
    ):
        greedy = insertion_plan(problem, compiled=c, recreate_rounds=0, until=until)
        if served_by_tier(problem, greedy) > served_by_tier(problem, filled):
            info = filled.solver.model_dump()
            info.update(plan_from="insertion", search_assigned=filled.kpis.jobs_assigned)
            greedy = fill_plan(problem, greedy, compiled=c, recreate_until=until,
                               recreate_rounds=rounds)
            if options.progress:
                options.progress(
                    f"dispatch: cheapest insertion serves more by priority than the search "
                    f"({greedy.kpis.jobs_assigned} jobs against {filled.kpis.jobs_assigned}): "
                    "its plan is returned"
                )
            filled = greedy.model_copy(update={"solver": SolverInfo(**info)})
    return filled


def _search_again(problem: Problem, c: Compiled, filled: Plan, options: SolveOptions,
                  left: float) -> Plan:
    """The repair finished early (the search had stopped on jobs it could not serve): the
    rest of the time goes to a search from the repaired plan, kept if it serves as much."""
    if options.progress:
        options.progress(f"dispatch: {left:.1f} s left: searching on from the repaired plan")
    again = solve_single(problem, replace(options, initial_plan=filled, time_limit_s=left),
                         compiled=c)
    if again.solver.model_extra.get("warm_start") and \
            served_by_tier(problem, again) >= served_by_tier(problem, filled):
        info = filled.solver.model_dump()
        info.update(again.solver.model_dump(), searched_again=True)
        return again.model_copy(update={"solver": SolverInfo(**info)})
    return filled
