"""Vectorised forecasts for many demand series at once: SES, Croston/SBA and TSB.

Every function takes ``Y`` of shape (n_series, T) and returns ``F`` of shape (n_series, T+1)
where ``F[:, t]`` is the per-period demand forecast made with ``Y[:, :t]`` (so ``F[:, -1]``
is the forecast for the next period). The loop runs over time only; each step is one numpy
operation over all series, which is why we do not call ``statsforecast`` (see docs/parts.md:
its start-up and per-series fitting cost more than the whole of this on 25k series).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Method(StrEnum):
    SES = "ses"
    CROSTON = "croston"
    SBA = "sba"
    TSB = "tsb"
    SBA_LIFECYCLE = "sba_lifecycle"


def _init_window(T: int, init_periods: int | None) -> int:
    return max(1, min(T, init_periods if init_periods is not None else T))


def ses(Y: np.ndarray, alpha: float = 0.1, init_periods: int | None = None) -> np.ndarray:
    """Simple exponential smoothing; level starts at the mean of the first ``init_periods``."""
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    F = np.empty((n, T + 1))
    level = Y[:, : _init_window(T, init_periods)].mean(axis=1) if T else np.zeros(n)
    for t in range(T):
        F[:, t] = level
        level = level + alpha * (Y[:, t] - level)
    F[:, T] = level
    return F


def croston(
    Y: np.ndarray, alpha: float = 0.1, variant: Method = Method.SBA
) -> np.ndarray:
    """Croston's method (``variant`` CROSTON) or its Syntetos-Boylan bias correction (SBA).

    Size ``z`` and interval ``p`` are smoothed at demand occurrences; the forecast is
    ``z / p`` (times ``1 - alpha/2`` for SBA). Before the first demand the forecast is 0.
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    factor = 1.0 - alpha / 2.0 if variant == Method.SBA else 1.0
    F = np.zeros((n, T + 1))
    z = np.zeros(n)
    p = np.ones(n)
    q = np.ones(n)  # periods since the last demand, counting the current one
    started = np.zeros(n, dtype=bool)
    for t in range(T):
        F[:, t] = np.where(started, factor * z / p, 0.0)
        y = Y[:, t]
        nz = y > 0
        upd = nz & started
        first = nz & ~started
        z = np.where(upd, z + alpha * (y - z), np.where(first, y, z))
        p = np.where(upd, p + alpha * (q - p), np.where(first, q, p))
        started |= nz
        q = np.where(nz, 1.0, q + 1.0)
    F[:, T] = np.where(started, factor * z / p, 0.0)
    return F


def croston_lifecycle(Y: np.ndarray, alpha: float = 0.1, sba: bool = True) -> np.ndarray:
    """SBA that ignores leading zeros and decays through a long current gap (causal).

    Two biases of plain Croston/SBA on spare parts, both measured on carparts: (1) a part that
    appears late (leading zeros = not yet sold) gets its first interval set to the whole
    pre-launch history, so new parts are forecast near zero while they ramp up; (2) a part
    that stopped selling keeps its old rate forever. Here sizes and intervals are
    exponentially weighted *averages with bias-corrected start* (weights normalised, no
    initial guess), intervals count only gaps between demands, and the interval used is
    ``max(smoothed interval, periods since the last demand)`` (the open gap is a lower bound
    of the current interval). With a single demand so far the interval is the time since it.
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    factor = 1.0 - alpha / 2.0 if sba else 1.0
    F = np.zeros((n, T + 1))
    z_sum = np.zeros(n)
    z_w = np.zeros(n)
    p_sum = np.zeros(n)
    p_w = np.zeros(n)
    q = np.ones(n)  # periods since the last demand, counting the next one
    started = np.zeros(n, dtype=bool)

    def rate() -> np.ndarray:
        z = z_sum / np.maximum(z_w, 1e-12)
        p = np.where(p_w > 0, p_sum / np.maximum(p_w, 1e-12), q)
        return np.where(started, factor * z / np.maximum(np.maximum(p, q), 1.0), 0.0)

    for t in range(T):
        F[:, t] = rate()
        y = Y[:, t]
        nz = y > 0
        upd = nz & started
        z_sum = np.where(nz, (1 - alpha) * z_sum + alpha * y, z_sum)
        z_w = np.where(nz, (1 - alpha) * z_w + alpha, z_w)
        p_sum = np.where(upd, (1 - alpha) * p_sum + alpha * q, p_sum)
        p_w = np.where(upd, (1 - alpha) * p_w + alpha, p_w)
        started |= nz
        q = np.where(nz, 1.0, q + 1.0)
    F[:, T] = rate()
    return F


def tsb(
    Y: np.ndarray, alpha_d: float = 0.1, alpha_p: float = 0.1, init_periods: int | None = None
) -> np.ndarray:
    """Teunter-Syntetos-Babai: smooth the demand probability every period, the size on demand.

    Unlike Croston it decays towards zero when demand stops (obsolescence).
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    w = _init_window(T, init_periods)
    head = Y[:, :w]
    occ = head > 0
    prob = occ.mean(axis=1) if T else np.zeros(n)
    cnt = occ.sum(axis=1)
    size = np.where(cnt > 0, head.sum(axis=1) / np.maximum(cnt, 1), 0.0)
    F = np.empty((n, T + 1))
    for t in range(T):
        F[:, t] = prob * size
        y = Y[:, t]
        nz = y > 0
        prob = prob + alpha_p * (nz - prob)
        size = np.where(nz, np.where(size > 0, size + alpha_d * (y - size), y), size)
    F[:, T] = prob * size
    return F


def forecast(Y: np.ndarray, method: Method, alpha: float = 0.1,
             init_periods: int | None = None) -> np.ndarray:
    """Dispatch to one method; see the module docstring for the shape of the result."""
    if method == Method.SES:
        return ses(Y, alpha, init_periods)
    if method in (Method.CROSTON, Method.SBA):
        return croston(Y, alpha, method)
    if method == Method.TSB:
        return tsb(Y, alpha, alpha, init_periods)
    if method == Method.SBA_LIFECYCLE:
        return croston_lifecycle(Y, alpha)
    raise ValueError(f"unknown method {method!r}; valid: {[m.value for m in Method]}")


def forecast_by_method(Y: np.ndarray, methods: np.ndarray, alpha: float = 0.1,
                       init_periods: int | None = None) -> np.ndarray:
    """Forecast each series with its own method (``methods`` holds Method values)."""
    Y = np.asarray(Y, dtype=float)
    F = np.zeros((Y.shape[0], Y.shape[1] + 1))
    for m in Method:
        rows = np.flatnonzero(methods == m)
        if rows.size:
            F[rows] = forecast(Y[rows], m, alpha, init_periods)
    return F
