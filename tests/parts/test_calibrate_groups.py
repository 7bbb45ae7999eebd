"""Per-group calibration of the system view's planned target."""

from __future__ import annotations

import numpy as np

from optimizer.parts.calibrate import N_GROUPS, calibrate_groups, demand_groups, with_unit_costs
from optimizer.parts.policy import SeriesInputs


def test_demand_groups_bins_and_lumpy() -> None:
    Y = np.zeros((3, 30))
    Y[0, [3, 9]] = 1  # 2 demands, constant size: new part, not lumpy
    Y[1, ::2] = 1  # 15 demands
    Y[2, [1, 5, 9, 20]] = [1, 30, 2, 50]  # 4 demands, very variable sizes: lumpy
    g = demand_groups(Y)
    assert g[0] == 0 and g[1] == 2 * 3 and g[2] == 2 * 1 + 1
    assert np.all((g >= 0) & (g < N_GROUPS))


def test_group_calibration_meets_goal_in_sample() -> None:
    rng = np.random.default_rng(5)
    rates = np.repeat([0.2, 1.0, 3.0], 30)
    Y = rng.poisson(rates[:, None], (90, 36)).astype(float)
    inp = with_unit_costs(SeriesInputs.uniform(len(Y), 1.0))
    cal = calibrate_groups(Y, inp, goal=0.02, holdout=12)
    assert len(cal.targets) == N_GROUPS and cal.holdout == 12
    assert cal.realised <= 0.02 + 1e-12
    assert cal.for_series(Y).shape == (len(Y),)
