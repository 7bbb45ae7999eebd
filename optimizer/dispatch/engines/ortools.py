"""The OR-Tools engine: our own routing model (``optimizer.dispatch.single_model``) with its
search, territories and repair (``optimizer.dispatch.solve``), behind the portfolio.

It expresses the whole contract natively (parts and tools as depot pick-up nodes, shared depot
stock, van stock, soft ``due`` and preferred engineers as costs, breaks, overtime, pins) and is
the only engine that re-optimises against a reference plan (``SolveOptions.stability``),
warm-starts from a plan (``SolveOptions.initial_plan``) and runs territories on a Dask cluster.
The ``ortools`` package itself is imported by the model and search modules only.
"""

from __future__ import annotations

from dataclasses import replace

from optimizer.dispatch.options import SolveOptions
from optimizer.dispatch.single_model import solve_single
from optimizer.dispatch.solve import solve as _pipeline
from optimizer.dispatch.territories import TerritoryRun
from optimizer.models import Plan, Problem


def solve(problem: Problem, options: SolveOptions, *,
          territories: TerritoryRun | None = None) -> Plan:
    """The OR-Tools pipeline's plan (search, territories for large days, repair)."""
    return _pipeline(problem, replace(options, engine="ortools"), territories=territories)


def search_from(problem: Problem, options: SolveOptions, start: Plan, time_limit_s: float
                ) -> Plan:
    """One OR-Tools search of the whole day warm-started from ``start`` (guided local
    search from the start's routes, for at most ``time_limit_s``)."""
    return solve_single(problem, replace(options, engine="ortools", initial_plan=start,
                                         time_limit_s=time_limit_s, progress=None))
