"""Large problems: solve by territory, each territory a small routing model.

OR-Tools routing with breaks, several windows and parts slows down sharply with the size of
one model (first solutions of a 300-job, 30-engineer day take ~10 s on this machine, 1,000
jobs find none in 30 s), so above ``DECOMPOSE_JOBS`` jobs the problem is cut with
``optimizer.partition`` (k-means territories of about ``PART_JOBS`` jobs, engineers shared by
work, depot stock split exactly between territories, a border pass that offers each
territory's left-out jobs to its neighbour, and a merge with KPIs over the whole problem).
Each territory is solved by the single-model solver; the wall-clock budget is shared out
as the territories are solved (first round ``FIRST_ROUND_SHARE`` of it). Under a work limit
the per-territory solves are deterministic, and so is the whole.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from optimizer.dispatch.options import SolveOptions
from optimizer.models import Plan, Problem

DECOMPOSE_JOBS = 250
PART_JOBS = 100
FIRST_ROUND_SHARE = 0.75


def n_parts_for(problem: Problem) -> int:
    """Territories of about ``PART_JOBS`` jobs, at most one per engineer."""
    return max(1, min(len(problem.engineers), math.ceil(len(problem.jobs) / PART_JOBS)))


def should_decompose(problem: Problem) -> bool:
    return len(problem.jobs) > DECOMPOSE_JOBS and len(problem.engineers) > 1


def solve_decomposed(
    problem: Problem,
    options: SolveOptions,
    solve_single: Callable[[Problem, SolveOptions], Plan],
    t0: float,
) -> Plan:
    """Partition, solve each territory with ``solve_single``, merge (see module docstring)."""
    from optimizer.partition import solve_by_territory

    log = options.progress or (lambda _m: None)
    n_parts = n_parts_for(problem)
    deadline = t0 + options.time_limit_s - 0.5
    calls = {"first": 0, "border": 0}

    def solve_part(sub: Problem, opts: SolveOptions) -> Plan:
        now = time.perf_counter()
        if calls["first"] < n_parts:
            calls["first"] += 1
            left = n_parts - calls["first"] + 1
            budget = options.time_limit_s * FIRST_ROUND_SHARE / n_parts
            share = min(budget, max(0.2, (deadline - now) * FIRST_ROUND_SHARE / left))
            stage = f"territory {calls['first']}/{n_parts}"
        else:
            calls["border"] += 1
            share = max(0.2, (deadline - now) / max(1, n_parts - calls["border"] + 1))
            stage = f"border pass {calls['border']}"
        log(
            f"dispatch: {stage}: {len(sub.jobs)} jobs, {len(sub.engineers)} engineers"
            + ("" if opts.max_solutions or opts.max_iterations else f", {share:.1f} s")
        )
        if not sub.jobs or not sub.engineers:
            from optimizer.partition import empty_plan

            return empty_plan(sub)
        return solve_single(sub, replace(opts, time_limit_s=share, progress=None))

    def serial(fn: Callable[[Any], Plan], items: Sequence[Any]) -> list[Plan]:
        return [fn(x) for x in items]

    plan = solve_by_territory(
        problem, options, serial, n_parts=n_parts, seed=options.seed, solve_fn=solve_part
    )
    info = plan.solver.model_dump()
    info.update(wall_s=round(time.perf_counter() - t0, 3), decomposed=True, seed=options.seed)
    return plan.model_copy(update={"solver": type(plan.solver)(**info)})
