"""The nightly pipeline and the ``optimizer nightly`` command, with the real solver."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pandas as pd
import pytest
from nightly_cdp import inspect_page
from nightly_helpers import DEMO, PAGE_CHECKS, REPO, write_parts_dir

from optimizer.batch.inputs import write_problem_tables
from optimizer.batch.nightly import _remap_shifts, day_problem, run_nightly
from optimizer.batch.outputs import MARKER, verify
from optimizer.cli import main
from optimizer.models import Job
from optimizer.validate import validate

OUT_FILES = {"plan.json", "routes.csv", "unassigned.csv", "orders.csv", "policy.csv",
             "kpis.json", "report.html", MARKER}


@pytest.fixture
def nightly_dir(example, tmp_path):
    """The contract example plus J006, whose part P-3003 is at no depot and on no van."""
    problem, _ = example
    extra = problem.jobs[1].model_dump() | {"id": "J006", "required_parts": {"P-3003": 2}}
    problem = problem.model_copy(update={"jobs": [*problem.jobs, Job.model_validate(extra)]})
    directory = write_parts_dir(tmp_path / "data")
    (directory / "problem.json").write_text(problem.model_dump_json())
    return directory


def test_run_nightly(nightly_dir):
    lines: list[str] = []
    result = run_nightly(nightly_dir, time_limit_s=2, progress=lines.append)
    assert result.date == date(2026, 11, 24)
    assert validate(result.problem, result.plan) == []
    held = {u.job: u for u in result.plan.unassigned if u.reason.value == "parts_unavailable"}
    # P-3003: none anywhere; WH has none either: supplier (10 d) then WH -> D1 (2 d)
    assert held["J006"].parts_due == "2026-12-05" and "2026-12-05" in held["J006"].detail
    orders = result.orders.set_index(["location", "part"])
    assert "J006" in orders.loc[("D1", "P-3003"), "reason"]
    assert set(result.policy.columns) >= {"location", "part", "reorder_point", "order_up_to"}
    keys = [x["key"] for x in result.kpis["standards"]]
    assert keys == ["emergency_on_site_4h", "standard_within_24h", "stockout_rate_expected",
                    "parts_on_time_supply"]
    assert result.kpis["jobs_left_by_reason"]["parts_unavailable"] >= 1
    assert [s.stage for s in result.stages] == ["read", "parts check", "solve", "validate",
                                                "parts", "kpis", "report"]
    for stage in ("read", "solve", "parts", "report"):
        assert any(line.startswith(f"[nightly] {stage}: ") and " s" in line for line in lines)
    assert set(result.files()) == OUT_FILES - {MARKER}
    assert set(result.routes["engineer"]) <= {"E01", "E02"}


def test_cli_writes_everything_and_says_where(nightly_dir, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["nightly", str(nightly_dir), "-o", str(out), "--time-limit", "2"])
    captured = capsys.readouterr()
    assert rc == 0
    assert {p.name for p in out.iterdir()} == OUT_FILES and verify(out) == []
    assert f"report: {out.resolve() / 'report.html'}" in captured.out
    assert "[nightly] solve: " in captured.err and "[nightly] write: " in captured.err
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["date"] == "2026-11-24" and kpis["problem_id"] == "example-2026-11-24"
    unassigned = pd.read_csv(out / "unassigned.csv")
    assert unassigned.set_index("job").loc["J006", "parts_due"] == "2026-12-05"


def test_cli_reads_tables_too(nightly_dir, tmp_path):
    problem_json = nightly_dir / "problem.json"
    from optimizer.io import read_problem

    write_problem_tables(read_problem(problem_json), nightly_dir, "parquet")
    problem_json.unlink()
    out = tmp_path / "out"
    assert main(["nightly", str(nightly_dir), "-o", str(out), "--time-limit", "2"]) == 0
    assert json.loads((out / "plan.json").read_text())["problem_id"] == "example-2026-11-24"


def test_parts_by_the_calibrated_system_view(nightly_dir, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["nightly", str(nightly_dir), "-o", str(out), "--time-limit", "2",
               "--parts-system-target", "0.02", "--parts-calibrate"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "[nightly] note: parts: " in err and "0.02 stockout rate" in err
    per_part = run_nightly(nightly_dir, time_limit_s=2)
    standards = {x["key"]: x for x in json.loads((out / "kpis.json").read_text())["standards"]}
    stockout = standards["stockout_rate_expected"]
    assert "calibrated system view" in stockout["definition"] and stockout["value"] is not None
    assert "planned to an overall 0.02 customer stockout rate" in stockout["definition"]
    per_part_def = {x["key"]: x for x in per_part.kpis["standards"]}[
        "stockout_rate_expected"]["definition"]
    assert "calibrated" not in per_part_def
    assert "planned to a 0.01 stockout rate at every part-location" in per_part_def
    system = pd.read_csv(out / "policy.csv")
    assert len(system) == len(per_part.policy)
    # the system view re-balances reorder points across parts: not the per-part table
    assert not system["reorder_point"].equals(per_part.policy["reorder_point"])
    rc = main(["nightly", str(nightly_dir), "-o", str(tmp_path / "o2"), "--parts-calibrate"])
    assert rc == 2 and "--parts-calibrate needs --parts-system-target" in (
        capsys.readouterr().err)


def test_bad_date_and_bad_out_dir_fail_before_solving(nightly_dir, tmp_path, capsys):
    rc = main(["nightly", str(nightly_dir), "-o", str(tmp_path / "o"), "--date", "2026-12-01"])
    assert rc == 2
    assert "no shift starts that day; the problem has shifts on 2026-11-24" in (
        capsys.readouterr().err)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep")
    assert main(["nightly", str(nightly_dir), "-o", str(precious)]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_only_the_days_shifts_are_planned(example):
    problem, _ = example
    e01 = problem.engineers[0]
    s = e01.shifts[0]
    nxt = s.model_copy(update={"start": s.start + timedelta(days=1), "end": s.end + timedelta(
        days=1), "breaks": []})
    two_days = problem.model_copy(update={"engineers": [
        e01.model_copy(update={"shifts": [nxt, s]}), *problem.engineers[1:]]})
    today, index = day_problem(two_days, date(2026, 11, 24))
    assert [len(e.shifts) for e in today.engineers] == [1, 1]
    assert index == {"E01": [1], "E02": [0]}
    _, plan = example
    remapped = _remap_shifts(list(plan.routes), index)
    assert [(r.engineer, r.shift) for r in remapped] == [("E01", 1), ("E02", 0)]


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The README's main command on the bundled demo data (5 s solver limit)."""
    if not (DEMO / "problem.json").exists():
        pytest.skip(f"the demo data is not there yet ({DEMO}/problem.json)")
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "optimizer.cli", "nightly", str(DEMO), "-o", str(out),
         "--time-limit", "5"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out, done


