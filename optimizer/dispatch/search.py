"""How to search: first-solution strategy, metaheuristic and limits, as plain data.

``model.py`` turns a :class:`SearchPlan` into OR-Tools search parameters. Insertion
heuristics are used for the first solution because a plain PATH_CHEAPEST_ARC start fails on
tight windows (Solomon R1/RC1); GUIDED_LOCAL_SEARCH then improves it.

Determinism: with ``max_solutions`` (OR-Tools' ``solution_limit``) or ``max_iterations``
(search limit checks, about one per neighbour examined, counted by ``model._WorkMeter``) set,
the search stops on work done, never on the clock: the wall-clock limit is raised to
``WORK_LIMIT_WALL_S`` as a safety net only. The search also stops after ``STALL_CHECKS`` checks
without a new solution (GLS stuck in a tiny model would otherwise never reach the limit). So
the same problem and seed give the same plan on any machine (OR-Tools routing is
single-threaded and deterministic given the same model; the seed permutes the job nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.dispatch.options import SolveOptions

WORK_LIMIT_WALL_S = 3600.0
STALL_CHECKS = 200_000
SERVICE_STALL_SHARE = 0.25  # of the search's time: no more jobs served for this long ...
SERVICE_MIN_SHARE = 0.3  # ... after at least this long, with jobs left out: stop searching
GLS_LAMBDA = 0.05  # OR-Tools default 0.1; 0.05 was better on Solomon R201, RC201, RC101 at 10 s


@dataclass(frozen=True)
class SearchPlan:
    first_solution: str
    metaheuristic: str
    time_limit_s: float
    solution_limit: int | None
    check_limit: int | None = None
    stall_checks: int = STALL_CHECKS
    gls_lambda: float = GLS_LAMBDA
    # Timed searches only: stop once the best solution leaves jobs out and has served no
    # more for ``service_stall_s`` seconds (after ``service_min_s``), so that the rest of the
    # time goes to the repair, which places left-out jobs better than a stalled search.
    service_stall_s: float | None = None
    service_min_s: float = 0.0
    # With a warm start that is our own insertion day (not a caller's plan): start from
    # OR-Tools' first solution instead when it serves as many jobs in every tier.
    insertion_start: bool = False


def search_plan(options: SolveOptions, n_nodes: int, time_share: float = 1.0) -> SearchPlan:
    """The search for a model of ``n_nodes`` nodes given ``time_share`` of the time limit."""
    work = options.max_solutions
    checks = options.max_iterations
    deterministic = work is not None or checks is not None
    limit = WORK_LIMIT_WALL_S if deterministic else max(0.05, options.time_limit_s * time_share)
    first = "LOCAL_CHEAPEST_INSERTION"
    return SearchPlan(
        first_solution=first,
        metaheuristic="GUIDED_LOCAL_SEARCH",
        time_limit_s=limit,
        solution_limit=work,
        check_limit=checks,
        service_stall_s=None if deterministic else limit * SERVICE_STALL_SHARE,
        service_min_s=0.0 if deterministic else limit * SERVICE_MIN_SHARE,
    )
