"""Lead-time demand distributions for spare parts and their loss functions.

A :class:`DemandModel` holds, per series, the per-period demand rate (from the forecast),
the variance-to-mean ratio of demand summed over the risk horizon, estimated from the same
forecast's errors (so dispersion and forecast are consistent), and the lead-time variance.
From it we evaluate the first-order loss ``E[(D_h - S)^+]`` of demand ``D_h`` over ``h``
periods, vectorised over series:

* Poisson: ``E[(D-S)^+] = mu P(D >= S) - S P(D > S)``;
* negative binomial (compound Poisson-logarithmic): the same with ``k p_r(k) = mu p_{r+1}(k-1)``;
* empirical bootstrap: sums of ``h`` periods drawn with replacement from the history, scaled to
  the current forecast, for lumpy series whose sizes no two-moment law fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

from optimizer.parts.classify import DemandClass


class Distribution(StrEnum):
    POISSON = "poisson"
    NEGATIVE_BINOMIAL = "negative_binomial"
    EMPIRICAL = "empirical_bootstrap"


#: Why each distribution is chosen for a series; written into ``policy.csv``.
REASONS = {
    Distribution.POISSON: "variance ~ mean: Poisson",
    Distribution.NEGATIVE_BINOMIAL: "variance > mean: negative binomial (compound Poisson)",
    Distribution.EMPIRICAL: "lumpy sizes: empirical bootstrap of lead-time demand",
}

POISSON_VMR_MAX = 1.05  # a variance-to-mean ratio below this is treated as Poisson
BOOTSTRAP_SAMPLES = 1000


@dataclass(frozen=True)
class DemandModel:
    """Per-series demand model over a risk horizon (all arrays shape (n,))."""

    rate: np.ndarray  # forecast demand per period
    vmr: np.ndarray  # variance-to-mean ratio of demand over the horizon (>= 1)
    lead_time_var: np.ndarray  # variance of the lead time, periods²
    kind: np.ndarray  # Distribution per series
    samples_long: np.ndarray | None = None  # (n, M) bootstrap sums over L+R (EMPIRICAL rows)
    samples_short: np.ndarray | None = None  # (n, M) bootstrap sums over L

    def moments(self, h: np.ndarray, with_lead_time: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of demand over ``h`` periods (plus lead-time variability)."""
        mean = self.rate * h
        var = self.vmr * mean
        if with_lead_time:
            var = var + self.rate**2 * self.lead_time_var
        return mean, np.maximum(var, mean)


def choose_distribution(demand_class: np.ndarray, vmr: np.ndarray,
                        use_bootstrap: bool = False) -> np.ndarray:
    """Poisson when dispersion ~ 1, negative binomial otherwise; bootstrap for lumpy if asked."""
    kind = np.where(vmr <= POISSON_VMR_MAX, Distribution.POISSON,
                    Distribution.NEGATIVE_BINOMIAL).astype(object)
    if use_bootstrap:
        kind[demand_class == DemandClass.LUMPY] = Distribution.EMPIRICAL
    return kind


def nb_loss(mean: np.ndarray, var: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``E[(D-S)^+]`` for D negative binomial (Poisson where ``var <= mean``), integer S."""
    mean = np.asarray(mean, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), mean)
    S = np.asarray(S, dtype=float)
    mean, var, S = np.broadcast_arrays(mean, var, S)
    out = np.maximum(mean - S, 0.0)  # S <= 0 and zero-mean cases
    pos = (S >= 0) & (mean > 0)
    pois = pos & (var <= mean * (1 + 1e-9))
    nb = pos & ~pois
    if pois.any():
        m, s = mean[pois], S[pois]
        out[pois] = m * stats.poisson.sf(s - 1, m) - s * stats.poisson.sf(s, m)
    if nb.any():
        m, v, s = mean[nb], var[nb], S[nb]
        p = m / v
        r = m * p / (1 - p)
        out[nb] = m * stats.nbinom.sf(s - 1, r + 1, p) - s * stats.nbinom.sf(s, r, p)
    return np.maximum(out, 0.0)


def nb_ppf(q: float, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Quantile of the negative binomial (Poisson where var <= mean)."""
    mean = np.asarray(mean, dtype=float)
    var = np.maximum(np.asarray(var, dtype=float), mean)
    out = np.zeros_like(mean)
    pos = mean > 0
    pois = pos & (var <= mean * (1 + 1e-9))
    nb = pos & ~pois
    out[pois] = stats.poisson.ppf(q, mean[pois])
    p = mean[nb] / var[nb]
    out[nb] = stats.nbinom.ppf(q, mean[nb] * p / (1 - p), p)
    return out


def empirical_loss(samples: np.ndarray, S: np.ndarray) -> np.ndarray:
    """``E[(D-S)^+]`` over bootstrap samples (rows = series)."""
    return np.maximum(samples - np.asarray(S, dtype=float)[:, None], 0.0).mean(axis=1)


def bootstrap_sums(history: np.ndarray, h_long: np.ndarray, h_short: np.ndarray,
                   scale: np.ndarray, seed: int = 0,
                   n_samples: int = BOOTSTRAP_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``h`` periods drawn with replacement from each row of ``history``.

    Fractional horizons weight the last drawn period by the fraction. The short sum is the
    prefix of the long one (common random numbers), and both are multiplied by ``scale``.
    """
    rng = np.random.default_rng(seed)
    n, T = history.shape
    hmax = int(np.ceil(max(np.max(h_long, initial=0), 1)))
    idx = rng.integers(0, max(T, 1), size=(n, n_samples, hmax))
    draws = np.take_along_axis(history[:, None, :], idx.reshape(n, -1)[:, None, :], axis=2)
    draws = draws.reshape(n, n_samples, hmax)
    steps = np.arange(hmax)[None, None, :]

    def weights(h: np.ndarray) -> np.ndarray:
        return np.clip(h[:, None, None] - steps, 0.0, 1.0)

    long = (draws * weights(h_long)).sum(axis=2) * scale[:, None]
    short = (draws * weights(h_short)).sum(axis=2) * scale[:, None]
    return long, short


def horizon_loss(model: DemandModel, h: np.ndarray, S: np.ndarray, long: bool,
                 rows: np.ndarray | None = None) -> np.ndarray:
    """``E[(D_h - S)^+]`` for the series ``rows`` (all if None); ``h`` and ``S`` per selected row.

    ``long`` says whether ``h`` is the L+R horizon (bootstrap uses the matching sample set).
    """
    sel = np.arange(len(model.rate)) if rows is None else rows
    h = np.asarray(h, dtype=float)
    S = np.asarray(S, dtype=float)
    mean = model.rate[sel] * h
    var = np.maximum(model.vmr[sel] * mean + model.rate[sel] ** 2 * model.lead_time_var[sel],
                     mean)
    out = nb_loss(mean, var, S)
    emp = model.kind[sel] == Distribution.EMPIRICAL
    if emp.any() and model.samples_long is not None:
        samples = model.samples_long if long else model.samples_short
        assert samples is not None
        out[emp] = empirical_loss(samples[sel[emp]], S[emp])
    return out
