"""Service standards of a nightly run, side by side with their targets (``kpis.json``).

Definitions (all pure functions of the problem, the plan and the parts tables):

- **Emergencies on site within 4 h**: jobs of priority ``critical`` or whose ``kind`` says
  emergency. Deadline = ``due`` when present, else release + 4 h, where release is the
  earliest time-window start (or, without windows, the first shift start of the day). On time
  = assigned and service starts by the deadline. Target 100 %.
- **Standard jobs within 24 h**: the other jobs with a ``due`` (the 24 h SLA deadline); on
  time = assigned and started by ``due``. Target 100 %.
  In both lines an unassigned job counts as missed when its deadline falls before the end of
  the planned day, and as *pending* (outside the share, counted apart) when it falls later.
- **Jobs left for tomorrow by reason**: counts of ``plan.unassigned`` by reason.
- **Travel**, **utilisation**, **overtime**: the plan's KPIs (``optimizer.kpis``).
- **Stockout rate (expected)**: the policy table's ``expected_stockout_rate`` weighted by each
  part-location's demand (units in the demand history). Target <= 1 %.
- **Parts on-time supply**: probability that an order arrives within the quoted lead time,
  the quote being what the parts engine takes a supplier's quote to be (the 95 % quantile of
  the lead time rounded up to whole days, ``optimizer.parts.simulate.quoted_lead_time``;
  against the mean a supplier keeping its stated distribution is late half the time) and
  arrivals counted by day (arrival in less than quote + 0.5 days, lead time ~ Normal(mean,
  std)); 100 % when std = 0.
  Weighted by the quantity of tonight's orders (by demand over the policy when there are
  none). Target >= 98 %.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from optimizer.kpis import compute_kpis
from optimizer.models import JobStop, Plan, Priority, Problem
from optimizer.parts.data import PartsData
from optimizer.parts.simulate import QUOTE_QUANTILE, quoted_lead_time

EMERGENCY_HOURS = 4
STANDARD_HOURS = 24
STOCKOUT_TARGET_PCT = 1.0
ON_TIME_SUPPLY_TARGET_PCT = 98.0


def is_emergency(job: Any) -> bool:
    """Priority ``critical``, or a ``kind`` that says emergency."""
    return job.priority == Priority.CRITICAL or "emergenc" in (job.kind or "").lower()


def _line(key: str, label: str, value: float | None, unit: str, target: float | None,
          op: str | None, definition: str, **extra: Any) -> dict[str, Any]:
    met = None
    if value is not None and target is not None and op is not None:
        met = value >= target - 1e-9 if op == ">=" else value <= target + 1e-9
    return {"key": key, "label": label, "value": value, "unit": unit, "target": target,
            "target_op": op, "met": met, "definition": definition, **extra}


def _pct(a: float, b: float) -> float | None:
    return None if b <= 0 else round(100.0 * a / b, 1)


def _sla_line(key: str, label: str, hours: int, problem: Problem, plan: Plan,
              emergencies: bool) -> dict[str, Any]:
    starts = {s.job: s.start for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    shift_starts = [s.start for e in problem.engineers for s in e.shifts]
    shift_ends = [s.end for e in problem.engineers for s in e.shifts]
    day_start = min(shift_starts) if shift_starts else None
    day_end = max(shift_ends) if shift_ends else None
    counted = on_time = pending = missed_unassigned = late = 0
    waits: list[float] = []
    for job in problem.jobs:
        if is_emergency(job) != emergencies:
            continue
        release = min((w.start for w in job.time_windows), default=day_start)
        if job.due is not None:
            deadline: datetime | None = job.due
        elif emergencies and release is not None:
            deadline = release + timedelta(hours=hours)
        else:
            continue  # a standard job without a due has no SLA
        start = starts.get(job.id)
        if start is None:
            if deadline is not None and day_end is not None and deadline > day_end:
                pending += 1
                continue
            counted += 1
            missed_unassigned += 1
            continue
        counted += 1
        if release is not None:
            waits.append((start - release).total_seconds() / 3600.0)
        if deadline is None or start <= deadline:
            on_time += 1
        else:
            late += 1
    definition = (
        f"share of {'critical/emergency' if emergencies else 'other'} jobs on site by their "
        f"deadline ({'due, else release + 4 h' if emergencies else 'due = the 24 h SLA'}); "
        "unassigned with a deadline today = missed, later = pending"
    )
    return _line(key, label, _pct(on_time, counted), "%", 100.0, ">=", definition,
                 count=counted, on_time=on_time, late=late, missed_unassigned=missed_unassigned,
                 pending=pending, sla_hours=hours,
                 max_hours_to_start=round(max(waits), 2) if waits else None)


def demand_weights(parts: PartsData) -> pd.Series:
    """Units demanded per (location, part) over the history."""
    return parts.demand.groupby(["location", "part"])["qty"].sum()


def expected_stockout_pct(policy: pd.DataFrame, parts: PartsData | None) -> float | None:
    """Demand-weighted mean of the policy's ``expected_stockout_rate``, in percent."""
    if policy is None or policy.empty or "expected_stockout_rate" not in policy.columns:
        return None
    rates = pd.to_numeric(policy["expected_stockout_rate"], errors="coerce")
    if parts is not None:
        w = demand_weights(parts)
        keys = list(zip(policy["location"].astype(str), policy["part"].astype(str), strict=True))
        weights = pd.Series([float(w.get(k, 0.0)) for k in keys], index=policy.index)
    else:
        weights = pd.Series(1.0, index=policy.index)
    ok = rates.notna()
    total = float(weights[ok].sum())
    if total <= 0:
        return None
    return round(100.0 * float((rates[ok] * weights[ok]).sum()) / total, 3)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def on_time_probability(mean_days: float, std_days: float,
                        quantile: float = QUOTE_QUANTILE) -> float:
    """P(arrival day <= quoted day); L ~ Normal(mean, std), the quote in whole days as the
    parts engine quotes it (:func:`optimizer.parts.simulate.quoted_lead_time`)."""
    if std_days <= 0:
        return 1.0
    quote = float(quoted_lead_time(np.array([mean_days]), np.array([std_days]), quantile)[0])
    return _norm_cdf((quote + 0.5 - mean_days) / std_days)


