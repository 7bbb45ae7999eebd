"""A small valid spare-parts data directory the parts-input tests break one thing in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

PARTS = """part,unit_cost,order_cost,holding_rate,pack_size,moq,criticality
P1,10,20,0.25,1,1,normal
P2,100,20,0.25,1,1,critical
P3,5,20,0.25,1,1,low
"""
LOCATIONS = """location,kind,supplied_by,lead_time_days_mean,lead_time_days_std,review_days
WH,central,supplier,14,2,7
D1,depot,WH,2,0,1
"""
STOCK = """location,part,on_hand,on_order,backorders
D1,P1,5,0,0
D1,P2,1,0,0
WH,P1,20,0,0
WH,P3,4,0,0
"""
START = date(2025, 1, 1)
DAYS = 120


def demand_rows() -> list[str]:
    rows = []
    for d in range(DAYS):
        day = (START + timedelta(days=d)).isoformat()
        if d % 2 == 0:
            rows.append(f"{day},D1,P1,{1 + d % 3}")
        if d % 5 == 0:
            rows.append(f"{day},D1,P2,1")
        if d % 7 == 0:
            rows.append(f"{day},WH,P3,2")
    return rows


def write(path: Path, rows: list[str] | None = None, **files: str | bytes) -> Path:
    """A data directory at ``path`` (``rows``: the demand rows); ``files`` replace a file's
    text (or bytes)."""
    path.mkdir(parents=True, exist_ok=True)
    texts: dict[str, str | bytes] = {"parts": PARTS, "locations": LOCATIONS, "stock": STOCK,
                                     "demand": "\n".join(["date,location,part,qty",
                                                          *(rows or demand_rows())]) + "\n"}
    texts.update(files)
    for name, text in texts.items():
        target = path / f"{name}.csv"
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)
    return path
