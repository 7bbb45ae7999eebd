"""Period-by-period replay of a two-echelon network: the warehouse ships what it has.

:func:`optimizer.parts.simulate.simulate` replays each series against its own demand, so a
warehouse's shortage reaches its depots only through the METRIC delay planned into their lead
time. Here the coupling is simulated: a depot's replenishment order becomes the warehouse's
demand the next period, the warehouse ships what it has on hand (what it cannot ship it owes
and ships as stock arrives), and the shipment reaches the depot after the depot's sampled
transport lead time. The warehouse's inventory position counts what it owes its depots, a
depot's counts what it ordered and has not received. That is how a real network behaves, and
it judges how well the echelons' stock is split (VARI-METRIC's question) without assuming the
answer.

Order of events in period ``t``:

1. receipts due at ``t`` arrive everywhere;
2. each warehouse serves its own customers' backorders and demand, then ships to its depots
   what they are owed (depots take turns first, rotating by period);
3. each depot serves its backorders, then its customers' demand; the rest is the stockout;
4. at a review (end of the period) every location compares its inventory position with its
   reorder point and orders as :func:`~optimizer.parts.simulate.simulate` does: a
   warehouse from its supplier (arrives at ``t + 1 + lead time``), a depot from its warehouse
   (owed from ``t + 1``, arrives ``lead time`` periods after it is shipped).

Stockout and on hand are measured per series as in :class:`SimResult`; ``demand`` and
``short`` are customer units only (a depot's order is not a customer's).
"""

from __future__ import annotations

import numpy as np

from optimizer.parts.policy import PolicyKind
from optimizer.parts.simulate import SimResult, order_quantity


def _at(a: np.ndarray, t: int) -> np.ndarray:
    return a[:, t] if a.ndim == 2 else a


def sibling_rank(parent_row: np.ndarray) -> np.ndarray:
    """Rank of each series among the series with the same parent (0, 1, ...; -1: no parent)."""
    rank = np.full(len(parent_row), -1)
    seen: dict[int, int] = {}
    for i, p in enumerate(parent_row):
        if p >= 0:
            rank[i] = seen.get(int(p), 0)
            seen[int(p)] = rank[i] + 1
    return rank