def _lead_time(parts: PartsData, location: str, part: str) -> tuple[float, float] | None:
    for lt in parts.lead_times:
        if lt.location == location and lt.part == part:
            return lt.lead_time_days_mean, lt.lead_time_days_std
    for loc in parts.locations:
        if loc.location == location:
            return loc.lead_time_days_mean, loc.lead_time_days_std
    return None


def on_time_supply_pct(orders: pd.DataFrame, policy: pd.DataFrame,
                       parts: PartsData | None) -> tuple[float | None, str]:
    """Quantity-weighted probability that tonight's orders arrive within the quoted lead time."""
    if parts is None:
        return None, "no spare-parts data"
    rows: list[tuple[str, str, float]] = []
    basis = "tonight's orders, weighted by quantity"
    if orders is not None and not orders.empty:
        rows = [(str(r.location), str(r.part), float(r.qty)) for r in orders.itertuples()]
    elif policy is not None and not policy.empty:
        w = demand_weights(parts)
        rows = [(str(r.location), str(r.part), float(w.get((str(r.location), str(r.part)), 0)))
                for r in policy.itertuples()]
        basis = "all stocked part-locations, weighted by demand (no orders tonight)"
    num = den = 0.0
    for loc, part, weight in rows:
        lt = _lead_time(parts, loc, part)
        if lt is None or weight <= 0:
            continue
        num += weight * on_time_probability(*lt)
        den += weight
    return (None if den <= 0 else round(100.0 * num / den, 2)), basis


