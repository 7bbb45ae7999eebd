"""The monthly service report against a month computed by hand, to the job.

``tests/data/monthly_history.csv`` holds 16 jobs around October 2026 in an organisation at
UTC+08:00 (the first row's offset), with every edge the contract names: times written in
another offset across the month boundary, a missing ``responded_at``, jobs never visited,
maintenance counted by ``completed_at`` (and, not completed, by ``due_date``), maintenance
without a due date, a critical maintenance visit (no emergency), parts in units with a job
whose ``parts_on_time`` is unknown, and an unknown column.

October 2026 at +08:00, by hand. Rows counting in it: R1 (reported 2026-09-30T16:30Z =
Oct 1 00:30 local), R2 (Oct 31 23:30), E1, E2, E3, R4, I1, R5; maintenance M1 (completed
Oct 10), M3 (completed 2026-10-31T15:30Z = Oct 31 23:30 local), M6 (Oct 12), M5 (never
completed, due Oct 20). Not October: S1 (Sep), R3 (2026-10-31T16:10Z = Nov 1 00:10 local),
M2 (completed Nov 3), M4 (completed 2026-10-31T17:00Z = Nov 1 01:00 local).

- response_1h: with responded_at R1 20 min, R2 75, E1 5, E3 30, I1 60 (counts: <= 60),
  R5 10 -> 5 / 6 = 83.33 %, missed R2; 6 October jobs without it (E2 R4 M1 M3 M5 M6).
- emergency_on_site_4h: critical, not maintenance: E1 239 min, E2 241, E3 never visited
  -> 1 / 3 = 33.33 %, missed E2 E3 (M5 is critical maintenance: not counted).
- repair_on_site_24h: R1 19.5 h, R2 25.5 h, R4 never, R5 exactly 24 h -> 2 / 4 = 50 %.
- pm_compliance: M1 Oct 10 <= Oct 15, M3 Oct 31 (local) <= Oct 31, M5 not completed;
  M6 has no due date (left out, noted) -> 2 / 3 = 66.67 %, missed M5.
- first_time_fix: R1 R2(false) E1 E2 R5 -> 4 / 5 = 80 %, missed R2.
- parts_on_time (units): R1 2/2, R2 1/3, R5 5/5 -> 8 / 10 = 80 %; I1 needs 4 with no
  parts_on_time (left out, noted); M1 needs 0 (nothing to count).
- satisfaction: R1 5, R2 3, E1 4, I1 4 -> 3 / 4 = 75 %, missed R2.
- stockout_rate: records 2026-10: 30 short of 2,000 -> 1.5 %, count 2,000 units.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.report.history import parse_utc_offset, read_history
from optimizer.report.monthly import monthly_report
from optimizer.report.stockout import read_stockout

DATA = Path(__file__).resolve().parent.parent / "data"
HISTORY = DATA / "monthly_history.csv"
PLUS8 = timezone(timedelta(hours=8))

OCTOBER = {  # key: (value, count, missed)
    "response_1h": (83.33, 6, ["R2"]),
    "emergency_on_site_4h": (33.33, 3, ["E2", "E3"]),
    "repair_on_site_24h": (50.0, 4, ["R2", "R4"]),
    "pm_compliance": (66.67, 3, ["M5"]),
    "first_time_fix": (80.0, 5, ["R2"]),
    "parts_on_time": (80.0, 10, ["R2"]),
    "stockout_rate": (1.5, 2000, []),
    "satisfaction": (75.0, 4, ["R2"]),
}
TARGETS = {"response_1h": (100.0, ">="), "emergency_on_site_4h": (100.0, ">="),
           "repair_on_site_24h": (100.0, ">="), "pm_compliance": (100.0, ">="),
           "first_time_fix": (95.0, ">="), "parts_on_time": (98.0, ">="),
           "stockout_rate": (1.0, "<="), "satisfaction": (90.0, ">=")}


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "stockout.csv"
    pd.DataFrame({"month": ["2026-09", "2026-10"], "part": ["all", "all"],
                  "demand": [1000, 2000], "short": [5, 30]}).to_csv(path, index=False)
    return path


def test_october_matches_the_hand_computed_month(records: Path) -> None:
    report = monthly_report(read_history(HISTORY), stockout=read_stockout(str(records)))
    assert report.month == "2026-10"
    assert report.month_reason.startswith("the last complete month in the history")
    assert report.utc_offset == "+08:00"
    assert report.jobs == 12
    data = report.to_json()
    assert [s["key"] for s in data["standards"]] == list(OCTOBER)
    for s in data["standards"]:
        value, count, missed = OCTOBER[s["key"]]
        assert (s["value"], s["count"], s["missed"]) == (value, count, missed), s["key"]
        assert (s["target"], s["target_op"]) == TARGETS[s["key"]]
        assert s["unit"] == "%" and s["met"] is False and s["label"]
        assert set(s) <= {"key", "label", "value", "unit", "target", "target_op", "met",
                          "count", "missed", "note"}
    notes = {s["key"]: s.get("note") for s in data["standards"]}
    assert notes["response_1h"] == "6 jobs without responded_at: not counted"
    assert notes["pm_compliance"] == "1 job of maintenance without due_date: not counted"
    assert notes["parts_on_time"] == "1 job needing parts without parts_on_time: not counted"
    assert notes["emergency_on_site_4h"] is None


def test_the_trend_covers_every_month_and_november_by_hand(records: Path) -> None:
    report = monthly_report(read_history(HISTORY), stockout=read_stockout(str(records)))
    assert sorted(report.trend) == ["2026-09", "2026-10", "2026-11"]
    nov = {r.standard.key: r for r in report.trend["2026-11"]}
    # R3 (response 20 min, on site 9.8 h), M2 (Nov 3 > Oct 30) and M4 (Nov 1 > Oct 31)
    assert (nov["pm_compliance"].value, [m.job for m in nov["pm_compliance"].missed]) == (
        0.0, ["M2", "M4"])
    assert nov["repair_on_site_24h"].value == 100.0 and nov["repair_on_site_24h"].count == 1
    assert nov["stockout_rate"].value is None and "nothing for 2026-11" in (
        nov["stockout_rate"].note or "")
    sep = {r.standard.key: r for r in report.trend["2026-09"]}
    assert sep["stockout_rate"].value == 0.5
    assert sep["emergency_on_site_4h"].value is None
    assert sep["emergency_on_site_4h"].note == "no critical job reported in 2026-09"
    assert report.incomplete == {"2026-11": "the history runs to 2026-11-03"}


def test_the_organisations_offset_decides_the_month() -> None:
    """In UTC, R1 moves to September, R3 and M4 to October (M4 then on time)."""
    report = monthly_report(read_history(HISTORY), tz=UTC)
    assert report.utc_offset == "+00:00"
    oct_ = {r.standard.key: r for r in report.results}
    repairs = oct_["repair_on_site_24h"]
    # R2 (25.5 h), R3 (16.8 h), R4 (never), R5 (24 h)
    assert (repairs.count, [m.job for m in repairs.missed]) == (4, ["R2", "R4"])
    pm = oct_["pm_compliance"]
    # M1, M3 (Oct 31 15:30Z), M4 (Oct 31 17:00Z, on its due date), M5 not completed
    assert (pm.count, pm.value, [m.job for m in pm.missed]) == (4, 75.0, ["M5"])


def test_month_given_and_months_outside_the_history() -> None:
    history = read_history(HISTORY)
    report = monthly_report(history, month="2026-11")
    assert report.month == "2026-11" and report.month_reason == "given (--month)"
    with pytest.raises(InputError, match=r"--month 2026-12: the history .* covers 2026-09 to "
                       r"2026-11 \(in UTC\+08:00\)"):
        monthly_report(history, month="2026-12")
    with pytest.raises(InputError, match="write the month as YYYY-MM"):
        monthly_report(history, month="Oct 2026")


def test_stockout_from_a_backtest_a_rate_or_nothing(tmp_path: Path) -> None:
    history = read_history(HISTORY)
    backtest = tmp_path / "backtest.csv"
    # the parts backtest's per-series table: customer-weighted as its own headline
    pd.DataFrame({"location": ["WH", "D1", "D2"], "part": ["P", "P", "P"],
                  "demand": [100, 60, 40], "short": [10, 1, 1], "stockout_rate": [0.1, 1 / 60,
                                                                                   0.025],
                  "customer_share": [0.0, 1.0, 1.0]}).to_csv(backtest, index=False)
    s = {r.standard.key: r for r in monthly_report(
        history, stockout=read_stockout(str(backtest))).results}["stockout_rate"]
    assert (s.value, s.count, s.met) == (2.0, 100, False)  # (1 + 1) / (60 + 40)
    assert s.note == "from the parts backtest backtest.csv, not measured on 2026-10 alone"
    for given, value in (("0.8%", 0.8), ("0.004", 0.4)):
        s = {r.standard.key: r for r in monthly_report(
            history, stockout=read_stockout(given)).results}["stockout_rate"]
        assert (s.value, s.met) == (value, True)
    s = {r.standard.key: r for r in monthly_report(history).results}["stockout_rate"]
    assert s.value is None and s.met is None and "no stockout records given" in (s.note or "")
    with pytest.raises(InputError, match="a bare number is a fraction"):
        read_stockout("1.5")  # meant 1.5 %: a fraction above 1 is refused, not taken as 150 %
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"date": ["2026-10-01", "2026-10-32"], "demand": [5, 5],
                  "short": [6, 0]}).to_csv(bad, index=False)
    with pytest.raises(InputError) as err:
        read_stockout(str(bad))
    assert err.value.problems == [
        "bad.csv row 1: column short='6': more than demand '5'",
        "bad.csv row 2: column date='2026-10-32': not YYYY-MM-DD"]


def test_bad_history_names_file_row_and_column(tmp_path: Path) -> None:
    text = HISTORY.read_text().splitlines()
    rows = [text[0],
            "B1,repair,urgent,C1,2026-10-01T09:00:00+08:00,,,,,,,,,,",
            "B2,repair,normal,C1,2026-10-01 09:00,,,,maybe,,,7,,,",
            "B3,repair,normal,C1,2026-10-01T09:00:00+08:00,,2026-10-01T08:00:00+08:00,,,2,3,,,,",
            "B3,repair,normal,,2026-10-01T09:00:00+08:00,,,,,,,,,2026-02-30,"]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError) as err:
        read_history(path)
    assert err.value.problems == [
        "history.csv row 1 (job 'B1'): column priority='urgent': expected one of critical, "
        "high, normal, low",
        "history.csv row 2 (job 'B2'): column reported_at='2026-10-01 09:00': time has no UTC "
        "offset (write e.g. 2026-11-24T08:00:00+08:00)",
        "history.csv row 2 (job 'B2'): column first_time_fix='maybe': expected true or false",
        "history.csv row 2 (job 'B2'): column satisfaction='7': a satisfaction score is 1 to 5",
        "history.csv row 3 (job 'B3'): column arrived_at=2026-10-01T08:00:00+08:00: before "
        "reported_at 2026-10-01T09:00:00+08:00",
        "history.csv row 3 (job 'B3'): column parts_on_time=3: more than parts_needed 2",
        "history.csv row 4 (job 'B3'): column customer: empty (required)",
        "history.csv row 4 (job 'B3'): column due_date='2026-02-30': not a date (write "
        "YYYY-MM-DD)",
    ]
    pd.read_csv(HISTORY).drop(columns=["customer"]).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"history.csv: missing required column.s. customer"):
        read_history(path)


def test_duplicate_jobs_are_an_error(tmp_path: Path) -> None:
    frame = pd.read_csv(HISTORY, dtype=str, keep_default_na=False)
    path = tmp_path / "history.csv"
    pd.concat([frame, frame.iloc[[3]]]).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"row 17: column job='R3': duplicate id \(also row 4\)"):
        read_history(path)


def test_parquet_reads_the_same(tmp_path: Path) -> None:
    frame = pd.read_csv(HISTORY, dtype=str, keep_default_na=False)
    path = tmp_path / "history.parquet"
    frame.to_parquet(path, index=False)
    a = monthly_report(read_history(HISTORY)).to_json()
    b = monthly_report(read_history(path)).to_json()
    a.pop("history"), b.pop("history")
    assert a == b


def test_parquet_with_native_types_reads_the_same(tmp_path: Path) -> None:
    """tz-aware timestamps, nullable integers and booleans, dates: as a warehouse exports."""
    f = pd.read_csv(HISTORY, dtype=str, keep_default_na=False).replace("", None)
    for c in ("reported_at", "responded_at", "arrived_at", "completed_at"):
        f[c] = pd.to_datetime(f[c], utc=True, format="ISO8601").dt.tz_convert(PLUS8)
    for c in ("parts_needed", "parts_on_time", "satisfaction"):
        f[c] = pd.to_numeric(f[c]).astype("Int64")
    f["first_time_fix"] = f["first_time_fix"].map({"true": True, "false": False}).astype(
        "boolean")
    f["due_date"] = pd.to_datetime(f["due_date"]).dt.date
    path = tmp_path / "history.parquet"
    f.to_parquet(path, index=False)
    a = monthly_report(read_history(HISTORY)).to_json()
    b = monthly_report(read_history(path)).to_json()
    a.pop("history"), b.pop("history")
    assert a == b
    naive = f.assign(reported_at=f["reported_at"].dt.tz_localize(None))
    naive.to_parquet(path, index=False)
    with pytest.raises(InputError, match=r"row 1 \(job 'S1'\): column reported_at=.*no UTC"):
        read_history(path)


def test_utc_offset_parsing() -> None:
    assert parse_utc_offset("+08:00") == PLUS8
    assert parse_utc_offset("-0530") == timezone(-timedelta(hours=5, minutes=30))
    assert parse_utc_offset("Z") == UTC
    for bad in ("8", "+8:00", "+15:00", "GMT+8"):
        with pytest.raises(InputError, match="--utc-offset"):
            parse_utc_offset(bad)


def test_cli_writes_the_four_files(tmp_path: Path, records: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "monthly"
    assert main(["report", "monthly", str(HISTORY), "-o", str(out),
                 "--stockout", str(records)]) == 0
    printed = capsys.readouterr().out
    assert "month 2026-10: the last complete month in the history (it runs to 2026-11-03)" \
        in printed
    kpis = json.loads((out / "monthly_kpis.json").read_text())
    assert kpis["month"] == "2026-10"
    assert {s["key"]: s["value"] for s in kpis["standards"]} == {
        k: v[0] for k, v in OCTOBER.items()}
    trend = pd.read_csv(out / "monthly_trend.csv")
    assert len(trend) == 3 * 8
    missed = pd.read_csv(out / "monthly_missed.csv")
    assert missed.groupby("standard")["job"].apply(list).to_dict() == {
        k: v[2] for k, v in OCTOBER.items() if v[2]}
    assert missed.set_index(["standard", "job"]).loc[("pm_compliance", "M5"),
                                                     "what_happened"] == \
        "not completed (due 2026-10-20)"
    html = (out / "monthly_report.html").read_text()
    assert html.count('<svg class="trend"') == 8
    assert "{{" not in html
    # --utc-offset and --month through the CLI
    assert main(["report", "monthly", str(HISTORY), "-o", str(out), "--utc-offset", "+00:00",
                 "--month", "2026-09", "-q"]) == 0
    kpis = json.loads((out / "monthly_kpis.json").read_text())
    assert kpis["month"] == "2026-09" and kpis["utc_offset"] == "+00:00"
    assert next(s for s in kpis["standards"] if s["key"] == "repair_on_site_24h")["count"] == 2
    # bad input: exit code 2 and the problem named
    assert main(["report", "monthly", str(tmp_path / "none.csv"), "-o", str(out)]) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["report", "monthly", str(HISTORY), "-o", str(blocker)]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_the_demo_history_reports_october(tmp_path: Path) -> None:
    demo = DATA.parent.parent / "scenarios" / "demo" / "history.csv"
    # the README's command
    assert main(["report", "monthly", str(demo), "-o", str(tmp_path / "monthly"), "-q"]) == 0
    assert json.loads((tmp_path / "monthly" / "monthly_kpis.json").read_text())["month"] == \
        "2026-10"
    report = monthly_report(read_history(demo))
    assert report.month == "2026-10" and report.jobs > 1000
    assert sorted(report.trend)[0] == "2026-05" and report.incomplete == {
        "2026-11": "the history runs to 2026-11-23"}
    for r in report.results:
        if r.standard.key != "stockout_rate":
            assert r.value is not None and r.count > 50, r.standard.key


def test_the_demo_generator_is_seeded(tmp_path: Path) -> None:
    sys.path.insert(0, str(DATA.parent.parent / "scenarios"))
    try:
        from generate_demo_history import generate  # a script beside the demo, not a module
    finally:
        sys.path.pop(0)
    a, b = generate(7, tmp_path / "none.csv"), generate(7, tmp_path / "none.csv")
    pd.testing.assert_frame_equal(a, b)
    assert a["job"].is_unique and set(a["kind"]) == {"repair", "installation", "maintenance"}
    # with an installed base: each asset's last visit is its last_pm_date, visits serve the
    # due date the one before set (visit + cycle)
    base = tmp_path / "assets.csv"
    pd.DataFrame({"asset": ["A1", "A2", "A3"], "customer": ["C1", "C1", "C2"],
                  "criticality": ["critical", "general", "general"], "cycle_days": ["", "", ""],
                  "last_pm_date": ["2026-11-20", "2026-09-30", ""]}).to_csv(base, index=False)
    h = generate(7, base)
    assert set(h["customer"]) == {"C1", "C2"}
    pm = h[h["kind"] == "maintenance"].copy()
    pm["done"] = pd.to_datetime(pm["completed_at"].str[:10])
    assert set(pm["asset"]) <= {"A1", "A2"}
    for asset, cycle, last in (("A1", 91, "2026-11-20"), ("A2", 182, "2026-09-30")):
        visits = pm[(pm["asset"] == asset) & pm["done"].notna()].sort_values("done")
        assert str(visits["done"].max().date()) == last
        prev = visits["done"].tolist()
        dues = pd.to_datetime(visits["due_date"]).tolist()
        for before, due in zip(prev, dues[1:], strict=False):
            assert (due - before).days == cycle
