"""Generate ``scenarios/demo/history.csv``: six months of service history (seeded, reproducible).

The demo organisation (one metro area at UTC+08:00, the demo's plan day 2026-11-24) as its
service system would export it for the monthly report (shared/contract/MAINTENANCE.md): one
row per job done or closed from 2026-05-01 to 2026-11-23 -- repairs (some critical), installations
and the preventive maintenance of the installed base.

Customers and assets come from the PM demo's installed base
(``scenarios/demo/maintenance/assets.csv``) when it is there; otherwise 1,500 assets of 600
customers are drawn with the same ids (``C0001``..., ``A000001``...). Each asset's visits run
back from its ``last_pm_date`` (so the history ends where the installed base says the last
visit was), each serving the due date its predecessor set (91 days for critical equipment,
182 otherwise), mostly a little early, a few late; a third of the assets now overdue were
closed undone. Reactive work follows a weekday/weekend rhythm; the service is good but
not perfect, with a worse August (holidays: slower response, more late repairs) so that the
trend charts have something to show. Every edge the report must handle occurs: jobs without
``responded_at``, cancelled jobs never visited, maintenance completed in the month after it
was created, unanswered satisfaction calls, parts short on some jobs.

    python scenarios/generate_demo_history.py            # writes scenarios/demo/history.csv
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEMO_DIR = HERE / "demo"
ASSETS = DEMO_DIR / "maintenance" / "assets.csv"  # the PM demo's installed base
SEED = 20261124
TZ = timezone(timedelta(hours=8))
FIRST, LAST = date(2026, 5, 1), date(2026, 11, 23)
COLUMNS = ["job", "kind", "priority", "customer", "reported_at", "responded_at", "arrived_at",
           "completed_at", "first_time_fix", "parts_needed", "parts_on_time", "satisfaction",
           "asset", "due_date"]


def installed_base(rng: np.random.Generator, path: Path | None) -> pd.DataFrame:
    """``asset, customer, criticality, cycle_days, last_pm_date`` (a date or None): the PM
    demo's installed base, or 1,500 assets of 600 customers drawn with its ids."""
    if path is not None and path.exists():
        assets = pd.read_csv(path, dtype=str, keep_default_na=False)
        cycle = pd.to_numeric(assets["cycle_days"], errors="coerce") if "cycle_days" in \
            assets else pd.Series(np.nan, index=assets.index)
        default = np.where(assets["criticality"] == "critical", 91, 182)
        assets["cycle_days"] = np.where(cycle.notna(), cycle, default).astype(int)
        last = assets.get("last_pm_date", pd.Series("", index=assets.index))
        assets["last_pm_date"] = [date.fromisoformat(x) if x else None for x in last]
        return assets[["asset", "customer", "criticality", "cycle_days", "last_pm_date"]]
    n_assets, n_customers = 1500, 600
    owner = rng.choice(n_customers, size=n_assets, p=_weights(rng, n_customers))
    critical = rng.random(n_assets) < 0.25
    cycle = np.where(critical, 91, 182)
    back = (rng.random(n_assets) * cycle * 1.05).astype(int)  # a few overdue
    never = rng.random(n_assets) < 0.01
    return pd.DataFrame({
        "asset": [f"A{k + 1:06d}" for k in range(n_assets)],
        "customer": [f"C{int(c) + 1:04d}" for c in owner],
        "criticality": np.where(critical, "critical", "general"),
        "cycle_days": cycle,
        "last_pm_date": [None if n else LAST - timedelta(days=int(b))
                         for n, b in zip(never, back, strict=True)],
    })


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    w = rng.gamma(1.0, 1.0, n) + 0.2
    return w / w.sum()


def _iso(t: datetime) -> str:
    return t.astimezone(TZ).isoformat(timespec="seconds")


def _august(d: date) -> bool:
    return d.month == 8


def reactive_jobs(rng: np.random.Generator, customers: list[str]) -> list[dict]:
    """Repairs (critical, high, normal, low) and installations, day by day."""
    rows: list[dict] = []
    weights = _weights(rng, len(customers))
    day = FIRST
    while day <= LAST:
        weekend = day.weekday() >= 5
        for _ in range(int(rng.poisson(12 if weekend else 34))):
            rows.append(_reactive(rng, day, customers[int(rng.choice(len(customers),
                                                                       p=weights))]))
        day += timedelta(days=1)
    return rows


