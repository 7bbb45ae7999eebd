"""Classification, forecasts and lead-time demand distributions against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from optimizer.parts.classify import AbcClass, DemandClass, adi_cv2, classify_abc, classify_sbc
from optimizer.parts.forecast import Method, croston, ses, tsb
from optimizer.parts.leadtime_demand import bootstrap_sums, nb_loss, nb_ppf


def test_sbc_classes_by_hand() -> None:
    Y = np.array([
        [2, 2, 2, 2, 2, 2],  # ADI 1, CV² 0 -> smooth
        [1, 9, 1, 9, 1, 9],  # ADI 1, sizes vary a lot -> erratic
        [0, 0, 2, 0, 0, 2],  # ADI 3, CV² 0 -> intermittent
        [0, 0, 1, 0, 0, 9],  # ADI 3, CV² 2*(4^2)/25 = 1.28 -> lumpy
        [0, 0, 0, 0, 0, 3],  # one demand -> none
    ])
    adi, cv2, _ = adi_cv2(Y)
    assert adi[2] == pytest.approx(3.0)
    assert cv2[3] == pytest.approx(32 / 25)
    assert list(classify_sbc(Y)) == [DemandClass.SMOOTH, DemandClass.ERRATIC,
                                     DemandClass.INTERMITTENT, DemandClass.LUMPY,
                                     DemandClass.NONE]


def test_abc_by_value() -> None:
    out = classify_abc(np.array([10.0, 70.0, 5.0, 15.0]))
    assert list(out) == [AbcClass.B, AbcClass.A, AbcClass.C, AbcClass.A]


def test_ses_by_hand() -> None:
    F = ses(np.array([[4.0, 0.0]]), alpha=0.5, init_periods=1)
    assert F[0].tolist() == [4.0, 4.0, 2.0]


def test_croston_and_sba_by_hand() -> None:
    Y = np.array([[0.0, 4.0, 0.0, 0.0, 2.0]])
    F = croston(Y, alpha=0.5, variant=Method.CROSTON)
    # first demand at t=1: z=4, p=2 -> 2; next at t=4 after 3 periods: z=3, p=2.5 -> 1.2
    assert F[0].tolist() == pytest.approx([0, 0, 2, 2, 2, 1.2])
    S = croston(Y, alpha=0.5, variant=Method.SBA)
    assert S[0, -1] == pytest.approx(1.2 * 0.75)


def test_tsb_decays_without_demand() -> None:
    F = tsb(np.array([[3.0, 3.0, 0.0, 0.0, 0.0, 0.0]]), 0.2, 0.2, init_periods=2)
    assert F[0, 0] == pytest.approx(3.0)
    assert np.all(np.diff(F[0, 2:]) < 0)


@given(st.lists(st.integers(0, 20), min_size=3, max_size=40))
@settings(max_examples=40, deadline=None)
def test_forecasts_are_nonnegative_and_bounded(values: list[int]) -> None:
    Y = np.array([values], dtype=float)
    for f in (ses(Y), croston(Y), tsb(Y)):
        assert np.all(f >= 0) and np.all(f <= max(values) + 1e-9)


@pytest.mark.parametrize(("mean", "var"), [(0.3, 0.3), (2.0, 5.0), (7.5, 30.0), (0.05, 0.2)])
def test_nb_loss_matches_direct_sum(mean: float, var: float) -> None:
    k = np.arange(0, 400)
    if var <= mean:
        pmf = stats.poisson.pmf(k, mean)
    else:
        p = mean / var
        pmf = stats.nbinom.pmf(k, mean * p / (1 - p), p)
    for S in range(0, 12):
        direct = (np.maximum(k - S, 0) * pmf).sum()
        assert nb_loss(np.array([mean]), np.array([var]), np.array([S]))[0] == pytest.approx(
            direct, abs=1e-10)
    assert nb_loss(np.array([mean]), np.array([var]), np.array([-2]))[0] == pytest.approx(
        mean + 2)


def test_nb_ppf_is_the_quantile() -> None:
    q = nb_ppf(0.99, np.array([2.0, 2.0]), np.array([2.0, 6.0]))
    assert q[0] == stats.poisson.ppf(0.99, 2.0)
    assert q[1] > q[0]


def test_bootstrap_sums_draw_from_history() -> None:
    hist = np.array([[0.0, 0.0, 5.0], [1.0, 1.0, 1.0]])
    long, short = bootstrap_sums(hist, np.array([2.0, 3.0]), np.array([1.0, 1.0]),
                                 scale=np.ones(2), seed=1, n_samples=500)
    assert set(np.unique(long[0])) <= {0.0, 5.0, 10.0}
    assert np.all(long[1] == 3.0) and np.all(short[1] == 1.0)
    assert np.all(short <= long)
    assert long[0].mean() == pytest.approx(2 * 5 / 3, rel=0.15)
