"""Side-by-side comparison of KPIs: the base and each scenario, with the difference from base.

KPIs are flattened to dotted names (``dispatch.on_time_pct``); only numbers are compared.
Writes ``comparison.csv`` (one row per KPI), ``comparison.json`` and ``comparison.html``
(the table and an SVG bar chart of the differences, self-contained).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BASE = "base"


#: Fields of a keyed KPI line that are settings, not results (left out of comparisons).
_SETTING_FIELDS = frozenset({"target", "sla_hours"})


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested KPIs under dotted names (booleans and text left out).

    A list of lines that carry a ``key`` (the nightly ``standards`` and ``figures``) is
    flattened by key: a line's ``value`` under ``<list>.<key>``, its other numbers under
    ``<list>.<key>.<field>`` (targets left out).
    """
    out: dict[str, float] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_kpis(value, name + "."))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping) and isinstance(item.get("key"), str):
                    line = f"{name}.{item['key']}"
                    rest = {k: v for k, v in item.items()
                            if k not in _SETTING_FIELDS and k not in ("key", "value")}
                    if _number(item.get("value")):
                        out[line] = float(item["value"])
                    out.update(flatten_kpis(rest, line + "."))
        elif _number(value):
            out[name] = float(value)
    return out


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(float(value)))


@dataclass(frozen=True)
class Comparison:
    """KPI values by run (``names[0]`` is the base) and metric, in a stable order."""

    names: tuple[str, ...]
    metrics: tuple[str, ...]
    values: Mapping[str, Mapping[str, float]]
    descriptions: Mapping[str, str]

    @property
    def base(self) -> str:
        return self.names[0]

    @property
    def scenarios(self) -> tuple[str, ...]:
        return self.names[1:]

    def value(self, name: str, metric: str) -> float | None:
        return self.values.get(name, {}).get(metric)

    def diff(self, name: str, metric: str) -> float | None:
        """Scenario minus base, or None when either is missing."""
        a, b = self.value(self.base, metric), self.value(name, metric)
        return None if a is None or b is None else b - a

    def diff_pct(self, name: str, metric: str) -> float | None:
        """Difference in percent of the base value (None when the base is 0 or missing)."""
        d, a = self.diff(name, metric), self.value(self.base, metric)
        return None if d is None or a is None or a == 0 else 100.0 * d / abs(a)


def compare_kpis(
    runs: Mapping[str, Mapping[str, Any]],
    base: str = BASE,
    descriptions: Mapping[str, str] | None = None,
) -> Comparison:
    """Compare the KPIs of ``runs`` (name -> nested KPIs) against ``runs[base]``.

    Metrics keep the order in which they first appear (base first).
    """
    if base not in runs:
        raise ValueError(f"runs: no base run named {base!r}")
    names = (base, *[n for n in runs if n != base])
    flat = {n: flatten_kpis(runs[n]) for n in names}
    metrics: list[str] = []
    seen: set[str] = set()
    for n in names:
        for m in flat[n]:
            if m not in seen:
                seen.add(m)
                metrics.append(m)
    return Comparison(names=names, metrics=tuple(metrics), values=flat,
                      descriptions=dict(descriptions or {}))


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.{digits}f}"


def comparison_csv(c: Comparison) -> str:
    """One row per KPI: base value, then per scenario its value, difference and % difference."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["metric", c.base]
    for s in c.scenarios:
        header += [s, f"{s}_diff", f"{s}_diff_pct"]
    w.writerow(header)
    for m in c.metrics:
        row = [m, _fmt(c.value(c.base, m), 4)]
        for s in c.scenarios:
            row += [_fmt(c.value(s, m), 4), _fmt(c.diff(s, m), 4), _fmt(c.diff_pct(s, m), 2)]
        w.writerow(row)
    return buf.getvalue()


def comparison_dict(c: Comparison) -> dict[str, Any]:
    """JSON-ready form: runs, descriptions, and per metric the values and differences."""
    def num(x: float | None, digits: int) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "base": c.base,
        "scenarios": list(c.scenarios),
        "descriptions": dict(c.descriptions),
        "metrics": [
            {
                "metric": m,
                "base": num(c.value(c.base, m), 6),
                "scenarios": {
                    s: {"value": num(c.value(s, m), 6), "diff": num(c.diff(s, m), 6),
                        "diff_pct": num(c.diff_pct(s, m), 3)}
                    for s in c.scenarios
                },
            }
            for m in c.metrics
        ],
    }


#: KPIs shown in the chart when present (matched on the last part of the dotted name; the
#: first match of each).
HEADLINE = (
    "emergency_on_site_4h", "standard_within_24h", "jobs_assigned", "travel_km",
    "distance_km", "utilisation", "utilisation_pct", "overtime_min", "on_time_pct",
    "stockout_rate_expected", "parts_on_time_supply", "policy_investment",
    "expected_stockout_rate_pct",
)


def headline_metrics(c: Comparison, limit: int = 10) -> list[str]:
    """KPIs for the chart: headline ones first, then others that differ from base; only those
    with a non-zero base (a percentage of zero means nothing)."""
    usable = [m for m in c.metrics if c.value(c.base, m) not in (None, 0.0)]
    chosen: list[str] = []
    for want in HEADLINE:
        match = next((m for m in usable if m not in chosen
                      and (m == want or m.endswith("." + want))), None)
        if match is not None:
            chosen.append(match)
    for m in usable:
        if m not in chosen and any((c.diff(s, m) or 0) != 0 for s in c.scenarios):
            chosen.append(m)
    return chosen[:limit]
