"""Backtest: plan on history up to a date, replay the held-out demand, measure everything.

The judge of every policy claim. Policies are planned on the training part (and, if asked,
re-planned every ``replan_every`` periods on all demand seen so far); orders arrive after
sampled lead times (normal with the data's mean and std, whole periods) or the given means;
unmet demand is lost or backordered. Reported per part-location and overall: stockout rate
(1 - unit fill rate; overall over customer demand, each location's units weighted by its
customers' share, so a warehouse's replenishment of its depots is not counted twice; the
rate over every location's units is ``stockout_rate_all_locations``), cycle service level,
availability, on-time supply (orders received within the quoted lead time, a high quantile
of the lead-time distribution), average on-hand value and number of orders.

The policy is the per-part-location one by default, or the system view at an overall target
(optionally calibrated on the training part alone, as :func:`optimizer.parts.plan.plan_policy`
does on the whole history) or at a budget: the backtest judges the same plans the engine makes.

Each location is replayed against the demand of its subtree (what it supplies), so a depot
sees its customers and a warehouse its depots' demand; upstream shortages are represented
by the METRIC delay in the planned lead time, not simulated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimizer.errors import InputError
from optimizer.parts.calibrate import Calibration, initial_arrivals
from optimizer.parts.coupling import calibrate_network, plan_network
from optimizer.parts.data import PartsData
from optimizer.parts.plan import rebalance
from optimizer.parts.policy import DEFAULT_CONFIG, PolicyConfig, PolicyTable
from optimizer.parts.series import CompiledSeries, compile_series
from optimizer.parts.simulate import (
    QUOTE_QUANTILE,
    SimResult,
    UnmetDemand,
    quoted_lead_time,
    sample_lead_times,
    simulate,
)

__all__ = ["BacktestResult", "UnmetDemand", "backtest", "simulate"]


@dataclass(frozen=True)
class BacktestResult:
    per_series: pd.DataFrame
    summary: dict[str, float]
    by_class: pd.DataFrame
    sim: SimResult
    calibration: Calibration | None = None


def backtest(
    data: PartsData, train_until: str | pd.Timestamp, config: PolicyConfig = DEFAULT_CONFIG,
    unmet: UnmetDemand = UnmetDemand.BACKORDER, sampled_lead_times: bool = True,
    replan_every: int | None = None, seed: int = 0, quote_quantile: float = QUOTE_QUANTILE,
    system_target: float | None = None, budget: float | None = None, calibrate: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Plan on demand up to ``train_until`` and replay the rest of the demand.

    On-time supply compares each order's actual lead time with the quoted one, the
    ``quote_quantile`` of the planned lead-time distribution (:func:`quoted_lead_time`).
    ``system_target`` / ``budget`` plan the system view at every (re-)plan; ``calibrate``
    first picks its planned target by an in-sample backtest of the training part only,
    re-planned at the same cadence as this backtest.
    """
    if calibrate and system_target is None:
        raise InputError("calibrate: give the overall stockout target to calibrate "
                         "(system_target)")
    if system_target is not None and budget is not None:
        raise InputError("give a system target or a budget, not both")
    cs = compile_series(data)
    cut = pd.Timestamp(train_until)
    train_T = int((cs.periods <= cut).sum())
    T = len(cs.periods)
    if train_T < 2 or train_T >= T:
        raise InputError(f"--train-until {cut.date()}: needs at least two periods of history "
                         f"before it and one after (data spans {cs.periods[0].date()} .. "
                         f"{cs.periods[-1].date()})")
    Y = cs.demand
    test_T = T - train_T
    plan = rolling_plans(cs, train_T, config, replan_every, system_target, budget, calibrate,
                         progress)
    table, s, S, Q, eff_lt = plan.table, plan.s, plan.S, plan.Q, plan.effective_lead_time
    calibration, planned_target = plan.calibration, plan.planned_target
    inp = cs.inputs
    quoted = quoted_lead_time(eff_lt, inp.lead_time_std, quote_quantile)
    if sampled_lead_times:
        lead = sample_lead_times(eff_lt, inp.lead_time_std, test_T, seed)
    else:
        lead = np.rint(eff_lt).astype(int)
    init = initial_arrivals(Y, train_T, eff_lt)  # the last L training periods' orders
    sim = simulate(
        Y[:, train_T:], table.kind, s, S, Q, table.review, lead, quoted_lead_time=quoted,
        pack_size=inp.pack_size, moq=inp.moq, unit_cost=inp.unit_cost,
        initial_arrivals=init, unmet=unmet,
    )
    per = cs.keys.copy()
    per["demand_class"] = [str(c) for c in table.demand_class]
    per["policy"] = [str(k) for k in table.kind]
    per["demand"] = sim.demand
    per["short"] = sim.short
    per["stockout_rate"] = sim.stockout_rate
    per["cycles"] = sim.cycles
    per["stockout_cycles"] = sim.stockout_cycles
    per["availability"] = sim.available_periods / max(sim.periods, 1)
    per["orders"] = sim.orders
    per["on_time_orders"] = sim.on_time_orders
    per["avg_on_hand_units"] = sim.avg_on_hand_units
    per["avg_on_hand_value"] = sim.avg_on_hand_value
    share = cs.customer_share(train_T)
    per["customer_share"] = share
    summary = sim.summary(config.target_stockout_rate)
    # the headline rate is the customers': a warehouse's units are its depots' replenishments
    summary["stockout_rate_all_locations"] = summary["stockout_rate"]
    customer_demand = float((share * sim.demand).sum())
    summary["stockout_rate"] = (float((share * sim.short).sum()) / customer_demand
                                if customer_demand > 0 else 0.0)
    summary["customer_demand_units"] = customer_demand
    summary["target_stockout_rate"] = (config.target_stockout_rate if system_target is None
                                       else system_target)
    if planned_target is not None:
        summary["planned_system_target"] = planned_target
    if plan.warehouse_target is not None:
        summary["warehouse_target"] = plan.warehouse_target
    if budget is not None:
        summary["budget"] = float(budget)
    summary["test_periods"] = float(test_T)
    return BacktestResult(per_series=per, summary=summary, by_class=by_class(per),
                          sim=replace(sim), calibration=calibration)


