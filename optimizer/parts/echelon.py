"""Two (or more) echelons by the METRIC approximation (Sherbrooke 1968).

A warehouse's expected backorders ``EBO(s, Q)`` over its lead time give, by Little's law,
the expected delay of a unit its children order: ``W = EBO / demand rate``. A child's
effective lead time is its transport lead time plus that delay, so the child is planned for
``L_child + W_parent`` and the warehouse for its own supplier lead time. Planning goes down
the supply tree level by level.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer.parts.leadtime_demand import DemandModel, horizon_loss
from optimizer.parts.policy import (
    DEFAULT_CONFIG,
    PolicyConfig,
    PolicyTable,
    SeriesInputs,
    plan_policies,
)


def expected_backorders(model: DemandModel, inputs: SeriesInputs, reorder_point: np.ndarray,
                        lot: np.ndarray, points: int = 8) -> np.ndarray:
    """Time-average backorders of (s, Q)-type policies, position uniform on s+1..s+Q.

    With periodic review the net stock is observed from L to L+R after an order, so the
    average of the two loss functions is used.
    """
    s = np.asarray(reorder_point, dtype=float)
    q = np.maximum(np.asarray(lot, dtype=float), 1.0)
    m = points if np.any(q > 1) else 1
    total = np.zeros(len(s))
    for j in range(m):
        y = s + 1 + np.rint((0.0 if m == 1 else j / (m - 1)) * (q - 1))
        total += 0.5 * (horizon_loss(model, inputs.lead_time, y, long=False)
                        + horizon_loss(model, inputs.lead_time + inputs.review, y, long=True))
    return total / m


def expected_delay(model: DemandModel, inputs: SeriesInputs, table: PolicyTable) -> np.ndarray:
    """METRIC: expected wait (periods) of a child's order at this location = EBO / rate."""
    lot = table.order_up_to - table.reorder_point
    ebo = expected_backorders(model, inputs, table.reorder_point, lot)
    return np.divide(ebo, model.rate, out=np.zeros_like(ebo), where=model.rate > 0)


def plan_multi_echelon(
    demand: np.ndarray, inputs: SeriesInputs, depth: np.ndarray, parent_row: np.ndarray,
    config: PolicyConfig = DEFAULT_CONFIG, target: np.ndarray | None = None,
) -> tuple[PolicyTable, np.ndarray, np.ndarray]:
    """Plan top-down; returns (table, effective lead time, upstream delay) per series.

    ``depth`` 0 rows are supplied by outside suppliers; ``parent_row`` is the series index of
    the same part at the supplying location (-1 for none).
    """
    n = demand.shape[0]
    tgt = np.full(n, config.target_stockout_rate) if target is None else np.asarray(target)
    delay = np.zeros(n)  # expected wait at the supplying location, periods
    own_delay = np.zeros(n)  # expected wait a child sees at this series
    parts: list[tuple[np.ndarray, PolicyTable]] = []
    for d in np.unique(depth):
        rows = np.flatnonzero(depth == d)
        has_parent = parent_row[rows] >= 0
        delay[rows[has_parent]] = own_delay[parent_row[rows[has_parent]]]
        sub = inputs.take(rows)
        sub = replace(sub, lead_time=sub.lead_time + delay[rows])
        table = plan_policies(demand[rows], sub, config, tgt[rows])
        assert table.model is not None
        own_delay[rows] = expected_delay(table.model, sub, table)
        parts.append((rows, table))
    return _merge(parts, n), inputs.lead_time + delay, delay


def _merge(parts: list[tuple[np.ndarray, PolicyTable]], n: int) -> PolicyTable:
    """Stitch per-level tables back into series order (the demand model is dropped)."""
    fields = [f for f in PolicyTable.__dataclass_fields__ if f != "model"]
    out = {}
    for f in fields:
        first = getattr(parts[0][1], f)
        arr = np.empty(n, dtype=first.dtype)
        for rows, table in parts:
            arr[rows] = getattr(table, f)
        out[f] = arr
    return PolicyTable(**out, model=_merge_models(parts, n))


def _merge_models(parts: list[tuple[np.ndarray, PolicyTable]], n: int) -> DemandModel | None:
    models = [t.model for _, t in parts]
    if any(m is None for m in models):
        return None
    if any(m.samples_long is not None for m in models):  # type: ignore[union-attr]
        return None
    out = {}
    for f in ("rate", "vmr", "lead_time_var", "kind"):
        first = getattr(models[0], f)
        arr = np.empty(n, dtype=first.dtype)
        for (rows, _), m in zip(parts, models, strict=True):
            arr[rows] = getattr(m, f)
        out[f] = arr
    return DemandModel(**out)
