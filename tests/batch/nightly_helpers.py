"""Shared data of the nightly batch tests (a module of its own: conftest is not importable)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "demo"
CONTRACT = REPO.parent / "shared" / "contract"
if not CONTRACT.exists():  # the work tree may sit elsewhere; shared/ is beside the repo
    CONTRACT = Path("/work/shared/contract")


# JavaScript checks a person's eye does: the three pieces are there and drawn.
PAGE_CHECKS = {
    "map_routes": "document.querySelectorAll('#map polyline.route').length",
    "map_depots": "document.querySelectorAll('#map .depot').length",
    "map_visible": "document.getElementById('map').getBoundingClientRect().width > 300",
    "gantt_rows": "document.querySelectorAll('#gantt .row').length",
    "gantt_bars": "document.querySelectorAll('#gantt rect.jobbar').length",
    "gantt_visible": "document.getElementById('gantt').getBoundingClientRect().height > 40",
    "kpi_rows": "document.querySelectorAll('#kpi-table tbody tr[data-key]').length",
    "kpi_text": "document.getElementById('kpi-table').innerText",
    "unassigned_rows": "document.querySelectorAll('#unassigned-table tbody tr').length",
    "maintenance_rows": "document.querySelectorAll('#maintenance-table tbody tr').length",
}


def write_parts_dir(directory: Path, *, on_order: bool = True) -> Path:
    """A small parts data set for the example's parts: a central warehouse feeding depot D1.

    P-1001 is nowhere in the problem (D1 has 0 of it, E01's van 1); P-3003 exists only here.
    """
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "part": ["P-1001", "P-2002", "P-3003"], "unit_cost": [120.0, 40.0, 15.0],
        "order_cost": [20.0, 20.0, 20.0], "holding_rate": [0.25, 0.25, 0.25],
        "pack_size": [1, 1, 5], "moq": [1, 1, 5], "criticality": ["critical", "high", "normal"],
    }).to_csv(directory / "parts.csv", index=False)
    pd.DataFrame({
        "location": ["WH", "D1"], "kind": ["central", "depot"], "supplied_by": ["supplier", "WH"],
        "lead_time_days_mean": [10.0, 2.0], "lead_time_days_std": [2.0, 0.5],
        "review_days": [7, 1],
    }).to_csv(directory / "locations.csv", index=False)
    pd.DataFrame({
        "location": ["WH", "WH", "D1", "D1"], "part": ["P-2002", "P-3003", "P-2002", "P-1001"],
        "on_hand": [10, 0, 2, 0], "on_order": [0, 0, 0, 0], "backorders": [0, 0, 0, 0],
    }).to_csv(directory / "stock.csv", index=False)
    if on_order:
        pd.DataFrame({"location": ["D1"], "part": ["P-1001"], "qty": [3], "due": ["2026-11-27"]}
                     ).to_csv(directory / "on_order.csv", index=False)
    dates = pd.date_range("2026-08-01", "2026-11-23", freq="D")
    rows = []
    for i, d in enumerate(dates):
        for part, every in (("P-1001", 9), ("P-2002", 4), ("P-3003", 15)):
            if i % every == 0:
                rows.append({"date": d.date().isoformat(), "location": "D1", "part": part,
                             "qty": 1 + (i % 3 == 0)})
    pd.DataFrame(rows).to_csv(directory / "demand.csv", index=False)
    return directory
