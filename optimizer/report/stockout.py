"""The stockout figure of the monthly report, from the parts engine (``--stockout``).

Three sources, told apart by what is given:

- a rate: ``0.8%`` (percent) or ``0.008`` (a fraction, as the parts engine writes rates);
- the parts engine's ``backtest.csv`` (``optimizer parts backtest -o``): per part-location
  ``demand`` and ``short`` units over the replayed period, weighted by ``customer_share`` where
  present (a warehouse's units are its depots' replenishments) exactly as the backtest's own
  headline; one figure for the whole period, shown for the report month with a note;
- stockout records: rows with ``month`` (YYYY-MM) or ``date`` (YYYY-MM-DD), ``demand`` and
  ``short`` units (other columns such as part and location are ignored): a rate per month,
  so the trend has one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError


@dataclass(frozen=True)
class StockoutSource:
    """Stockout units per month (``monthly``), or one figure for a period (``overall``)."""

    origin: str
    overall: tuple[float, float] | None = None  # (rate in %, demand units; 0 if unknown)
    monthly: dict[str, tuple[float, float]] = field(default_factory=dict)

    def for_month(self, month: str) -> tuple[float, float] | None:
        if self.monthly:
            return self.monthly.get(month)
        return self.overall

    def describe(self) -> str:
        return self.origin

    def note(self, month: str) -> str | None:
        if self.monthly:
            return None
        return f"from {self.origin}, not measured on {month} alone"


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_stockout(arg: str) -> StockoutSource:
    """A rate or a file (see module docstring); InputError naming file, row and column."""
    text = arg.strip()
    pct = text.endswith("%")
    value = _number(text[:-1] if pct else text)
    if value is not None:
        rate = value if pct else 100.0 * value
        if not pct and value > 1:
            raise InputError(f"--stockout {arg!r}: a bare number is a fraction (0.008 = 0.8 %); "
                             "write 0.8% for a percentage")
        if not 0 <= rate <= 100:
            raise InputError(f"--stockout {arg!r}: a rate lies between 0 and 100 %")
        return StockoutSource(origin=f"the given rate {arg}", overall=(rate, 0.0))
    return _read_file(Path(arg))


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"--stockout {path}: neither a rate (0.8% or 0.008) nor a file")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}") from exc


def _read_file(path: Path) -> StockoutSource:
    frame = _read_frame(path)
    name = path.name
    missing = [c for c in ("demand", "short") if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)} (stockout records "
                         "or the parts backtest.csv have demand and short units)")
    period = "month" if "month" in frame.columns else "date" if "date" in frame.columns else None
    share_col = "customer_share" if period is None and "customer_share" in frame.columns else None
    problems: list[str] = []
    sums: dict[str, list[float]] = {}
    for i, row in enumerate(frame.to_dict("records")):
        label = f"{name} row {i + 1}"
        vals = {}
        for col in ("demand", "short") + ((share_col,) if share_col else ()):
            v = _number(str(row[col]))
            if v is None or v < 0:
                problems.append(f"{label}: column {col}={row[col]!r}: not a number >= 0")
            vals[col] = v or 0.0
        if vals["short"] > vals["demand"] + 1e-9:
            problems.append(f"{label}: column short={row['short']!r}: more than demand "
                            f"{row['demand']!r}")
        key = "all"
        if period is not None:
            key = _period(str(row[period]).strip(), period)
            if key is None:
                problems.append(f"{label}: column {period}={row[period]!r}: not "
                                f"{'YYYY-MM' if period == 'month' else 'YYYY-MM-DD'}")
                continue
        w = vals.get(share_col, 1.0) if share_col else 1.0
        acc = sums.setdefault(key, [0.0, 0.0])
        acc[0] += w * vals["short"]
        acc[1] += w * vals["demand"]
    if problems:
        raise InputError(problems[:50] + ([f"... and {len(problems) - 50} more"]
                                          if len(problems) > 50 else []))
    if not sums:
        raise InputError(f"{name}: no rows")
    rates = {k: (100.0 * s / d if d > 0 else 0.0, d) for k, (s, d) in sums.items()}
    if period is None:
        what = "the parts backtest" if share_col or "stockout_rate" in frame.columns else "records"
        return StockoutSource(origin=f"{what} {name}", overall=rates["all"])
    return StockoutSource(origin=f"stockout records {name}", monthly=rates)


def _period(text: str, kind: str) -> str | None:
    try:
        if kind == "month":
            if len(text) != 7 or text[4] != "-":
                return None
            date(int(text[:4]), int(text[5:]), 1)
            return text
        if len(text) != 10:
            return None
        return date.fromisoformat(text).isoformat()[:7]
    except ValueError:
        return None
