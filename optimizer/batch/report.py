"""The nightly report: one self-contained HTML page for a service manager.

Everything is drawn here, in Python, as inline SVG: the map (an equirectangular projection of
lat/lon, scaled by cos(latitude), with the route polylines, depots, engineer bases and the jobs
left out; no tiles), the Gantt chart of each engineer's day, the service-standards table, the
jobs left for tomorrow with their reasons, and tonight's orders. A small inline script adds
highlighting and table sorting and marks ``<body data-ready="1">`` once wired; the page works
without it, fetches nothing (a Content-Security-Policy forbids it) and opens offline.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import pandas as pd

from optimizer.models import BreakStop, DepotStop, JobStop, Location, Plan, Problem

PRIORITY_COLOURS = {"critical": "#c62828", "high": "#ef6c00", "normal": "#1565c0",
                    "low": "#6d7b8a"}
MAP_W, MAP_H, MAP_PAD = 900, 620, 28
GANTT_ROW, GANTT_LABEL, GANTT_W, GANTT_TOP = 20, 110, 1040, 30
MAX_TABLE_ROWS = 2000  # rows shown per table (all rows stay in the CSV files)


def esc(value: Any) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def engineer_colour(index: int) -> str:
    """A distinct, readable colour per engineer (golden-angle hues)."""
    return f"hsl({(index * 137.508) % 360:.0f},62%,40%)"


def _hhmm(t: datetime) -> str:
    return t.strftime("%H:%M")


# --------------------------------------------------------------------------- map


class _Projection:
    """lat/lon -> SVG x/y, equirectangular with cos(mid-latitude), fitted to the canvas."""

    def __init__(self, points: Sequence[Location]):
        lats = [p.lat for p in points] or [0.0]
        lons = [p.lon for p in points] or [0.0]
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.x0, self.y1 = min(lons) * self.k, max(lats)
        span_x = max((max(lons) - min(lons)) * self.k, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        self.scale = min((MAP_W - 2 * MAP_PAD) / span_x, (MAP_H - 2 * MAP_PAD) / span_y)
        self.off_x = (MAP_W - span_x * self.scale) / 2
        self.off_y = (MAP_H - span_y * self.scale) / 2
        self.km_per_px = 111.32 / self.scale  # one degree of latitude ~ 111.32 km

    def __call__(self, loc: Location) -> tuple[float, float]:
        x = self.off_x + (loc.lon * self.k - self.x0) * self.scale
        y = self.off_y + (self.y1 - loc.lat) * self.scale
        return round(x, 1), round(y, 1)


def _scale_bar(proj: _Projection) -> str:
    target_km = proj.km_per_px * 150
    nice = max(v for v in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if v <= max(
        target_km, 0.5))
    px = nice / proj.km_per_px
    x, y = MAP_PAD, MAP_H - 12
    return (f'<g class="scale"><line x1="{x}" y1="{y}" x2="{x + px:.1f}" y2="{y}"/>'
            f'<text x="{x + px + 6:.1f}" y="{y + 4}">{nice:g} km</text></g>')


def render_map(problem: Problem, plan: Plan, colours: Mapping[str, str]) -> str:
    """The SVG map: routes as polylines, jobs by priority, depots, bases, jobs left out."""
    jobs = {j.id: j for j in problem.jobs}
    depots = {d.id: d for d in problem.depots}
    engineers = {e.id: e for e in problem.engineers}
    points = [j.location for j in problem.jobs] + [d.location for d in problem.depots]
    points += [e.start for e in problem.engineers] + [e.end_location for e in problem.engineers]
    proj = _Projection(points)
    out = [f'<svg id="map" class="map" viewBox="0 0 {MAP_W} {MAP_H}" role="img" '
           f'aria-label="Map of tomorrow\'s routes" xmlns="http://www.w3.org/2000/svg">',
           f'<rect class="map-bg" width="{MAP_W}" height="{MAP_H}"/>']
    out.append('<g class="routes">')
    planned: set[str] = set()
    for route in plan.routes:
        eng = engineers.get(route.engineer)
        if eng is None:
            continue
        path = [eng.start]
        for stop in route.stops:
            if isinstance(stop, JobStop) and stop.job in jobs:
                path.append(jobs[stop.job].location)
                planned.add(stop.job)
            elif isinstance(stop, DepotStop) and stop.depot in depots:
                path.append(depots[stop.depot].location)
        path.append(eng.end_location)
        pts = " ".join(f"{x},{y}" for x, y in map(proj, path))
        n_jobs = sum(isinstance(s, JobStop) for s in route.stops)
        out.append(
            f'<polyline class="route" data-eng="{esc(route.engineer)}" points="{pts}" '
            f'stroke="{colours[route.engineer]}"><title>{esc(route.engineer)}: {n_jobs} jobs, '
            f'{route.distance_km:.1f} km, {_hhmm(route.start_time)}–{_hhmm(route.end_time)}'
            "</title></polyline>")
    out.append("</g><g class=\"bases\">")
    for e in problem.engineers:
        x, y = proj(e.start)
        out.append(f'<path class="base" data-eng="{esc(e.id)}" d="M{x},{y - 5}l5,8h-10z" '
                   f'fill="{colours[e.id]}"><title>{esc(e.id)} base</title></path>')
    out.append('</g><g class="jobs">')
    reasons = {u.job: u for u in plan.unassigned}
    radius = 5.0 if len(problem.jobs) <= 100 else 3.2
    for j in problem.jobs:
        x, y = proj(j.location)
        colour = PRIORITY_COLOURS.get(j.priority.value, "#333")
        if j.id in planned:
            out.append(f'<circle class="job" cx="{x}" cy="{y}" r="{radius}" fill="{colour}">'
                       f'<title>{esc(j.id)} ({j.priority.value}, {esc(j.kind or "job")})'
                       "</title></circle>")
        else:
            u = reasons.get(j.id)
            why = f"{u.reason.value}: {u.detail}" if u else "not planned"
            out.append(f'<g class="left" transform="translate({x},{y})"><path d="M-4,-4L4,4M-4,'
                       f'4L4,-4" stroke="{colour}"/><title>{esc(j.id)} left for tomorrow — '
                       f"{esc(why)}</title></g>")
    out.append('</g><g class="depots">')
    for d in problem.depots:
        x, y = proj(d.location)
        out.append(f'<g class="depot" transform="translate({x},{y})"><rect x="-7" y="-7" '
                   f'width="14" height="14"/><text x="10" y="4">{esc(d.id)}</text>'
                   f"<title>depot {esc(d.id)}: {sum(d.stock.values())} parts in stock</title></g>")
    out.append("</g>")
    out.append(_scale_bar(proj))
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- gantt


def _day_bounds(rows: Sequence[tuple[Any, int, Any]],
                routes: Iterable[Any]) -> tuple[datetime, datetime] | None:
    times: list[datetime] = []
    for _, _, s in rows:
        times += [s.start, s.end + timedelta(minutes=s.max_overtime_min)]
    for r in routes:
        times += [r.start_time, r.end_time]
    if not times:
        return None
    lo, hi = min(times), max(times)
    lo = lo.replace(minute=0, second=0, microsecond=0)
    if hi.minute or hi.second:
        hi = hi.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return lo, max(hi, lo + timedelta(hours=1))


def render_gantt(problem: Problem, plan: Plan, colours: Mapping[str, str],
                 day: date | None = None) -> str:
    """The SVG Gantt chart: one row per engineer shift (of ``day``, if given), jobs by
    priority, travel, pick-ups, breaks, overtime."""
    rows = [(e, i, s) for e in problem.engineers for i, s in enumerate(e.shifts)
            if day is None or s.start.date() == day]
    shown = {(e.id, i) for e, i, _ in rows}
    bounds = _day_bounds(rows, [r for r in plan.routes if (r.engineer, r.shift) in shown])
    height = GANTT_TOP + GANTT_ROW * max(len(rows), 1) + 10
    out = [f'<svg id="gantt" class="gantt" viewBox="0 0 {GANTT_LABEL + GANTT_W + 30} {height}" '
           f'width="{GANTT_LABEL + GANTT_W + 30}" height="{height}" role="img" '
           'aria-label="Gantt chart of each engineer\'s day" xmlns="http://www.w3.org/2000/svg">']
    if bounds is None:
        out.append('<text x="10" y="20">No shifts.</text></svg>')
        return "".join(out)
    t0, t1 = bounds
    total = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return round(GANTT_LABEL + GANTT_W * (t - t0).total_seconds() / total, 1)

    tick = t0
    step = timedelta(hours=1 if total <= 16 * 3600 else 2)
    tz = t0.tzinfo
    while tick <= t1:
        tx = x(tick)
        out.append(f'<line class="tick" x1="{tx}" y1="{GANTT_TOP - 6}" x2="{tx}" '
                   f'y2="{height - 10}"/><text class="ticklabel" x="{tx}" y="{GANTT_TOP - 10}">'
                   f"{tick.astimezone(tz).strftime('%H:%M')}</text>")
        tick += step
    by_shift = {(r.engineer, r.shift): r for r in plan.routes}
    jobs = {j.id: j for j in problem.jobs}
    for k, (eng, si, shift) in enumerate(rows):
        y = GANTT_TOP + k * GANTT_ROW
        label = eng.id if len(eng.shifts) == 1 else f"{eng.id} #{si + 1}"
        out.append(f'<g class="row" data-eng="{esc(eng.id)}">')
        out.append(f'<text class="rowlabel" x="{GANTT_LABEL - 8}" y="{y + 14}" '
                   f'fill="{colours[eng.id]}">{esc(label)}</text>')
        out.append(f'<rect class="shift" x="{x(shift.start)}" y="{y + 3}" '
                   f'width="{max(x(shift.end) - x(shift.start), 0)}" height="{GANTT_ROW - 6}">'
                   f"<title>{esc(eng.id)} shift {_hhmm(shift.start)}–{_hhmm(shift.end)}</title>"
                   "</rect>")
        route = by_shift.get((eng.id, si))
        if route is not None:
            out.append(f'<line class="travel" x1="{x(route.start_time)}" y1="{y + 10}" '
                       f'x2="{x(route.end_time)}" y2="{y + 10}" stroke="{colours[eng.id]}"/>')
            if route.end_time > shift.end:
                out.append(f'<rect class="overtime" x="{x(shift.end)}" y="{y + 3}" '
                           f'width="{x(route.end_time) - x(shift.end)}" height="{GANTT_ROW - 6}">'
                           f"<title>overtime until {_hhmm(route.end_time)}</title></rect>")
            for stop in route.stops:
                sx, w = x(stop.start), max(x(stop.end) - x(stop.start), 1.0)
                if isinstance(stop, JobStop):
                    job = jobs.get(stop.job)
                    pr = job.priority.value if job else "normal"
                    late = job is not None and job.due is not None and stop.start > job.due
                    due = f", due {_hhmm(job.due)}" if job and job.due else ""
                    out.append(
                        f'<rect class="jobbar{" late" if late else ""}" x="{sx}" y="{y + 3}" '
                        f'width="{w}" height="{GANTT_ROW - 6}" fill="{PRIORITY_COLOURS[pr]}">'
                        f"<title>{esc(stop.job)} {pr} {esc(job.kind if job else '')} "
                        f"{_hhmm(stop.start)}–{_hhmm(stop.end)}{due}"
                        f"{' LATE' if late else ''}</title></rect>")
                elif isinstance(stop, DepotStop):
                    parts = ", ".join(f"{p} x{q}" for p, q in stop.pickup.items()) or "tools"
                    out.append(f'<rect class="depotbar" x="{sx}" y="{y + 3}" width="{w}" '
                               f'height="{GANTT_ROW - 6}"><title>pick-up at {esc(stop.depot)} '
                               f"{_hhmm(stop.start)}: {esc(parts)}</title></rect>")
                elif isinstance(stop, BreakStop):
                    out.append(f'<rect class="breakbar" x="{sx}" y="{y + 6}" width="{w}" '
                               f'height="{GANTT_ROW - 12}"><title>break {_hhmm(stop.start)}–'
                               f"{_hhmm(stop.end)}</title></rect>")
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- tables


def _fmt_value(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        small = unit == "%" and 0 < abs(value) < 0.1  # e.g. a stockout rate of 0.04 %
        text = f"{value:.3f}" if small else f"{value:,.1f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}" if unit else text


def _fmt_target(line: Mapping[str, Any]) -> str:
    if line.get("target") is None:
        return ""
    op = "≥" if line.get("target_op") == ">=" else "≤"
    text = f"{op} {_fmt_value(line['target'], line.get('unit', ''))}"
    if line.get("sla_hours"):
        text += f" within {line['sla_hours']} h"
    return text


def _detail(line: Mapping[str, Any]) -> str:
    bits = []
    if "count" in line:
        bits.append(f"{line['on_time']} of {line['count']} on time; {line['late']} late, "
                    f"{line['missed_unassigned']} not planned, {line['pending']} pending")
    if "by_reason" in line:
        bits.append(", ".join(f"{k}: {v}" for k, v in line["by_reason"].items()) or "none")
    if "of" in line:
        bits.append(f"of {line['of']}")
    if "per_engineer" in line:
        bits.append(f"{line['per_engineer']} km per engineer")
    if not bits and line.get("target") is not None:
        bits.append(str(line.get("definition", "")))
    return "; ".join(bits)


def render_kpi_table(kpis: Mapping[str, Any]) -> str:
    """The service standards beside their targets, then the plan's figures."""
    rows = []
    for section, lines in (("Service standards", kpis.get("standards", [])),
                           ("Plan", kpis.get("figures", []))):
        rows.append(f'<tr class="section"><th colspan="5">{section}</th></tr>')
        for line in lines:
            met = line.get("met")
            status = ("" if met is None else
                      '<span class="ok">met</span>' if met else '<span class="bad">missed</span>')
            rows.append(
                f'<tr data-key="{esc(line["key"])}"><td title="{esc(line.get("definition"))}">'
                f'{esc(line["label"])}</td><td class="num">'
                f'{esc(_fmt_value(line.get("value"), line.get("unit", "")))}</td>'
                f'<td class="num">{esc(_fmt_target(line))}</td><td>{status}</td>'
                f"<td>{esc(_detail(line))}</td></tr>")
    return ('<table id="kpi-table" class="kpis"><thead><tr><th>Measure</th><th>Value</th>'
            "<th>Target</th><th>Status</th><th>Detail</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def render_table(table_id: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 empty: str) -> str:
    """A sortable HTML table (the first MAX_TABLE_ROWS rows), or ``empty`` when none."""
    rows = list(rows)
    if not rows:
        return f'<p class="empty" id="{table_id}">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>"
                   for r in rows[:MAX_TABLE_ROWS])
    more = (f'<p class="more">… and {len(rows) - MAX_TABLE_ROWS} more rows in the CSV.</p>'
            if len(rows) > MAX_TABLE_ROWS else "")
    return (f'<div class="tablewrap"><table id="{table_id}" class="sortable"><thead><tr>{head}'
            f"</tr></thead><tbody>{body}</tbody></table></div>{more}")


