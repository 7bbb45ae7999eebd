"""Small hand-made maintenance data directories for the tests."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd

TODAY = dt.date(2026, 11, 24)  # a Tuesday
CENTRE = (31.23, 121.47)


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def asset(name: str, customer: str = "C1", *, lat: float = 31.24, lon: float = 121.48,
          criticality: str = "general", skills: str = "hvac:1", minutes: int = 60,
          last: str | None = None, due_in: int | None = None, slot: str = "any",
          contract_end: str = "", cycle_days: str = "") -> dict:
    """An asset row; ``due_in`` days sets ``last_pm_date`` so it falls due then."""
    if due_in is not None:
        cycle = int(cycle_days) if cycle_days else (91 if criticality == "critical" else 182)
        last = day(due_in - cycle)
    return {"asset": name, "customer": customer, "lat": lat, "lon": lon,
            "equipment_type": "unit", "criticality": criticality, "cycle_days": cycle_days,
            "required_skills": skills, "pm_duration_min": minutes, "last_pm_date": last or "",
            "slot": slot, "contract_end": contract_end}


def engineer(name: str, *, lat: float = 31.23, lon: float = 121.47, skills: str = "hvac:2",
             certified_until: str = "", workdays: str = "Mon-Fri", pm_share: float = 0.5,
             shift_start: str = "08:00", shift_end: str = "17:00") -> dict:
    return {"engineer": name, "lat": lat, "lon": lon, "skills": skills,
            "certified_until": certified_until, "workdays": workdays,
            "shift_start": shift_start, "shift_end": shift_end, "pm_share": pm_share}


def write_dir(path: Path, assets: list[dict], engineers: list[dict], *,
              absences: list[dict] | None = None, holidays: list[str] | None = None,
              notices: list[dict] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(assets).to_csv(path / "assets.csv", index=False)
    pd.DataFrame(engineers).to_csv(path / "engineers.csv", index=False)
    if absences is not None:
        pd.DataFrame(absences, columns=["engineer", "date_from", "date_to"]).to_csv(
            path / "absences.csv", index=False)
    if holidays is not None:
        pd.DataFrame({"date": holidays}).to_csv(path / "holidays.csv", index=False)
    if notices is not None:
        pd.DataFrame(notices).to_csv(path / "notices.csv", index=False)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *args], capture_output=True,
                          text=True, check=False)


def plan_dir(data_dir: Path, out_dir: Path, *, method: str = "cpsat", today: dt.date = TODAY,
             notices: Path | None = None, **options) -> pd.DataFrame:
    """Plan with the library, write pm_plan.csv / notices.csv / announced.csv; the plan table."""
    from optimizer.maintenance import PlanOptions, plan_maintenance, read_maintenance_data
    from optimizer.maintenance.outputs import announced_table, notices_table, plan_table

    data = read_maintenance_data(data_dir, notices=notices)
    options.setdefault("time_limit_s", 5.0)
    plan = plan_maintenance(data, today, PlanOptions(**options), method=method)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = plan_table(plan)
    table.to_csv(out_dir / "pm_plan.csv", index=False)
    notices_table(plan).to_csv(out_dir / "notices.csv", index=False)
    announced_table(plan).to_csv(out_dir / "announced.csv", index=False)
    return table.fillna("").astype(str).set_index("asset")
