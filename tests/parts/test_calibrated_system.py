"""The calibrated system view end to end: library, backtest and CLI plan what the benchmark
measures, and the calibration only ever looks at history."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.parts.backtest import backtest
from optimizer.parts.calibrate import TARGET_GRID, calibrate_target, target_grid
from optimizer.parts.coupling import WAREHOUSE_TARGETS
from optimizer.parts.data import read_parts_data
from optimizer.parts.plan import plan_policy
from optimizer.parts.policy import SeriesInputs


def test_target_grid_scales_with_the_goal() -> None:
    assert target_grid(0.01) == TARGET_GRID
    grid = target_grid(0.02)
    assert grid[0] == pytest.approx(0.06) and grid[-1] == pytest.approx(0.0004)
    assert all(a > b for a, b in pairwise(grid))


def test_open_cadence_bounds_the_number_of_plans() -> None:
    rng = np.random.default_rng(0)
    Y = rng.poisson(0.3, (30, 300)).astype(float)  # daily-like: a 100-period holdout
    inp = SeriesInputs.uniform(len(Y), 5.0)
    cal = calibrate_target(Y, inp, 0.02, replan_every=None, grid=(0.02, 0.005))
    assert cal.holdout == 100 and cal.replan_every == 5  # ceil(100 / 24)
    held = calibrate_target(Y, inp, 0.02, replan_every=1000, grid=(0.02, 0.005))
    assert held.replan_every == 100  # one plan held over the whole holdout


def test_a_demand_step_is_calibrated_below_the_goal() -> None:
    """Demand stepping up 4x a year before the end of the history: the forecast lags, the
    planned 1 % realises several % in sample, so the calibration plans tighter than the goal
    -- and its pick meets the goal in sample."""
    rng = np.random.default_rng(5)
    rate = np.r_[np.full(36, 0.5), np.full(12, 2.0)]
    Y = rng.poisson(np.ones((120, 1)) * rate[None, :]).astype(float)
    cal = calibrate_target(Y, SeriesInputs.uniform(len(Y), 1.0), 0.01)
    realised = dict(zip(cal.grid, cal.realised, strict=True))
    assert realised[0.01] > 0.01
    assert cal.planned_target < 0.01 and cal.expected_realised <= 0.01


def test_plan_policy_calibrated_is_the_system_view_at_the_planned_target(data_dir) -> None:
    data = read_parts_data(data_dir)
    res = plan_policy(data, system_target=0.02, calibrate=True)
    cal = res.calibration
    assert cal is not None and cal.goal == 0.02 and cal.holdout > 0
    assert res.warehouse_target in WAREHOUSE_TARGETS  # the data has two echelons
    same = plan_policy(data, system_target=cal.planned_target,
                       warehouse_target=res.warehouse_target)
    pd.testing.assert_frame_equal(res.table, same.table)
    with pytest.raises(ValueError, match="system_target"):
        plan_policy(data, calibrate=True)
    with pytest.raises(ValueError, match="not both"):
        plan_policy(data, system_target=0.01, budget=1000.0)


def test_backtest_calibrates_on_the_training_part_only(make_data_dir) -> None:
    base = make_data_dir("base")
    demand = pd.read_csv(base / "demand.csv")
    late = pd.to_datetime(demand["date"]) > "2026-04-30"
    surge = demand.assign(qty=np.where(late, demand["qty"] * 5, demand["qty"]))
    other = make_data_dir("surge", surge)
    runs = [backtest(read_parts_data(d), "2026-04-30", system_target=0.02, calibrate=True,
                     replan_every=10) for d in (base, other)]
    a, b = (r.calibration for r in runs)
    assert a is not None and b is not None
    assert (a.planned_target, a.realised, a.on_hand) == (b.planned_target, b.realised, b.on_hand)
    assert a.replan_every == 10
    assert runs[0].summary["planned_system_target"] == a.planned_target
    assert runs[0].summary["target_stockout_rate"] == 0.02
    assert runs[1].summary["demand_units"] > runs[0].summary["demand_units"]


def test_backtest_plans_the_system_view_at_a_target_or_a_budget(data_dir) -> None:
    data = read_parts_data(data_dir)
    per_part = backtest(data, "2026-04-30", sampled_lead_times=False)
    small = backtest(data, "2026-04-30", sampled_lead_times=False, budget=500.0)
    assert small.summary["budget"] == 500.0
    assert small.summary["avg_on_hand_value"] < per_part.summary["avg_on_hand_value"]
    with pytest.raises(InputError, match="not both"):
        backtest(data, "2026-04-30", system_target=0.01, budget=100.0)
    with pytest.raises(InputError, match="system_target"):
        backtest(data, "2026-04-30", calibrate=True)


def test_cli_calibrate(data_dir, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["parts", "policy", str(data_dir), "-o", str(tmp_path / "o"), "--calibrate",
              "--per-item"])
    assert exc.value.code == 2
    assert "--calibrate needs an overall target" in capsys.readouterr().err
    assert main(["parts", "backtest", str(data_dir), "--train-until", "2026-04-30",
                 "--system-target", "0.02", "--calibrate"]) == 0
    captured = capsys.readouterr()
    assert "calibration: planned overall target" in captured.out
    assert "planned_system_target" in captured.out
    assert "calibrating: in-sample plan 1/" in captured.err  # progress on stderr
    assert main(["parts", "policy", str(data_dir), "-o", str(tmp_path / "o"),
                 "--system-target", "0.02", "--calibrate"]) == 0
    out = capsys.readouterr().out
    assert "calibration: planned overall target" in out and "budget_factor" in out


def test_the_headline_stockout_rate_counts_customer_demand_once(data_dir) -> None:
    """Two echelons: the warehouse's demand is its depots' replenishment, the same customer
    units again; the headline rate is over the depots' (customers') units only."""
    from optimizer.parts.series import compile_series

    data = read_parts_data(data_dir)
    share = compile_series(data).customer_share()
    cs = compile_series(data)
    at_wh = (cs.keys["location"] == "WH-CENTRAL").to_numpy()
    assert (share[at_wh] == 0).all() and (share[~at_wh] == 1).all()
    res = backtest(data, "2026-04-30", sampled_lead_times=False, system_target=0.2)
    per = res.per_series
    depots = per["location"] != "WH-CENTRAL"
    expected = per.loc[depots, "short"].sum() / per.loc[depots, "demand"].sum()
    assert res.summary["stockout_rate"] == pytest.approx(expected)
    everything = per["short"].sum() / per["demand"].sum()
    assert res.summary["stockout_rate_all_locations"] == pytest.approx(everything)
    assert res.summary["customer_demand_units"] == per.loc[depots, "demand"].sum()
    assert res.by_class["demand"].sum() == pytest.approx(per.loc[depots, "demand"].sum())
