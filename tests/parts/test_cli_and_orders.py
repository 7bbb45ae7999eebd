"""Data directory end to end: policy, orders, backtest, and the CLI's outputs and exit codes."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.parts.backtest import backtest
from optimizer.parts.data import read_parts_data
from optimizer.parts.orders import orders_for_today
from optimizer.parts.plan import POLICY_COLUMNS, plan_policy


def test_policy_has_contract_columns_and_covers_warehouse(data_dir) -> None:
    data = read_parts_data(data_dir)
    res = plan_policy(data)
    t = res.table
    assert list(t.columns[: len(POLICY_COLUMNS)]) == POLICY_COLUMNS
    # the warehouse is planned for every part its depots use, on their summed demand
    wh = t[t["location"] == "WH-CENTRAL"].set_index("part")
    assert {"P-0001", "P-0002", "P-0003"} <= set(wh.index)
    assert set(t["policy"]) <= {"base_stock", "s_S", "s_Q"}
    assert (t["investment"] == t["order_up_to"] * t["part"].map(
        {"P-0001": 10, "P-0002": 100, "P-0003": 2})).all()
    depots = t[t["location"] != "WH-CENTRAL"]
    assert (depots["effective_lead_time_days"] >= 2).all()
    assert (t["expected_stockout_rate"] <= 0.01 + 1e-9).all()


def test_orders_round_to_pack_and_include_transfer(data_dir) -> None:
    data = read_parts_data(data_dir)
    orders = orders_for_today(data, plan_policy(data))
    assert list(orders.columns) == ["location", "part", "qty", "source", "kind", "reason"]
    fuse = orders[(orders["part"] == "P-0003") & (orders["kind"] == "replenishment")]
    assert len(fuse) and (fuse["qty"] % 10 == 0).all() and (fuse["qty"] >= 10).all()
    # D-NORTH has no P-0001 while D-EAST holds 120 (S ~ 36): a transfer beats the resupply
    tr = orders[orders["kind"] == "transfer"]
    assert tr[["location", "part", "source"]].values.tolist() == [["D-NORTH", "P-0001", "D-EAST"]]
    assert (orders.loc[orders["kind"] == "replenishment", "source"].isin(
        ["WH-CENTRAL", "supplier"])).all()


def test_backtest_reports_every_figure(data_dir) -> None:
    data = read_parts_data(data_dir)
    res = backtest(data, "2026-02-28", replan_every=30)
    for key in ("stockout_rate", "cycle_service_level", "availability", "on_time_supply",
                "avg_on_hand_value", "orders", "share_series_above_target"):
        assert key in res.summary
    assert 0 <= res.summary["stockout_rate"] <= 1
    assert res.summary["orders"] > 0
    per = res.per_series
    assert (per["short"] <= per["demand"]).all()
    with pytest.raises(Exception, match="train-until"):
        backtest(data, "2030-01-01")


def test_cli_policy_orders_backtest(data_dir, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["parts", "policy", str(data_dir), "-o", str(out), "--parquet"]) == 0
    assert (out / "policy.parquet").exists()
    assert list(pd.read_csv(out / "policy.csv").columns[:12]) == POLICY_COLUMNS
    assert main(["parts", "policy", str(data_dir), "-o", str(out), "--system-target",
                 "0.02"]) == 0
    assert "budget_factor" in capsys.readouterr().out
    assert main(["parts", "orders", str(data_dir), "-o", str(out)]) == 0
    assert (out / "orders.csv").exists()
    assert main(["parts", "backtest", str(data_dir), "--train-until", "2026-04-30"]) == 0
    assert "stockout_rate" in capsys.readouterr().out


def test_cli_bad_data_exits_2_without_traceback(make_data_dir, tmp_path, capsys) -> None:
    d = make_data_dir(demand="date,location,part,qty\n2026-01-01,D-NORTH,P-0001,-3\n")
    out = tmp_path / "o"
    assert main(["parts", "policy", str(d), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "demand.csv row 1" in err and "Traceback" not in err
    assert not (out / "policy.csv").exists()
