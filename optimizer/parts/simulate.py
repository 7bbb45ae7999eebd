"""Period-by-period inventory simulation of many part-locations at once (the backtest's core).

Order of events in period ``t`` (a day, week or month):

1. receipts due at ``t`` arrive; backorders (if kept) are served first;
2. the period's demand is served from on hand; what cannot be served is the **stockout**
   (lost, or backordered and served later: it still counts as a stockout);
3. at a review (every ``review`` periods, at the end of the period) the inventory position
   ``on hand + on order - backorders`` is compared with the reorder point ``s``; at or below
   it an order is placed up to ``S`` (base-stock, s_S) or in multiples of ``Q`` until the
   position is above ``s`` (s_Q), rounded up to the pack size and at least the MOQ. It
   arrives at the start of period ``t + 1 + lead time``.

A replenishment cycle runs from one order placement to the next; availability counts periods
with stock on hand after receipts; an order is on time when its actual lead time is no longer
than the quoted one (:func:`quoted_lead_time`: a high quantile of the lead-time distribution,
as a supplier quotes, not its mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

from optimizer.parts.policy import PolicyKind

#: Quantile of the lead-time distribution taken as the quoted lead time (see docs/parts.md).
QUOTE_QUANTILE = 0.95


class UnmetDemand(StrEnum):
    LOST = "lost"
    BACKORDER = "backorder"


@dataclass(frozen=True)
class SimResult:
    """Per-series outcome of a simulation (arrays of shape (n,))."""

    demand: np.ndarray
    short: np.ndarray
    cycles: np.ndarray
    stockout_cycles: np.ndarray
    available_periods: np.ndarray
    periods: int
    orders: np.ndarray
    on_time_orders: np.ndarray
    avg_on_hand_units: np.ndarray
    avg_on_hand_value: np.ndarray

    @property
    def stockout_rate(self) -> np.ndarray:
        """Per series; NaN where there was no demand."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.demand > 0, self.short / self.demand, np.nan)

    def summary(self, target: float = 0.01) -> dict[str, float]:
        """Pooled figures over all series."""
        d = self.demand.sum()
        has = self.demand > 0
        rate = self.stockout_rate
        cycles = self.cycles.sum()
        orders = self.orders.sum()
        return {
            "series": float(len(self.demand)),
            "demand_units": float(d),
            "stockout_rate": float(self.short.sum() / d) if d > 0 else 0.0,
            "share_series_above_target": float((rate[has] > target + 1e-12).mean())
            if has.any() else 0.0,
            "cycle_service_level": float(1 - self.stockout_cycles.sum() / cycles)
            if cycles > 0 else 1.0,
            "availability": float(self.available_periods.sum() / (self.periods * len(self.demand)))
            if self.periods and len(self.demand) else 1.0,
            "on_time_supply": float(self.on_time_orders.sum() / orders) if orders > 0 else 1.0,
            "avg_on_hand_units": float(self.avg_on_hand_units.sum()),
            "avg_on_hand_value": float(self.avg_on_hand_value.sum()),
            "orders": float(orders),
        }


def _at(a: np.ndarray, t: int) -> np.ndarray:
    return a[:, t] if a.ndim == 2 else a


def order_quantity(position: np.ndarray, s: np.ndarray, S: np.ndarray, Q: np.ndarray,
                   is_q: np.ndarray, pack: np.ndarray, moq: np.ndarray) -> np.ndarray:
    """The contract's ordering rule at a review: nothing above ``s``; else up to ``S``, or
    multiples of ``Q`` until above ``s`` (``is_q``), rounded up to the pack, at least MOQ."""
    q = np.maximum(Q, 1.0)
    qty = np.where(is_q, np.ceil((s - position + 1) / q) * q, S - position)
    qty = np.maximum(np.ceil(qty / pack) * pack, moq)
    return np.where((position <= s) & (qty > 0), qty, 0.0)


