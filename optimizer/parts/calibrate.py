"""Calibrate the system view's planned target by a rolling-origin backtest on the history.

The expected overall stockout of the system view is biased low on real demand (forecast
drift, lumpy tails the negative binomial misses, re-planning). Instead of trusting it, replay
the last ``holdout`` periods of the *history* with the policy re-planned every period, for a
grid of planned targets, and keep the loosest planned target whose realised in-sample overall
stockout meets the goal. Only history is used, so applying the result to the future is an
honest out-of-sample test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from optimizer.parts.classify import DemandClass, classify_sbc
from optimizer.parts.network import simulate_network
from optimizer.parts.policy import DEFAULT_CONFIG, PolicyConfig, SeriesInputs, plan_policies
from optimizer.parts.simulate import SimResult, simulate
from optimizer.parts.system import steps_for_target, system_curve

#: Planned overall targets tried for a 1 % goal, loosest first (other goals scale it).
TARGET_GRID = (0.03, 0.02, 0.015, 0.01, 0.007, 0.005, 0.003, 0.002, 0.001, 0.0005, 0.0002)


#: Most (re-)plans of an in-sample backtest when the caller leaves the cadence open.
MAX_PLANS = 24

#: Standard errors of the in-sample rate (over series) kept between it and the goal (the pick
#: is where rate + Z x SE meets it). 0: land on the goal. Z = 1 was measured (docs/parts.md):
#: carparts' standard error is a third of a point (a few lumpy series), the margin bought
#: 0.56 % at 1.16x the envelope where 0 gives 0.92 % at 0.92x; not kept.
CALIBRATION_Z = 0.0


def target_grid(goal: float) -> tuple[float, ...]:
    """:data:`TARGET_GRID` scaled to ``goal`` (3x the goal down to a fiftieth of it)."""
    return tuple(float(f"{g * goal / 0.01:.6g}") for g in TARGET_GRID)


@dataclass(frozen=True)
class Calibration:
    """The planned target to use and the in-sample evidence behind it."""

    planned_target: float
    grid: tuple[float, ...]
    realised: tuple[float, ...]  # in-sample realised overall stockout per grid value
    holdout: int
    on_hand: tuple[float, ...] = ()  # in-sample average on-hand units (sum) per grid value
    replan_every: int = 1  # periods between the in-sample re-plans
    goal: float = 0.01  # the overall stockout rate asked for
    expected_realised: float = float("nan")  # in-sample rate at the planned target (interpolated)
    on_hand_value: tuple[float, ...] = ()  # in-sample average on-hand value per grid value
    expected_value: float = float("nan")  # in-sample on-hand value at the planned target

    def frontier(self) -> str:
        """The in-sample evidence, one line per planned target (for logs and CLI output)."""
        lines = [f"planned {g:<8g} realised in sample {r:.4%}  average on hand {u:,.1f} units"
                 for g, r, u in zip(self.grid, self.realised, self.on_hand, strict=False)]
        return "\n".join(lines)


def system_levels(Y: np.ndarray, inputs: SeriesInputs, targets: tuple[float, ...],
                  config: PolicyConfig = DEFAULT_CONFIG,
                  floor: float | np.ndarray = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Reorder points (len(targets), n) of the system view for each overall target; and lots.
    ``floor``: per-series floor stockout rate of the greedy (see ``system_curve``)."""
    t = plan_policies(Y, inputs, config)
    assert t.model is not None
    lot = t.order_up_to - t.reorder_point
    curve = system_curve(t.model, inputs, lot, floor_stockout_rate=floor)
    s = np.stack([curve.at_step(steps_for_target(curve, g)) for g in targets])
    return s, lot


def initial_arrivals(Y: np.ndarray, start: int, lead: np.ndarray) -> np.ndarray:
    """Pipeline at ``start``: the orders of the last L periods (one-for-one) still on the way."""
    lead = np.rint(lead).astype(int)
    init = np.zeros((len(Y), int(lead.max(initial=0)) + 1))
    for k in range(1, init.shape[1]):
        rows = np.flatnonzero(lead >= k)
        init[rows, k] = Y[rows, start - 1 - lead[rows] + k]
    return init


