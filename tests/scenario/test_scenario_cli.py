"""`optimizer scenario` end to end on a small data directory: files, comparison, executors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from scenario_helpers import small_data

from optimizer.cli import main
from optimizer.scenario import write_data
from optimizer.scenario.runner import run_scenarios

SCENARIOS = {
    "more.toml": 'base = "base"\n[[changes]]\ntype = "add_engineers"\ntemplate = "E001"\n'
                 "count = 2\n",
    "budget.toml": 'base = "base"\n[[changes]]\ntype = "change_stock_budget"\nfactor = 0.8\n',
    "close.yaml": "base: base\nchanges:\n  - type: close_depot\n    depot: D-EAST\n",
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scenarios")
    write_data(small_data(), root / "base")
    for name, text in SCENARIOS.items():
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def serial_out(workdir: Path) -> Path:
    out = workdir / "out-serial"
    files = [str(workdir / n) for n in SCENARIOS]
    rc = main(["scenario", *files, "-o", str(out), "--workers", "1", "--max-solutions", "3",
               "--time-limit", "600", "-q"])  # work-bounded: wall time never decides
    assert rc == 0
    return out


def test_outputs_are_written(serial_out: Path) -> None:
    for run in ("base", "more", "budget", "close"):
        assert (serial_out / run / "plan.json").exists()
        assert (serial_out / run / "kpis.json").exists()
        assert (serial_out / run / "data" / "problem.json").exists()
    for name in ("comparison.csv", "comparison.json", "comparison.html"):
        assert (serial_out / name).stat().st_size > 0


def test_comparison_content(serial_out: Path) -> None:
    data = json.loads((serial_out / "comparison.json").read_text())
    assert data["base"] == "base" and data["scenarios"] == ["more", "budget", "close"]
    metrics = {m["metric"]: m for m in data["metrics"]}
    total = metrics["plan_kpis.jobs_total"]
    assert total["base"] == 30 and total["scenarios"]["more"]["diff"] == 0
    budget = metrics["stock_budget.budget"]
    assert budget["scenarios"]["budget"]["diff_pct"] == pytest.approx(-20.0)
    assert budget["scenarios"]["more"]["diff"] == 0


def test_html_is_self_contained(serial_out: Path) -> None:
    html = (serial_out / "comparison.html").read_text()
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    svg = html[html.index("<svg"): html.index("</svg>") + len("</svg>")]
    ElementTree.fromstring(svg)  # well-formed
    assert "<table>" in html


def test_same_comparison_on_a_dask_cluster(workdir: Path, serial_out: Path,
                                           scenario_client: Any) -> None:
    out = workdir / "out-dask"
    run_scenarios([workdir / n for n in SCENARIOS], out, executor=scenario_client,
                  max_solutions=3, time_limit_s=600)
    assert (out / "comparison.json").read_text() == (serial_out / "comparison.json").read_text()
    assert (out / "comparison.csv").read_text() == (serial_out / "comparison.csv").read_text()


def test_bad_input_exits_2(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = workdir / "bad.toml"
    bad.write_text('base = "base"\n[[changes]]\ntype = "close_depot"\ndepot = "D-NOWHERE"\n')
    assert main(["scenario", str(bad), "-o", str(workdir / "x"), "--workers", "1"]) == 2
    assert "D-NOWHERE" in capsys.readouterr().err


def test_mixed_bases_refused(workdir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('base = "elsewhere"\n')
    rc = main(["scenario", str(workdir / "more.toml"), str(other), "-o", str(tmp_path / "o"),
               "--workers", "1"])
    assert rc == 2
