"""Options of the dispatch solver: limits, seed, warm start and stability.

This is the solver's public surface; re-optimisation (``optimizer.dispatcher.reoptimize``), the
nightly batch and the service all drive the solver through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from optimizer.models import Plan


@dataclass(frozen=True)
class Stability:
    """What moving a job away from a reference plan costs (re-optimisation).

    ``reassign_cost`` is paid when a job of the reference plan ends on another engineer,
    ``retime_cost_per_min`` per minute its start moves on the same engineer (>= 0, and the
    solver keeps reassignment dearer than any retiming), ``max_moved_jobs`` caps how many
    jobs of the reference plan may change engineer (None: no cap).
    """

    reference: Plan
    reassign_cost: int = 10_000
    retime_cost_per_min: int = 1
    max_moved_jobs: int | None = None


@dataclass(frozen=True)
class SolveOptions:
    """Limits and steering of one solve.

    ``time_limit_s`` bounds wall time; ``max_solutions`` (or ``max_iterations``) bounds the work
    instead, so that the same problem and seed give the same plan on any machine.
    ``initial_plan`` warm-starts the search from an existing plan's routes. ``affinity`` maps
    job id -> {engineer id: cost paid when the job is NOT on that engineer} (soft preferences;
    the contract's ``preferred_engineers`` are added by the solver itself). ``progress`` gets
    one-line messages for stderr. ``workers`` is how many processes solve the territories of a
    large problem (None: the usable CPUs, at most 2; the plan under a work limit is the same
    for any value). ``engine`` chooses the routing engine: ``auto`` (the portfolio's choice
    by problem, measured in ``benchmarks/README.md``), ``ortools``, ``vroom`` or ``pyvrp``
    (see ``optimizer.dispatch.engines``); re-optimisation and warm starts always use OR-Tools.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    max_solutions: int | None = None
    max_iterations: int | None = None
    initial_plan: Plan | None = None
    stability: Stability | None = None
    affinity: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None
    workers: int | None = None
    engine: str = "auto"
