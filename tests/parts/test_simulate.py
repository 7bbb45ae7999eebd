"""The backtest's simulator on cases small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.parts.policy import PolicyKind
from optimizer.parts.simulate import UnmetDemand, quoted_lead_time, sample_lead_times, simulate

BASE = PolicyKind.BASE_STOCK


def base_stock(demand, S, lead, **kw):
    n = len(demand)
    S = np.full(n, float(S))
    return simulate(np.array(demand, dtype=float), np.full(n, BASE, dtype=object), S - 1, S,
                    np.zeros(n), np.ones(n), np.full(n, lead), **kw)


def test_enough_stock_never_short() -> None:
    # S = 2, one unit a period, next-period delivery: on hand 2 -> 1 each period, no stockout
    r = base_stock([[1, 1, 1, 1]], S=2, lead=0)
    assert r.short[0] == 0 and r.orders[0] == 4
    assert r.avg_on_hand_units[0] == pytest.approx(1.0)
    assert r.summary()["availability"] == 1.0


def test_backorder_counts_as_stockout_and_is_served_later() -> None:
    # S = 2, demand 3 in period 0: 1 short (backordered). Position -1 -> order 3, arrives t=1,
    # serves the backorder first, on hand 2 again.
    r = base_stock([[3, 0, 0]], S=2, lead=0)
    assert r.short[0] == 1
    assert r.stockout_rate[0] == pytest.approx(1 / 3)
    assert r.avg_on_hand_units[0] == pytest.approx((0 + 2 + 2) / 3)
    assert r.cycles[0] == 1 and r.stockout_cycles[0] == 1


def test_lost_sales_do_not_come_back() -> None:
    # S = 1, lead 1: demand 2 at t=0 loses 1; order of 1 arrives at t=2; demand 1 at t=1 is lost
    back = base_stock([[2, 1, 0, 0]], S=1, lead=1)
    lost = base_stock([[2, 1, 0, 0]], S=1, lead=1, unmet=UnmetDemand.LOST)
    assert lost.short[0] == 2
    assert back.short[0] == 2
    # backorders are served on arrival, lost sales leave the stock on hand
    assert lost.avg_on_hand_units[0] > back.avg_on_hand_units[0]


def test_s_q_orders_in_multiples_rounded_to_pack() -> None:
    # s = 0, Q = 3, pack 4: position 0 -> needs one lot of 3 -> rounded to 4
    r = simulate(np.array([[2.0, 0, 0]]), np.array([PolicyKind.S_Q], dtype=object),
                 np.array([0.0]), np.array([3.0]), np.array([3.0]), np.array([1]), np.array([0]),
                 pack_size=np.array([4]), initial_on_hand=np.array([2.0]))
    assert r.orders[0] == 1
    assert r.avg_on_hand_units[0] == pytest.approx((0 + 4 + 4) / 3)


def test_review_period_and_on_time() -> None:
    # review every 2 periods: orders only at the end of periods 1 and 3; actual 2 > quoted 1
    r = simulate(
        np.array([[1.0, 1, 1, 1]]), np.array([BASE], dtype=object), np.array([4.0]),
        np.array([5.0]), np.array([0.0]), np.array([2]), np.array([2]),
        quoted_lead_time=np.array([1]))
    assert r.orders[0] == 2
    assert r.on_time_orders[0] == 0
    assert r.summary()["on_time_supply"] == 0.0


def test_time_varying_order_up_to() -> None:
    S = np.array([[2.0, 2.0, 5.0, 5.0]])
    r = simulate(np.array([[1.0, 1, 1, 1]]), np.array([BASE], dtype=object), S - 1, S,
                 np.zeros((1, 4)), np.array([1]), np.array([0]))
    # at the end of t=2 the position 1 is raised to 5: on hand 5 at t=3, 4 after its demand
    assert r.avg_on_hand_units[0] == pytest.approx((1 + 1 + 1 + 4) / 4)


def test_sampled_lead_times_are_seeded_and_whole() -> None:
    a = sample_lead_times(np.array([3.0, 10.0]), np.array([1.0, 0.0]), 50, seed=3)
    b = sample_lead_times(np.array([3.0, 10.0]), np.array([1.0, 0.0]), 50, seed=3)
    assert np.array_equal(a, b) and a.dtype.kind == "i"
    assert np.all(a[1] == 10) and a.min() >= 0


@given(st.lists(st.integers(0, 6), min_size=1, max_size=30), st.integers(0, 8),
       st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_nothing_lost(demand: list[int], S: int, lead: int) -> None:
    """Units are conserved and more stock never serves less (backorders)."""
    r = base_stock([demand], S=S, lead=lead)
    r2 = base_stock([demand], S=S + 1, lead=lead)
    assert 0 <= r.short[0] <= sum(demand)
    assert r2.short[0] <= r.short[0]
    assert r.demand[0] == sum(demand)


def test_quoted_lead_time_by_hand() -> None:
    # 95% quantile of N(2, 0.5) = 2 + 1.645 * 0.5 = 2.82 -> quoted 3 whole periods
    q = quoted_lead_time(np.array([2.0, 2.0, 2.2, 10.0]), np.array([0.5, 0.0, 0.0, 2.0]))
    assert q.tolist() == [3.0, 2.0, 3.0, 14.0]  # 10 + 3.29 -> 14
    assert quoted_lead_time(np.array([2.0]), np.array([0.5]), 0.5).tolist() == [2.0]
    with pytest.raises(ValueError):
        quoted_lead_time(np.array([2.0]), np.array([0.5]), 1.0)


def test_on_time_against_the_quote_not_the_mean() -> None:
    # a supplier drawing from its stated distribution meets a 95% quote >= 95% of the time;
    # against its mean lead time it would be "late" about half the time
    actual = sample_lead_times(np.array([10.0]), np.array([2.0]), 20000, seed=3)[0]
    quote = quoted_lead_time(np.array([10.0]), np.array([2.0]))[0]
    share = float((actual <= quote).mean())
    assert 0.95 <= share <= 0.99
    assert float((actual <= 10).mean()) < 0.65
