"""The monthly report page: one self-contained HTML file (inline SVG charts, no network).

Each standard sits beside its target in one table, then has a section of its own: the trend
over the months the history covers (a line chart with the target dashed, the report month
shaded, incomplete months hatched) and the jobs that missed it with what happened.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from importlib import resources

from optimizer.batch.report import esc, render_table
from optimizer.report.monthly import Month, MonthReport, Result, Standard

CHART_W, CHART_H = 460, 220
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 16, 40
UNIT_KEYS = {"parts_on_time", "stockout_rate"}  # counted in parts units, not jobs


def fmt_pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} %"


def _target(s: Standard) -> str:
    return f"{'≥' if s.target_op == '>=' else '≤'} {fmt_pct(s.target)}"


def _status(met: bool | None) -> str:
    if met is None:
        return '<span class="note">no data</span>'
    return '<span class="ok">met</span>' if met else '<span class="bad">missed</span>'


def _count(r: Result) -> str:
    what = "units" if r.standard.key in UNIT_KEYS else "jobs"
    n = int(r.count) if float(r.count).is_integer() else round(r.count, 1)
    return f"{n:,} {what}"


def standards_table(report: MonthReport) -> str:
    rows = []
    for r in report.results:
        s = r.standard
        rows.append(
            f'<tr data-key="{esc(s.key)}"><td><a href="#std-{esc(s.key)}">{esc(s.label)}</a>'
            f'</td><td class="num">{esc(fmt_pct(r.value))}</td><td class="num">'
            f'{esc(_target(s))}</td><td>{_status(r.met)}</td><td class="num">'
            f'{esc(_count(r))}</td><td class="num">{len(r.missed)}</td>'
            f'<td class="note">{esc(r.note or "")}</td></tr>')
    return ('<table id="standards-table"><thead><tr><th>Standard</th><th>Value</th>'
            '<th>Target</th><th>Status</th><th>Counted over</th><th>Jobs missed</th>'
            '<th>Note</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _y_range(s: Standard, values: Sequence[float]) -> tuple[float, float]:
    if s.target_op == "<=":
        hi = max([s.target * 2, *values])
        return 0.0, float(math.ceil(hi * 1.1 * 2) / 2 or 1.0)
    lo = min([s.target, *values])
    lo = max(0.0, math.floor((lo - 5) / 10) * 10)
    return lo, 100.0


def trend_chart(s: Standard, months: Sequence[Month], results: dict[Month, Result],
                current: Month, incomplete: dict[Month, str]) -> str:
    """A line chart of the standard per month, target dashed (inline SVG)."""
    values = [results[m].value for m in months]
    known = [v for v in values if v is not None]
    lo, hi = _y_range(s, known)
    pw, ph = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    step = pw / max(len(months), 1)

    def x(i: int) -> float:
        return PAD_L + step * (i + 0.5)

    def y(v: float) -> float:
        return PAD_T + ph * (1 - (min(max(v, lo), hi) - lo) / ((hi - lo) or 1))

    out = [f'<svg class="trend" data-key="{esc(s.key)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" role="img">'
           f"<title>{esc(s.label)} per month (target {esc(_target(s))})</title>"
           f'<defs><pattern id="hatch-{esc(s.key)}" width="6" height="6" '
           'patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" '
           'height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#e3e7ec" '
           'stroke-width="3"/></pattern></defs>']
    for i, m in enumerate(months):
        left = PAD_L + step * i
        if m in incomplete:
            out.append(f'<rect class="incomplete" fill="url(#hatch-{esc(s.key)})" '
                       f'x="{left:.1f}" y="{PAD_T}" width="{step:.1f}" height="{ph}"><title>'
                       f"{esc(m)}: incomplete ({esc(incomplete[m])})</title></rect>")
        if m == current:
            out.append(f'<rect class="current" x="{left:.1f}" y="{PAD_T}" width="{step:.1f}" '
                       f'height="{ph}"/>')
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append(f'<line class="grid" x1="{PAD_L}" x2="{CHART_W - PAD_R}" y1="{y(v):.1f}" '
                   f'y2="{y(v):.1f}"/><text x="{PAD_L - 4}" y="{y(v) + 4:.1f}" '
                   f'text-anchor="end">{v:g}</text>')
    out.append(f'<line class="axis" x1="{PAD_L}" x2="{CHART_W - PAD_R}" y1="{PAD_T + ph}" '
               f'y2="{PAD_T + ph}"/>')
    ty = y(s.target)
    out.append(f'<line class="target" x1="{PAD_L}" x2="{CHART_W - PAD_R}" y1="{ty:.1f}" '
               f'y2="{ty:.1f}"><title>target {esc(_target(s))}</title></line>')
    segment: list[str] = []
    lines = []
    for i, v in enumerate(values):
        if v is None:
            if len(segment) > 1:
                lines.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
    if len(segment) > 1:
        lines.append(segment)
    out += [f'<polyline class="series" points="{" ".join(seg)}"/>' for seg in lines]
    for i, m in enumerate(months):
        label = m if len(months) <= 8 or i % 2 == 0 else ""
        out.append(f'<text x="{x(i):.1f}" y="{CHART_H - PAD_B + 16}" text-anchor="middle">'
                   f"{esc(label)}</text>")
        r = results[m]
        if r.value is None:
            out.append(f'<text class="nodata" x="{x(i):.1f}" y="{PAD_T + ph / 2:.1f}" '
                       f'text-anchor="middle">n/a<title>{esc(m)}: {esc(r.note or "no data")}'
                       "</title></text>")
            continue
        cls = "met" if r.met else "missed"
        out.append(f'<circle class="point {cls}" data-month="{esc(m)}" cx="{x(i):.1f}" '
                   f'cy="{y(r.value):.1f}" r="4.5"><title>{esc(m)}: {esc(fmt_pct(r.value))} '
                   f"over {esc(_count(r))}, {len(r.missed)} missed</title></circle>")
        out.append(f'<text class="value" x="{x(i):.1f}" y="{y(r.value) - 8:.1f}" '
                   f'text-anchor="middle">{esc(fmt_pct(r.value).replace(" %", ""))}</text>')
    out.append("</svg>")
    return "".join(out)


def _section(report: MonthReport, r: Result, months: Sequence[Month]) -> str:
    s = r.standard
    results = {m: next(x for x in report.trend[m] if x.standard.key == s.key) for m in months}
    chart = trend_chart(s, months, results, report.month, report.incomplete)
    if s.key == "stockout_rate":
        jobs = '<p class="note">Measured in parts units, not jobs: no job list.</p>'
    else:
        rows = [(m.job, m.customer, m.priority, m.kind, m.reported_at, m.why) for m in r.missed]
        jobs = render_table(f"missed-{s.key}", ("job", "customer", "priority", "kind",
                                                "reported", "what happened"), rows,
                            "No job missed it." if r.count else "Nothing to count this month.")
    note = f'<p class="note">{esc(r.note)}</p>' if r.note else ""
    return (f'<section class="standard" id="std-{esc(s.key)}"><h3>{esc(s.label)}: '
            f"{esc(fmt_pct(r.value))} ({_status(r.met)}, target {esc(_target(s))})</h3>"
            f'<p class="sub">{esc(s.definition)}; counted over {esc(_count(r))}, '
            f"{len(r.missed)} missed.</p>{note}"
            f'<div class="cols"><div class="chart">{chart}</div><div class="jobs">{jobs}</div>'
            "</div></section>")


def _template(name: str) -> str:
    return resources.files("optimizer.report").joinpath("templates", name).read_text("utf-8")


def render_monthly(report: MonthReport, *, generated_at: str = "") -> str:
    """The whole page as one HTML string (no external assets)."""
    months = sorted(report.trend)
    missed = [r.standard.label for r in report.results if r.met is False]
    unknown = [r.standard.label for r in report.results if r.met is None]
    alert = ("All service standards met." if not missed else
             f"Missed: {', '.join(missed)}.") + (
        f" No data: {', '.join(unknown)}." if unknown else "")
    fills = {
        "title": esc(f"Service report — {report.month}"),
        "heading": esc(f"Monthly service report: {report.month}"),
        "subtitle": esc(f"{report.month}: {report.month_reason} · {report.jobs:,} jobs counted "
                        f"in the month · history {report.source} ({months[0]} to {months[-1]}) "
                        f"· time zone UTC{report.utc_offset}"),
        "alert_class": "bad" if missed else "ok",
        "alert": esc(alert),
        "standards_table": standards_table(report),
        "offset": esc(report.utc_offset),
        "standard_sections": "".join(_section(report, r, months) for r in report.results),
        "footer": esc(f"generated {generated_at}" if generated_at else ""),
        "css": _template("monthly.css"),
        "js": _template("monthly.js"),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fills[m.group(1)], _template("monthly.html"))