def calibrate_target(Y: np.ndarray, inputs: SeriesInputs, goal: float = 0.01,
                     holdout: int | None = None, config: PolicyConfig = DEFAULT_CONFIG,
                     grid: tuple[float, ...] | None = None,
                     min_demands: int = 2, replan_every: int | None = 1,
                     progress: Callable[[str], None] | None = None,
                     customer_share: np.ndarray | None = None,
                     network: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     interpolate: bool = True,
                     floor: float | np.ndarray = 1.0, z: float = CALIBRATION_Z) -> Calibration:
    """Loosest planned target of ``grid`` whose in-sample rolling backtest meets ``goal``.

    The history ``Y`` (n, T) is split at ``T - holdout`` (default a third, at least 6
    periods); the holdout is re-planned every ``replan_every`` periods on everything before
    it, as in use (``None``: often enough for :data:`MAX_PLANS` plans, which bounds the cost
    on daily buckets). ``grid`` defaults to :func:`target_grid` of the goal. The realised
    rate is the stockout rate in units, as a backtest reports it (the system view's
    criticality weights shape where the stock goes, not the goal). Only series with
    ``min_demands`` demands before the split take part (the same rule that selects the
    series planned for the future, so new parts do not bias the estimate). ``progress`` gets
    a line per in-sample plan. ``customer_share`` weighs each series' units in the realised
    rate (:meth:`optimizer.parts.series.CompiledSeries.customer_share`: a warehouse's
    replenishment of its depots is not customer demand); default 1 everywhere.

    ``network`` = (customer demand (n, T), parent row (n,), transport lead time (n,))
    replays the in-sample holdout with the echelons coupled
    (:func:`optimizer.parts.network.simulate_network`: a warehouse's shortage delays its
    depots), so the realised rate is the customers' as the network delivers it.
    ``interpolate``: plan between the loosest grid value that meets the goal and the next
    looser one, where the in-sample frontier (linear in the log of the planned target)
    crosses the goal, instead of at the grid value below it. The curve is the in-sample rate
    plus ``z`` standard errors over series (:data:`CALIBRATION_Z`), so that the pick is not
    a coin toss around the goal out of sample. ``floor``: per-series floor
    stockout rate of the system view (a warehouse held at its own target, see
    :mod:`optimizer.parts.coupling`).
    """
    grid = target_grid(goal) if grid is None else tuple(grid)
    Y = np.asarray(Y, dtype=float)
    T = Y.shape[1]
    h = holdout if holdout is not None else max(6, T // 3)
    h = int(min(h, T - 6))
    if h < 3:
        return Calibration(goal, (goal,), (float("nan"),), 0, goal=goal)
    start = T - h
    rows = np.flatnonzero((Y[:, :start] > 0).sum(axis=1) >= min_demands)
    if rows.size == 0:
        return Calibration(goal, (goal,), (float("nan"),), 0, goal=goal)
    every = min(-(-h // MAX_PLANS) if replan_every is None else max(int(replan_every), 1), h)
    w = np.ones(len(rows)) if customer_share is None else np.asarray(customer_share)[rows]
    sub_network = None
    if network is not None:
        own, parent, lead = (np.asarray(a) for a in network)
        remap = np.full(len(Y), -1)
        remap[rows] = np.arange(len(rows))
        sub_parent = np.where(parent[rows] >= 0, remap[np.maximum(parent[rows], 0)], -1)
        sub_network = (own[rows], sub_parent, lead[rows])
        w = np.ones(len(rows))  # the network replay counts customer units only
    realised, held, value, upper = [], [], [], []
    sub_floor = np.broadcast_to(np.asarray(floor, dtype=float), (len(Y),))[rows]
    for r in _rolling_backtest(Y[rows], inputs.take(rows), grid, config, start, every,
                               progress, sub_network, sub_floor):
        rate = float((w * r.short).sum() / max((w * r.demand).sum(), 1e-12))
        realised.append(rate)
        upper.append(rate + z * _ratio_se(w * r.short, w * r.demand))
        held.append(float(r.avg_on_hand_units.sum()))
        value.append(float(r.avg_on_hand_value.sum()))
    ok = [g for g, r in zip(grid, upper, strict=True) if r <= goal]
    planned = max(ok) if ok else min(grid)
    i = grid.index(planned)
    expected, at_value = realised[i], value[i]
    if interpolate and ok:
        planned, f, j = _crossing(grid, upper, planned, goal)
        expected = realised[i] + f * (realised[j] - realised[i])
        at_value = value[i] + f * (value[j] - value[i])
    return Calibration(planned, tuple(grid), tuple(realised), h, tuple(held), every, goal,
                       expected, tuple(value), at_value)


def _ratio_se(short: np.ndarray, demand: np.ndarray) -> float:
    """Standard error over series of the pooled rate sum(short) / sum(demand)."""
    n, total = len(short), float(demand.sum())
    if n < 2 or total <= 0:
        return 0.0
    r = float(short.sum()) / total
    return float(np.sqrt(n / (n - 1) * ((short - r * demand) ** 2).sum()) / total)


def _crossing(grid: tuple[float, ...], curve: list[float], planned: float,
              goal: float) -> tuple[float, float, int]:
    """Where the in-sample ``curve`` crosses ``goal`` between ``planned`` (meets it) and the
    next looser grid value (misses it), linear in log(planned target): (target, fraction of
    the way, index of the looser value)."""
    i = grid.index(planned)
    looser = [j for j, g in enumerate(grid) if g > planned]
    if not looser:
        return planned, 0.0, i
    j = min(looser, key=lambda k: grid[k])
    if curve[j] <= goal or curve[j] <= curve[i]:
        return planned, 0.0, i
    f = (goal - curve[i]) / (curve[j] - curve[i])
    return float(np.exp(np.log(planned) + f * (np.log(grid[j]) - np.log(planned)))), f, j


def _rolling_backtest(Y: np.ndarray, inputs: SeriesInputs, grid: tuple[float, ...],
                      config: PolicyConfig, start: int,
                      replan_every: int = 1,
                      progress: Callable[[str], None] | None = None,
                      network: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                      floor: float | np.ndarray = 1.0) -> Iterator[SimResult]:
    """The in-sample rolling backtest of the calibrations, one result per planned target of
    ``grid``: from ``start`` on, every ``replan_every`` periods are planned on everything
    before them, as in use."""
    n, h = Y.shape[0], Y.shape[1] - start
    s = np.zeros((len(grid), n, h))
    lot = np.ones(n)
    every = max(int(replan_every), 1)
    plans = range(0, h, every)
    for i, k in enumerate(plans):
        levels, lot = system_levels(Y[:, : start + k], inputs, grid, config, floor)
        s[:, :, k: k + every] = levels[:, :, None]
        if progress:
            progress(f"calibrating: in-sample plan {i + 1}/{len(plans)} ({len(grid)} targets, "
                     f"{n} series)")
    init = initial_arrivals(Y, start, inputs.lead_time)
    kind = np.full(n, "base_stock", dtype=object)
    kind[lot > 1] = "s_Q"
    Q = np.where(lot > 1, lot, 0.0)[:, None] * np.ones((1, h))
    for g in range(len(grid)):
        if network is None:
            yield simulate(Y[:, start:], kind, s[g], s[g] + lot[:, None], Q, inputs.review,
                           inputs.lead_time, pack_size=inputs.pack_size, moq=inputs.moq,
                           unit_cost=inputs.unit_cost, initial_arrivals=init)
        else:  # the depots' own transport lead time: the warehouse's delay is simulated
            own, parent, lead = network
            yield simulate_network(own[:, start:], parent, kind, s[g], s[g] + lot[:, None], Q,
                                   inputs.review, lead, pack_size=inputs.pack_size,
                                   moq=inputs.moq, unit_cost=inputs.unit_cost,
                                   initial_arrivals=init)


def with_unit_costs(inputs: SeriesInputs) -> SeriesInputs:
    """Inputs whose unit cost is 1: the system view then minimises stock units (MoS)."""
    return replace(inputs, unit_cost=np.ones(len(inputs.unit_cost)))


#: Bounds of the demand-count bins of :func:`demand_groups` (declared, not tuned).
COUNT_BINS = (4, 7, 13, 25)
N_GROUPS = 2 * (len(COUNT_BINS) + 1)


def demand_groups(Y: np.ndarray) -> np.ndarray:
    """Group per series: bin of the number of demand periods (new parts first) x lumpy or not."""
    k = (np.asarray(Y) > 0).sum(axis=1)
    lumpy = classify_sbc(Y) == DemandClass.LUMPY
    return np.digitize(k, COUNT_BINS) * 2 + lumpy.astype(int)


@dataclass(frozen=True)
class GroupCalibration:
    """A planned target per demand group, from the in-sample rolling backtest."""

    targets: tuple[float, ...]  # per group (N_GROUPS)
    realised: float  # in-sample overall stockout with these targets
    on_hand: float  # in-sample average on-hand units with these targets
    holdout: int

    def for_series(self, Y: np.ndarray) -> np.ndarray:
        """Planned target per series of history ``Y`` (its group's)."""
        return np.asarray(self.targets)[demand_groups(Y)]


def calibrate_groups(Y: np.ndarray, inputs: SeriesInputs, goal: float = 0.01,
                     holdout: int | None = None, config: PolicyConfig = DEFAULT_CONFIG,
                     grid: tuple[float, ...] = TARGET_GRID,
                     min_demands: int = 2) -> GroupCalibration:
    """Planned target per demand group minimising in-sample stock for an overall ``goal``.

    Same rolling in-sample backtest as :func:`calibrate_target`; each grid value's realised
    short units and on hand are summed per group (groups fixed at the split), then a
    Lagrangian sweep picks one grid value per group: least total on hand whose total short
    is within ``goal`` of the demand. Falls back to the tightest value everywhere.
    """
    Y = np.asarray(Y, dtype=float)
    T = Y.shape[1]
    h = int(min(holdout if holdout is not None else max(6, T // 3), T - 6))
    start = T - h
    rows = np.flatnonzero((Y[:, :max(start, 0)] > 0).sum(axis=1) >= min_demands)
    tight = tuple([min(grid)] * N_GROUPS)
    if h < 3 or rows.size == 0:
        return GroupCalibration(tight, float("nan"), float("nan"), 0)
    Y = Y[rows]
    group = demand_groups(Y[:, :start])
    short = np.zeros((len(grid), N_GROUPS))
    held = np.zeros((len(grid), N_GROUPS))
    for g, r in enumerate(_rolling_backtest(Y, inputs.take(rows), grid, config, start)):
        short[g] = np.bincount(group, r.short, minlength=N_GROUPS)
        held[g] = np.bincount(group, r.avg_on_hand_units, minlength=N_GROUPS)
    demand = Y[:, start:].sum()
    cols = np.arange(N_GROUPS)
    best = None
    for lam in np.geomspace(1e-2, 1e5, 400):
        pick = (held + lam * short).argmin(axis=0)
        tot_short, tot_held = short[pick, cols].sum(), held[pick, cols].sum()
        if tot_short <= goal * demand and (best is None or tot_held < best[0]):
            best = (tot_held, tot_short, pick)
    if best is None:
        pick = np.full(N_GROUPS, int(np.argmin(grid)))
        best = (held[pick, cols].sum(), short[pick, cols].sum(), pick)
    return GroupCalibration(tuple(float(grid[i]) for i in best[2]),
                            float(best[1] / max(demand, 1e-12)), float(best[0]), h)
