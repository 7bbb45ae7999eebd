"""System view: stock across all part-locations by marginal analysis.

Each extra unit of reorder point at series ``i`` costs ``unit_cost_i`` and removes
``w_i * ΔE[short_i]`` weighted units short per period (``w`` = criticality weight). Taking
steps in order of benefit per unit of money gives the least investment for an overall
(weighted) stockout target, or the lowest stockout rate a budget buys: the classic greedy
of Sherbrooke's VARI-METRIC, vectorised as one sort over all candidate steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimizer.parts.leadtime_demand import DemandModel
from optimizer.parts.policy import (
    PolicyTable,
    SeriesInputs,
    expected_shortage,
    min_reorder_point,
)

GRID_STEPS = 48


@dataclass(frozen=True)
class SystemCurve:
    """Candidate reorder points per series and the greedy order of the steps between them."""

    s_start: np.ndarray  # (n,) reorder point before any step
    step: np.ndarray  # (n,) units per step
    order_rows: np.ndarray  # series of each step, best first
    cum_cost: np.ndarray  # investment added after each step
    cum_short: np.ndarray  # weighted shortage per period after each step
    short_start: float  # weighted shortage per period at s_start
    weighted_demand: float  # weighted demand per period
    demand: float  # unweighted demand per period
    unweighted_gain: np.ndarray  # unweighted shortage removed by each step
    unweighted_start: float
    base_investment: float  # investment at s_start

    def at_step(self, k: int) -> np.ndarray:
        """Reorder points after taking the first ``k`` steps."""
        counts = np.bincount(self.order_rows[:k], minlength=len(self.s_start))
        return self.s_start + counts * self.step


def system_curve(model: DemandModel, inputs: SeriesInputs, lot: np.ndarray,
                 floor_stockout_rate: float | np.ndarray = 1.0,
                 ceiling_stockout_rate: float = 1e-4,
                 steps: int = GRID_STEPS) -> SystemCurve:
    """Build the greedy curve between a per-series floor and ceiling stockout rate (a series
    of weight 0 stays at its floor)."""
    n = len(model.rate)
    floor = np.broadcast_to(np.asarray(floor_stockout_rate, dtype=float), (n,)).copy()
    lo = min_reorder_point(model, inputs, lot, floor)
    hi = min_reorder_point(model, inputs, lot, np.full(n, ceiling_stockout_rate))
    hi = np.maximum(hi, lo)
    step = np.maximum(np.ceil((hi - lo) / steps), 1.0)
    k = np.arange(steps + 1)
    grid = lo[:, None] + step[:, None] * k[None, :]  # (n, steps+1)
    rows = np.repeat(np.arange(n), steps + 1)
    short = expected_shortage(model, inputs, grid.ravel(), np.repeat(lot, steps + 1),
                              rows=rows).reshape(n, steps + 1)
    short = np.minimum.accumulate(short, axis=1)  # never worse with more stock
    w = inputs.weight
    gain = (short[:, :-1] - short[:, 1:]) * w[:, None]
    cost = (step * np.maximum(inputs.unit_cost, 1e-9))[:, None] * np.ones((1, steps))
    # The shortage curve of periodic review is not convex at low stock, so rate each step by
    # the best average gain of any block of steps starting there (the convex hull's slope),
    # then make the rates non-increasing so a series' steps are taken in order.
    ratio = np.zeros_like(gain)
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(gain, axis=1)], axis=1)
    for j in range(steps):
        width = np.arange(1, steps - j + 1)
        block = (csum[:, j + 1:] - csum[:, [j]]) / width[None, :]
        ratio[:, j] = block.max(axis=1) / cost[:, 0]
    ratio = np.minimum.accumulate(ratio, axis=1)
    within = np.broadcast_to(k[:-1], ratio.shape)
    order = np.lexsort((within.ravel(), -ratio.ravel()))
    useful = ratio.ravel()[order] > 0
    order = order[useful]
    step_rows = order // steps
    demand = model.rate * inputs.review
    w_short0 = float((short[:, 0] * w).sum())
    return SystemCurve(
        s_start=lo, step=step, order_rows=step_rows,
        cum_cost=np.cumsum(cost.ravel()[order]),
        cum_short=w_short0 - np.cumsum(gain.ravel()[order]),
        short_start=w_short0, weighted_demand=float((demand * w).sum()),
        demand=float(demand.sum()),
        unweighted_gain=(short[:, :-1] - short[:, 1:]).ravel()[order],
        unweighted_start=float(short[:, 0].sum()),
        base_investment=float(((lo + lot) * inputs.unit_cost).sum()),
    )


def steps_for_target(curve: SystemCurve, target_stockout_rate: float) -> int:
    """Fewest greedy steps whose weighted stockout rate is within the target."""
    goal = target_stockout_rate * curve.weighted_demand
    if curve.short_start <= goal:
        return 0
    hit = np.flatnonzero(curve.cum_short <= goal)
    return int(hit[0] + 1) if hit.size else len(curve.order_rows)


def steps_for_budget(curve: SystemCurve, budget: float) -> int:
    """Most greedy steps whose total investment fits the budget."""
    return int(np.searchsorted(curve.cum_cost, budget - curve.base_investment, side="right"))


def expected_system_stockout_rate(curve: SystemCurve, k: int) -> float:
    """Unweighted expected stockout rate after ``k`` steps."""
    short = curve.unweighted_start - curve.unweighted_gain[:k].sum()
    return float(short / curve.demand) if curve.demand > 0 else 0.0


def apply_reorder_points(table: PolicyTable, model: DemandModel, inputs: SeriesInputs,
                         reorder_point: np.ndarray) -> PolicyTable:
    """A policy table with new reorder points (lot sizes kept) and re-evaluated figures."""
    lot = table.order_up_to - table.reorder_point
    S = reorder_point + lot
    short = expected_shortage(model, inputs, reorder_point, lot)
    demand = model.rate * inputs.review
    rate = np.divide(short, demand, out=np.zeros_like(short), where=demand > 0)
    mean_long = model.rate * (inputs.lead_time + inputs.review)
    return replace(
        table, reorder_point=reorder_point, order_up_to=S,
        expected_stockout_rate=rate, safety_stock=reorder_point + 1 - mean_long,
        investment=S * inputs.unit_cost,
    )


def optimise_system(table: PolicyTable, model: DemandModel, inputs: SeriesInputs,
                    target_stockout_rate: float | None = None, budget: float | None = None,
                    floor_stockout_rate: float | np.ndarray = 1.0,
                    ) -> tuple[PolicyTable, SystemCurve]:
    """Least investment for an overall target, or the best rate within ``budget``."""
    if (target_stockout_rate is None) == (budget is None):
        raise ValueError("give exactly one of target_stockout_rate and budget")
    lot = table.order_up_to - table.reorder_point
    curve = system_curve(model, inputs, lot, floor_stockout_rate=floor_stockout_rate)
    k = (steps_for_target(curve, target_stockout_rate) if target_stockout_rate is not None
         else steps_for_budget(curve, float(budget)))
    return apply_reorder_points(table, model, inputs, curve.at_step(k)), curve


def budget_what_if(curve: SystemCurve, budgets: np.ndarray) -> np.ndarray:
    """Expected overall stockout rate for each budget (the planner's 'what if 10% less')."""
    return np.array([expected_system_stockout_rate(curve, steps_for_budget(curve, b))
                     for b in np.atleast_1d(budgets)])
