"""``optimizer maintenance plan DATA_DIR -o OUT``: the PM programme from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from optimizer.batch.outputs import write_atomic_dir
from optimizer.maintenance.data import read_maintenance_data
from optimizer.maintenance.outputs import (
    announced_table,
    notices_table,
    plan_table,
    summarise,
    summary_text,
)
from optimizer.maintenance.plan import plan_maintenance
from optimizer.maintenance.visits import PlanOptions


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (expected YYYY-MM-DD): {text!r}") from exc


def _at_least(low: int) -> object:
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {text}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    m = subparsers.add_parser("maintenance", help="preventive maintenance programme")
    sub = m.add_subparsers(dest="maintenance_command", required=True, metavar="SUBCOMMAND")
    p = sub.add_parser(
        "plan", help="plan PM visits over the horizon -> pm_plan.csv, notices.csv, summary",
        description="Plan every PM visit due in the horizon on engineer-days (see "
                    "docs/maintenance.md). DATA_DIR holds assets.csv, engineers.csv, ... "
                    "or a maintenance/ sub-folder with them.")
    p.add_argument("data_dir", metavar="DATA_DIR", help="maintenance data directory")
    p.add_argument("-o", "--out", required=True, help="output directory (replaced atomically)")
    p.add_argument("--today", type=_date, default=None,
                   help="planning date YYYY-MM-DD (default: today's date)")
    p.add_argument("--horizon-days", type=_at_least(1), default=120,
                   help="plan visits due up to this many days ahead (default 120)")
    p.add_argument("--notice-days", type=_at_least(0), default=30,
                   help="customers are told at least this many days ahead (default 30)")
    p.add_argument("--early-days", type=_at_least(0), default=28,
                   help="a new visit is at most this many days before its due date "
                        "(default 28)")
    p.add_argument("--notices", default=None, metavar="FILE",
                   help="announced visits to keep (default DATA_DIR's notices.csv; the "
                        "previous run's notices.csv or announced.csv work as they are)")
    p.add_argument("--method", choices=["cpsat", "greedy"], default="cpsat",
                   help="cpsat (default) or the greedy earliest-due-first baseline")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds for the whole planning run: CP-SAT week by week, then the "
                        "local search (default 60)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_plan)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    today = args.today or dt.date.today()
    data = read_maintenance_data(args.data_dir, notices=args.notices)
    _progress(f"[maintenance] {len(data.assets)} assets, {len(data.engineers)} engineers, "
              f"{len(data.notices)} announced visits; planning from {today}")
    options = PlanOptions(horizon_days=args.horizon_days, notice_days=args.notice_days,
                          early_days=args.early_days, time_limit_s=args.time_limit,
                          seed=args.seed)
    plan = plan_maintenance(data, today, options, method=args.method, progress=_progress)
    table = plan_table(plan)
    summary = summarise(plan, table)
    text = summary_text(summary)
    out = write_atomic_dir(args.out, {
        "pm_plan.csv": table.to_csv(index=False),
        "notices.csv": notices_table(plan).to_csv(index=False),
        "announced.csv": announced_table(plan).to_csv(index=False),
        "summary.json": json.dumps(summary, indent=1) + "\n",
        "summary.txt": text,
    }, manifest={"command": "maintenance plan", "today": today.isoformat()})
    print(text, end="")
    print(f"wrote {out}/pm_plan.csv, notices.csv, announced.csv, summary.json, summary.txt")
    return 0
