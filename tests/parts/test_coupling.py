"""Warehouse target and depots' system view (optimizer.parts.coupling)."""

import numpy as np

from benchmarks import parts_generated
from optimizer.parts.calibrate import calibrate_target
from optimizer.parts.coupling import (
    WAREHOUSE_TARGETS,
    calibrate_network,
    choose_warehouse_target,
    plan_network,
    supplies_others,
)
from optimizer.parts.data import read_parts_data
from optimizer.parts.plan import plan_policy, rebalance
from optimizer.parts.series import compile_series


def test_supplies_others():
    assert supplies_others(np.array([-1, 0, 0, -1])).tolist() == [True, False, False, False]


def test_warehouse_held_at_its_target_and_left_out_of_the_customer_goal(data_dir):
    cs = compile_series(read_parts_data(data_dir))
    wh = supplies_others(cs.parent_row)
    assert wh.any() and (~wh).any()
    loose, tight = plan_network(cs, None, warehouse_target=0.3), plan_network(cs, None,
                                                                            warehouse_target=0.01)
    # a looser warehouse: less stock there, a longer METRIC delay at the depots
    assert (loose.table.reorder_point[wh] <= tight.table.reorder_point[wh]).all()
    assert (loose.effective_lead_time[~wh] >= tight.effective_lead_time[~wh]).all()
    assert (loose.effective_lead_time[~wh] > tight.effective_lead_time[~wh]).any()
    assert (loose.inputs.weight[wh] == 0).all() and (loose.floor[wh] == 0.3).all()
    table, _ = rebalance(loose.table, loose.inputs, 0.001, floor=loose.floor)
    # the system view spends on the depots; each warehouse stays at its own 30 % plan
    assert np.array_equal(table.reorder_point[wh], loose.table.reorder_point[wh])
    assert (table.reorder_point[~wh] >= loose.table.reorder_point[~wh]).all()
    # without a warehouse target nothing changes from the plain METRIC plan
    plain = plan_network(cs, None)
    assert (plain.floor == 1).all() and np.array_equal(plain.inputs.weight, cs.inputs.weight)


def test_warehouse_target_is_the_least_investment_one_and_the_depots_are_calibrated_coupled(
        data_dir, monkeypatch):
    cs = compile_series(read_parts_data(data_dir))
    invest = {}
    for w in WAREHOUSE_TARGETS:
        plan = plan_network(cs, None, warehouse_target=w)
        table, _ = rebalance(plan.table, plan.inputs, 0.01, floor=plan.floor)
        invest[w] = float((table.order_up_to * cs.inputs.unit_cost).sum())
    assert len(set(invest.values())) > 1  # the candidates differ
    assert choose_warehouse_target(cs, None, 0.01) == min(invest, key=invest.get)
    seen = {}

    def spy(Y, inputs, goal, **kw):
        seen.update(kw)
        return calibrate_target(Y, inputs, goal, **{**kw, "grid": (0.02,), "replan_every": 1000})

    monkeypatch.setattr("optimizer.parts.coupling.calibrate_target", spy)
    w, _ = calibrate_network(cs, None, 0.01)
    assert w == min(invest, key=invest.get)
    assert seen["network"] is not None
    assert (seen["floor"][supplies_others(cs.parent_row)] == w).all()


def test_single_echelon_data_has_no_warehouse_target(make_data_dir):
    loc = ("location,kind,supplied_by,lead_time_days_mean,lead_time_days_std,review_days\n"
           "D-NORTH,depot,supplier,7,0,1\nD-EAST,depot,supplier,7,0,1\n")
    data = read_parts_data(make_data_dir(locations=loc, stock="location,part,on_hand\n"))
    res = plan_policy(data, system_target=0.02, calibrate=True, calibration_replan_every=30)
    assert res.warehouse_target is None and res.calibration is not None


def test_coupled_replay_feels_the_warehouse(tmp_path):
    """In the coupled in-sample replay a starved warehouse delays its depots: at the same
    planned depot target, customers see more stockout than with a well-stocked warehouse
    (the single-series replay could not show it: a warehouse's shortage never reaches them)."""
    cs = compile_series(read_parts_data(parts_generated.write(tmp_path)))
    rates = {}
    for w in (0.001, 0.9):
        plan = plan_network(cs, None, warehouse_target=w)
        cal = calibrate_target(cs.demand, plan.inputs, 0.01, grid=(0.01,), replan_every=1000,
                               network=cs.network(), floor=plan.floor, interpolate=False)
        rates[w] = cal.realised[0]
    assert rates[0.9] > rates[0.001]