def test_demo_end_to_end(demo_run):
    out, done = demo_run
    # the demo has a maintenance/ folder: the PM plan as of the evening before comes along
    assert {p.name for p in out.iterdir()} == OUT_FILES | {"pm_plan.csv", "pm_notices.csv"}
    assert verify(out) == []
    assert f"report: {out / 'report.html'}" in done.stdout
    for stage in ("read", "maintenance", "parts check", "solve", "validate", "parts", "kpis",
                  "report", "write"):
        assert f"[nightly] {stage}: " in done.stderr
    kpis = json.loads((out / "kpis.json").read_text())
    assert all(line["target"] is not None for line in kpis["standards"])
    assert kpis["standards"][-1]["key"] == "pm_compliance"
    assert kpis["maintenance"]["today"] == "2026-11-23"
    plan = json.loads((out / "plan.json").read_text())
    pm_jobs = [s["job"] for r in plan["routes"] for s in r["stops"]
               if s.get("job", "").startswith("PM-")]
    pm_left = [u["job"] for u in plan["unassigned"] if u["job"].startswith("PM-")]
    tomorrow = pd.read_csv(out / "pm_plan.csv", dtype=str, keep_default_na=False)
    assert len(pm_jobs) + len(pm_left) == tomorrow[tomorrow["visit_date"] == "2026-11-24"][
        ["customer", "engineer", "sequence"]].drop_duplicates().shape[0] > 0
    assert pd.read_csv(out / "orders.csv").columns.tolist() == [
        "location", "part", "qty", "source", "kind", "reason"]


def test_demo_report_in_headless_chromium(demo_run, chromium):
    out, _ = demo_run
    report = inspect_page(chromium, out / "report.html", PAGE_CHECKS)
    assert report.errors == [] and report.requests == []
    c = report.checks
    assert c["ready"] is True and c["map_visible"] is True and c["gantt_visible"] is True
    assert c["gantt_rows"] >= 40  # one row per engineer shift, worked or not
    assert c["kpi_rows"] >= 4 and "Parts on-time supply" in c["kpi_text"]
    assert "PM visits on time" in c["kpi_text"] and c["maintenance_rows"] > 0


def test_an_invalid_plan_is_refused_unless_asked(nightly_dir, example, monkeypatch):
    """The solver is replaced by the contract example's plan (J006 is held back, so the
    solver sees exactly the example problem) and the validator by one that objects."""
    import optimizer.batch.nightly as nightly
    from optimizer.errors import SolverError

    _, plan = example
    monkeypatch.setattr(nightly, "_solve", lambda problem, **kw: plan)
    result = run_nightly(nightly_dir)
    assert result.violations == () and "valid" in result.report_html
    monkeypatch.setattr(nightly, "_validate", lambda problem, plan: ["[time] E01 is late"])
    with pytest.raises(SolverError, match=r"breaks the contract; nothing written:\n\[time\]"):
        run_nightly(nightly_dir)
    result = run_nightly(nightly_dir, allow_invalid=True)
    assert result.violations == ("[time] E01 is late",)
    assert "PLAN INVALID: 1 contract violations" in result.report_html
