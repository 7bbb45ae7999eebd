"""The textbook policies a planner could run instead of ours, each with one safety parameter.

Every peer turns a history ``H`` (n, T) and the series' inputs into a *level* per grid value
of its parameter, shape (G, n): the order-up-to level of a base-stock policy, i.e. a
quantile (or mean + k sigma) of demand over the risk horizon ``h = L + R`` periods. The
benchmark orders with reorder point ``level - 1`` and the lot size every peer shares
(:func:`peer_lot`: one-for-one where the EOQ is below 1.5 units with unit packs, else the
EOQ rounded to pack and MOQ, as our engine's), and sweeps the grid.

Peers (the issue's list):

* ``normal``: mean and std of the per-period history, ``S = h mu + k sqrt(h sigma^2 +
  mu^2 sigma_L^2)`` (lead-time variance included); ``normal_ses``: the same around SES
  (alpha 0.1) with the std of its one-step errors;
* ``poisson_sba``: Poisson with the SBA rate (alpha 0.1), quantile ``q``;
* ``nb_sba`` / ``nb_tsb``: negative binomial with the SBA / TSB rate and the history's
  variance-to-mean ratio (plus lead-time variance), quantile ``q``;
* ``empirical``: quantile ``q`` of the history's overlapping ``h``-period sums;
* ``bootstrap``: Willemain, Smart & Schwarz (2004): a two-state Markov chain of demand
  occurrence, sizes resampled from the history with jitter ``1 + int(x + z sqrt(x))``,
  quantile ``q`` of the simulated ``h``-period sums;
* statsforecast's ``CrostonSBA``, ``TSB``, ``ADIDA``, ``IMAPA``: ``sf_<model>_conformal``
  sums the model's conformal upper bounds (statsforecast ``ConformalIntervals``) over the
  ``h`` steps at level ``q`` (on daily and weekly data only: on monthly histories of 16-56
  periods there are two to five windows, the levels collapse onto a handful of values, and
  the refits cost most of the benchmark); ``sf_<model>_nb`` puts the negative binomial of
  ``nb_sba`` around the model's ``h``-step forecast, on every data set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from optimizer.parts.forecast import croston, ses, tsb
from optimizer.parts.policy import SeriesInputs, round_lot

#: Service quantiles swept by the quantile peers (fine near 1).
Q_GRID = np.unique(np.round(1 - np.geomspace(0.5, 1e-7, 110), 9))
#: Safety factors swept by the normal peers.
K_GRID = np.round(np.arange(0.0, 12.01, 0.1), 2)
#: Conformal levels (percent) swept by the statsforecast peers.
LEVELS = (50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 88.0, 90.0, 92.0, 94.0, 95.0, 96.0, 97.0,
          98.0, 98.5, 99.0, 99.3, 99.5, 99.7, 99.8, 99.9)
BOOTSTRAP_SAMPLES = 400
SF_MODELS = ("CrostonSBA", "TSB", "ADIDA", "IMAPA")
#: Widest pmf table (units) of the fast negative-binomial quantiles; wider goes to scipy.
PMF_CAP = 3000
#: Most conformal windows of the statsforecast peers.
CONFORMAL_WINDOWS = 5


@dataclass(frozen=True)
class Peer:
    name: str
    param: str  # its one safety parameter
    grid: np.ndarray


def horizon(inputs: SeriesInputs) -> np.ndarray:
    """Risk horizon ``L + R`` in whole periods (at least 1)."""
    return np.maximum(np.ceil(inputs.lead_time + inputs.review - 1e-9), 1).astype(int)


def peer_lot(H: np.ndarray, inputs: SeriesInputs) -> np.ndarray:
    """Lot size every peer uses: one-for-one for slow movers with unit packs, else EOQ."""
    rate = H.mean(axis=1)
    eoq = np.sqrt(np.divide(2 * inputs.order_cost * rate, inputs.holding_cost,
                            out=np.zeros(len(rate)), where=inputs.holding_cost > 0))
    base = (inputs.pack_size <= 1) & (inputs.moq <= 1) & (eoq < 1.5)
    return np.where(base, 1.0, round_lot(np.maximum(eoq, 1.0), inputs.pack_size, inputs.moq))


def _nb_ppf(q: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """(G, n) quantiles of a negative binomial (Poisson where var <= mean).

    From the pmf summed up to ``mean + 30 sd + 20`` per series (scipy's ``ppf`` inverts the
    cdf numerically point by point, most of the benchmark's time); a level beyond that
    point (a tail probability below what the sum resolves) takes the cap. Series whose cap
    exceeds :data:`PMF_CAP` units (long weekly horizons of busy parts: the table would be
    most of the time and memory) go to scipy's search, as do those whose pmf underflows."""
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    var = np.maximum(np.asarray(var, dtype=float), mean)
    n = len(mean)
    out = np.zeros((len(q), n))
    pos = np.flatnonzero(mean > 1e-12)
    if pos.size == 0:
        return out
    cap = np.ceil(mean + 30 * np.sqrt(var) + 20).astype(int)
    wide = pos[cap[pos] > PMF_CAP]
    if wide.size:
        out[:, wide] = _scipy_ppf(q, mean[wide], var[wide])
    pos = pos[cap[pos] <= PMF_CAP]
    pos = pos[np.argsort(cap[pos])]
    start = 0
    while start < pos.size:
        width = int(cap[pos[min(pos.size - 1, start + max(1, int(2e7 // cap[pos[start]])) - 1)]])
        rows = pos[start:][cap[pos[start:]] <= width][: max(1, int(2e7 // width))]
        start += len(rows)
        k = np.arange(width + 1, dtype=float)[None, :]
        m, v = mean[rows][:, None], var[rows][:, None]
        pois = v <= m * (1 + 1e-6)
        p = np.where(pois, 0.5, m / v)
        r = np.where(pois, 1.0, m * p / (1 - p))
        # pmf ratios p(k) / p(k-1): (k-1+r)(1-p)/k, Poisson m/k
        kk = k[:, 1:]
        ratio = np.where(pois, m / kk, (kk - 1 + r) * (1 - p) / kk)
        first = np.where(pois, np.exp(-m), np.exp(r * np.log(p)))
        with np.errstate(over="ignore", invalid="ignore"):  # underflowed rows: see below
            pmf = np.concatenate([first, first * np.cumprod(ratio, axis=1)], axis=1)
            cdf = np.cumsum(pmf, axis=1)
        for j, row in enumerate(rows):
            out[:, row] = np.minimum(np.searchsorted(cdf[j], q - 1e-12), cap[row])
        low = rows[first[:, 0] < 1e-250]  # the pmf's start underflows: scipy's search
        if low.size:
            out[:, low] = _scipy_ppf(q, mean[low], var[low])
    return out


def _scipy_ppf(q: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    mm, vv = mean[None, :], var[None, :]
    qq = np.broadcast_to(q[:, None], (len(q), len(mean)))
    pp = mm / vv
    return np.where(vv <= mm * (1 + 1e-6), stats.poisson.ppf(qq, mm),
                    stats.nbinom.ppf(qq, mm * pp / np.maximum(1 - pp, 1e-300), pp))


def _vmr(H: np.ndarray) -> np.ndarray:
    m = H.mean(axis=1)
    v = H.var(axis=1, ddof=1) if H.shape[1] > 1 else m
    return np.maximum(np.divide(v, m, out=np.ones(len(m)), where=m > 0), 1.0)


def normal_levels(H: np.ndarray, inputs: SeriesInputs, smoothed: bool = False,
                  k: np.ndarray = K_GRID) -> np.ndarray:
    h = horizon(inputs)
    if smoothed:
        F = ses(H, 0.1)
        mu = F[:, -1]
        err = H[:, 1:] - F[:, 1:-1]
        sd = np.sqrt((err**2).mean(axis=1)) if H.shape[1] > 1 else np.sqrt(mu)
    else:
        mu = H.mean(axis=1)
        sd = H.std(axis=1, ddof=1) if H.shape[1] > 1 else np.sqrt(mu)
    sigma = np.sqrt(h * sd**2 + mu**2 * inputs.lead_time_std**2)
    return np.ceil(h * mu + k[:, None] * sigma[None, :] - 1e-9)


def poisson_levels(H: np.ndarray, inputs: SeriesInputs) -> np.ndarray:
    mu = croston(H, 0.1)[:, -1] * horizon(inputs)
    return _nb_ppf(Q_GRID, mu, mu)


def nb_levels(H: np.ndarray, inputs: SeriesInputs, rate: np.ndarray) -> np.ndarray:
    h = horizon(inputs)
    mu = rate * h
    var = _vmr(H) * mu + rate**2 * inputs.lead_time_std**2
    return _nb_ppf(Q_GRID, mu, var)


def empirical_levels(H: np.ndarray, inputs: SeriesInputs) -> np.ndarray:
    """Quantiles of the overlapping ``h``-period sums of the history."""
    n, T = H.shape
    h = np.minimum(horizon(inputs), max(T, 1))
    C = np.concatenate([np.zeros((n, 1)), np.cumsum(H, axis=1)], axis=1)
    out = np.zeros((len(Q_GRID), n))
    for k in np.unique(h):
        rows = np.flatnonzero(h == k)
        sums = C[rows, k:] - C[rows, :-k]
        out[:, rows] = np.quantile(sums, Q_GRID, axis=1, method="inverted_cdf")
    return out


def bootstrap_levels(H: np.ndarray, inputs: SeriesInputs, seed: int = 0,
                     samples: int = BOOTSTRAP_SAMPLES) -> np.ndarray:
    """Willemain et al. (2004): Markov occurrence, jittered resampled sizes; quantiles."""
    rng = np.random.default_rng(seed)
    n = H.shape[0]
    h = horizon(inputs)
    out = np.zeros((len(Q_GRID), n))
    nz = H > 0
    prev, cur = nz[:, :-1], nz[:, 1:]
    n01 = (~prev & cur).sum(axis=1)
    n0 = (~prev).sum(axis=1)
    n11 = (prev & cur).sum(axis=1)
    n1 = prev.sum(axis=1)
    rate = nz.mean(axis=1)
    p01 = np.where(n0 > 0, n01 / np.maximum(n0, 1), rate)
    p11 = np.where(n1 > 0, n11 / np.maximum(n1, 1), rate)
    k = nz.sum(axis=1)
    sizes = -np.sort(-np.where(nz, H, 0.0), axis=1)[:, : max(int(k.max(initial=0)), 1)]
    chunk = max(1, int(2e7 // (samples * max(int(h.max()), 1))))
    for a in range(0, n, chunk):
        r = np.arange(a, min(n, a + chunk))
        hm = int(h[r].max())
        state = np.broadcast_to(nz[r, -1][:, None], (len(r), samples)).copy()
        total = np.zeros((len(r), samples))
        for step in range(hm):
            u = rng.random((len(r), samples))
            p = np.where(state, p11[r, None], p01[r, None])
            state = u < p
            pick = np.floor(rng.random((len(r), samples)) * np.maximum(k[r, None], 1)).astype(int)
            x = np.take_along_axis(sizes[r], pick, axis=1)
            jit = 1 + np.floor(x + rng.standard_normal(x.shape) * np.sqrt(x))
            x = np.where(jit > 0, jit, x)
            total += np.where(state & (step < h[r, None]) & (k[r, None] > 0), x, 0.0)
        out[:, r] = np.quantile(total, Q_GRID, axis=1, method="inverted_cdf")
    return out


def sf_levels(H: np.ndarray, inputs: SeriesInputs,
              conformal: bool = True) -> dict[str, np.ndarray]:
    """statsforecast's intermittent models: conformal-sum and NB levels per model.

    ``conformal``: also the conformal intervals (``CONFORMAL_WINDOWS`` cross-validation
    windows at most; each refits the model, the cost of this peer)."""
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonSBA  # benchmark-only, ~5 s
    from statsforecast.utils import ConformalIntervals

    n, T = H.shape
    h = horizon(inputs)
    makers: dict[str, Callable] = {"CrostonSBA": CrostonSBA, "ADIDA": ADIDA, "IMAPA": IMAPA,
                                   "TSB": lambda **kw: TSB(alpha_d=0.1, alpha_p=0.1, **kw)}
    mean = {m: np.zeros(n) for m in SF_MODELS}
    hi = {m: np.zeros((len(LEVELS), n)) for m in SF_MODELS}
    levels = list(LEVELS)
    vmr = _vmr(H)
    cache: dict[tuple[str, int, int], object] = {}
    for i in range(n):
        y = H[i]
        if not (y > 0).any():
            continue
        hk = int(h[i])
        windows = int(min(CONFORMAL_WINDOWS, (T - 2) // hk - 1)) if conformal else 0
        for name in SF_MODELS:
            key = (name, hk, windows)
            if key not in cache:
                cache[key] = makers[name](prediction_intervals=ConformalIntervals(
                    h=hk, n_windows=windows)) if windows >= 2 else makers[name]()
            model = cache[key]
            try:
                res = model.forecast(y=y, h=hk, level=levels) if windows >= 2 \
                    else model.forecast(y=y, h=hk)
            except Exception:  # too short for the conformal windows: point forecast only
                res = makers[name]().forecast(y=y, h=hk)
            mean[name][i] = float(np.sum(res["mean"]))
            for j, lv in enumerate(levels):
                col = f"hi-{lv:g}" if f"hi-{lv:g}" in res else f"hi-{lv}"
                hi[name][j, i] = float(np.sum(res[col])) if col in res else mean[name][i]
    out = {}
    for name in SF_MODELS:
        if conformal:
            out[f"sf_{name}_conformal"] = np.ceil(np.maximum(hi[name], 0.0) - 1e-9)
        mu = np.maximum(mean[name], 0.0)
        rate = mu / h
        out[f"sf_{name}_nb"] = _nb_ppf(Q_GRID, mu, vmr * mu + rate**2 * inputs.lead_time_std**2)
    return out


def peers(with_statsforecast: bool = True, conformal: bool = True) -> list[Peer]:
    out = [Peer("normal", "k", K_GRID), Peer("normal_ses", "k", K_GRID),
           Peer("poisson_sba", "q", Q_GRID), Peer("nb_sba", "q", Q_GRID),
           Peer("nb_tsb", "q", Q_GRID), Peer("empirical", "q", Q_GRID),
           Peer("bootstrap", "q", Q_GRID)]
    if with_statsforecast:
        for m in SF_MODELS:
            if conformal:
                out.append(Peer(f"sf_{m}_conformal", "level", np.array(LEVELS) / 100))
            out.append(Peer(f"sf_{m}_nb", "q", Q_GRID))
    return out


def all_levels(H: np.ndarray, inputs: SeriesInputs, with_statsforecast: bool = True,
               seed: int = 0, conformal: bool = True) -> dict[str, np.ndarray]:
    """Every peer's (G, n) levels planned on history ``H``."""
    out = {
        "normal": normal_levels(H, inputs),
        "normal_ses": normal_levels(H, inputs, smoothed=True),
        "poisson_sba": poisson_levels(H, inputs),
        "nb_sba": nb_levels(H, inputs, croston(H, 0.1)[:, -1]),
        "nb_tsb": nb_levels(H, inputs, tsb(H, 0.1, 0.1)[:, -1]),
        "empirical": empirical_levels(H, inputs),
        "bootstrap": bootstrap_levels(H, inputs, seed),
    }
    if with_statsforecast:
        out.update(sf_levels(H, inputs, conformal))
    return out
