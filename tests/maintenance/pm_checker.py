"""An independent check of a PM plan against MAINTENANCE.md's validity rules.

Written from the contract text only: it reads the data directory and the plan with the csv
module and recomputes due dates, calendars, certificates and day routes (haversine, minutes
rounded up per leg) itself. It shares no code with ``optimizer.maintenance``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import defaultdict
from pathlib import Path

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(f)]


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        if part.strip():
            k, _, v = part.partition(":")
            out[k.strip()] = v.strip() or "1"
    return out


def _workdays(text: str) -> set[int]:
    if not text:
        return {0, 1, 2, 3, 4}
    out: set[int] = set()
    for part in text.split(","):
        a, _, b = part.strip().lower().partition("-")
        i = DAYS.index(a[:3])
        if not b:
            out.add(i)
            continue
        j = DAYS.index(b[:3])
        while True:
            out.add(i)
            if i == j:
                break
            i = (i + 1) % 7
    return out


def _minutes(text: str, default: str) -> int:
    h, m = (text or default).split(":")[:2]
    return int(h) * 60 + int(m)


def _leg(travel: dict, a: tuple[float, float], b: tuple[float, float]) -> int:
    if a == b:
        return 0
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h))) * travel.get("circuity", 1.0)
    return math.ceil(km / travel["speed_kmh"] * 60 - 1e-9)


def check_plan(data_dir: str | Path, out_dir: str | Path, today: dt.date, horizon_days: int,
               notice_days: int = 30, notices_file: str | Path | None = None) -> list[str]:
    """Every violation of the contract's validity rules; [] for a valid plan."""
    data, out = Path(data_dir), Path(out_dir)
    if not (data / "assets.csv").exists() and (data / "maintenance" / "assets.csv").exists():
        data = data / "maintenance"
    assets = {r["asset"]: r for r in _rows(data / "assets.csv")}
    engineers = {r["engineer"]: r for r in _rows(data / "engineers.csv")}
    holidays = {dt.date.fromisoformat(r["date"]) for r in _rows(data / "holidays.csv")}
    absent: dict[str, set[dt.date]] = defaultdict(set)
    for r in _rows(data / "absences.csv"):
        d, last = dt.date.fromisoformat(r["date_from"]), dt.date.fromisoformat(r["date_to"])
        while d <= last:
            absent[r["engineer"]].add(d)
            d += dt.timedelta(days=1)
    travel = {"speed_kmh": 30.0, "circuity": 1.3}
    if (data / "travel.json").exists():
        travel = json.loads((data / "travel.json").read_text())
    announced = {}
    for r in _rows(Path(notices_file) if notices_file else data / "notices.csv"):
        if dt.date.fromisoformat(r["visit_date"]) < today:
            continue
        if "asset" in r:
            announced[r["asset"]] = r
            continue
        # the planner's output form: assets a;b and engineer e or e1;e2 per asset
        names, engs = r["assets"].split(";"), r.get("engineer", "").split(";")
        for k, a in enumerate(names):
            announced[a] = {**r, "asset": a,
                            "engineer": engs[k] if len(engs) == len(names) else engs[0]}
    plan = _rows(out / "pm_plan.csv")
    bad: list[str] = []

    def works(e: str, day: dt.date) -> bool:
        eng = engineers[e]
        return (day.weekday() in _workdays(eng.get("workdays", "")) and day not in holidays
                and day not in absent[e])

    def qualified(e: str, asset: dict, day: dt.date) -> bool:
        eng = engineers[e]
        held = _pairs(eng["skills"])
        until = _pairs(eng.get("certified_until", ""))
        for skill, level in _pairs(asset["required_skills"]).items():
            if int(held.get(skill, 0)) < int(level):
                return False
            if skill in until and day > dt.date.fromisoformat(until[skill]):
                return False
        return True

    # rule 3: one row per asset due in the horizon
    end = today + dt.timedelta(days=horizon_days)
    seen: dict[str, int] = defaultdict(int)
    for r in plan:
        seen[r["asset"]] += 1
    for a, r in assets.items():
        cycle = int(r.get("cycle_days") or (91 if r["criticality"] == "critical" else 182))
        last = r.get("last_pm_date", "")
        due = dt.date.fromisoformat(last) + dt.timedelta(days=cycle) if last else today
        due = max(due, today)
        if (due <= end or a in announced) and seen[a] != 1:
            bad.append(f"asset {a} due {due}: {seen[a]} rows (expected 1)")
        if due > end and a not in announced and seen[a]:
            bad.append(f"asset {a} due {due}, after the horizon, has a row")
    for r in plan:
        if r["asset"] not in assets:
            bad.append(f"row for unknown asset {r['asset']}")
            continue
        cycle_due = r["due_date"]
        a = assets[r["asset"]]
        cycle = int(a.get("cycle_days") or (91 if a["criticality"] == "critical" else 182))
        last = a.get("last_pm_date", "")
        due = dt.date.fromisoformat(last) + dt.timedelta(days=cycle) if last else today
        if cycle_due != max(due, today).isoformat():
            bad.append(f"{r['asset']}: due_date {cycle_due}, expected {max(due, today)}")

    # rules 1 and 2, row by row
    days: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in plan:
        if r["asset"] not in assets:
            continue
        a, status = assets[r["asset"]], r["status"]
        if status == "unplannable":
            if r["visit_date"] or r["engineer"]:
                bad.append(f"{r['asset']}: unplannable but has a visit")
            if not r["reason"]:
                bad.append(f"{r['asset']}: unplannable without a reason")
            if r["asset"] in announced and not r["reason"]:
                bad.append(f"{r['asset']}: announced visit dropped without a reason")
            continue
        day = dt.date.fromisoformat(r["visit_date"])
        e = r["engineer"]
        if e not in engineers:
            bad.append(f"{r['asset']}: unknown engineer {e!r}")
            continue
        if not works(e, day):
            bad.append(f"{r['asset']}: {e} does not work on {day}")
        if not qualified(e, a, day):
            bad.append(f"{r['asset']}: {e} not qualified/certified for "
                       f"{a['required_skills']} on {day}")
        if a.get("slot") in ("am", "pm") and r["slot"] != a["slot"]:
            bad.append(f"{r['asset']}: slot {r['slot']}, the asset's is {a['slot']}")
        if a.get("contract_end") and day > dt.date.fromisoformat(a["contract_end"]):
            bad.append(f"{r['asset']}: visit {day} after contract end {a['contract_end']}")
        if day <= today and status != "announced":
            bad.append(f"{r['asset']}: new visit on {day}, not after the planning date")
        if status == "planned" and day < today + dt.timedelta(days=notice_days):
            bad.append(f"{r['asset']}: planned on {day}, less than {notice_days} days ahead")
        if status == "short_notice" and dt.date.fromisoformat(r["due_date"]) >= today + \
                dt.timedelta(days=notice_days):
            bad.append(f"{r['asset']}: short_notice but due {r['due_date']}")
        if r["asset"] in announced:
            n = announced[r["asset"]]
            if status != "announced":
                bad.append(f"{r['asset']}: announced but status {status}")
            if r["visit_date"] != n["visit_date"] or r["slot"] != (n.get("slot") or r["slot"]):
                bad.append(f"{r['asset']}: announced {n['visit_date']} {n.get('slot')}, "
                           f"planned {r['visit_date']} {r['slot']}")
            was = n.get("engineer", "")
            if was and e != was and works(was, day) and qualified(was, a, day):
                bad.append(f"{r['asset']}: announced with {was} (available), moved to {e}")
        elif status == "announced":
            bad.append(f"{r['asset']}: status announced without a notice")
        if not r["sequence"]:
            bad.append(f"{r['asset']}: no sequence")
            continue
        days[(e, r["visit_date"])].append(r)

    # rule 1: the engineer-day's time on site plus its route fits pm_share x shift
    for (e, day), rows in days.items():
        eng = engineers[e]
        shift = _minutes(eng.get("shift_end", ""), "17:00") - _minutes(
            eng.get("shift_start", ""), "08:00")
        budget = float(eng.get("pm_share") or 0.5) * shift
        rows.sort(key=lambda r: (int(r["sequence"]), r["asset"]))
        home = (float(eng["lat"]), float(eng["lon"]))
        prev, route = home, 0
        for r in rows:
            a = assets[r["asset"]]
            here = (float(a["lat"]), float(a["lon"]))
            route += _leg(travel, prev, here)
            prev = here
        route += _leg(travel, prev, home)
        onsite = sum(int(assets[r["asset"]]["pm_duration_min"]) for r in rows)
        if onsite + route > budget + 1e-9:
            bad.append(f"{e} on {day}: {onsite} min on site + {route} min travel > "
                       f"{budget:g} min of PM time")
        seqs = sorted({int(r["sequence"]) for r in rows})
        if seqs != list(range(1, len(seqs) + 1)):
            bad.append(f"{e} on {day}: sequence {seqs} is not 1..n")

    # notices: every new visit is in notices.csv, notified in time
    notes = _rows(out / "notices.csv")
    told: dict[str, dict[str, str]] = {}
    for n in notes:
        for a in n["assets"].split(";"):
            told[a] = n
    for r in plan:
        if r["status"] in ("planned", "short_notice"):
            n = told.get(r["asset"])
            if n is None or (n["visit_date"], n["slot"], n["customer"]) != (
                    r["visit_date"], r["slot"], r["customer"]):
                bad.append(f"{r['asset']}: no matching notice")
                continue
            visit = dt.date.fromisoformat(r["visit_date"])
            expect = today if r["status"] == "short_notice" else \
                visit - dt.timedelta(days=notice_days)
            if dt.date.fromisoformat(n["notify_by"]) > max(expect, today):
                bad.append(f"{r['asset']}: notify_by {n['notify_by']}, expected {expect}")
    return bad
