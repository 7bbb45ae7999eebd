"""Stocking policies per part-location: base-stock, periodic (R, s, S) and (s, Q).

Pure functions over compiled arrays (one row per part-location series):

1. classify the history (SBC), forecast with the method suited to the class,
2. estimate the dispersion of demand over the risk horizon ``L + R`` from the *same*
   forecast's rolling errors, shrunk towards the class's pooled value,
3. pick the lot size (EOQ over pack size and MOQ; base-stock for slow movers), then the least
   reorder point whose expected unit fill meets the stockout-rate target, among a few lot
   sizes the one with the least holding plus ordering cost.

Expected shortage per review period is ``E[(D_{L+R} - y)^+] - E[(D_L - y)^+]`` averaged over
the inventory position ``y`` after ordering (uniform on ``s+1 .. s+Q``; ``y = S`` for
base-stock), divided by the demand per review period.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from optimizer.parts.classify import DemandClass, classify_sbc
from optimizer.parts.forecast import Method, forecast_by_method
from optimizer.parts.leadtime_demand import (
    REASONS,
    DemandModel,
    Distribution,
    bootstrap_sums,
    choose_distribution,
    horizon_loss,
)


class PolicyKind(StrEnum):
    BASE_STOCK = "base_stock"
    S_S = "s_S"
    S_Q = "s_Q"


#: Forecast method used for each demand class.
CLASS_METHOD = {
    DemandClass.SMOOTH: Method.SES,
    DemandClass.ERRATIC: Method.SES,
    DemandClass.INTERMITTENT: Method.SBA_LIFECYCLE,
    DemandClass.LUMPY: Method.SBA_LIFECYCLE,
    DemandClass.NONE: Method.TSB,
}


@dataclass(frozen=True)
class SeriesInputs:
    """Per-series inputs in planning periods (all arrays shape (n,))."""

    lead_time: np.ndarray  # mean lead time, periods
    lead_time_std: np.ndarray  # periods
    review: np.ndarray  # review interval, periods (>= 1)
    unit_cost: np.ndarray
    order_cost: np.ndarray  # per order
    holding_cost: np.ndarray  # per unit per period
    pack_size: np.ndarray
    moq: np.ndarray
    weight: np.ndarray  # criticality weight of a unit short

    @classmethod
    def uniform(cls, n: int, lead_time: float | np.ndarray, review: float = 1.0,
                unit_cost: float | np.ndarray = 1.0, lead_time_std: float | np.ndarray = 0.0,
                order_cost: float | np.ndarray = 0.0,
                holding_cost: float | np.ndarray = 0.0, pack_size: int | np.ndarray = 1,
                moq: int | np.ndarray = 1) -> SeriesInputs:
        """Convenience constructor broadcasting scalars to ``n`` series."""
        def arr(x: float | np.ndarray, dtype: type = float) -> np.ndarray:
            return np.broadcast_to(np.asarray(x, dtype=dtype), (n,)).copy()

        return cls(arr(lead_time), arr(lead_time_std), arr(review), arr(unit_cost),
                   arr(order_cost), arr(holding_cost), arr(pack_size, int), arr(moq, int),
                   np.ones(n))

    def take(self, rows: np.ndarray) -> SeriesInputs:
        return SeriesInputs(**{k: getattr(self, k)[rows] for k in self.__dataclass_fields__})


@dataclass(frozen=True)
class PolicyConfig:
    """Tuning of the demand model; defaults are the ones the benchmark validated."""

    target_stockout_rate: float = 0.01
    alpha: float = 0.1
    class_method: dict = field(default_factory=lambda: dict(CLASS_METHOD))
    shrink_windows: float = 20.0  # prior weight (in independent windows) of the pooled VMR
    min_vmr: float = 1.0
    use_bootstrap: bool = False  # empirical bootstrap for lumpy series
    dispersion: str = "errors"  # "errors" (forecast errors), "sizes" (compound), "sample"
    lot_size_factors: tuple[float, ...] = (0.5, 1.0, 2.0)
    seed: int = 0


DEFAULT_CONFIG = PolicyConfig()


@dataclass(frozen=True)
class PolicyTable:
    """One policy per series; arrays of shape (n,)."""

    kind: np.ndarray
    reorder_point: np.ndarray
    order_up_to: np.ndarray
    order_qty: np.ndarray
    review: np.ndarray
    demand_class: np.ndarray
    method: np.ndarray
    distribution: np.ndarray
    reason: np.ndarray
    rate: np.ndarray  # forecast demand per period
    vmr: np.ndarray
    expected_stockout_rate: np.ndarray
    safety_stock: np.ndarray
    investment: np.ndarray
    expected_on_hand: np.ndarray
    orders_per_period: np.ndarray
    model: DemandModel | None = None  # the fitted demand model, for the system view

    def __len__(self) -> int:
        return len(self.kind)


# --------------------------------------------------------------------------- demand model


def horizon_vmr(Y: np.ndarray, F: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Variance-to-mean ratio of ``h``-period demand around the rolling forecast.

    ``sum (D_{t,h} - h F_t)^2 / sum h F_t`` over windows after the first demand; also returns
    the number of independent windows (periods used / h) as the weight of the estimate.
    """
    n, T = Y.shape
    C = np.concatenate([np.zeros((n, 1)), np.cumsum(Y, axis=1)], axis=1)
    hi = np.clip(np.rint(np.maximum(h, 1)).astype(int), 1, max(T, 1))
    vmr = np.full(n, np.nan)
    weight = np.zeros(n)
    for H in np.unique(hi):
        rows = np.flatnonzero(hi == H)
        if T - H + 1 <= 0:
            continue
        D = C[rows, H:] - C[rows, : T - H + 1]  # windows starting at t = 0..T-H
        mu = H * F[rows, : T - H + 1]
        valid = mu > 0
        err2 = np.where(valid, (D - mu) ** 2, 0.0).sum(axis=1)
        den = np.where(valid, mu, 0.0).sum(axis=1)
        ok = den > 0
        vmr[rows[ok]] = err2[ok] / den[ok]
        weight[rows] = valid.sum(axis=1) / H
    return vmr, weight


