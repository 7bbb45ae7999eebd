"""``optimizer maintenance plan`` end to end, and its errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
from pm_checker import check_plan
from pm_helpers import TODAY, asset, engineer, run_cli, write_dir


def test_plan_command_writes_plan_notices_and_summary(tmp_path):
    d = write_dir(tmp_path / "data", [asset("A1", due_in=10), asset("A2", "C2", due_in=60),
                                      asset("A3", "C3", skills="lift:1", due_in=40)],
                  [engineer("E1")])
    out = tmp_path / "out"
    r = run_cli("maintenance", "plan", str(d), "-o", str(out), "--today", TODAY.isoformat(),
                "--time-limit", "2")
    assert r.returncode == 0, r.stderr
    assert "compliance expected" in r.stdout and "[maintenance]" in r.stderr
    for name in ("pm_plan.csv", "notices.csv", "announced.csv", "summary.json", "summary.txt"):
        assert (out / name).exists()
    assert check_plan(d, out, TODAY, 120) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["assets_due"] == 3 and summary["unplannable"] == 1
    assert summary["visits"] == 2 and summary["travel_km"] > 0
    plan = pd.read_csv(out / "pm_plan.csv", dtype=str, keep_default_na=False)
    assert list(plan.columns) == ["asset", "customer", "due_date", "visit_date", "slot",
                                  "engineer", "sequence", "status", "reason"]


def test_bad_input_exits_2_naming_file_row_and_column(tmp_path):
    d = write_dir(tmp_path / "data", [asset("A1") | {"pm_duration_min": "an hour"}],
                  [engineer("E1")])
    r = run_cli("maintenance", "plan", str(d), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "assets.csv row 1, column pm_duration_min: 'an hour' is not a number" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_readme_demo_command(tmp_path):
    """README: ``optimizer maintenance plan scenarios/demo -o out/pm --today 2026-11-23``."""
    demo = Path(__file__).resolve().parents[2] / "scenarios" / "demo"
    out = tmp_path / "pm"
    r = run_cli("maintenance", "plan", str(demo), "-o", str(out), "--today", "2026-11-23",
                "--time-limit", "5")
    assert r.returncode == 0, r.stderr
    today = dt.date(2026, 11, 23)
    assert check_plan(demo, out, today, 120) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"]["announced"] == 110 and summary["assets_due"] > 1000
    assert summary["compliance"] >= 0.95
