"""Large problems: solve by territory, each territory one small routing model.

OR-Tools routing with breaks, several windows and parts slows down sharply with the size of
one model (first solutions of a 300-job, 30-engineer day take ~10 s on this machine, 1,000
jobs find none in 30 s), so above ``DECOMPOSE_JOBS`` jobs the problem is cut with
``optimizer.dispatch.territories`` (k-means territories of about ``PART_JOBS`` jobs, engineers
shared by work, depot stock split exactly between territories, a border pass that offers each
territory's left-out jobs to its neighbour, and a merge with KPIs over the whole problem).
Each territory is one routing model (:func:`solve_territory`): never cut again.

Territories are independent, so each round (first solves, then border passes) runs them on
``SolveOptions.workers`` local processes (default: the CPUs this process may use, at most
``MAX_WORKERS``; started by ``optimizer.workers``: they die with this process, and one that
dies fails the plan with ``WorkerDied`` rather than hanging it), or on the map a caller gives
(``optimizer.distributed``: a Dask cluster).
The wall-clock budget is shared out by *waves* of ``workers`` territories: the first round
gets ``FIRST_ROUND_SHARE`` of what is left, the border round the rest. With 2 workers each
territory gets about twice the search time of a serial run. Under a work limit every
territory solve is deterministic and its inputs do not depend on the order or process in
which the others ran, so the plan is the same with any number of workers and any map.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.single_model import solve_single
from optimizer.dispatch.territories import (
    TerritoryRun,
    empty_plan,
    n_parts_for,
    solve_by_territory,
)
from optimizer.models import Plan, Problem
from optimizer.workers import map_all, process_pool, stop

# Measured on the 1,000-job day (seeds 0 and 1, 60 s) once territories kept to their time:
# 0.75 left 8-10 fewer jobs than before (border passes took time the final fill pass uses
# better), 1.0 (border passes at their 0.2 s minimum) 2-6 fewer, 0.9 the same within noise.
FIRST_ROUND_SHARE = 0.9
MAX_WORKERS = 2


def n_workers(options: SolveOptions, n_parts: int) -> int:
    """Processes for the territory solves: ``options.workers`` or the usable CPUs (capped)."""
    if options.workers is not None:
        return max(1, min(int(options.workers), n_parts))
    if mp.current_process().daemon:  # e.g. a pool or Dask worker: may not start processes
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, n_parts))


def solve_territory(sub: Problem, opts: SolveOptions) -> Plan:
    """One territory with the single-model solver (module level, so that it can be pickled)."""
    if not sub.jobs or not sub.engineers:
        return empty_plan(sub)
    return solve_single(sub, replace(opts, progress=None))


def solve_decomposed(
    problem: Problem,
    options: SolveOptions,
    t0: float,
    run: TerritoryRun | None = None,
) -> Plan:
    """Partition, solve the territories (in parallel), merge (see module docstring).

    ``run``: where and how (a caller's map, e.g. Dask, and the cut); None: local processes."""
    log = options.progress or (lambda _m: None)
    n_parts = n_parts_for(problem) if run is None or run.n_parts is None else run.n_parts
    if run is None:
        workers = n_workers(options, n_parts)
    else:
        workers = max(1, min(options.workers or n_parts, n_parts))
    deadline = t0 + options.time_limit_s * 0.95 - 0.5  # territories overrun under load
    rounds = {"n": 0}
    # Started now so that the workers start up while the territories are being cut.
    pool: ProcessPoolExecutor | None = process_pool(workers) \
        if run is None and workers > 1 else None

    def budgeted(fn: Callable[[Any], Plan], items: Sequence[Any]) -> list[Plan]:
        rounds["n"] += 1
        first = rounds["n"] == 1
        waves = max(1, math.ceil(len(items) / workers))
        left = max(0.0, deadline - time.perf_counter())
        share = max(0.2, left * (FIRST_ROUND_SHARE if first else 1.0) / waves)
        stage = "territories" if first else "border passes"
        log(
            f"dispatch: {len(items)} {stage} on {workers} "
            + ("process(es)" if run is None else "worker(s)")
            + ("" if options.max_solutions or options.max_iterations else f", {share:.1f} s each")
        )
        items = [(sub, replace(opts, time_limit_s=share)) for sub, opts in items]
        if run is not None:
            return run.map_fn(fn, items)
        if pool is None or len(items) == 1:
            return [fn(x) for x in items]
        return map_all(pool, fn, items, what="a territory solve's process")

    how = replace(run or TerritoryRun(map_fn=budgeted), map_fn=budgeted, n_parts=n_parts)
    try:
        plan = solve_by_territory(problem, options, how, solve_territory)
    except BaseException:
        if pool is not None:
            stop(pool)  # a dead worker or an interrupt: do not wait for the others
        raise
    if pool is not None:
        pool.shutdown()
    info = plan.solver.model_dump()
    info.update(
        wall_s=round(time.perf_counter() - t0, 3), decomposed=True, seed=options.seed,
    )
    return plan.model_copy(update={"solver": type(plan.solver)(**info)})
