"""The PM planner on small hand-made cases: each rule of the contract binding and not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pm_checker import check_plan
from pm_helpers import TODAY, asset, day, engineer, plan_dir, write_dir

METHODS = ["cpsat", "greedy"]


def _plan(tmp_path, assets, engineers, method="cpsat", horizon_days=120, **extra):
    d = write_dir(tmp_path / "data", assets, engineers, **extra)
    table = plan_dir(d, tmp_path / "out", method=method, horizon_days=horizon_days)
    assert check_plan(d, tmp_path / "out", TODAY, horizon_days) == []
    return table


@pytest.mark.parametrize("method", METHODS)
def test_rows_due_dates_and_statuses(tmp_path, method):
    t = _plan(tmp_path, [
        asset("SOON", "C1", due_in=10),
        asset("LATER", "C2", lat=31.25, due_in=60),
        asset("OVERDUE", "C3", lat=31.22, due_in=-20),
        asset("NEVER", "C4", lon=121.46, last=""),
        asset("BEYOND", "C5", due_in=150),  # after the horizon: no row
        asset("CRIT", "C6", criticality="critical", due_in=50, lat=31.21),
    ], [engineer("E1")], method=method)
    assert sorted(t.index) == ["CRIT", "LATER", "NEVER", "OVERDUE", "SOON"]
    assert t.loc["OVERDUE", "due_date"] == TODAY.isoformat()
    assert t.loc["NEVER", "due_date"] == TODAY.isoformat()
    assert t.loc["LATER", "due_date"] == day(60)
    for a in ("SOON", "OVERDUE", "NEVER"):
        assert t.loc[a, "status"] == "short_notice"
    assert t.loc["SOON", "visit_date"] <= day(10)
    assert t.loc["OVERDUE", "visit_date"] <= day(3)  # as soon as possible
    for a in ("LATER", "CRIT"):
        assert t.loc[a, "status"] == "planned"
        assert day(30) <= t.loc[a, "visit_date"] <= t.loc[a, "due_date"]
    notices = pd.read_csv(tmp_path / "out" / "notices.csv", dtype=str)
    later = notices[notices["assets"] == "LATER"].iloc[0]
    assert later["notify_by"] == (dt.date.fromisoformat(later["visit_date"])
                                  - dt.timedelta(days=30)).isoformat()
    assert notices[notices["assets"] == "SOON"].iloc[0]["notify_by"] == TODAY.isoformat()


@pytest.mark.parametrize("method", METHODS)
def test_one_customer_one_visit_and_one_notice(tmp_path, method):
    t = _plan(tmp_path, [asset("A1", "C1", due_in=50), asset("A2", "C1", due_in=55),
                         asset("A3", "C1", due_in=60, skills="hvac:2"),
                         asset("B1", "C2", lat=31.30, due_in=50)],
              [engineer("E1"), engineer("E2", lat=31.30)], method=method)
    rows = t.loc[["A1", "A2", "A3"]]
    assert rows["visit_date"].nunique() == 1 and rows["engineer"].nunique() == 1
    assert rows["sequence"].nunique() == 1
    assert rows["visit_date"].iloc[0] <= day(50)
    notices = pd.read_csv(tmp_path / "out" / "notices.csv", dtype=str)
    assert notices[notices["customer"] == "C1"]["assets"].tolist() == ["A1;A2;A3"]
    assert t.loc["B1", "engineer"] == "E2"  # the engineer living next door


def test_slots_am_before_pm_and_never_merged(tmp_path):
    t = _plan(tmp_path, [asset("AM", "C1", slot="am", due_in=40, minutes=30),
                         asset("PM", "C1", slot="pm", due_in=40, minutes=30)],
              [engineer("E1", pm_share=1.0)])
    assert t.loc["AM", "slot"] == "am" and t.loc["PM", "slot"] == "pm"
    if t.loc["AM", ["visit_date", "engineer"]].tolist() == t.loc[
            "PM", ["visit_date", "engineer"]].tolist():
        assert int(t.loc["AM", "sequence"]) < int(t.loc["PM", "sequence"])


@pytest.mark.parametrize("until", [40, 100])
def test_certificate_counts_until_its_date(tmp_path, until):
    t = _plan(tmp_path, [asset("G", skills="gas:1", due_in=60)],
              [engineer("E1", skills="gas:1", certified_until=f"gas:{day(until)}")])
    assert t.loc["G", "engineer"] == "E1"
    assert t.loc["G", "visit_date"] <= day(min(until, 60))


def test_expired_certificate_makes_it_unplannable_with_the_renewal(tmp_path):
    t = _plan(tmp_path, [asset("G", skills="gas:1", due_in=60)],
              [engineer("E1", skills="gas:1;hvac:1", certified_until=f"gas:{day(10)}")])
    assert t.loc["G", "status"] == "unplannable"
    assert "renew E1's gas certificate" in t.loc["G", "reason"]


def test_absence_holiday_and_workdays_are_respected(tmp_path):
    absences = [{"engineer": "E1", "date_from": day(30), "date_to": day(44)}]
    holidays = [day(46)]
    t = _plan(tmp_path, [asset(f"A{k}", f"C{k}", lat=31.23 + k / 500, due_in=47, minutes=30)
                         for k in range(4)],
              [engineer("E1", workdays="Mon,Wed,Fri", pm_share=1.0)],
              absences=absences, holidays=holidays)
    for d in t["visit_date"]:
        date = dt.date.fromisoformat(d)
        assert date.weekday() in (0, 2, 4)
        assert not day(30) <= d <= day(44) and d != day(46)


@pytest.mark.parametrize(("share", "most_per_day"), [(0.5, 1), (1.0, 3)])
def test_pm_share_caps_the_day(tmp_path, share, most_per_day):
    t = _plan(tmp_path, [asset(f"A{k}", f"C{k}", lat=31.24 + k / 1000, minutes=150,
                               due_in=60) for k in range(4)],
              [engineer("E1", pm_share=share)])
    per_day = t.groupby("visit_date").size()
    assert per_day.max() <= most_per_day
    if share == 1.0:
        assert per_day.max() > 1  # grouped: the sites are a few hundred metres apart


def test_contract_end_and_no_qualified_engineer(tmp_path):
    t = _plan(tmp_path, [asset("ENDED", contract_end=day(-5), due_in=40),
                         asset("ENDS", contract_end=day(20), due_in=60),
                         asset("KEEP", contract_end=day(45), due_in=60),
                         asset("NOBODY", skills="lift:3", due_in=40)],
              [engineer("E1")])
    assert t.loc["ENDED", "status"] == "unplannable" and "contract ended" in t.loc[
        "ENDED", "reason"]
    assert t.loc["ENDS", "status"] == "unplannable"
    assert t.loc["KEEP", "visit_date"] <= day(45)
    assert "nobody holds lift:3" in t.loc["NOBODY", "reason"]


def test_compliance_is_total_when_capacity_allows(tmp_path):
    assets = [asset(f"A{k}", f"C{k // 2}", lat=31.20 + (k % 7) / 100, lon=121.45 + k / 400,
                    due_in=5 + 3 * k, minutes=45) for k in range(30)]
    t = _plan(tmp_path, assets, [engineer("E1"), engineer("E2", lat=31.26)])
    assert (t["visit_date"] <= t["due_date"]).all()


def test_replanning_keeps_announced_and_reassigns_an_absent_engineer(tmp_path):
    assets = [asset(f"A{k}", f"C{k}", lat=31.22 + k / 200, due_in=35 + 4 * k)
              for k in range(8)]
    engineers = [engineer("E1"), engineer("E2", lat=31.26, skills="hvac:1")]
    d = write_dir(tmp_path / "data", assets, engineers)
    first = plan_dir(d, tmp_path / "day1")
    notices = tmp_path / "day1" / "notices.csv"
    # the next day: nothing changed -> nothing moves
    tomorrow = TODAY + dt.timedelta(days=1)
    second = plan_dir(d, tmp_path / "day2", today=tomorrow, notices=notices)
    assert (second["status"] == "announced").all()
    cols = ["visit_date", "slot", "engineer"]
    assert second[cols].equals(first[cols])
    # E1 falls ill on the day of one of its visits: that visit alone moves to E2, same day
    victim = first[first["engineer"] == "E1"].iloc[0]
    write_dir(tmp_path / "data", assets, engineers, absences=[
        {"engineer": "E1", "date_from": victim["visit_date"], "date_to": victim["visit_date"]}])
    third = plan_dir(d, tmp_path / "day3", today=tomorrow, notices=notices)
    assert check_plan(d, tmp_path / "day3", tomorrow, 120, notices_file=notices) == []
    moved = third[third["engineer"] != first["engineer"]]
    assert set(moved.index) <= set(first[first["visit_date"] == victim["visit_date"]].index)
    assert victim.name in moved.index
    row = third.loc[victim.name]
    assert (row["visit_date"], row["slot"], row["engineer"]) == (
        victim["visit_date"], victim["slot"], "E2")
    assert row["status"] == "announced"
    assert "re-assigned to E2: E1 is not available" in row["reason"]


def test_an_announced_visit_after_a_new_contract_end_is_flagged(tmp_path):
    notices = [{"customer": "C1", "asset": "A1", "visit_date": day(40), "slot": "any",
                "engineer": "E1"}]
    t = _plan(tmp_path, [asset("A1", due_in=45, contract_end=day(35))], [engineer("E1")],
              notices=notices)
    assert t.loc["A1", "status"] == "unplannable"
    assert "after the contract end" in t.loc["A1", "reason"]