@dataclass(frozen=True)
class RollingPlans:
    """The policies of every test period, each planned on the demand seen before it."""

    table: PolicyTable  # the last plan
    s: np.ndarray  # (n, test periods)
    S: np.ndarray
    Q: np.ndarray
    effective_lead_time: np.ndarray  # of the last plan
    calibration: Calibration | None
    planned_target: float | None
    warehouse_target: float | None = None  # warehouses' own stockout rate, if calibrated


def rolling_plans(cs: CompiledSeries, train_T: int, config: PolicyConfig = DEFAULT_CONFIG,
                  replan_every: int | None = None, system_target: float | None = None,
                  budget: float | None = None, calibrate: bool = False,
                  progress: Callable[[str], None] | None = None) -> RollingPlans:
    """Plan on the first ``train_T`` periods, re-plan every ``replan_every`` (None: once);
    with ``calibrate`` the planned target is chosen on the training part alone."""
    Y = cs.demand
    n, test_T = len(cs), Y.shape[1] - train_T
    plans = list(range(0, test_T, replan_every)) if replan_every else [0]
    s, S, Q = (np.zeros((n, test_T)) for _ in range(3))
    table = None
    calibration = None
    planned_target = system_target
    warehouse_target = None
    if calibrate:
        assert system_target is not None
        warehouse_target, calibration = calibrate_network(
            cs, train_T, system_target, config, replan_every or train_T, progress)
        planned_target = calibration.planned_target
    eff_lt = cs.inputs.lead_time
    for i, start in enumerate(plans):
        end = plans[i + 1] if i + 1 < len(plans) else test_T
        plan = plan_network(cs, train_T + start, config, warehouse_target)
        eff_lt = plan.effective_lead_time
        table, _ = rebalance(plan.table, plan.inputs, planned_target, budget, plan.floor)
        s[:, start:end] = table.reorder_point[:, None]
        S[:, start:end] = table.order_up_to[:, None]
        Q[:, start:end] = table.order_qty[:, None]
        if progress and len(plans) > 1:
            progress(f"backtest: plan {i + 1}/{len(plans)}")
    assert table is not None
    return RollingPlans(table, s, S, Q, eff_lt, calibration, planned_target, warehouse_target)


def by_class(per: pd.DataFrame, target: float = 0.01) -> pd.DataFrame:
    """Stockout rate per demand class (pooled customer units, as the summary's) and share of
    series above target."""
    share = per.get("customer_share", 1.0)
    g = per.assign(above=(per["stockout_rate"] > target + 1e-12) & (per["demand"] > 0),
                   has=per["demand"] > 0, c_demand=per["demand"] * share,
                   c_short=per["short"] * share)
    out = g.groupby("demand_class").agg(series=("part", "size"), demand=("c_demand", "sum"),
                                        short=("c_short", "sum"), above=("above", "sum"),
                                        has=("has", "sum"),
                                        avg_on_hand_value=("avg_on_hand_value", "sum"))
    out["stockout_rate"] = np.where(out["demand"] > 0, out["short"] / out["demand"].where(
        out["demand"] > 0, 1), 0.0)
    out["share_series_above_target"] = np.where(out["has"] > 0, out["above"] / out["has"].where(
        out["has"] > 0, 1), 0.0)
    return out.drop(columns=["above", "has"])
