"""The report page: self-contained, and checked in a real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nightly_cdp import inspect_page
from nightly_helpers import PAGE_CHECKS

from optimizer.batch.nightly import routes_table, unassigned_table
from optimizer.batch.report import render_report
from optimizer.batch.standards import service_standards


def _page(example, tmp_path: Path, *, inject: str = "") -> Path:
    problem, plan = example
    kpis = service_standards(problem, plan)
    html = render_report(problem, plan, kpis, unassigned=unassigned_table(problem, plan),
                         meta={"date": "2026-11-24", "generated_at": "test"})
    if inject:
        html = html.replace("</body>", inject + "</body>")
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_is_self_contained(example, tmp_path):
    html = _page(example, tmp_path).read_text()
    # Nothing to fetch: no src/href to another host, no @import, no url() but data:.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!data:)", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for element in ('id="map"', 'id="gantt"', 'id="kpi-table"', 'id="unassigned-table"'):
        assert element in html
    assert "{{" not in html  # every placeholder filled


def test_report_escapes_text(example, tmp_path):
    problem, plan = example
    evil = plan.unassigned[0].model_copy(update={"detail": "<script>alert(1)</script>"})
    plan = plan.model_copy(update={"unassigned": [evil]})
    html = render_report(problem, plan, service_standards(problem, plan),
                         unassigned=unassigned_table(problem, plan))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_routes_and_unassigned_tables(example):
    problem, plan = example
    routes = routes_table(problem, plan)
    assert list(routes["engineer"]) == ["E01", "E01", "E01", "E02", "E02", "E02"][: len(routes)]
    assert set(routes["type"]) == {"job", "depot", "break"}
    assert routes.loc[routes["type"] == "depot", "pickup"].tolist() == ["P-2002:1"]
    unassigned = unassigned_table(problem, plan)
    assert unassigned.to_dict("records")[0]["reason"] == "no_qualified_engineer"


def test_report_in_headless_chromium(example, tmp_path, chromium):
    page = _page(example, tmp_path)
    report = inspect_page(chromium, page, PAGE_CHECKS, screenshot=True)
    (tmp_path / "report.png").write_bytes(report.screenshot or b"")
    assert report.errors == []
    assert report.requests == []  # works offline: nothing fetched
    c = report.checks
    assert c["ready"] is True
    assert c["map_routes"] == 2 and c["map_depots"] == 1 and c["map_visible"] is True
    assert c["gantt_rows"] == 2 and c["gantt_bars"] == 4 and c["gantt_visible"] is True
    assert c["kpi_rows"] >= 4
    assert "Emergencies on site within 4 h" in c["kpi_text"]
    assert "Stockout rate" in c["kpi_text"]
    assert c["unassigned_rows"] == 1


@pytest.mark.parametrize(
    "inject, expected",
    [
        # an uncaught exception after the page is drawn
        ("<script>null.boom;</script>", "uncaught exception"),
        # console.error
        ("<script>console.error('bad data');</script>", "console.error: bad data"),
        # a resource the page would fetch from outside (blocked by the CSP: an error as well)
        ('<img src="https://tiles.example.invalid/0/0/0.png">', "tiles.example.invalid"),
    ],
)
def test_browser_check_catches_a_broken_page(example, tmp_path, chromium, inject, expected):
    """The browser test is not blind: a page that throws or fetches fails it."""
    page = _page(example, tmp_path, inject=inject)
    report = inspect_page(chromium, page, {}, timeout_s=20)
    assert any(expected in e for e in report.errors) or any(
        expected in r for r in report.requests), (report.errors, report.requests)


def test_gantt_shows_the_planned_day_only(example):
    from datetime import date, timedelta

    from optimizer.batch.report import engineer_colour, render_gantt

    problem, plan = example
    e01 = problem.engineers[0]
    s = e01.shifts[0]
    nxt = s.model_copy(update={"start": s.start + timedelta(days=1),
                               "end": s.end + timedelta(days=1), "breaks": []})
    two_days = problem.model_copy(update={"engineers": [
        e01.model_copy(update={"shifts": [s, nxt]}), *problem.engineers[1:]]})
    colours = {e.id: engineer_colour(i) for i, e in enumerate(two_days.engineers)}
    both = render_gantt(two_days, plan, colours)
    one_day = render_gantt(two_days, plan, colours, date(2026, 11, 24))
    assert both.count('class="row"') == 3 and one_day.count('class="row"') == 2
    # the time axis spans the planned day (08:00-18:00), not two days
    assert one_day.count('class="ticklabel"') == 11
    assert both.count('class="ticklabel"') > 11