def _legend(problem: Problem, plan: Plan, colours: Mapping[str, str]) -> str:
    worked = []
    for r in plan.routes:
        if r.engineer not in worked:
            worked.append(r.engineer)
    items = "".join(f'<button type="button" class="eng" data-eng="{esc(e)}" style="--c:'
                    f'{colours[e]}">{esc(e)}</button>' for e in worked)
    prio = "".join(f'<span class="prio"><i style="background:{c}"></i>{p}</span>'
                   for p, c in PRIORITY_COLOURS.items())
    return (f'<div class="legend"><div class="prios">{prio}<span class="prio">✕ left for '
            f'tomorrow</span><span class="prio">■ depot</span><span class="prio">▲ base</span>'
            f'</div><div class="engs">{items}</div></div>')


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _template(name: str) -> str:
    return resources.files("optimizer.batch").joinpath("templates", name).read_text("utf-8")


def render_report(
    problem: Problem,
    plan: Plan,
    kpis: Mapping[str, Any],
    *,
    unassigned: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    meta: Mapping[str, Any] | None = None,
    maintenance: pd.DataFrame | None = None,
) -> str:
    """The whole report page as one HTML string (no external assets).

    ``maintenance``: the PM visits of the next weeks (week, engineer, ...), shown when given.
    """
    meta = dict(meta or {})
    colours = {e.id: engineer_colour(i) for i, e in enumerate(problem.engineers)}
    if unassigned is None:
        unassigned = pd.DataFrame([u.model_dump(mode="json") for u in plan.unassigned])
    ucols = [c for c in ("job", "priority", "kind", "reason", "detail", "parts_due")
             if c in unassigned.columns]
    urows = unassigned[ucols].fillna("").itertuples(index=False) if len(unassigned) else []
    ocols = [c for c in ("location", "part", "qty", "source", "kind", "reason")
             if orders is not None and c in orders.columns]
    orows = (orders[ocols].fillna("").itertuples(index=False)
             if orders is not None and len(orders) else [])
    stages = meta.get("stages", [])
    stage_text = " · ".join(f"{esc(s['stage'])} {s['seconds']:.1f} s" for s in stages)
    standards = kpis.get("standards", [])
    missed = [s["label"] for s in standards if s.get("met") is False]
    summary = (f"{len(plan.routes)} routes, {kpis['plan_kpis']['jobs_assigned']} of "
               f"{kpis['plan_kpis']['jobs_total']} jobs planned, "
               f"{len(plan.unassigned)} left for tomorrow, "
               f"{0 if orders is None else len(orders)} order lines tonight.")
    alert = ("All service standards met." if not missed else
             "Missed: " + ", ".join(missed) + ".")
    fills = {
        "title": esc(f"Nightly plan — {meta.get('date', problem.id)}"),
        "heading": esc(f"Tomorrow's plan: {meta.get('date', '')}"),
        "subtitle": esc(f"{problem.id} · generated {meta.get('generated_at', '')} · solver "
                        f"{plan.solver.status} ({plan.solver.wall_s:.1f} s)"),
        "summary": esc(summary),
        "alert_class": "ok" if not missed else "bad",
        "alert": esc(alert),
        "validation": esc(meta.get("validation", "")),
        "validation_class": "bad" if str(meta.get("validation", "")).startswith(
            "PLAN INVALID") else "",
        "stages": stage_text,
        "legend": _legend(problem, plan, colours),
        "map": render_map(problem, plan, colours),
        "gantt": render_gantt(problem, plan, colours, _as_date(meta.get("date"))),
        "kpi_table": render_kpi_table(kpis),
        "unassigned_count": str(len(plan.unassigned)),
        "unassigned_table": render_table("unassigned-table", ucols, urows,
                                         "Every job is planned."),
        "orders_count": "0" if orders is None else str(len(orders)),
        "orders_table": render_table("orders-table", ocols, orows,
                                     "No orders to place tonight." if orders is not None
                                     else "No spare-parts data in this run."),
        "maintenance_nav": "" if maintenance is None else
        '<a href="#sec-maintenance">Maintenance ahead</a>',
        "maintenance_section": "" if maintenance is None else (
            '<section id="sec-maintenance"><h2>Preventive maintenance in the next weeks</h2>'
            + render_table("maintenance-table", list(maintenance.columns),
                           maintenance.itertuples(index=False),
                           "No PM visits planned in the next weeks.") + "</section>"),
        "css": _template("report.css"),
        "js": _template("report.js"),
    }
    # One pass, so that text inside a filled value is never taken for a placeholder.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: fills[m.group(1)], _template("report.html"))
