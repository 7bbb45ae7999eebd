"""Lateral transfers between depots of the same supplier.

A depot at or below its reorder point may take stock from a sibling holding more on hand than
its own order-up-to level, when the transfer arrives sooner than a replenishment would
(``transfer_days < effective lead time``). Each part's needs are met from the largest
excesses first; a donor never goes below its order-up-to level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRANSFER_COLUMNS = ["location", "part", "qty", "source", "kind", "reason"]


def suggest_transfers(positions: pd.DataFrame, transfer_days: float = 1.0) -> pd.DataFrame:
    """Transfers from a table with one row per (location, part).

    Needed columns: ``location``, ``part``, ``kind`` (location kind), ``supplied_by``,
    ``on_hand``, ``position`` (inventory position), ``reorder_point``, ``order_up_to``,
    ``effective_lead_time_days``. Returns rows in the ``orders.csv`` layout.
    """
    depots = positions[positions["kind"] == "depot"]
    need = (depots["order_up_to"] - depots["position"]).where(
        (depots["position"] <= depots["reorder_point"])
        & (depots["effective_lead_time_days"] > transfer_days), 0.0)
    excess = (depots["on_hand"] - depots["order_up_to"]).clip(lower=0)
    cand = depots.assign(need=need, excess=excess)
    group = ["part", "supplied_by"]
    has_need = cand[cand["need"] > 0].groupby(group).size()
    has_excess = cand[cand["excess"] > 0].groupby(group).size()
    both = has_need.index.intersection(has_excess.index)
    rows: list[dict] = []
    if len(both) == 0:
        return pd.DataFrame(columns=TRANSFER_COLUMNS)
    cand = cand.set_index(group).loc[both].reset_index()
    for (part, _), g in cand.groupby(group, sort=True):  # only parts with both sides
        receivers = g[g["need"] > 0].sort_values("need", ascending=False)
        donors = g[g["excess"] > 0].sort_values("excess", ascending=False)
        left = dict(zip(donors["location"], np.floor(donors["excess"]), strict=True))
        for rec in receivers.itertuples():
            want = float(np.floor(rec.need))
            for donor in list(left):
                if want <= 0:
                    break
                qty = min(want, left[donor])
                if qty <= 0:
                    continue
                rows.append({
                    "location": rec.location, "part": part, "qty": int(qty), "source": donor,
                    "kind": "transfer",
                    "reason": (f"position {rec.position:g} <= reorder point {rec.reorder_point:g};"
                               f" {donor} holds {left[donor]:g} above its order-up-to; transfer"
                               f" {transfer_days:g} d beats {rec.effective_lead_time_days:g} d"
                               " lead time"),
                })
                left[donor] -= qty
                want -= qty
    return pd.DataFrame(rows, columns=TRANSFER_COLUMNS)
