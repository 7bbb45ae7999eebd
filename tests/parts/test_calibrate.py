"""Lifecycle-aware SBA and the in-sample calibration of the system view's planned target."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.parts.calibrate import calibrate_target, with_unit_costs
from optimizer.parts.forecast import croston, croston_lifecycle
from optimizer.parts.policy import SeriesInputs


def test_lifecycle_sba_ignores_leading_zeros_and_decays() -> None:
    late = np.array([[0.0] * 20 + [2, 0, 2, 0, 2, 0]])  # a new part selling every 2 periods
    F = croston_lifecycle(late, alpha=0.1)
    assert abs(F[0, -2] - 0.95 * 2 / 2) < 1e-9  # rate = SBA factor * size / interval
    assert croston(late, 0.1)[0, -1] < 0.2  # plain SBA takes the launch gap as an interval
    dead = np.array([[3.0, 0, 3, 0, 3] + [0] * 15])
    Fd = croston_lifecycle(dead, alpha=0.1)
    assert Fd[0, -1] < 0.2 * Fd[0, 5]  # decays through the open gap
    assert np.all(croston_lifecycle(np.zeros((1, 5)))[0] == 0)


def test_lifecycle_sba_is_causal() -> None:
    rng = np.random.default_rng(0)
    Y = rng.poisson(0.4, (20, 30)).astype(float)
    full = croston_lifecycle(Y)
    part = croston_lifecycle(Y[:, :18])
    assert np.allclose(full[:, :19], part)


def test_calibration_meets_goal_in_sample_on_poisson() -> None:
    """On stationary Poisson demand the calibrated target is reported with its evidence."""
    rng = np.random.default_rng(3)
    Y = rng.poisson(np.repeat([0.5, 2.0], 40)[:, None], (80, 36)).astype(float)
    inp = with_unit_costs(SeriesInputs.uniform(len(Y), 1.0, unit_cost=7.0))
    assert np.all(inp.unit_cost == 1.0)
    cal = calibrate_target(Y, inp, goal=0.02, holdout=12, interpolate=False, z=0.0)
    assert cal.holdout == 12 and len(cal.realised) == len(cal.grid)
    realised = dict(zip(cal.grid, cal.realised, strict=True))
    assert realised[cal.planned_target] <= 0.02 or cal.planned_target == min(cal.grid)
    looser = [g for g in cal.grid if g > cal.planned_target]
    assert all(realised[g] > 0.02 for g in looser)
    # interpolated: between that grid value and the next looser one, on the goal
    on = calibrate_target(Y, inp, goal=0.02, holdout=12, z=0.0)
    assert on.realised == cal.realised
    nxt = min(looser)
    assert cal.planned_target < on.planned_target < nxt
    assert on.expected_realised == pytest.approx(0.02)
    i, j = cal.grid.index(cal.planned_target), cal.grid.index(nxt)
    assert on.on_hand_value[j] <= on.expected_value <= on.on_hand_value[i]
    # a margin of one standard error over series plans tighter, below the goal in sample
    safe = calibrate_target(Y, inp, goal=0.02, holdout=12, z=1.0)
    assert safe.planned_target < on.planned_target and safe.expected_realised < 0.02
    # tighter planned targets never realise more stockout than looser ones (monotone grid)
    r = np.array(cal.realised)
    assert np.all(np.diff(r) <= 0.01)
    # and hold at least as much stock in sample (the frontier the pick is made on)
    assert len(cal.on_hand) == len(cal.grid)
    assert np.all(np.diff(np.array(cal.on_hand)) >= -1e-9)
    assert cal.on_hand[-1] > cal.on_hand[0]
