"""The parts benchmark's textbook peers: levels checked by hand and their monotone sweep."""

import numpy as np
import pandas as pd
import pytest

from benchmarks import parts_peers as pp
from benchmarks.parts import envelope, verdict
from optimizer.parts.policy import SeriesInputs


def _inputs(n, lead=1.0, std=0.0):
    return SeriesInputs.uniform(n, lead, lead_time_std=std)


def test_empirical_levels_are_quantiles_of_rolling_sums():
    H = np.array([[0, 2, 0, 0, 5, 1, 0, 0]], dtype=float)  # L + R = 2: sums 2,2,0,5,6,1,0
    lv = pp.empirical_levels(H, _inputs(1))
    sums = np.sort([2, 2, 0, 5, 6, 1, 0])
    q = pp.Q_GRID
    expected = sums[np.ceil(q * len(sums)).astype(int) - 1]
    assert np.array_equal(lv[:, 0], expected)


def test_normal_includes_lead_time_variance_and_rises_with_k():
    H = np.tile([1.0, 3.0], 12)[None, :]
    flat = pp.normal_levels(H, _inputs(1, lead=3.0))[:, 0]
    varied = pp.normal_levels(H, _inputs(1, lead=3.0, std=2.0))[:, 0]
    assert flat[0] == 8  # k = 0: h * mean = 4 * 2
    assert np.all(np.diff(flat) >= 0)
    assert varied[-1] > flat[-1]


@pytest.mark.parametrize("fn", [pp.poisson_levels, pp.empirical_levels, pp.bootstrap_levels])
def test_quantile_peers_rise_with_q(fn):
    rng = np.random.default_rng(1)
    H = (rng.random((20, 36)) < 0.3) * rng.integers(1, 6, (20, 36)).astype(float)
    lv = fn(H, _inputs(20, lead=2.0))
    assert lv.shape == (len(pp.Q_GRID), 20)
    assert np.all(np.diff(lv, axis=0) >= 0)


def test_bootstrap_never_draws_demand_of_a_series_without_any():
    H = np.zeros((2, 24))
    H[1, ::4] = 3
    lv = pp.bootstrap_levels(H, _inputs(2, lead=3.0))
    assert np.all(lv[:, 0] == 0)
    assert lv[-1, 1] >= 3


def test_envelope_takes_each_peers_cheapest_point_within_target():
    pts = pd.DataFrame({"peer": ["a", "a", "a", "b", "b"],
                        "stockout": [0.02, 0.009, 0.004, 0.03, 0.015],
                        "value": [10.0, 20.0, 30.0, 5.0, 9.0]})
    best = envelope(pts).set_index("peer")
    assert best.loc["a", "value"] == 20.0 and best.loc["a", "meets"]
    assert best.loc["b", "stockout"] == 0.015 and not best.loc["b", "meets"]
    assert list(envelope(pts)["peer"]) == ["a", "b"]  # peers meeting the target first


def test_verdict_says_by_how_much():
    assert verdict(0.008, 0.85, 0.9) == "stockout met; stock met (<= 0.9x)"
    assert verdict(0.015, 1.08, 1.0) == ("stockout missed by 0.50 pt; stock missed by 8% "
                                         "(<= 1x)")


def test_statsforecast_peers_rise_with_their_parameter():
    pytest.importorskip("statsforecast")
    rng = np.random.default_rng(2)
    H = (rng.random((6, 80)) < 0.2) * rng.integers(1, 4, (6, 80)).astype(float)
    H[0] = 0  # no demand at all: no stock
    out = pp.sf_levels(H, _inputs(6, lead=4.0))
    assert set(out) == {f"sf_{m}_{v}" for m in pp.SF_MODELS for v in ("conformal", "nb")}
    for lv in out.values():
        assert np.all(np.diff(lv, axis=0) >= 0) and np.all(lv[:, 0] == 0)
    assert set(pp.sf_levels(H, _inputs(6, lead=4.0), conformal=False)) == {
        f"sf_{m}_nb" for m in pp.SF_MODELS}


def test_fast_nb_quantiles_equal_scipys():
    from scipy import stats

    rng = np.random.default_rng(4)
    mean = np.r_[np.exp(rng.normal(0, 2, 300)), 800.0, 2500.0]
    var = mean * np.r_[1 + np.exp(rng.normal(0, 1.5, 300)), 1.0, 30.0]
    var[:50] = mean[:50]  # Poisson rows
    got = pp._nb_ppf(pp.Q_GRID, mean, var)
    q = pp.Q_GRID[:, None]
    p = mean / var
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(var <= mean * (1 + 1e-6), stats.poisson.ppf(q, mean),
                       stats.nbinom.ppf(q, mean * p / (1 - p), p))
    cap = np.ceil(mean + 30 * np.sqrt(var) + 20)
    assert np.array_equal(got, np.minimum(ref, cap))
