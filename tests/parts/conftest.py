"""Fixtures: a tiny hand-made parts data directory written to a temp dir."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PARTS = """part,unit_cost,order_cost,holding_rate,pack_size,moq,criticality,name,skill
P-0001,10,20,0.25,1,1,normal,door gasket,refrigeration
P-0002,100,20,0.25,1,1,critical,compressor,refrigeration
P-0003,2,20,0.25,10,10,low,fuse,electrical
"""
LOCATIONS = """location,kind,supplied_by,lead_time_days_mean,lead_time_days_std,review_days
WH-CENTRAL,central,supplier,14,2,7
D-NORTH,depot,WH-CENTRAL,2,0,1
D-EAST,depot,WH-CENTRAL,2,0,1
"""
STOCK = """location,part,on_hand,on_order,backorders
D-NORTH,P-0001,0,0,0
D-EAST,P-0001,120,0,0
WH-CENTRAL,P-0002,3,0,0
"""


def write_dir(path: Path, demand: pd.DataFrame | str | None = None, **overrides: str) -> Path:
    """Write a valid data directory, optionally replacing files' text."""
    path.mkdir(parents=True, exist_ok=True)
    if isinstance(demand, str):
        overrides["demand"] = demand
    files = {"parts": PARTS, "locations": LOCATIONS, "stock": STOCK}
    files.update(overrides)
    for name, text in files.items():
        (path / f"{name}.csv").write_text(text)
    if "demand" not in overrides:
        if demand is None:
            demand = default_demand()
        demand.to_csv(path / "demand.csv", index=False)
    return path


def default_demand() -> pd.DataFrame:
    dates = pd.date_range("2026-01-01", "2026-06-30", freq="D")
    rows = []
    for i, d in enumerate(dates):
        if i % 3 == 0:
            rows.append((d, "D-NORTH", "P-0001", 1 + i % 2))
        if i % 5 == 0:
            rows.append((d, "D-EAST", "P-0001", 1))
        if i % 20 == 0:
            rows.append((d, "D-EAST", "P-0002", 1))
        if i % 7 == 0:
            rows.append((d, "D-NORTH", "P-0003", 4))
    out = pd.DataFrame(rows, columns=["date", "location", "part", "qty"])
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    return out


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_dir(tmp_path / "data")


@pytest.fixture
def make_data_dir(tmp_path: Path):
    """Factory: ``make_data_dir(name, demand=None, **file_texts)`` writes a data directory."""

    def make(name: str = "d", demand: pd.DataFrame | str | None = None,
             **overrides: str) -> Path:
        return write_dir(tmp_path / name, demand, **overrides)

    return make