def service_standards(
    problem: Problem,
    plan: Plan,
    *,
    policy: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    parts: PartsData | None = None,
    supply_on_time_pct: float | None = None,
    stockout_backtested_pct: float | None = None,
    stockout_planned_to: str | None = None,
) -> dict[str, Any]:
    """The ``kpis.json`` object: service standards with targets, then the plan's figures.

    ``supply_on_time_pct`` overrides the lead-time estimate when the parts engine gives one;
    ``stockout_backtested_pct`` the policy's expected stockout rate when the policy was
    calibrated (the rate its planned target realised in a backtest of the history: the
    model's own expectation is what the calibration corrects); ``stockout_planned_to`` says
    which stockout target the policy, its orders and this figure were planned to.
    """
    k = compute_kpis(problem, plan.routes, plan.unassigned)
    reasons = Counter(u.reason.value for u in plan.unassigned)
    stockout = expected_stockout_pct(policy, parts) if policy is not None else None
    stockout_basis = "policy expected_stockout_rate weighted by units demanded per part-location"
    if stockout_backtested_pct is not None:
        stockout = stockout_backtested_pct
        stockout_basis = ("calibrated system view: the customer stockout rate its planned target "
                          "realised in a rolling backtest of the demand history")
    if stockout_planned_to:
        stockout_basis += f"; planned to {stockout_planned_to}"
    if supply_on_time_pct is not None:
        supply, basis = supply_on_time_pct, "the parts engine's figure"
    else:
        supply, basis = on_time_supply_pct(orders, policy, parts)
    engineers_worked = len({r.engineer for r in plan.routes})
    standards = [
        _sla_line("emergency_on_site_4h", "Emergencies on site within 4 h", EMERGENCY_HOURS,
                  problem, plan, emergencies=True),
        _sla_line("standard_within_24h", "Standard jobs on site within 24 h", STANDARD_HOURS,
                  problem, plan, emergencies=False),
        _line("stockout_rate_expected", "Stockout rate (expected)", stockout, "%",
              STOCKOUT_TARGET_PCT, "<=", stockout_basis),
        _line("parts_on_time_supply", "Parts on-time supply", supply, "%",
              ON_TIME_SUPPLY_TARGET_PCT, ">=",
              f"P(order arrives by its quoted lead time = the {QUOTE_QUANTILE:.0%} quantile "
              "of the lead time rounded up to whole days, as the parts engine quotes it; "
              f"lead time ~ Normal(mean, std)); basis: {basis}"),
    ]
    figures = [
        _line("jobs_assigned", "Jobs planned", k.jobs_assigned, "", None, None,
              "jobs on a route", of=k.jobs_total),
        _line("jobs_left", "Jobs left for tomorrow", k.jobs_unassigned, "", None, None,
              "jobs in plan.unassigned, by reason", by_reason=dict(sorted(reasons.items()))),
        _line("travel_km", "Travel distance", k.distance_km, "km", None, None,
              "road km over all routes",
              per_engineer=round(k.distance_km / engineers_worked, 1) if engineers_worked else 0),
        _line("travel_min", "Travel time", k.travel_min, "min", None, None,
              "minutes driven over all routes"),
        _line("utilisation", "Utilisation", k.utilisation_pct, "%", None, None,
              "(work + travel + pick-up) / all shift minutes"),
        _line("overtime_min", "Overtime", k.overtime_min, "min", None, None,
              "minutes past shift end, summed over routes"),
    ]
    return {
        "problem_id": problem.id,
        "standards": standards,
        "figures": figures,
        "jobs_left_by_reason": dict(sorted(reasons.items())),
        "plan_kpis": k.model_dump(mode="json"),
    }


def standards_table(kpis: dict[str, Any]) -> Sequence[dict[str, Any]]:
    """All lines of ``kpis.json`` in display order (standards first)."""
    return [*kpis.get("standards", []), *kpis.get("figures", [])]
