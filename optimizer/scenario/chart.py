"""The comparison as a self-contained HTML page (a table and an inline SVG bar chart), and
the comparison's files (CSV, JSON, HTML).

No scripts, no external styles or fonts: the file opens anywhere and prints as it shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path

from optimizer.io import write_text_atomic
from optimizer.scenario.compare import (
    Comparison,
    _fmt,
    comparison_csv,
    comparison_dict,
    headline_metrics,
)

#: Colour-blind-safe palette (Okabe-Ito), one colour per scenario.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")


def comparison_svg(c: Comparison, metrics: Sequence[str] | None = None, width: int = 760) -> str:
    """Grouped horizontal bars: per KPI, each scenario's difference from base in percent."""
    metrics = list(metrics) if metrics is not None else headline_metrics(c)
    scenarios = c.scenarios
    if not metrics or not scenarios:
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" role="img">'
                '<text x="10" y="25" font-family="sans-serif" font-size="13">'
                'No KPI to chart.</text></svg>')
    bar_h, gap, label_w, pad = 14, 10, 210, 16
    group_h = bar_h * len(scenarios) + gap
    legend_h = 22
    height = pad * 2 + legend_h + group_h * len(metrics) + 20
    pcts = [abs(c.diff_pct(s, m) or 0.0) for m in metrics for s in scenarios]
    scale_max = max(1.0, max(pcts))
    plot_w = width - label_w - pad * 2 - 70
    zero_x = label_w + pad + plot_w / 2
    unit = (plot_w / 2) / scale_max

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" font-family="sans-serif" font-size="12">',
           f'<title>Difference from {escape(c.base)} in percent</title>']
    x = label_w + pad
    for i, s in enumerate(scenarios):  # legend
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{pad}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{pad + 10}">{escape(s)}</text>')
        x += 24 + 7 * len(s)
    top = pad + legend_h
    bottom = top + group_h * len(metrics)
    out.append(f'<line x1="{zero_x:.1f}" y1="{top - 4}" x2="{zero_x:.1f}" y2="{bottom}" '
               'stroke="#444" stroke-width="1"/>')
    for tick in (-scale_max, -scale_max / 2, scale_max / 2, scale_max):
        tx = zero_x + tick * unit
        out.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{bottom}" '
                   'stroke="#ddd" stroke-width="1"/>')
        out.append(f'<text x="{tx:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555">'
                   f'{tick:+.0f}%</text>')
    for g, m in enumerate(metrics):
        y0 = top + g * group_h
        out.append(f'<text x="{label_w}" y="{y0 + group_h / 2:.1f}" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(m)}</text>')
        for i, s in enumerate(scenarios):
            pct = c.diff_pct(s, m)
            y = y0 + i * bar_h
            colour = PALETTE[i % len(PALETTE)]
            if pct is None:
                out.append(f'<text x="{zero_x + 4:.1f}" y="{y + bar_h - 3}" fill="#777">n/a'
                           '</text>')
                continue
            w = abs(pct) * unit
            bx = zero_x if pct >= 0 else zero_x - w
            tip = (f"{s}: {m} {_fmt(c.value(s, m))} vs {_fmt(c.value(c.base, m))} "
                   f"({pct:+.1f}%)")
            out.append(f'<rect x="{bx:.1f}" y="{y + 1}" width="{max(w, 0.5):.1f}" '
                       f'height="{bar_h - 2}" fill="{colour}"><title>{escape(tip)}</title></rect>')
            lx = zero_x + w + 4 if pct >= 0 else zero_x - w - 4
            anchor = "start" if pct >= 0 else "end"
            out.append(f'<text x="{lx:.1f}" y="{y + bar_h - 3}" text-anchor="{anchor}" '
                       f'font-size="11">{pct:+.1f}%</text>')
    out.append("</svg>")
    return "\n".join(out)


def _table(c: Comparison) -> str:
    head = "".join(
        f'<th colspan="3">{escape(s)}</th>' for s in c.scenarios
    )
    sub = "".join("<th>value</th><th>diff</th><th>diff %</th>" for _ in c.scenarios)
    rows = []
    for m in c.metrics:
        cells = [f'<th scope="row">{escape(m)}</th>', f"<td>{_fmt(c.value(c.base, m))}</td>"]
        for s in c.scenarios:
            d = c.diff(s, m)
            cls = "" if not d else (' class="up"' if d > 0 else ' class="down"')
            pct = c.diff_pct(s, m)
            cells += [f"<td>{_fmt(c.value(s, m))}</td>", f"<td{cls}>{_fmt(d)}</td>",
                      f"<td{cls}>{'' if pct is None else f'{pct:+.1f}%'}</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table><thead><tr><th rowspan="2">KPI</th><th rowspan="2">{escape(c.base)}</th>'
            f"{head}</tr><tr>{sub}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


_CSS = """
body{font-family:sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:13px;margin-top:12px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th[scope=row]{text-align:left;font-weight:normal}
thead th{background:#f3f3f3}
td.up{color:#0a5}td.down{color:#c30}
dl{font-size:13px}dt{font-weight:bold}
"""


def comparison_html(c: Comparison, title: str = "Scenario comparison") -> str:
    """The whole page: descriptions, the chart of headline KPIs and the full table."""
    desc = "".join(
        f"<dt>{escape(n)}</dt><dd>{escape(c.descriptions.get(n, ''))}</dd>" for n in c.names
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><dl>{desc}</dl>"
        f"<h2>Difference from {escape(c.base)} (%)</h2>{comparison_svg(c)}"
        f"<h2>All KPIs</h2>{_table(c)}"
        "<p>diff = scenario − base; diff % = diff / |base|.</p></body></html>\n"
    )


def write_comparison(c: Comparison, out_dir: str | Path, title: str = "Scenario comparison"
                     ) -> list[Path]:
    """Write comparison.csv, comparison.json and comparison.html into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "comparison.csv": comparison_csv(c),
        "comparison.json": json.dumps(comparison_dict(c), indent=1) + "\n",
        "comparison.html": comparison_html(c, title=title),
    }
    for name, text in files.items():
        write_text_atomic(out / name, text)
    return [out / n for n in files]
