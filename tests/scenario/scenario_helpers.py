"""A small nightly data directory (problem + parts tables) built in code, and scenario files."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.scenario.data import ScenarioData
from optimizer.synthetic import generate_problem

TRADES = ("refrigeration", "laundry", "cooking", "dishwasher", "hvac", "electrical")
DEPOTS = ("D-NORTH", "D-EAST", "D-SOUTH")
REPO = Path(__file__).resolve().parents[2]


@functools.cache
def small_tables(n_parts: int = 12, days: int = 120, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    parts = [f"P-{i + 1:04d}" for i in range(n_parts)]
    parts_df = pd.DataFrame({
        "part": parts, "skill": [TRADES[i % len(TRADES)] for i in range(n_parts)],
        "unit_cost": np.round(rng.uniform(5, 200, n_parts), 2), "order_cost": 20.0,
        "holding_rate": 0.25, "pack_size": 1, "moq": 1,
        "criticality": [("critical", "high", "normal", "low")[i % 4] for i in range(n_parts)],
    })
    locations = pd.DataFrame({
        "location": ["WH-CENTRAL", *DEPOTS], "kind": ["central", "depot", "depot", "depot"],
        "supplied_by": ["supplier", "WH-CENTRAL", "WH-CENTRAL", "WH-CENTRAL"],
        "lead_time_days_mean": [14.0, 2.0, 2.0, 3.0], "lead_time_days_std": [3.0, 0.5, 0.5, 1.0],
        "review_days": [7, 1, 1, 1],
    })
    stock = pd.DataFrame([
        {"location": loc, "part": p, "on_hand": int(rng.integers(0, 6)), "on_order": 0,
         "backorders": 0}
        for loc in ("WH-CENTRAL", *DEPOTS) for p in parts
    ])
    dates = pd.date_range("2026-07-01", periods=days, freq="D")
    rows = []
    for loc in DEPOTS:
        for p in parts:
            qty = rng.poisson(0.4, days)
            rows += [{"date": d.strftime("%Y-%m-%d"), "location": loc, "part": p, "qty": int(q)}
                     for d, q in zip(dates, qty, strict=True) if q > 0]
    demand = pd.DataFrame(rows)
    lead_times = pd.DataFrame({"location": ["WH-CENTRAL"], "part": [parts[0]],
                               "lead_time_days_mean": [30.0], "lead_time_days_std": [6.0]})
    return {"parts": parts_df, "locations": locations, "stock": stock, "demand": demand,
            "lead_times": lead_times}


@functools.cache
def small_data(n_jobs: int = 30, n_engineers: int = 6, seed: int = 5) -> ScenarioData:
    tables = small_tables()
    catalogue = dict(zip(tables["parts"]["part"], tables["parts"]["skill"], strict=True))
    st = tables["stock"]
    depot_stock = {loc: {str(r.part): int(r.on_hand) for r in st[st.location == loc].itertuples()
                         if r.on_hand > 0} for loc in DEPOTS}
    problem = generate_problem(n_jobs, n_engineers, seed=seed, parts_catalogue=catalogue,
                               depot_stock=depot_stock, problem_id="small-scenario-base")
    return ScenarioData(problem=problem, tables=tables)