def simulate_network(
    demand: np.ndarray,
    parent_row: np.ndarray,
    kind: np.ndarray,
    reorder_point: np.ndarray,
    order_up_to: np.ndarray,
    order_qty: np.ndarray,
    review: np.ndarray,
    lead_time: np.ndarray,
    pack_size: np.ndarray | None = None,
    moq: np.ndarray | None = None,
    unit_cost: np.ndarray | None = None,
    initial_on_hand: np.ndarray | None = None,
    initial_arrivals: np.ndarray | None = None,
) -> SimResult:
    """Replay customer ``demand`` (n, T) of a network whose series ``i`` is supplied by
    series ``parent_row[i]`` (-1: by an outside supplier; parents must not have parents).

    ``lead_time`` (n,) or (n, T) is, per order period, the supplier's lead time for a
    warehouse and the transport time from the warehouse for a depot, in whole periods.
    Policy arrays are (n,) or (n, T); ``initial_arrivals`` (n, P) are receipts already on
    the way (periods 0..P-1); ``initial_on_hand`` defaults to the first order-up-to level
    less that pipeline. Unmet customer demand is backordered.
    """
    demand = np.asarray(demand, dtype=float)
    n, T = demand.shape
    parent = np.asarray(parent_row, dtype=int)
    if (parent >= 0).any() and (parent[parent[parent >= 0]] >= 0).any():
        raise ValueError("simulate_network: two echelons at most (a parent has a parent)")
    child = np.flatnonzero(parent >= 0)
    rank = sibling_rank(parent)
    n_ranks = int(rank.max(initial=-1)) + 1
    lead = np.rint(np.asarray(lead_time)).astype(int)
    lead = np.broadcast_to(lead, (n,) if lead.ndim <= 1 else (n, T))
    ones = np.ones(n)
    pack = ones if pack_size is None else np.asarray(pack_size, dtype=float)
    mq = ones if moq is None else np.asarray(moq, dtype=float)
    cost = ones if unit_cost is None else np.asarray(unit_cost, dtype=float)
    is_q = np.asarray(kind) == PolicyKind.S_Q
    review = np.broadcast_to(np.maximum(np.rint(np.asarray(review, float)).astype(int), 1), (n,))
    s_all = np.asarray(reorder_point, dtype=float)
    S_all = np.asarray(order_up_to, dtype=float)
    Q_all = np.asarray(order_qty, dtype=float)

    init = None if initial_arrivals is None else np.asarray(initial_arrivals, dtype=float)
    horizon = max(T + int(lead.max(initial=0)) + 2, 0 if init is None else init.shape[1])
    arrivals = np.zeros((n, horizon))
    if init is not None:
        arrivals[:, : init.shape[1]] += init
    on_order = arrivals.sum(axis=1)  # ordered, not yet received (a depot's includes owed)
    on_hand = (np.maximum(_at(S_all, 0) - on_order, 0.0) if initial_on_hand is None
               else np.asarray(initial_on_hand, dtype=float).copy())
    backorders = np.zeros(n)  # customer units waiting
    owed = np.zeros(n)  # units a depot ordered that its warehouse has not shipped
    placed = np.zeros(n)  # depot orders placed last period
    short_total = np.zeros(n)
    cycles = np.zeros(n)
    bad_cycles = np.zeros(n)
    flag = np.zeros(n, dtype=bool)
    open_cycle = np.zeros(n, dtype=bool)
    available = np.zeros(n)
    orders = np.zeros(n)
    on_hand_sum = np.zeros(n)
    rows = np.arange(n)

    def serve(d: np.ndarray, sel: np.ndarray) -> None:
        """Backorders first, then the period's customer demand, at the rows ``sel``."""
        take = np.minimum(on_hand[sel], backorders[sel])
        on_hand[sel] -= take
        backorders[sel] -= take
        served = np.minimum(on_hand[sel], d[sel])
        short = d[sel] - served
        on_hand[sel] -= served
        backorders[sel] += short
        short_total[sel] += short
        flag[sel] |= short > 0

    top = np.flatnonzero(parent < 0)
    for t in range(T):
        rec = arrivals[:, t]
        on_hand += rec
        on_order -= rec
        d = demand[:, t]
        serve(d, top)
        # the warehouse ships to its depots, each depot first in turn
        owed[child] += placed[child]
        for r in range(n_ranks):
            sel = child[rank[child] == (r + t) % n_ranks]
            if sel.size == 0:
                continue
            src = parent[sel]
            ship = np.minimum(on_hand[src], owed[sel])
            on_hand[src] -= ship
            owed[sel] -= ship
            go = ship > 0
            if go.any():
                at = np.minimum(t + _at(lead, t)[sel[go]], horizon - 1)
                np.add.at(arrivals, (sel[go], at), ship[go])
        # units the depots now wait for (what each warehouse still owes)
        owed_by_parent = np.zeros(n)
        np.add.at(owed_by_parent, parent[child], owed[child])
        serve(d, child)
        available += on_hand > 0
        open_cycle |= d > 0
        on_hand_sum += on_hand

        due = (t + 1) % review == 0
        s, S, Q = _at(s_all, t), _at(S_all, t), _at(Q_all, t)
        position = on_hand + on_order - backorders - owed_by_parent
        qty = np.where(due, order_quantity(position, s, S, Q, is_q, pack, mq), 0.0)
        go = qty > 0
        placed = np.where(parent >= 0, qty, 0.0)
        sup = go & (parent < 0)
        if sup.any():
            at = np.minimum(t + 1 + _at(lead, t)[sup], horizon - 1)
            np.add.at(arrivals, (rows[sup], at), qty[sup])
        on_order += qty
        orders += go
        cycles += go & open_cycle
        bad_cycles += go & open_cycle & flag
        flag &= ~go
        open_cycle &= ~go
    cycles += open_cycle
    bad_cycles += open_cycle & flag
    avg_units = on_hand_sum / max(T, 1)
    return SimResult(
        demand=demand.sum(axis=1), short=short_total, cycles=cycles, stockout_cycles=bad_cycles,
        available_periods=available, periods=T, orders=orders, on_time_orders=orders.copy(),
        avg_on_hand_units=avg_units, avg_on_hand_value=avg_units * cost,
    )
