"""``optimizer report monthly HISTORY -o OUT``: the monthly service report.

Writes ``monthly_kpis.json`` (shared/contract/MAINTENANCE.md), ``monthly_report.html`` (offline,
one file), ``monthly_trend.csv`` (every standard per month) and ``monthly_missed.csv`` (every job
that missed a standard in the month, with what happened), the last two for spreadsheets.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from optimizer.io import check_writable_dir, write_text_atomic
from optimizer.report.history import parse_utc_offset, read_history
from optimizer.report.monthly import MonthReport, monthly_report
from optimizer.report.page import fmt_pct, render_monthly
from optimizer.report.stockout import read_stockout


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser("report", help="reports over the service history")
    sub = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    m = sub.add_parser(
        "monthly", help="the month's service standards beside their targets, with trends",
        description="Service standards of one month of the history (history.csv/.parquet, "
                    "shared/contract/MAINTENANCE.md): monthly_kpis.json, monthly_report.html "
                    "monthly_trend.csv and monthly_missed.csv in OUT.")
    m.add_argument("history", metavar="HISTORY", type=Path, help="history.csv or .parquet")
    m.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, required=True)
    m.add_argument("--month", default=None, metavar="YYYY-MM",
                   help="the month to report (default: the last complete month in the history)")
    m.add_argument("--utc-offset", default=None, metavar="+HH:MM",
                   help="the organisation's time zone for calendar months (default: the offset "
                        "of the first row's reported_at)")
    m.add_argument("--stockout", default=None, metavar="FILE|RATE",
                   help="the parts engine's backtest.csv, stockout records (month or date, "
                        "demand, short), or a rate such as 0.8%% or 0.008")
    m.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    m.set_defaults(func=_monthly)


def trend_table(report: MonthReport) -> pd.DataFrame:
    """Every standard per month the history covers (one row per month and standard)."""
    rows = []
    for month in sorted(report.trend):
        for r in report.trend[month]:
            row = r.to_json()
            rows.append({"month": month, "key": row["key"], "value": row["value"],
                         "target": row["target"], "target_op": row["target_op"],
                         "met": row["met"], "count": row["count"], "missed": len(r.missed),
                         "incomplete": report.incomplete.get(month, "")})
    return pd.DataFrame(rows)


def missed_table(report: MonthReport) -> pd.DataFrame:
    """Every job that missed a standard in the report month, with what happened."""
    rows = [{"standard": r.standard.key, "job": m.job, "customer": m.customer,
             "priority": m.priority, "kind": m.kind, "reported_at": m.reported_at,
             "what_happened": m.why} for r in report.results for m in r.missed]
    return pd.DataFrame(rows, columns=["standard", "job", "customer", "priority", "kind",
                                       "reported_at", "what_happened"])


def _monthly(args: argparse.Namespace) -> int:
    out = check_writable_dir(args.out)  # before reading, not after
    tz = parse_utc_offset(args.utc_offset) if args.utc_offset else None
    stockout = read_stockout(args.stockout) if args.stockout else None
    history = read_history(args.history)
    report = monthly_report(history, month=args.month, tz=tz, stockout=stockout)
    write_text_atomic(out / "monthly_kpis.json", json.dumps(report.to_json(), indent=1) + "\n")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    write_text_atomic(out / "monthly_report.html", render_monthly(report, generated_at=stamp))
    trend_table(report).to_csv(out / "monthly_trend.csv", index=False)
    missed_table(report).to_csv(out / "monthly_missed.csv", index=False)
    if not args.quiet:
        print(f"month {report.month}: {report.month_reason}; {report.jobs} jobs; "
              f"UTC{report.utc_offset}", file=sys.stdout)
        width = max(len(r.standard.label) for r in report.results)
        for r in report.results:
            met = "no data" if r.met is None else "met" if r.met else "MISSED"
            print(f"  {r.standard.label:<{width}}  {fmt_pct(r.value):>9}  target "
                  f"{r.standard.target_op} {fmt_pct(r.standard.target):<7} {met:<7} "
                  f"{len(r.missed)} missed")
        print(f"wrote {out / 'monthly_kpis.json'}, {out / 'monthly_report.html'}, "
              f"{out / 'monthly_trend.csv'}, {out / 'monthly_missed.csv'}")
    return 0
