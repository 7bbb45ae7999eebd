"""KPI comparison: flattening, differences, and the three files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from optimizer.scenario.chart import comparison_svg, write_comparison
from optimizer.scenario.compare import compare_kpis, flatten_kpis

NIGHTLY_LIKE = {
    "date": "2026-11-24",
    "standards": [{"key": "emergency_on_site_4h", "value": 80.0, "target": 100.0,
                   "met": False, "count": 10}],
    "figures": [{"key": "travel_km", "value": 120.5, "unit": "km"}],
    "plan_kpis": {"jobs_assigned": 40, "on_time_pct": 90.0},
    "notes": ["text is ignored"],
}


def test_flatten_keyed_lines_and_nested_maps() -> None:
    flat = flatten_kpis(NIGHTLY_LIKE)
    assert flat == {
        "standards.emergency_on_site_4h": 80.0,
        "standards.emergency_on_site_4h.count": 10.0,
        "figures.travel_km": 120.5,
        "plan_kpis.jobs_assigned": 40.0,
        "plan_kpis.on_time_pct": 90.0,
    }


def _comparison():
    more = json.loads(json.dumps(NIGHTLY_LIKE))
    more["plan_kpis"]["jobs_assigned"] = 50
    more["figures"][0]["value"] = 100.0
    zero = json.loads(json.dumps(NIGHTLY_LIKE))
    zero["plan_kpis"]["jobs_assigned"] = 0
    return compare_kpis({"base": NIGHTLY_LIKE, "more": more, "none": zero},
                        descriptions={"more": "two more engineers"})


def test_differences() -> None:
    c = _comparison()
    assert c.scenarios == ("more", "none")
    assert c.diff("more", "plan_kpis.jobs_assigned") == 10
    assert c.diff_pct("more", "plan_kpis.jobs_assigned") == pytest.approx(25.0)
    assert c.diff_pct("none", "plan_kpis.jobs_assigned") == pytest.approx(-100.0)
    with pytest.raises(ValueError, match="base"):
        compare_kpis({"a": {}})


def test_files(tmp_path: Path) -> None:
    c = _comparison()
    write_comparison(c, tmp_path)
    rows = list(csv.DictReader((tmp_path / "comparison.csv").open()))
    row = next(r for r in rows if r["metric"] == "figures.travel_km")
    assert row["base"] == "120.5000" and row["more_diff"] == "-20.5000"
    assert row["more_diff_pct"] == "-17.01"
    data = json.loads((tmp_path / "comparison.json").read_text())
    assert data["descriptions"]["more"] == "two more engineers"
    html = (tmp_path / "comparison.html").read_text()
    assert "two more engineers" in html and "<svg" in html


def test_svg_is_well_formed_with_a_bar_per_scenario_and_kpi() -> None:
    c = _comparison()
    svg = comparison_svg(c, ["plan_kpis.jobs_assigned", "figures.travel_km"])
    root = ElementTree.fromstring(svg)
    bars = [e for e in root.iter("{http://www.w3.org/2000/svg}rect")
            if e.find("{http://www.w3.org/2000/svg}title") is not None]
    assert len(bars) == 4
