"""A PM plan as the contract's tables and a short summary (pure: frames and dicts, no files).

``pm_plan.csv`` (one row per due asset), ``notices.csv`` (the new notices to send, one per
customer, date and slot; an extra ``engineer`` column keeps who goes, so the next day's run can
take this file as its announced visits), ``announced.csv`` (every visit announced after this
run, in the input form) and the summary: visits per week and engineer, expected compliance,
overdue left, travel.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pandas as pd

from optimizer.maintenance.plan import PmPlan

PLAN_COLUMNS = ["asset", "customer", "due_date", "visit_date", "slot", "engineer", "sequence",
                "status", "reason"]
NOTICE_COLUMNS = ["customer", "notify_by", "visit_date", "slot", "assets", "engineer"]
ANNOUNCED_COLUMNS = ["customer", "asset", "visit_date", "slot", "engineer"]


def _visit_of(plan: PmPlan) -> dict[str, int]:
    return {a: v.index for v in plan.problem.visits for a in v.assets}


def _status(plan: PmPlan, v: int) -> str:
    visit = plan.problem.visits[v]
    if v not in plan.where:
        return "unplannable"
    if visit.fixed_day is not None:
        return "announced"
    return "short_notice" if visit.short_notice else "planned"


def plan_table(plan: PmPlan) -> pd.DataFrame:
    """``pm_plan.csv``: one row per asset due in the horizon (and per announced asset)."""
    p = plan.problem
    visit_of = _visit_of(plan)
    unplannable = {u.asset: u.reason for u in p.unplannable}
    rows = []
    for da in sorted(p.due_assets, key=lambda d: (d.due_date, d.asset.asset)):
        a = da.asset
        row: dict[str, Any] = {"asset": a.asset, "customer": a.customer,
                               "due_date": da.due_date.isoformat(), "visit_date": "",
                               "slot": a.slot.value, "engineer": "", "sequence": "",
                               "status": "unplannable", "reason": unplannable.get(a.asset, "")}
        v = visit_of.get(a.asset)
        if v is not None:
            visit = p.visits[v]
            row["slot"] = visit.slot.value
            row["status"] = _status(plan, v)
            row["reason"] = plan.reasons.get(v, "")
            if v in plan.where:
                e, d = plan.where[v]
                row["visit_date"] = p.date(d).isoformat()
                row["engineer"] = p.engineers[e].engineer
                row["sequence"] = plan.days[(e, d)].visits.index(v) + 1
                if p.date(d) > da.due_date and not row["reason"]:
                    row["reason"] = ("late: overdue already" if da.overdue
                                     else "late: no capacity by the due date")
        rows.append(row)
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


def notices_table(plan: PmPlan) -> pd.DataFrame:
    """``notices.csv``: the new notices, one per customer, visit date and slot."""
    p = plan.problem
    groups: dict[tuple[str, str, str], list[tuple[str, str, dt.date]]] = {}
    for v, (e, d) in sorted(plan.where.items()):
        visit = p.visits[v]
        if visit.fixed_day is not None:
            continue
        notify = p.today if visit.short_notice else p.date(d) - dt.timedelta(
            days=p.options.notice_days)
        notify = max(notify, p.today)
        key = (visit.customer, p.date(d).isoformat(), visit.slot.value)
        for a in visit.assets:
            groups.setdefault(key, []).append((a, p.engineers[e].engineer, notify))
    rows = []
    for (customer, date, slot), items in sorted(groups.items()):
        engineers = [eng for _, eng, _ in items]
        rows.append({"customer": customer,
                     "notify_by": min(n for _, _, n in items).isoformat(),
                     "visit_date": date, "slot": slot, "assets": ";".join(a for a, _, _ in items),
                     "engineer": engineers[0] if len(set(engineers)) == 1
                     else ";".join(engineers)})
    return pd.DataFrame(rows, columns=NOTICE_COLUMNS).sort_values(
        ["notify_by", "customer", "visit_date"], kind="stable").reset_index(drop=True)


def announced_table(plan: PmPlan) -> pd.DataFrame:
    """Every visit announced once the new notices are sent (input form of ``notices.csv``)."""
    p = plan.problem
    rows = []
    customer_of = {da.asset.asset: da.asset.customer for da in p.due_assets}
    for v, (e, d) in sorted(plan.where.items()):
        visit = p.visits[v]
        for a in visit.assets:
            rows.append({"customer": customer_of[a], "asset": a,
                         "visit_date": p.date(d).isoformat(), "slot": visit.slot.value,
                         "engineer": p.engineers[e].engineer})
    return pd.DataFrame(rows, columns=ANNOUNCED_COLUMNS).sort_values(
        ["visit_date", "customer", "asset"], kind="stable").reset_index(drop=True)


def _iso_week(day: dt.date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def compliance_bound(plan: PmPlan) -> float:
    """Share of due assets that could be on time at all, capacity aside: a qualified engineer
    works on some allowed day by the asset's due date (overdue and unplannable ones cannot)."""
    p = plan.problem
    due = {da.asset.asset: (da.due_date - p.today).days for da in p.due_assets}
    possible = 0
    for v in p.visits:
        for a in v.assets:
            if v.fixed_day is not None:
                possible += v.fixed_day <= due[a]
                continue
            days = range(max(1, v.lo), min(due[a], v.last) + 1)
            possible += any(p.qualified(v.index, e, d) for d in days for e in p.holders[v.index])
    return possible / len(p.due_assets) if p.due_assets else 1.0


