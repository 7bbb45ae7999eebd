"""The monthly standards against an independent pandas reading of the contract, on generated
histories (hypothesis): any mix of kinds and priorities, times written in several offsets, facts
missing at random, and month boundaries in the organisation's zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.report.history import read_history
from optimizer.report.monthly import monthly_report

OFFSETS = [timezone(timedelta(hours=h)) for h in (8, 0, -5)]
START = datetime(2026, 8, 25, tzinfo=OFFSETS[0])


@st.composite
def rows(draw: st.DrawFn) -> list[dict]:
    out = []
    for k in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["repair", "repair", "maintenance", "installation"]))
        priority = draw(st.sampled_from(["critical", "high", "normal", "low"]))
        tz = draw(st.sampled_from(OFFSETS))
        reported = START + timedelta(minutes=draw(st.integers(0, 80 * 24 * 60)))
        row: dict = {"job": f"J{k}", "kind": kind, "priority": priority, "customer": "C1",
                     "reported_at": reported.astimezone(tz).isoformat()}
        if draw(st.booleans()):
            row["responded_at"] = (reported + timedelta(minutes=draw(st.integers(0, 120)))
                                   ).astimezone(tz).isoformat()
        if draw(st.integers(0, 4)):
            arrived = reported + timedelta(minutes=draw(st.integers(0, 3000)))
            row["arrived_at"] = arrived.astimezone(tz).isoformat()
            if draw(st.integers(0, 5)):
                done = arrived + timedelta(minutes=draw(st.integers(0, 600)))
                row["completed_at"] = done.astimezone(tz).isoformat()
        if draw(st.booleans()):
            row["first_time_fix"] = draw(st.sampled_from(["true", "false"]))
        if draw(st.booleans()):
            need = draw(st.integers(0, 4))
            row["parts_needed"] = need
            if draw(st.integers(0, 4)):
                row["parts_on_time"] = draw(st.integers(0, need))
        if draw(st.booleans()):
            row["satisfaction"] = draw(st.integers(1, 5))
        if kind == "maintenance" and draw(st.integers(0, 4)):
            due = reported.date() + timedelta(days=draw(st.integers(-5, 40)))
            row["due_date"] = due.isoformat()
        out.append(row)
    return out


Expected = dict[str, dict[str, tuple[int, int, list]]]


def oracle(frame: pd.DataFrame, tz: timezone) -> tuple[pd.Series, Expected]:
    """Each row's month, and month -> key -> (good, count, missed ids), read straight from
    the contract's table."""
    def local(col: str) -> pd.Series:
        return pd.to_datetime(frame[col], utc=True, format="ISO8601").dt.tz_convert(tz)

    rep, arr, done = local("reported_at"), local("arrived_at"), local("completed_at")
    resp = local("responded_at")
    due = pd.to_datetime(frame["due_date"], format="%Y-%m-%d")
    maint = frame["kind"] == "maintenance"
    month = rep.dt.strftime("%Y-%m")
    month = month.where(~maint, due.dt.strftime("%Y-%m").where(due.notna(), month))
    month = month.where(~(maint & done.notna()), done.dt.strftime("%Y-%m"))
    wait_resp = (resp - rep).dt.total_seconds() / 60
    wait_arr = (arr - rep).dt.total_seconds() / 60
    crit = (frame["priority"] == "critical") & ~maint
    repair = (frame["kind"] == "repair") & ~crit
    ftf = frame["first_time_fix"].map({"true": True, "false": False})
    need = pd.to_numeric(frame["parts_needed"])
    ontime = pd.to_numeric(frame["parts_on_time"])
    score = pd.to_numeric(frame["satisfaction"])
    local_done = pd.to_datetime(done.dt.strftime("%Y-%m-%d"))
    tests = {
        "response_1h": (resp.notna(), wait_resp <= 60),
        "emergency_on_site_4h": (crit, arr.notna() & (wait_arr <= 240)),
        "repair_on_site_24h": (repair, arr.notna() & (wait_arr <= 1440)),
        "pm_compliance": (maint & due.notna(), done.notna() & (local_done <= due)),
        "first_time_fix": (ftf.notna(), ftf.eq(True)),
        "satisfaction": (score.notna(), score >= 4),
    }
    out: Expected = {}
    for m in sorted(month.unique()):
        here = month == m
        res = {}
        for key, (counted, ok) in tests.items():
            c = here & counted
            res[key] = (int((c & ok).sum()), int(c.sum()),
                        frame.loc[c & ~ok, "job"].tolist())
        p = here & (need > 0) & ontime.notna()
        res["parts_on_time"] = (int(ontime[p].sum()), int(need[p].sum()),
                                frame.loc[p & (ontime < need), "job"].tolist())
        out[m] = res
    return month, out


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows(), st.sampled_from(OFFSETS))
def test_standards_agree_with_an_independent_reading(tmp_path: Path, data: list[dict],
                                                      tz: timezone) -> None:
    frame = pd.DataFrame(data).reindex(columns=[
        "job", "kind", "priority", "customer", "reported_at", "responded_at", "arrived_at",
        "completed_at", "first_time_fix", "parts_needed", "parts_on_time", "satisfaction",
        "asset", "due_date"])
    path = tmp_path / "history.csv"
    frame.astype(object).where(frame.notna(), "").to_csv(path, index=False)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", np.nan)
    report = monthly_report(read_history(path), tz=tz, month=None)
    month_of, expected = oracle(frame, tz)
    assert set(expected) <= set(report.trend)
    for month, results in report.trend.items():
        got = {r.standard.key: r for r in results}
        for key, (good, count, missed) in expected.get(month, {}).items():
            r = got[key]
            assert (r.good, r.count, [m.job for m in r.missed]) == (good, count, missed), (
                month, key)
            assert r.value == (None if count == 0 else round(100 * good / count, 2))
        if month not in expected:  # an empty month between two others
            assert all(r.count == 0 and r.value is None for r in results)
    assert report.jobs == int((month_of == report.month).sum())
