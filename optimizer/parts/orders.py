"""Today's replenishment orders and transfers from stock positions and policies.

Inventory position = on hand + on order - backorders, where on order is the larger of
``stock.on_order`` and the open quantity in ``on_order.csv`` (the two describe the same
orders; taking the larger never double counts). Transfers are decided first and count as
on order for the receiver; then every location at or below its reorder point orders up to
``S`` (base-stock, s_S) or in multiples of ``Q`` until above ``s`` (s_Q), rounded up to the
pack size and at least the MOQ, from its supplier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.parts.data import PartsData
from optimizer.parts.plan import PolicyResult
from optimizer.parts.transfers import TRANSFER_COLUMNS, suggest_transfers

ORDER_COLUMNS = TRANSFER_COLUMNS


def positions(data: PartsData, result: PolicyResult) -> pd.DataFrame:
    """One row per policy row with stock position, supplier and pack data."""
    pol = result.table
    stock = pd.DataFrame([s.model_dump() for s in data.stock],
                         columns=["location", "part", "on_hand", "on_order", "backorders"])
    stock = stock.set_index(["location", "part"])
    if data.on_order:
        open_ = (pd.DataFrame([o.model_dump() for o in data.on_order])
                 .groupby(["location", "part"])["qty"].sum().rename("open_qty"))
    else:
        open_ = pd.Series([], index=pd.MultiIndex.from_arrays([[], []],
                          names=["location", "part"]), dtype=float, name="open_qty")
    frame = pol.join(stock, on=["location", "part"]).join(open_, on=["location", "part"])
    for col in ("on_hand", "on_order", "backorders", "open_qty"):
        frame[col] = frame[col].fillna(0.0).astype(float)
    frame["on_order"] = np.maximum(frame["on_order"], frame["open_qty"])
    frame["position"] = frame["on_hand"] + frame["on_order"] - frame["backorders"]
    locs = data.location_table()[["kind", "supplied_by"]]
    parts = data.part_table()[["pack_size", "moq"]]
    return frame.join(locs, on="location").join(parts, on="part")


def replenishment_qty(frame: pd.DataFrame) -> np.ndarray:
    """Order quantity per row (0 when above the reorder point), rounded to pack and MOQ."""
    pos = frame["position"].to_numpy(float)
    s = frame["reorder_point"].to_numpy(float)
    S = frame["order_up_to"].to_numpy(float)
    Q = np.maximum(frame["order_qty"].to_numpy(float), 1.0)
    is_q = (frame["policy"] == "s_Q").to_numpy()
    qty = np.where(is_q, np.ceil((s - pos + 1) / Q) * Q, S - pos)
    pack = frame["pack_size"].to_numpy(float)
    qty = np.maximum(np.ceil(qty / pack) * pack, frame["moq"].to_numpy(float))
    return np.where(pos <= s, qty, 0.0)


def orders_for_today(data: PartsData, result: PolicyResult,
                     transfer_days: float = 1.0) -> pd.DataFrame:
    """The ``orders.csv`` rows to place now: transfers first, then replenishments."""
    frame = positions(data, result)
    transfers = suggest_transfers(frame, transfer_days)
    if len(transfers):
        inbound = transfers.groupby(["location", "part"])["qty"].sum()
        outbound = transfers.groupby(["source", "part"])["qty"].sum()
        idx = pd.MultiIndex.from_frame(frame[["location", "part"]])
        frame["position"] += inbound.reindex(idx).fillna(0).to_numpy()
        frame["position"] -= outbound.reindex(idx).fillna(0).to_numpy()
    qty = replenishment_qty(frame)
    place = qty > 0
    f = frame[place]
    reason = [f"position {p:g} <= reorder point {s:g}; {k} to {S:g}"
              for p, s, k, S in zip(f["position"], f["reorder_point"], f["policy"],
                                    f["order_up_to"], strict=True)]
    repl = pd.DataFrame({
        "location": f["location"].to_numpy(), "part": f["part"].to_numpy(),
        "qty": qty[place].astype(int), "source": f["supplied_by"].to_numpy(),
        "kind": "replenishment", "reason": reason,
    }, columns=ORDER_COLUMNS)
    parts = [x for x in (transfers, repl) if len(x)]
    if not parts:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    return pd.concat(parts, ignore_index=True)
