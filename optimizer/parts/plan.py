"""From a parts data set to the contract's ``policy.csv`` table (library entry point).

``plan_policy(data)`` compiles the series, plans every echelon top-down (METRIC), optionally
re-balances reorder points across all series for an overall target or a budget (system
view), and returns the table with the contract's columns first. With ``calibrate=True`` the
overall target is first translated into the planned target that realised it on the data's
own history (:func:`optimizer.parts.calibrate.calibrate_target`): the system view's
expectation is biased low on real demand, the calibration is how a 1 % goal becomes a 1 %
outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.parts.calibrate import Calibration
from optimizer.parts.classify import classify_abc
from optimizer.parts.coupling import calibrate_network, plan_network
from optimizer.parts.policy import DEFAULT_CONFIG, PolicyConfig, PolicyTable, SeriesInputs
from optimizer.parts.series import CompiledSeries, compile_series
from optimizer.parts.system import SystemCurve, budget_what_if, optimise_system

POLICY_COLUMNS = [
    "location", "part", "policy", "review_days", "reorder_point", "order_up_to", "order_qty",
    "demand_class", "distribution", "expected_stockout_rate", "safety_stock", "investment",
]


@dataclass(frozen=True)
class PolicyResult:
    """The policy table plus what produced it (for orders, backtests and what-ifs)."""

    table: pd.DataFrame
    policies: PolicyTable
    series: CompiledSeries
    effective_lead_time: np.ndarray  # periods, including upstream delay
    curve: SystemCurve | None = None
    calibration: Calibration | None = None  # how the planned overall target was chosen
    warehouse_target: float | None = None  # warehouses' own stockout rate, if calibrated

    def budget_what_if(self, factors: tuple[float, ...] = (0.8, 0.9, 1.0, 1.1)) -> pd.DataFrame:
        """Expected overall stockout rate if the total investment were scaled by each factor."""
        if self.curve is None:
            raise ValueError("plan with a system target or budget to ask budget questions")
        total = float(self.table["investment"].sum())
        budgets = np.array(factors) * total
        return pd.DataFrame({"budget_factor": factors, "budget": budgets,
                             "expected_stockout_rate": budget_what_if(self.curve, budgets)})


def plan_policy(
    data, config: PolicyConfig = DEFAULT_CONFIG, until: str | pd.Timestamp | None = None,
    system_target: float | None = None, budget: float | None = None,
    series: CompiledSeries | None = None, calibrate: bool = False,
    calibration_replan_every: int | None = None, progress: Callable[[str], None] | None = None,
    warehouse_target: float | None = None,
) -> PolicyResult:
    """Policies for every stocked (location, part) of ``data`` from demand up to ``until``.

    ``system_target`` / ``budget``: re-balance across all series (system view).
    ``calibrate``: plan the system view at the planned target whose in-sample rolling
    backtest on this history realises ``system_target`` (re-planned every
    ``calibration_replan_every`` periods; default: at most 24 plans; ``progress`` gets a
    line per plan); it also picks the warehouses' own stockout rate
    (:mod:`optimizer.parts.coupling`), else ``warehouse_target`` (None: every location at
    the config's target, the warehouse counted in the system view like a customer).
    """
    if calibrate and system_target is None:
        raise ValueError("calibrate: give the overall stockout target to calibrate "
                         "(system_target)")
    cs = series if series is not None else compile_series(data, until=until)
    calibration = None
    if calibrate:
        assert system_target is not None
        warehouse_target, calibration = calibrate_network(
            cs, None, system_target, config, calibration_replan_every, progress)
        system_target = calibration.planned_target
    plan = plan_network(cs, None, config, warehouse_target)
    table, curve = rebalance(plan.table, plan.inputs, system_target, budget, plan.floor)
    eff_lt = plan.effective_lead_time
    return PolicyResult(table=policy_frame(cs, table, eff_lt), policies=table, series=cs,
                        effective_lead_time=eff_lt, curve=curve, calibration=calibration,
                        warehouse_target=warehouse_target)


def rebalance(table: PolicyTable, inputs: SeriesInputs, system_target: float | None = None,
              budget: float | None = None, floor: float | np.ndarray = 1.0,
              ) -> tuple[PolicyTable, SystemCurve | None]:
    """The system view of a planned table at an overall target or a budget (else as is);
    ``floor``: per-series floor stockout rate (a warehouse held at its own target)."""
    if system_target is None and budget is None:
        return table, None
    if system_target is not None and budget is not None:
        raise ValueError("give a system target or a budget, not both")
    if table.model is None:
        raise ValueError("the system view needs a parametric demand model (no bootstrap)")
    return optimise_system(table, table.model, inputs, target_stockout_rate=system_target,
                           budget=budget, floor_stockout_rate=floor)


def policy_frame(cs: CompiledSeries, t: PolicyTable, eff_lt: np.ndarray) -> pd.DataFrame:
    """The contract's columns, then explanatory extras."""
    days = cs.bucket.days
    annual_value = t.rate * (365.25 / days) * cs.inputs.unit_cost
    frame = pd.DataFrame({
        "location": cs.keys["location"].to_numpy(),
        "part": cs.keys["part"].to_numpy(),
        "policy": [str(k) for k in t.kind],
        "review_days": np.rint(t.review * days).astype(int),
        "reorder_point": t.reorder_point.astype(int),
        "order_up_to": t.order_up_to.astype(int),
        "order_qty": t.order_qty.astype(int),
        "demand_class": [str(c) for c in t.demand_class],
        "distribution": [str(d) for d in t.distribution],
        "expected_stockout_rate": np.round(t.expected_stockout_rate, 6),
        "safety_stock": np.round(t.safety_stock, 3),
        "investment": np.round(t.order_up_to * cs.inputs.unit_cost, 2),
        "forecast_method": [str(m) for m in t.method],
        "demand_per_day": np.round(t.rate / days, 5),
        "dispersion_vmr": np.round(t.vmr, 3),
        "effective_lead_time_days": np.round(eff_lt * days, 2),
        "abc_class": [str(a) for a in classify_abc(annual_value)],
        "expected_on_hand": np.round(t.expected_on_hand, 3),
        "reason": t.reason,
    })
    return frame


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per demand class: series, investment and demand-weighted expected stockout rate."""
    d = frame.assign(_w=frame["demand_per_day"],
                     _ws=frame["demand_per_day"] * frame["expected_stockout_rate"])
    g = d.groupby("demand_class").agg(series=("part", "size"), investment=("investment", "sum"),
                                      _w=("_w", "sum"), _ws=("_ws", "sum"))
    g.loc["all"] = g.sum()
    g["expected_stockout_rate"] = np.where(g["_w"] > 0, g["_ws"] / g["_w"].where(g["_w"] > 0, 1),
                                           0.0)
    return g.drop(columns=["_w", "_ws"]).round({"investment": 2, "expected_stockout_rate": 5})
