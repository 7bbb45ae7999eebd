"""Policies, system view, METRIC and transfers: hand cases and invariants, judged by backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from optimizer.parts.classify import DemandClass
from optimizer.parts.echelon import expected_delay, plan_multi_echelon
from optimizer.parts.leadtime_demand import DemandModel, Distribution
from optimizer.parts.policy import (
    PolicyKind,
    SeriesInputs,
    fill_rate,
    min_reorder_point,
    plan_policies,
)
from optimizer.parts.simulate import simulate
from optimizer.parts.system import budget_what_if, optimise_system
from optimizer.parts.transfers import suggest_transfers


def poisson_model(rate: np.ndarray) -> DemandModel:
    n = len(rate)
    return DemandModel(rate=rate, vmr=np.ones(n), lead_time_var=np.zeros(n),
                       kind=np.full(n, Distribution.POISSON, dtype=object))


def test_base_stock_level_by_hand() -> None:
    """Poisson 1/period, L = 1, R = 1: least S with 1 - fill <= 1%, by direct sums."""
    model = poisson_model(np.array([1.0]))
    inp = SeriesInputs.uniform(1, 1.0)
    s = min_reorder_point(model, inp, np.ones(1), np.array([0.01]))
    k = np.arange(60)

    def short(S: int) -> float:
        return float((np.maximum(k - S, 0) * (stats.poisson.pmf(k, 2.0)
                                                - stats.poisson.pmf(k, 1.0))).sum())

    S = int(s[0]) + 1
    assert short(S) <= 0.01 < short(S - 1)
    assert fill_rate(model, inp, s, np.ones(1))[0] >= 0.99


def test_more_lead_time_or_tighter_target_needs_more_stock() -> None:
    model = poisson_model(np.full(3, 2.0))
    inp = SeriesInputs.uniform(3, np.array([1.0, 3.0, 1.0]))
    s = min_reorder_point(model, inp, np.ones(3), np.array([0.05, 0.05, 0.001]))
    assert s[1] > s[0] and s[2] > s[0]


@pytest.fixture(scope="module")
def poisson_history() -> np.ndarray:
    rng = np.random.default_rng(11)
    rates = np.repeat([0.3, 1.0, 3.0], 100)
    return rng.poisson(rates[:, None], (300, 400)).astype(float)


def test_policy_meets_target_in_backtest(poisson_history: np.ndarray) -> None:
    """Planned on 200 periods of Poisson demand, replayed on 200 more: ~1% stockout."""
    Y = poisson_history
    inp = SeriesInputs.uniform(len(Y), 2.0)
    t = plan_policies(Y[:, :200], inp)
    assert set(t.kind) == {PolicyKind.BASE_STOCK}
    assert np.all(t.expected_stockout_rate <= 0.01 + 1e-12)
    r = simulate(Y[:, 200:], t.kind, t.reorder_point, t.order_up_to, t.order_qty, t.review,
                 np.full(len(Y), 2))
    realised = r.summary()["stockout_rate"]
    assert realised <= 0.02  # target 1%, sampling noise over 200 periods
    loose = plan_policies(Y[:, :200], inp, target=np.full(len(Y), 0.2))
    assert loose.order_up_to.sum() < t.order_up_to.sum()


def test_lot_sizes_follow_costs_and_packs() -> None:
    rng = np.random.default_rng(2)
    Y = rng.poisson(5.0, (2, 120)).astype(float)
    inp = SeriesInputs.uniform(2, 2.0, review=1.0, order_cost=50.0, holding_cost=0.01,
                               pack_size=np.array([1, 12]), moq=np.array([1, 24]))
    t = plan_policies(Y, inp)
    assert list(t.kind) == [PolicyKind.S_Q, PolicyKind.S_Q]
    assert t.order_qty[1] % 12 == 0 and t.order_qty[1] >= 24
    assert t.order_qty[0] > 5  # EOQ = sqrt(2*50*5/0.01) ~ 224, among 0.5x..2x
    review = plan_policies(Y, SeriesInputs.uniform(2, 2.0, review=7.0, order_cost=50.0,
                                                   holding_cost=0.01))
    assert set(review.kind) == {PolicyKind.S_S}


def test_classes_and_reasons_are_reported() -> None:
    Y = np.array([[0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0] * 3, [2, 3, 2, 3] * 9], dtype=float)
    t = plan_policies(Y, SeriesInputs.uniform(2, 1.0))
    assert list(t.demand_class) == [DemandClass.INTERMITTENT, DemandClass.SMOOTH]
    assert "sba" in t.reason[0] and "ses" in t.reason[1]


def test_system_view_meets_overall_target_and_budget_what_if(poisson_history) -> None:
    Y = poisson_history[:, :200]
    inp = SeriesInputs.uniform(len(Y), 2.0, unit_cost=np.repeat([5.0, 1.0, 20.0], 100))
    t = plan_policies(Y, inp)
    sys_t, curve = optimise_system(t, t.model, inp, target_stockout_rate=0.01)
    demand = t.rate * inp.review
    overall = (sys_t.expected_stockout_rate * demand).sum() / demand.sum()
    assert overall <= 0.01 + 1e-9
    # pooling the target is never dearer than meeting it in every series
    assert sys_t.investment.sum() <= t.investment.sum() + 1e-9
    budget = sys_t.investment.sum()
    rates = budget_what_if(curve, np.array([0.8, 0.9, 1.0]) * budget)
    assert rates[0] >= rates[1] >= rates[2]
    assert rates[2] <= 0.01 + 1e-9


def test_criticality_weight_buys_service() -> None:
    rng = np.random.default_rng(5)
    Y = np.repeat(rng.poisson(1.0, (1, 300)).astype(float), 2, axis=0)
    inp = SeriesInputs.uniform(2, 2.0)
    inp = SeriesInputs(**{**inp.__dict__, "weight": np.array([10.0, 1.0])})
    t = plan_policies(Y, inp)
    sys_t, _ = optimise_system(t, t.model, inp, target_stockout_rate=0.05)
    assert sys_t.reorder_point[0] >= sys_t.reorder_point[1]
    assert sys_t.expected_stockout_rate[0] <= sys_t.expected_stockout_rate[1]


def test_metric_delay_adds_to_child_lead_time() -> None:
    rng = np.random.default_rng(9)
    child = rng.poisson(1.0, (2, 200)).astype(float)
    demand = np.vstack([child.sum(axis=0), child])  # row 0: warehouse
    inp = SeriesInputs.uniform(3, np.array([3.0, 1.0, 1.0]))
    table, eff, delay = plan_multi_echelon(demand, inp, np.array([0, 1, 1]),
                                           np.array([-1, 0, 0]))
    assert delay[0] == 0 and np.all(delay[1:] == delay[1]) and delay[1] > 0
    assert np.all(eff[1:] == 1.0 + delay[1:])
    assert delay[1] < 0.05  # a warehouse at ~1% stockout delays little
    # a starved warehouse (S = 0) delays by about its whole lead time
    starved = table.__class__(**{**table.__dict__, "reorder_point": np.array([-1.0, 0, 0]),
                                 "order_up_to": np.array([0.0, 1, 1])})
    sub = SeriesInputs.uniform(1, 3.0)
    from optimizer.parts.policy import plan_policies as pp
    t0 = pp(demand[:1], sub)
    t0 = t0.__class__(**{**t0.__dict__, "reorder_point": np.array([-1.0]),
                         "order_up_to": np.array([0.0])})
    assert expected_delay(t0.model, sub, t0)[0] == pytest.approx(3.5, rel=0.05)
    del starved


def test_transfer_when_one_depot_short_and_another_over() -> None:
    pos = pd.DataFrame({
        "location": ["D-A", "D-B", "D-C"], "part": "P-1", "kind": "depot",
        "supplied_by": "WH", "on_hand": [0.0, 9.0, 4.0], "position": [0.0, 9.0, 4.0],
        "reorder_point": [2.0, 2.0, 2.0], "order_up_to": [5.0, 5.0, 5.0],
        "effective_lead_time_days": [4.0, 4.0, 4.0],
    })
    tr = suggest_transfers(pos, transfer_days=1.0)
    assert tr[["location", "source", "qty", "kind"]].values.tolist() == [
        ["D-A", "D-B", 4, "transfer"]]  # D-B holds 4 above S; D-C none
    assert suggest_transfers(pos, transfer_days=5.0).empty  # waiting is faster
