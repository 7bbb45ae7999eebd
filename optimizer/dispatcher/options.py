"""Options of a re-optimisation: stability prices and caps, and the solver path's limits."""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.insertion.repair import RepairOptions


@dataclass(frozen=True)
class ReoptimizeOptions(RepairOptions):
    """Stability prices and caps of a re-optimisation (travel minutes are the unit of cost).

    The repair's (:class:`~optimizer.insertion.repair.RepairOptions`): ``reassign_cost_min``
    is paid when a job leaves its engineer, ``retime_cost_per_min`` per minute a kept job
    moves (reassignment must stay dearer than any retiming); ``max_moved_jobs`` caps how many
    jobs the events did not touch may move (change engineer or lose their place; None: no cap;
    0: never displace anything). ``displace_for_unassigned``, ``recreate_rounds`` and
    ``recreate_until`` are for a repair before the day starts (the solver's fill pass).

    Solver path (after the repair): ``solver_time_s`` (0: repair only) and ``seed`` of one
    ``optimizer.dispatch.solve`` on a sub-problem of the affected engineers, each with up to
    ``neighbours`` nearest others (at most ``max_sub_engineers`` in all), their future jobs and
    up to ``max_sub_pool`` jobs without a place. ``time_budget_s`` (None: no budget) bounds
    the whole call: the solver gets ``solver_time_s`` or what the repair left of the budget
    (less a reserve for merging and the solver's overrun), whichever is less, and is skipped
    when too little is left.
    """

    solver_time_s: float = 1.0
    seed: int = 0
    neighbours: int = 3
    max_sub_engineers: int = 10
    max_sub_pool: int = 15
    time_budget_s: float | None = 2.0