def size_vmr(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compound-Poisson dispersion ``E[X^2] / E[X]`` of the non-zero sizes X; weight = count."""
    nz = Y > 0
    k = nz.sum(axis=1)
    s1 = np.where(nz, Y, 0).sum(axis=1)
    s2 = np.where(nz, Y * Y, 0).sum(axis=1)
    vmr = np.where(s1 > 0, s2 / np.where(s1 > 0, s1, 1), np.nan)
    return vmr, k.astype(float)


def fit_demand_model(
    Y: np.ndarray, inputs: SeriesInputs, config: PolicyConfig = DEFAULT_CONFIG
) -> tuple[DemandModel, np.ndarray, np.ndarray]:
    """Classify, forecast and fit the lead-time demand model; returns (model, class, method)."""
    Y = np.asarray(Y, dtype=float)
    classes = classify_sbc(Y)
    methods = np.array([config.class_method[c] for c in classes], dtype=object)
    F = forecast_by_method(Y, methods, config.alpha)
    rate = F[:, -1]
    h_long = inputs.lead_time + inputs.review
    if config.dispersion == "errors":
        raw, weight = horizon_vmr(Y, F, h_long)
    elif config.dispersion == "sizes":
        raw, weight = size_vmr(Y)
    else:
        m = Y.mean(axis=1)
        raw = np.where(m > 0, Y.var(axis=1, ddof=1) / np.where(m > 0, m, 1), np.nan)
        weight = np.full(len(m), Y.shape[1] / 1.0)
    # pooled value per class (ratio of sums is dominated by the busier series; use the median)
    pooled = np.ones(len(rate))
    for c in DemandClass:
        rows = (classes == c) & np.isfinite(raw)
        if rows.any():
            pooled[classes == c] = max(np.median(raw[rows]), config.min_vmr)
    raw = np.where(np.isfinite(raw), raw, pooled)
    k = config.shrink_windows
    vmr = np.maximum((weight * raw + k * pooled) / (weight + k), config.min_vmr)
    kind = choose_distribution(classes, vmr, config.use_bootstrap)
    samples_long = samples_short = None
    if (kind == Distribution.EMPIRICAL).any():
        hist_mean = Y.mean(axis=1)
        scale = np.where(hist_mean > 0, rate / np.where(hist_mean > 0, hist_mean, 1), 0.0)
        samples_long, samples_short = bootstrap_sums(
            Y, h_long, inputs.lead_time, scale, seed=config.seed)
    model = DemandModel(rate=rate, vmr=vmr, lead_time_var=inputs.lead_time_std**2, kind=kind,
                        samples_long=samples_long, samples_short=samples_short)
    return model, classes, methods


# --------------------------------------------------------------------------- evaluation


def expected_shortage(model: DemandModel, inputs: SeriesInputs, reorder_point: np.ndarray,
                      lot: np.ndarray, rows: np.ndarray | None = None,
                      points: int = 8) -> np.ndarray:
    """Expected units short per review period with position uniform on s+1 .. s+lot."""
    sel = np.arange(len(model.rate)) if rows is None else rows
    s = np.asarray(reorder_point, dtype=float)
    q = np.maximum(np.asarray(lot, dtype=float), 1.0)
    h_long = inputs.lead_time[sel] + inputs.review[sel]
    h_short = inputs.lead_time[sel]
    m = points if np.any(q > 1) else 1
    total = np.zeros(len(sel))
    for j in range(m):
        frac = 0.0 if m == 1 else j / (m - 1)
        y = s + 1 + np.rint(frac * (q - 1))
        g_long = horizon_loss(model, h_long, y, long=True, rows=sel)
        g_short = horizon_loss(model, h_short, y, long=False, rows=sel)
        total += np.maximum(g_long - g_short, 0.0)
    return total / m


def fill_rate(model: DemandModel, inputs: SeriesInputs, reorder_point: np.ndarray,
              lot: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Expected unit fill rate (1 - stockout rate); policy arrays are per selected row."""
    sel = np.arange(len(model.rate)) if rows is None else rows
    demand = model.rate[sel] * inputs.review[sel]
    short = expected_shortage(model, inputs, reorder_point, lot, rows=sel)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(demand > 0, 1.0 - short / np.where(demand > 0, demand, 1), 1.0)


def min_reorder_point(model: DemandModel, inputs: SeriesInputs, lot: np.ndarray,
                      target: np.ndarray) -> np.ndarray:
    """Least integer reorder point s with expected stockout rate <= target (bisection)."""
    n = len(model.rate)
    mean, var = model.moments(inputs.lead_time + inputs.review)
    hi = np.ceil(mean + 12 * np.sqrt(var) + 5).astype(float)
    if model.samples_long is not None:
        emp = model.kind == Distribution.EMPIRICAL
        hi[emp] = np.maximum(hi[emp], np.ceil(model.samples_long[emp].max(axis=1)) + 1)
    lo = np.full(n, -1.0) - np.maximum(lot - 1, 0)  # S = s + 1 >= 0 for base-stock
    rows = np.arange(n)
    ok_hi = 1 - fill_rate(model, inputs, hi, lot, rows) <= target + 1e-12
    hi = np.where(ok_hi, hi, hi * 4 + 10)  # widen once for extreme tails
    while True:
        active = np.flatnonzero(hi - lo > 1)
        if active.size == 0:
            break
        mid = np.floor((lo[active] + hi[active]) / 2)
        ok = 1 - fill_rate(model, inputs, mid, lot[active], active) <= target[active]
        hi[active] = np.where(ok, mid, hi[active])
        lo[active] = np.where(ok, lo[active], mid)
    return hi


def round_lot(q: np.ndarray, pack: np.ndarray, moq: np.ndarray) -> np.ndarray:
    """Round a lot size up to a multiple of the pack size and to at least the MOQ."""
    q = np.maximum(np.maximum(q, moq), 1)
    return np.ceil(q / pack) * pack


# --------------------------------------------------------------------------- planning


def plan_policies(
    Y: np.ndarray, inputs: SeriesInputs, config: PolicyConfig = DEFAULT_CONFIG,
    target: np.ndarray | None = None,
) -> PolicyTable:
    """Policies for every series of ``Y`` (n, T) history meeting the stockout-rate target."""
    Y = np.asarray(Y, dtype=float)
    n = Y.shape[0]
    tgt = np.full(n, config.target_stockout_rate) if target is None else np.asarray(target, float)
    model, classes, methods = fit_demand_model(Y, inputs, config)
    rate = model.rate

    eoq = np.sqrt(np.divide(2 * inputs.order_cost * rate, inputs.holding_cost,
                            out=np.zeros(n), where=inputs.holding_cost > 0))
    unit_lot = (inputs.pack_size <= 1) & (inputs.moq <= 1)
    # slow movers (or free ordering): order one for one; else EOQ-based lots
    base = unit_lot & (eoq < 1.5)
    best_s = np.zeros(n)
    best_q = np.ones(n)
    best_cost = np.full(n, np.inf)
    for factor in config.lot_size_factors if not base.all() else (1.0,):
        q = np.where(base, 1.0, round_lot(np.maximum(eoq * factor, 1.0), inputs.pack_size,
                                          inputs.moq))
        s = min_reorder_point(model, inputs, q, tgt)
        on_hand = _expected_on_hand(model, inputs, s, q)
        cost = inputs.holding_cost * on_hand + np.divide(
            inputs.order_cost * rate, q, out=np.zeros(n), where=q > 0)
        better = cost < best_cost - 1e-12
        best_s = np.where(better, s, best_s)
        best_q = np.where(better, q, best_q)
        best_cost = np.where(better, cost, best_cost)

    kind = np.where(best_q <= 1, PolicyKind.BASE_STOCK,
                    np.where(inputs.review > 1, PolicyKind.S_S, PolicyKind.S_Q)).astype(object)
    order_up_to = best_s + best_q
    order_qty = np.where(kind == PolicyKind.S_Q, best_q, 0.0)
    fill = fill_rate(model, inputs, best_s, best_q)
    mean_long = rate * (inputs.lead_time + inputs.review)
    reason = np.array([f"{c}: {m} forecast; {REASONS[d]}"
                       for c, m, d in zip(classes, methods, model.kind, strict=True)], dtype=object)
    zero = rate <= 0
    return PolicyTable(
        kind=kind, reorder_point=best_s, order_up_to=order_up_to, order_qty=order_qty,
        review=inputs.review.copy(), demand_class=classes, method=methods,
        distribution=model.kind, reason=reason, rate=rate, vmr=model.vmr,
        expected_stockout_rate=np.where(zero, 0.0, 1 - fill),
        safety_stock=best_s + 1 - mean_long,
        investment=order_up_to * inputs.unit_cost,
        expected_on_hand=_expected_on_hand(model, inputs, best_s, best_q),
        orders_per_period=np.divide(rate, best_q, out=np.zeros(n), where=best_q > 0),
        model=model,
    )


def _expected_on_hand(model: DemandModel, inputs: SeriesInputs, s: np.ndarray,
                      q: np.ndarray) -> np.ndarray:
    """Approximate average on hand: safety stock plus half a cycle, plus expected shortage."""
    mean_l = model.rate * inputs.lead_time
    cycle = np.maximum(q, model.rate * inputs.review)
    return np.maximum(s + 1 - mean_l - model.rate * inputs.review / 2 + cycle / 2, 0.0)


def with_targets(config: PolicyConfig, target: float) -> PolicyConfig:
    return replace(config, target_stockout_rate=target)
