"""The spare-parts stage of the nightly run: policies and tonight's orders.

Tomorrow's jobs are added to what the order logic covers by moving the inventory position:
the units they take at a location (depot pick-ups, van use at the van or the depot that
restocks it, held jobs' parts at their depot)
come off ``on_hand`` there, and what on hand cannot give becomes ``backorders``. Position =
on hand + on order - backorders, so the policy's reorder test and order-up-to quantity see
them exactly as demand already committed. Order lines that cover such units say so in
``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from optimizer.batch.holdback import CommittedDemand
from optimizer.parts.data import PartsData, StockPosition
from optimizer.parts.orders import orders_for_today
from optimizer.parts.plan import DEFAULT_CONFIG, POLICY_COLUMNS, plan_policy


@dataclass(frozen=True)
class PartsOutcome:
    policy: pd.DataFrame | None
    orders: pd.DataFrame | None
    on_time_pct: float | None = None  # the parts engine's on-time supply figure, if it has one
    stockout_backtested_pct: float | None = None  # a calibrated policy's in-sample stockout
    notes: tuple[str, ...] = field(default_factory=tuple)
    planned_to: str | None = None  # the stockout target the policy (and its orders) meet


def with_committed(parts: PartsData, committed: CommittedDemand) -> PartsData:
    """``parts`` whose stock positions carry tomorrow's committed units (see module doc)."""
    known = {loc.location for loc in parts.locations}
    by_key = {(s.location, s.part): s for s in parts.stock}
    for (loc, part), qty in committed.qty.items():
        if loc not in known or qty <= 0:
            continue
        s = by_key.get((loc, part)) or StockPosition(location=loc, part=part, on_hand=0)
        take = min(s.on_hand, qty)
        by_key[(loc, part)] = s.model_copy(update={
            "on_hand": s.on_hand - take, "backorders": s.backorders + (qty - take)})
    return parts.model_copy(update={"stock": tuple(by_key.values())})


def annotate_orders(orders: pd.DataFrame, committed: CommittedDemand) -> pd.DataFrame:
    """Add to each order line's ``reason`` the tomorrow's jobs whose parts it covers."""
    if orders is None or orders.empty:
        return orders
    orders = orders.copy()
    reasons = []
    for row in orders.itertuples(index=False):
        key = (str(row.location), str(row.part))
        base = str(getattr(row, "reason", "") or "")
        jobs = committed.jobs.get(key)
        if jobs and committed.qty.get(key, 0) > 0:
            shown = ", ".join(jobs[:5]) + (f" +{len(jobs) - 5}" if len(jobs) > 5 else "")
            base = (base + "; " if base else "") + (
                f"includes {committed.qty[key]} for tomorrow's jobs {shown}")
        reasons.append(base)
    orders["reason"] = reasons
    return orders


def policies_and_orders(parts: PartsData, committed: CommittedDemand, day: date,
                        system_target: float | None = None,
                        calibrate: bool = False) -> PartsOutcome:
    """Stocking policies (``policy.csv``) and tonight's orders (``orders.csv``).

    Policies come from the demand history alone (``optimizer.parts.plan.plan_policy``): one
    per part-location at its target, or the system view at an overall ``system_target``
    (``calibrate``: at the planned target that realised it on this history); the orders
    (``optimizer.parts.orders.orders_for_today``) see the stock positions less the units
    tomorrow's jobs take.
    """
    del day  # the parts engine plans as of the last demand date
    result = plan_policy(parts, system_target=system_target, calibrate=calibrate)
    orders = orders_for_today(with_committed(parts, committed), result)
    policy = result.table[[c for c in POLICY_COLUMNS if c in result.table.columns]]
    notes: tuple[str, ...] = ()
    backtested = None
    cal = result.calibration
    planned_to = (f"a {DEFAULT_CONFIG.target_stockout_rate:g} stockout rate at every "
                  "part-location")
    if cal is not None and cal.holdout:
        backtested = cal.expected_realised
        warehouse = ("" if result.warehouse_target is None
                     else f", warehouses at {result.warehouse_target:g}")
        planned_to = (f"an overall {cal.goal:g} customer stockout rate (system view planned "
                      f"at {cal.planned_target:.4g}{warehouse})")
        notes = (f"parts: system view planned at {cal.planned_target:.4g}{warehouse} for an "
                 f"overall {cal.goal:g} stockout rate (in sample over the last {cal.holdout} "
                 f"periods: {backtested:.2%})",)
    elif cal is not None:
        planned_to = f"an overall {cal.goal:g} stockout rate (system view, uncalibrated)"
        notes = (f"parts: too little history to calibrate; system view at {cal.goal:g}",)
    elif system_target is not None:
        planned_to = f"an overall {system_target:g} stockout rate (system view, uncalibrated)"
        notes = (f"parts: system view at an overall {system_target:g} stockout rate "
                 "(uncalibrated)",)
    return PartsOutcome(policy.reset_index(drop=True), annotate_orders(orders, committed),
                        notes=notes, stockout_backtested_pct=None if backtested is None
                        else round(100.0 * backtested, 3), planned_to=planned_to)