def _reactive(rng: np.random.Generator, day: date, customer: str) -> dict:
    bad = _august(day)
    install = rng.random() < 0.18
    if install:
        kind, priority = "installation", str(rng.choice(["normal", "low"], p=[0.8, 0.2]))
    else:
        kind = "repair"
        priority = str(rng.choice(["critical", "high", "normal", "low"],
                                  p=[0.12, 0.25, 0.5, 0.13]))
    hours = rng.uniform(0, 24) if priority == "critical" else rng.uniform(7, 21)
    reported = datetime.combine(day, time(0), TZ) + timedelta(hours=float(hours))
    row: dict = {"kind": kind, "priority": priority, "customer": customer,
                 "reported_at": _iso(reported)}
    if rng.random() > 0.03:  # a few calls never confirmed by the desk
        wait = rng.lognormal(np.log(22 if bad else 16), 0.55 if bad else 0.45)
        row["responded_at"] = _iso(reported + timedelta(minutes=float(wait)))
    if rng.random() < (0.005 if priority == "critical" else 0.012):
        return row  # cancelled: never visited
    if install:
        arrived = reported + timedelta(days=int(rng.integers(2, 10)), hours=float(
            rng.uniform(-3, 3)))
    elif priority == "critical":
        arrived = reported + timedelta(minutes=float(rng.lognormal(np.log(150 if bad else 130),
                                                                   0.25)))
    else:
        arrived = reported + timedelta(hours=float(rng.lognormal(np.log(14 if bad else 11),
                                                                 0.35)))
    completed = arrived + timedelta(minutes=float(rng.uniform(30, 180)))
    if completed.date() > LAST:
        return {}
    row["arrived_at"], row["completed_at"] = _iso(arrived), _iso(completed)
    fixed = rng.random() < (0.99 if install else 0.91 if bad else 0.95)
    row["first_time_fix"] = "true" if fixed else "false"
    if not install and rng.random() < 0.55:
        need = int(rng.integers(1, 5))
        short = int(rng.binomial(need, 0.03 if bad else 0.012))
        row["parts_needed"], row["parts_on_time"] = need, need - short
        if short and rng.random() < 0.6:
            row["first_time_fix"] = "false"
    _satisfaction(rng, row, late=not fixed)
    return row


def _satisfaction(rng: np.random.Generator, row: dict, late: bool) -> None:
    if rng.random() < 0.45:  # the follow-up call was answered
        p = [0.02, 0.04, 0.08, 0.36, 0.5] if late else [0.01, 0.02, 0.05, 0.34, 0.58]
        row["satisfaction"] = int(rng.choice([1, 2, 3, 4, 5], p=p))


def maintenance_visits(rng: np.random.Generator, assets: pd.DataFrame) -> list[dict]:
    """Each asset's visits back from its ``last_pm_date`` (the installed base's own record) to
    the start of the period: each visit served the due date its predecessor set (visit +
    cycle), mostly a little early, sometimes late; assets now overdue were closed undone
    once in three (the customer refused access)."""
    rows: list[dict] = []
    for a in assets.itertuples(index=False):
        if a.last_pm_date is None:
            continue
        cycle = int(a.cycle_days)
        priority = "high" if a.criticality == "critical" else "normal"
        base = {"kind": "maintenance", "priority": priority, "customer": a.customer,
                "asset": a.asset}
        due = a.last_pm_date + timedelta(days=cycle)
        if due <= LAST and rng.random() < 1 / 3:
            rows.append({**base, "due_date": due.isoformat(),
                         "reported_at": _iso(datetime.combine(due - timedelta(days=40), time(9),
                                                              TZ))})
        visit = a.last_pm_date
        while visit >= FIRST:
            late = rng.random() < (0.08 if _august(visit) else 0.035)
            shift = int(rng.integers(1, 15)) if late else -int(rng.integers(0, 21))
            due = visit - timedelta(days=shift)  # the due date this visit served
            rows.append(_visit(rng, base, visit, due, late))
            visit = due - timedelta(days=cycle)  # the visit before set that due date
    return rows


def _visit(rng: np.random.Generator, base: dict, visit: date, due: date, late: bool) -> dict:
    created = datetime.combine(visit - timedelta(days=int(rng.integers(30, 45))), time(9), TZ)
    start = datetime.combine(visit, time(8), TZ) + timedelta(minutes=int(rng.integers(0, 480)))
    row = {**base, "due_date": due.isoformat(), "reported_at": _iso(created),
           "arrived_at": _iso(start),
           "completed_at": _iso(start + timedelta(minutes=int(rng.integers(30, 120))))}
    if rng.random() < 0.2:
        need = int(rng.integers(1, 3))
        row["parts_needed"], row["parts_on_time"] = need, need - int(rng.binomial(need, 0.01))
    _satisfaction(rng, row, late=late)
    return row


def generate(seed: int = SEED, assets_csv: Path | None = ASSETS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    assets = installed_base(rng, assets_csv)
    customers = sorted(set(assets["customer"]))
    rows = [r for r in reactive_jobs(rng, customers) if r] + maintenance_visits(rng, assets)
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame = frame.sort_values("reported_at", kind="stable").reset_index(drop=True)
    frame["job"] = [f"H{k + 1:06d}" for k in range(len(frame))]
    for col in ("parts_needed", "parts_on_time", "satisfaction"):
        frame[col] = frame[col].astype("Int64")
    return frame


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEMO_DIR / "history.csv"))
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--assets", type=Path, default=ASSETS,
                    help="the installed base (default scenarios/demo/maintenance/assets.csv; "
                         "drawn when it is not there)")
    args = ap.parse_args(argv)
    frame = generate(args.seed, args.assets)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} jobs, {frame['kind'].value_counts().to_dict()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
