"""Seeded installed bases for tests, the benchmark and the demo (contract tables as frames).

A metro area of customers, each with one site and one to several assets (a quarter critical),
last maintained somewhere in their last cycle (a few overdue, a few never), slots and contract
ends as service organisations see them; engineers with two or three trades, some certificates
running out within the horizon, a week of leave here and there, and public holidays.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.synthetic import CENTRE, KM_PER_DEG_LAT, TRADES

EQUIPMENT = {"refrigeration": "cold room", "laundry": "washer-extractor",
             "cooking": "combi oven", "dishwasher": "hood dishwasher", "hvac": "rooftop unit",
             "electrical": "switchboard"}


def metro_points(rng: np.random.Generator, n: int, radius_km: float, centre: tuple[float, float]
            ) -> tuple[np.ndarray, np.ndarray]:
    r = radius_km * np.sqrt(rng.random(n)) ** 1.3
    a = rng.random(n) * 2 * math.pi
    lat = centre[0] + r * np.cos(a) / KM_PER_DEG_LAT
    lon = centre[1] + r * np.sin(a) / (KM_PER_DEG_LAT * math.cos(math.radians(centre[0])))
    return np.round(lat, 5), np.round(lon, 5)


def engineers_table(n: int, seed: int, today: dt.date, horizon_days: int = 120,
                    radius_km: float = 25.0, centre: tuple[float, float] = CENTRE,
                    ids: list[str] | None = None, homes: list[tuple[float, float]] | None = None,
                    skills: list[dict[str, int]] | None = None) -> pd.DataFrame:
    """PM engineers: trades and levels, certificates (some lapsing), workdays, pm_share."""
    rng = np.random.default_rng(seed + 1)
    ids = ids or [f"E{k + 1:03d}" for k in range(n)]
    if homes is None:
        lat, lon = metro_points(rng, n, radius_km * 0.8, centre)
        homes = list(zip(lat.tolist(), lon.tolist(), strict=True))
    rows = []
    for k, eng in enumerate(ids):
        if skills is not None:
            held = dict(skills[k])
        else:
            trades = [TRADES[k % len(TRADES)], TRADES[(k + 2) % len(TRADES)]]
            if rng.random() < 0.5:
                trades.append(TRADES[int(rng.integers(len(TRADES)))])
            held = {t: int(rng.choice([1, 2, 2, 3])) for t in trades}
        certs = []
        for t in sorted(held):
            if rng.random() < 0.12:
                days = int(rng.integers(min(20, horizon_days), horizon_days + 1))
                lapse = today + dt.timedelta(days=days)
                certs.append(f"{t}:{lapse.isoformat()}")
            elif rng.random() < 0.3:
                certs.append(f"{t}:{(today + dt.timedelta(days=400)).isoformat()}")
        rows.append({
            "engineer": eng, "lat": homes[k][0], "lon": homes[k][1],
            "skills": ";".join(f"{t}:{lvl}" for t, lvl in sorted(held.items())),
            "certified_until": ";".join(certs),
            "workdays": "Mon-Thu" if rng.random() < 0.1 else "Mon-Fri",
            "shift_start": "08:00", "shift_end": "17:00",
            "pm_share": float(rng.choice([0.5, 0.5, 0.5, 0.6, 0.4])),
        })
    return pd.DataFrame(rows)


def assets_table(n: int, seed: int, today: dt.date, engineers: pd.DataFrame,
                 radius_km: float = 25.0, centre: tuple[float, float] = CENTRE,
                 customers: list[tuple[str, float, float]] | None = None) -> pd.DataFrame:
    """``n`` assets of about ``n / 2.5`` customers; skills drawn from what engineers hold."""
    rng = np.random.default_rng(seed)
    if customers is None:
        n_cust = max(1, round(n / 2.5))
        lat, lon = metro_points(rng, n_cust, radius_km, centre)
        customers = [(f"C{k + 1:05d}", float(lat[k]), float(lon[k])) for k in range(n_cust)]
    held: dict[str, list[int]] = {}
    for text in engineers["skills"]:
        for part in str(text).split(";"):
            t, _, lvl = part.partition(":")
            held.setdefault(t, []).append(int(lvl))
    trades = sorted(held)
    weights = rng.gamma(1.0, 1.0, len(customers)) + 0.2
    owner = rng.choice(len(customers), size=n, p=weights / weights.sum())
    rows = []
    for k in range(n):
        cust, lat, lon = customers[int(owner[k])]
        trade = trades[int(rng.integers(len(trades)))]
        critical = rng.random() < 0.25
        level = 2 if critical and max(held[trade]) >= 2 else 1
        cycle = 91 if critical else 182
        r = rng.random()
        if r < 0.01:
            last = ""
        else:
            ago = int(rng.integers(1, cycle + (12 if r < 0.06 else 0)))
            last = (today - dt.timedelta(days=ago)).isoformat()
        slot = str(rng.choice(["any", "any", "any", "any", "am", "pm"]))
        end = ""
        if rng.random() < 0.03:
            end = (today + dt.timedelta(days=int(rng.integers(10, 200)))).isoformat()
        rows.append({
            "asset": f"A{k + 1:06d}", "customer": cust, "lat": lat, "lon": lon,
            "equipment_type": EQUIPMENT.get(trade, trade),
            "criticality": "critical" if critical else "general", "cycle_days": "",
            "required_skills": f"{trade}:{level}",
            "pm_duration_min": int(rng.choice([30, 45, 45, 60, 60, 90] if not critical
                                              else [60, 90, 90, 120])),
            "last_pm_date": last, "slot": slot, "contract_end": end,
        })
    return pd.DataFrame(rows)


def absences_table(engineers: pd.DataFrame, seed: int, today: dt.date, horizon_days: int = 120
                   ) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 2)
    rows = []
    for eng in engineers["engineer"]:
        if rng.random() < 0.5:
            start = today + dt.timedelta(days=int(rng.integers(1, horizon_days + 1)))
            rows.append({"engineer": eng, "date_from": start.isoformat(),
                         "date_to": (start + dt.timedelta(days=int(rng.integers(1, 8)))
                                     ).isoformat()})
    return pd.DataFrame(rows, columns=["engineer", "date_from", "date_to"])


def holidays_table(today: dt.date, horizon_days: int = 120) -> pd.DataFrame:
    """Public holidays: 25-26 December and 1 January inside the horizon."""
    days = []
    for k in range(horizon_days + 1):
        d = today + dt.timedelta(days=k)
        if (d.month, d.day) in ((12, 25), (12, 26), (1, 1)):
            days.append(d.isoformat())
    return pd.DataFrame({"date": days})


def installed_base(n_assets: int, seed: int, today: dt.date, n_engineers: int | None = None,
                   horizon_days: int = 120) -> dict[str, pd.DataFrame]:
    """A whole maintenance data directory as frames (file stem -> table)."""
    n_eng = n_engineers if n_engineers is not None else max(6, round(n_assets / 80))
    engineers = engineers_table(n_eng, seed, today, horizon_days)
    return {
        "assets": assets_table(n_assets, seed, today, engineers),
        "engineers": engineers,
        "absences": absences_table(engineers, seed, today, horizon_days),
        "holidays": holidays_table(today, horizon_days),
    }


def write_tables(directory: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return out