def summarise(plan: PmPlan, table: pd.DataFrame | None = None) -> dict[str, Any]:
    """Figures of the plan: compliance, overdue left, travel, visits per week and engineer."""
    p = plan.problem
    table = plan_table(plan) if table is None else table
    km = p.travel.km
    visit_date = pd.to_datetime(table["visit_date"].replace("", None))
    due = pd.to_datetime(table["due_date"])
    compliant = (visit_date.notna() & (visit_date <= due))
    weeks: dict[str, dict[str, float]] = {}
    engineers: dict[str, dict[str, float]] = {}
    total_km = 0.0
    for (e, d), day in sorted(plan.days.items()):
        home = int(p.home[e])
        sites = [p.visits[v].site for v in day.visits]
        path = [home, *sites, home]
        day_km = float(sum(km[a, b] for a, b in itertools.pairwise(path)))
        total_km += day_km
        n_assets = sum(len(p.visits[v].assets) for v in day.visits)
        for key, bucket in ((_iso_week(p.date(d)), weeks),
                            (p.engineers[e].engineer, engineers)):
            row = bucket.setdefault(key, {"visits": 0, "assets": 0, "days": 0, "onsite_h": 0.0,
                                          "travel_h": 0.0, "travel_km": 0.0})
            row["visits"] += len(day.visits)
            row["assets"] += n_assets
            row["days"] += 1
            row["onsite_h"] += day.onsite_min / 60
            row["travel_h"] += day.travel_min / 60
            row["travel_km"] += day_km
    n_visits = len(plan.where)
    full = [w["onsite_h"] + w["travel_h"] for w in weeks.values()]
    loads = np.array(full[1:-1] if len(full) > 2 else full, dtype=float)
    status = table["status"].value_counts().to_dict()
    return {
        "today": p.today.isoformat(),
        "horizon_days": p.horizon,
        "notice_days": p.options.notice_days,
        "method": plan.method,
        "seconds": round(plan.seconds, 2),
        "assets_due": len(table),
        "overdue_at_start": int(sum(1 for da in p.due_assets if da.overdue)),
        "visits": n_visits,
        "status": {k: int(v) for k, v in sorted(status.items())},
        "compliance": round(float(compliant.mean()) if len(table) else 1.0, 4),
        "compliance_bound": round(compliance_bound(plan), 4),
        "overdue_left": int((~compliant).sum()),
        "unplannable": int((table["status"] == "unplannable").sum()),
        "travel_km": round(total_km, 1),
        "travel_km_per_visit": round(total_km / n_visits, 2) if n_visits else 0.0,
        "weekly_load_spread": round(float(loads.std() / loads.mean()), 3)
        if len(loads) and loads.mean() > 0 else 0.0,
        "weeks": [{"week": k, **{f: round(v, 1) for f, v in row.items()}}
                  for k, row in sorted(weeks.items())],
        "engineers": [{"engineer": k, **{f: round(v, 1) for f, v in row.items()}}
                      for k, row in sorted(engineers.items())],
        "reassigned": [f"{', '.join(p.visits[v].assets)}: {r}"
                       for v, r in sorted(plan.reasons.items()) if r.startswith("re-assigned")],
        "notes": list(plan.notes),
    }


def summary_text(summary: dict[str, Any]) -> str:
    """The summary as a few lines for the terminal and ``summary.txt``."""
    s = summary
    lines = [
        f"PM plan from {s['today']} over {s['horizon_days']} days ({s['method']}, "
        f"{s['seconds']:.1f} s): {s['assets_due']} assets due, {s['visits']} visits",
        "status: " + ", ".join(f"{k} {v}" for k, v in s["status"].items()),
        f"compliance expected {100 * s['compliance']:.1f} % (at most "
        f"{100 * s['compliance_bound']:.1f} % whatever the capacity); overdue left "
        f"{s['overdue_left']} "
        f"(overdue at start {s['overdue_at_start']}); unplannable {s['unplannable']}",
        f"travel {s['travel_km']:.0f} km, {s['travel_km_per_visit']:.1f} km per visit; weekly "
        f"load spread {s['weekly_load_spread']:.2f} (std/mean of PM hours per full week)",
        "",
        "week       visits assets  on-site h  travel h",
    ]
    for w in s["weeks"]:
        lines.append(f"{w['week']:<10} {w['visits']:>6.0f} {w['assets']:>6.0f} "
                     f"{w['onsite_h']:>10.1f} {w['travel_h']:>9.1f}")
    lines += ["", "engineer   days visits  on-site h  travel km"]
    for e in s["engineers"]:
        lines.append(f"{e['engineer']:<10} {e['days']:>4.0f} {e['visits']:>6.0f} "
                     f"{e['onsite_h']:>10.1f} {e['travel_km']:>10.1f}")
    if s["reassigned"]:
        lines += ["", "re-assigned announced visits:"] + [f"  {r}" for r in s["reassigned"]]
    if s["notes"]:
        lines += ["", "notes:"] + [f"  {n}" for n in s["notes"]]
    return "\n".join(lines) + "\n"
