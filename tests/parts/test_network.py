"""The two-echelon replay: by-hand cases and agreement with the single-series replay."""

import numpy as np

from optimizer.parts.network import sibling_rank, simulate_network
from optimizer.parts.simulate import simulate

BASE = np.array(["base_stock"] * 3, dtype=object)


def test_warehouse_shortage_delays_the_depots_by_hand():
    # warehouse 0 (S=2, supplier lead 2), depots 1 and 2 (S=1, transport 1 period)
    demand = np.zeros((3, 6))
    demand[1] = [1, 0, 2, 0, 0, 1]
    demand[2] = [0, 1, 0, 0, 3, 0]
    r = simulate_network(demand, np.array([-1, 0, 0]), BASE, np.array([1.0, 0, 0]),
                         np.array([2.0, 1, 1]), np.zeros(3), np.ones(3), np.array([2, 1, 1]))
    # t2: depot 1 has 1 of 2 (short 1); its order of 2 waits at the empty warehouse until
    # the supplier's unit lands at t4, reaching the depot at t5: its backorder takes it, so
    # t5's demand is short too. Depot 2 gets its t1 order at t3 and is short 2 of 3 at t4.
    assert r.short.tolist() == [0.0, 2.0, 2.0]
    assert r.demand.tolist() == [0.0, 4.0, 4.0]  # customer units only
    assert r.orders.tolist() == [4.0, 3.0, 2.0]


def test_with_ample_warehouse_stock_depots_behave_as_alone():
    rng = np.random.default_rng(3)
    T = 60
    depot_demand = rng.poisson(0.8, size=(2, T)).astype(float)
    demand = np.vstack([np.zeros((1, T)), depot_demand])
    s = np.array([10_000.0, 3, 2])
    S = np.array([10_001.0, 5, 4])
    lead = np.array([5, 2, 3])
    net = simulate_network(demand, np.array([-1, 0, 0]), BASE, s, S, np.zeros(3), np.ones(3),
                           lead)
    # a depot's order ships the next period and arrives `lead` after: 1 + lead as alone
    alone = simulate(depot_demand, BASE[:2], s[1:], S[1:], np.zeros(2), np.ones(2), lead[1:])
    assert np.allclose(net.short[1:], alone.short)
    assert np.allclose(net.avg_on_hand_units[1:], alone.avg_on_hand_units)
    assert net.short[1:].sum() > 0  # the case is not trivial


def test_sibling_rank():
    assert sibling_rank(np.array([-1, 0, 0, -1, 3, 0])).tolist() == [-1, 0, 1, -1, 0, 2]
