"""How much of the network's safety stock the warehouse holds (the VARI-METRIC question).

Planned part-location by part-location, a warehouse meets its own 1 % on its depots'
replenishments and the depots meet 1 % again on top of the delay it leaves: the same
customer risk insured twice. Here a warehouse is held at a *warehouse target* ``w`` (its
stockout rate on the depots' orders, which sets the METRIC delay of every depot order), the
system view spends the rest on the depots, where the customers are (a warehouse's own
shortage is not a customer's: weight 0, it stays at its floor ``w``), and ``w`` is chosen
among :data:`WAREHOUSE_TARGETS` by the calibration: each candidate's in-sample backtest of
the history, replayed with the echelons coupled (:mod:`optimizer.parts.network`), gives the
on-hand value at which it realises the goal; the cheapest is kept. Sherbrooke's VARI-METRIC
searches the warehouse level part by part; one level for all parts, picked on realised
outcomes, is the coarse but measured version of the same trade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimizer.parts.calibrate import Calibration, calibrate_target
from optimizer.parts.echelon import plan_multi_echelon
from optimizer.parts.policy import DEFAULT_CONFIG, PolicyConfig, PolicyTable, SeriesInputs
from optimizer.parts.series import CompiledSeries
from optimizer.parts.system import optimise_system

#: Warehouse stockout rates (on depot orders) the calibration chooses from.
WAREHOUSE_TARGETS = (0.01, 0.05, 0.15, 0.3)


def supplies_others(parent_row: np.ndarray) -> np.ndarray:
    """True for the series some other series is supplied by (a warehouse's)."""
    out = np.zeros(len(parent_row), dtype=bool)
    out[parent_row[parent_row >= 0]] = True
    return out


@dataclass(frozen=True)
class NetworkPlan:
    table: PolicyTable  # per-part-location plan (depots at the config target)
    effective_lead_time: np.ndarray  # with the METRIC delay of the warehouse target
    inputs: SeriesInputs  # for the system view: effective lead times, warehouses weight 0
    floor: np.ndarray  # the system view's floor stockout rate per series


def plan_network(cs: CompiledSeries, end: int | None, config: PolicyConfig = DEFAULT_CONFIG,
                 warehouse_target: float | None = None) -> NetworkPlan:
    """The top-down METRIC plan on periods ``:end`` with warehouses at ``warehouse_target``
    (None: every location at the config target, warehouses counted like customers)."""
    Y = cs.demand[:, :end]
    upper = supplies_others(cs.parent_row)
    target = np.full(len(cs), config.target_stockout_rate)
    if warehouse_target is not None:
        target[upper] = warehouse_target
    table, eff_lt, _ = plan_multi_echelon(Y, cs.inputs, cs.depth, cs.parent_row, config, target)
    inputs = replace(cs.inputs, lead_time=eff_lt)
    floor = np.ones(len(cs))
    if warehouse_target is not None and upper.any():
        inputs = replace(inputs, weight=np.where(upper, 0.0, inputs.weight))
        floor[upper] = warehouse_target
    return NetworkPlan(table, eff_lt, inputs, floor)


def choose_warehouse_target(cs: CompiledSeries, end: int | None, goal: float,
                            config: PolicyConfig = DEFAULT_CONFIG) -> float:
    """The warehouse target whose plan meets ``goal`` (as the model expects it) at the least
    investment: the METRIC trade between warehouse stock and depot delay, one candidate
    of :data:`WAREHOUSE_TARGETS` for all parts."""
    best: tuple[float, float] | None = None
    for w in WAREHOUSE_TARGETS:
        plan = plan_network(cs, end, config, w)
        table, _ = optimise_system(plan.table, plan.table.model, plan.inputs,
                                   target_stockout_rate=goal, floor_stockout_rate=plan.floor)
        investment = float((table.order_up_to * plan.inputs.unit_cost).sum())
        if best is None or investment < best[0]:
            best = (investment, w)
    assert best is not None
    return best[1]


def calibrate_network(cs: CompiledSeries, end: int | None, goal: float,
                      config: PolicyConfig = DEFAULT_CONFIG, replan_every: int | None = None,
                      progress: Callable[[str], None] | None = None,
                      ) -> tuple[float | None, Calibration]:
    """(warehouse target, calibration of the depots' planned target) for ``goal``; a
    single-echelon data set has no warehouse target (None). The warehouse target is the
    model's least-investment one (:func:`choose_warehouse_target`); the planned target is
    calibrated on the history replayed with the echelons coupled."""
    network = cs.network(end)
    share = cs.customer_share(0, end)
    if network is None:
        plan = plan_network(cs, end, config)
        return None, calibrate_target(cs.demand[:, :end], plan.inputs, goal, config=config,
                                      replan_every=replan_every, progress=progress,
                                      customer_share=share)
    w = choose_warehouse_target(cs, end, goal, config)
    if progress:
        progress(f"warehouse target {w:g} (least investment for {goal:g} as the model "
                 "expects it); calibrating the depots")
    plan = plan_network(cs, end, config, w)
    return w, calibrate_target(cs.demand[:, :end], plan.inputs, goal, config=config,
                               replan_every=replan_every, progress=progress,
                               customer_share=share, network=network, floor=plan.floor)
