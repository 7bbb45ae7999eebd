"""Compile validated :class:`PartsData` into per-series numpy arrays in planning periods.

A series is one (location, part). Its demand is the customer demand recorded there plus the
demand of every location it supplies (its subtree), because a warehouse sees its children's
replenishments; this is the demand the METRIC approximation works with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.parts.data import CRITICALITY_WEIGHT, SUPPLIER, Bucket, Criticality, PartsData
from optimizer.parts.policy import SeriesInputs


@dataclass(frozen=True)
class CompiledSeries:
    """Keys, demand matrix and inputs for every stocked (location, part)."""

    keys: pd.DataFrame  # columns location, part (row i = series i)
    periods: pd.DatetimeIndex  # start date of each period
    demand: np.ndarray  # (n, T) subtree demand per period
    own_demand: np.ndarray  # (n, T) customer demand recorded at the location itself
    inputs: SeriesInputs  # transport lead time (no upstream delay yet)
    bucket: Bucket
    depth: np.ndarray  # 0 for locations supplied by the supplier, +1 per level below
    parent_row: np.ndarray  # series index of the same part at the supplying location, -1

    def __len__(self) -> int:
        return len(self.keys)

    def customer_share(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """Per series, the share of its demand in periods ``start:end`` that is its own
        customers' (1 at a depot, 0 at a warehouse that only supplies depots): the weight of
        its units in a customer-facing stockout rate. A warehouse's shortage delays its
        depots (the METRIC delay in their lead time); counting it as well would count the
        same customer units twice."""
        own = self.own_demand[:, start:end].sum(axis=1)
        total = self.demand[:, start:end].sum(axis=1)
        leaf = ~np.isin(np.arange(len(self.keys)), self.parent_row)
        return np.where(total > 0, own / np.where(total > 0, total, 1.0),
                        leaf.astype(float))


    def network(self, end: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(customer demand up to ``end``, parent row, transport lead time) when some series
        is supplied by another (two echelons), else None: what a coupled replay needs."""
        if not (self.parent_row >= 0).any():
            return None
        return self.own_demand[:, :end], self.parent_row, self.inputs.lead_time


def period_index(dates: pd.Series | pd.DatetimeIndex, bucket: Bucket) -> pd.DatetimeIndex:
    """Start date of the bucket each date falls in."""
    d = pd.DatetimeIndex(dates)
    if bucket == Bucket.DAY:
        return d.normalize()
    return d.to_period(bucket.pandas_freq).start_time


def location_depths(data: PartsData) -> dict[str, int]:
    parent = {loc.location: loc.supplied_by for loc in data.locations}
    depth: dict[str, int] = {}
    for loc in parent:
        d, node = 0, loc
        while parent.get(node, SUPPLIER) != SUPPLIER:
            node = parent[node]
            d += 1
        depth[loc] = d
    return depth


def compile_series(data: PartsData, until: pd.Timestamp | str | None = None,
                   start: pd.Timestamp | str | None = None) -> CompiledSeries:
    """Demand matrix up to ``until`` (inclusive; default the last demand date) and inputs."""
    bucket = data.bucket
    dem = data.demand
    first = pd.Timestamp(start) if start is not None else dem["date"].min()
    last = pd.Timestamp(until) if until is not None else dem["date"].max()
    last_all = dem["date"].max()
    periods = pd.date_range(period_index([first], bucket)[0], period_index([last_all], bucket)[0],
                            freq={"day": "D", "week": "W-MON", "month": "MS"}[bucket.value])
    depth = location_depths(data)
    parent = {loc.location: loc.supplied_by for loc in data.locations}

    # stocked series: anything with demand or stock, plus every ancestor of those
    pairs = set(zip(dem["location"], dem["part"], strict=True))
    pairs |= {(s.location, s.part) for s in data.stock}
    pairs |= {(o.location, o.part) for o in data.on_order}
    for loc, part in list(pairs):
        node = loc
        while parent.get(node, SUPPLIER) != SUPPLIER:
            node = parent[node]
            pairs.add((node, part))
    keys = pd.DataFrame(sorted(pairs), columns=["location", "part"])
    n, T = len(keys), len(periods)
    index = {k: i for i, k in enumerate(zip(keys["location"], keys["part"], strict=True))}

    own = np.zeros((n, T))
    p_idx = periods.get_indexer(period_index(dem["date"], bucket))
    rows = np.array([index[k] for k in zip(dem["location"], dem["part"], strict=True)], dtype=int)
    ok = p_idx >= 0
    np.add.at(own, (rows[ok], p_idx[ok]), dem["qty"].to_numpy()[ok])

    key_depth = keys["location"].map(depth).to_numpy()
    parent_row = np.array([index.get((parent.get(loc, SUPPLIER), part), -1)
                           for loc, part in zip(keys["location"], keys["part"], strict=True)])
    total = own.copy()
    for d in sorted(set(key_depth), reverse=True):  # push demand up the tree, deepest first
        rows_d = np.flatnonzero((key_depth == d) & (parent_row >= 0))
        np.add.at(total, parent_row[rows_d], total[rows_d])

    keep = np.asarray(periods <= period_index([last], bucket)[0])
    periods, own, total = periods[keep], own[:, keep], total[:, keep]

    inputs = series_inputs(data, keys)
    return CompiledSeries(keys=keys, periods=periods, demand=total, own_demand=own, inputs=inputs,
                          bucket=bucket, depth=key_depth, parent_row=parent_row)


def series_inputs(data: PartsData, keys: pd.DataFrame) -> SeriesInputs:
    """Lead times, review, costs, pack sizes and weights per series, in planning periods."""
    days = data.bucket.days
    parts = data.part_table()
    locs = data.location_table()
    lt = keys.join(locs[["lead_time_days_mean", "lead_time_days_std", "review_days"]],
                   on="location")
    if data.lead_times:
        over = pd.DataFrame([x.model_dump() for x in data.lead_times])
        o = keys.merge(over, how="left", on=["location", "part"], suffixes=("", "_o"))
        has = o["lead_time_days_mean"].notna().to_numpy()
        lt.loc[has, "lead_time_days_mean"] = o.loc[has, "lead_time_days_mean"].to_numpy()
        lt.loc[has, "lead_time_days_std"] = o.loc[has, "lead_time_days_std"].to_numpy()
    p = keys.join(parts, on="part")
    weight = p["criticality"].map(lambda c: CRITICALITY_WEIGHT[Criticality(c)]).to_numpy(float)
    unit_cost = p["unit_cost"].to_numpy(float)
    return SeriesInputs(
        lead_time=lt["lead_time_days_mean"].to_numpy(float) / days,
        lead_time_std=lt["lead_time_days_std"].to_numpy(float) / days,
        review=np.maximum(lt["review_days"].to_numpy(float) / days, 1.0),
        unit_cost=unit_cost,
        order_cost=p["order_cost"].to_numpy(float),
        holding_cost=unit_cost * p["holding_rate"].to_numpy(float) * days / 365.25,
        pack_size=p["pack_size"].to_numpy(int),
        moq=p["moq"].to_numpy(int),
        weight=weight,
    )