def simulate(
    demand: np.ndarray,
    kind: np.ndarray,
    reorder_point: np.ndarray,
    order_up_to: np.ndarray,
    order_qty: np.ndarray,
    review: np.ndarray,
    lead_time: np.ndarray,
    quoted_lead_time: np.ndarray | None = None,
    pack_size: np.ndarray | None = None,
    moq: np.ndarray | None = None,
    unit_cost: np.ndarray | None = None,
    initial_on_hand: np.ndarray | None = None,
    initial_arrivals: np.ndarray | None = None,
    unmet: UnmetDemand = UnmetDemand.BACKORDER,
) -> SimResult:
    """Replay ``demand`` (n, T) against policies; parameters are (n,) or (n, T) per period.

    ``lead_time`` is the actual lead time in whole periods, (n,) or (n, T) by order period
    (sample it with :func:`sample_lead_times` to test robustness); ``quoted_lead_time`` is the
    promised one (defaults to ``lead_time``). ``initial_arrivals`` (n, P) are receipts already
    on order, arriving at periods 0..P-1; ``initial_on_hand`` defaults to ``order_up_to``.
    """
    demand = np.asarray(demand, dtype=float)
    n, T = demand.shape
    lead = np.rint(np.asarray(lead_time)).astype(int)
    lead = np.broadcast_to(lead, (n,) if lead.ndim <= 1 else (n, T))
    quoted = (None if quoted_lead_time is None
              else np.rint(np.asarray(quoted_lead_time, dtype=float)).astype(int))
    ones = np.ones(n)
    pack = ones if pack_size is None else np.asarray(pack_size, dtype=float)
    mq = ones if moq is None else np.asarray(moq, dtype=float)
    cost = ones if unit_cost is None else np.asarray(unit_cost, dtype=float)
    is_q = np.asarray(kind) == PolicyKind.S_Q
    review = np.maximum(np.rint(np.asarray(review, dtype=float)).astype(int), 1)
    backorder = unmet == UnmetDemand.BACKORDER

    horizon = T + int(lead.max(initial=0)) + 2
    arrivals = np.zeros((n, horizon))
    if initial_arrivals is not None:
        init = np.asarray(initial_arrivals, dtype=float)
        arrivals[:, : init.shape[1]] += init
    on_order = arrivals.sum(axis=1)
    S0 = _at(np.asarray(order_up_to, dtype=float), 0)
    on_hand = (np.maximum(S0 - on_order, 0.0) if initial_on_hand is None
               else np.asarray(initial_on_hand, dtype=float).copy())
    bo = np.zeros(n)
    short_total = np.zeros(n)
    cycles = np.zeros(n)
    bad_cycles = np.zeros(n)
    flag = np.zeros(n, dtype=bool)
    open_cycle = np.zeros(n, dtype=bool)
    available = np.zeros(n)
    orders = np.zeros(n)
    on_time = np.zeros(n)
    on_hand_sum = np.zeros(n)
    rows = np.arange(n)
    s_all = np.asarray(reorder_point, dtype=float)
    S_all = np.asarray(order_up_to, dtype=float)
    Q_all = np.asarray(order_qty, dtype=float)

    for t in range(T):
        rec = arrivals[:, t]
        on_hand += rec
        on_order -= rec
        if backorder:
            served_bo = np.minimum(on_hand, bo)
            on_hand -= served_bo
            bo -= served_bo
        available += on_hand > 0
        d = demand[:, t]
        served = np.minimum(on_hand, d)
        short = d - served
        on_hand -= served
        if backorder:
            bo += short
        short_total += short
        flag |= short > 0
        open_cycle |= d > 0
        on_hand_sum += on_hand

        due = (t + 1) % review == 0
        s, S, Q = _at(s_all, t), _at(S_all, t), _at(Q_all, t)
        position = on_hand + on_order - bo
        place = due & (position <= s)
        if place.any():
            qty = np.where(place, order_quantity(position, s, S, Q, is_q, pack, mq), 0.0)
            placed = qty > 0
            lt = _at(lead, t)
            idx = np.minimum(t + 1 + lt, horizon - 1)
            np.add.at(arrivals, (rows[placed], idx[placed]), qty[placed])
            on_order += qty
            orders += placed
            on_time += placed if quoted is None else placed & (lt <= _at(quoted, t))
            cycles += placed & open_cycle
            bad_cycles += placed & open_cycle & flag
            flag &= ~placed
            open_cycle &= ~placed
    cycles += open_cycle
    bad_cycles += open_cycle & flag
    avg_units = on_hand_sum / max(T, 1)
    return SimResult(
        demand=demand.sum(axis=1), short=short_total, cycles=cycles, stockout_cycles=bad_cycles,
        available_periods=available, periods=T, orders=orders, on_time_orders=on_time,
        avg_on_hand_units=avg_units, avg_on_hand_value=avg_units * cost,
    )


def sample_lead_times(mean: np.ndarray, std: np.ndarray, periods: int,
                      seed: int = 0) -> np.ndarray:
    """Actual lead times (n, periods) in whole periods: normal, rounded, at least 0."""
    rng = np.random.default_rng(seed)
    mean = np.asarray(mean, dtype=float)[:, None]
    std = np.asarray(std, dtype=float)[:, None]
    draws = mean + std * rng.standard_normal((len(mean), periods))
    return np.maximum(np.rint(draws), 0).astype(int)


def quoted_lead_time(mean: np.ndarray, std: np.ndarray,
                     quantile: float = QUOTE_QUANTILE) -> np.ndarray:
    """The lead time a supplier quotes, in whole periods: the ``quantile`` of a normal lead
    time with the data's mean and std, rounded up (a quote is a commitment the supplier
    expects to keep, so a high quantile; with std 0 it is the mean rounded up)."""
    if not 0.5 <= quantile < 1:
        raise ValueError(f"quote quantile {quantile} must be in [0.5, 1)")
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    return np.ceil(mean + stats.norm.ppf(quantile) * std - 1e-9)
