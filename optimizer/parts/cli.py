"""``optimizer parts policy|orders|backtest``: thin wrappers over the library functions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError
from optimizer.io import check_writable_dir
from optimizer.parts.backtest import backtest
from optimizer.parts.calibrate import Calibration
from optimizer.parts.data import Bucket, PartsData, read_parts_data
from optimizer.parts.orders import orders_for_today
from optimizer.parts.plan import POLICY_COLUMNS, plan_policy, summary_table
from optimizer.parts.policy import PolicyConfig
from optimizer.parts.simulate import QUOTE_QUANTILE, UnmetDemand

#: What ``optimizer parts policy|orders|backtest`` plans for without --per-item or --budget:
#: the overall stockout rate of the mission, at the least investment (system view, calibrated).
DEFAULT_SYSTEM_TARGET = 0.01


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("data_dir", metavar="DATA_DIR", help="parts data directory (see PARTS.md)")
    p.add_argument("--target", type=float, default=0.01,
                   help="with --per-item: the stockout-rate target of every part-location "
                        "(default 0.01)")
    p.add_argument("--bucket", choices=[b.value for b in Bucket], default=None,
                   help="demand bucket; detected from the dates when omitted")


def _system(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--system-target", type=float, default=None,
                   help="overall stockout rate (customer units) to plan for at the least "
                        "investment (default 0.01)")
    g.add_argument("--budget", type=float, default=None,
                   help="re-balance for the lowest stockout rate within this investment")
    g.add_argument("--per-item", action="store_true",
                   help="one policy per part-location at --target each, no system view")
    p.add_argument("--no-calibrate", action="store_true",
                   help="plan the overall target as the model expects it (fast; the model's "
                        "expectation is biased low on real demand) instead of at the planned "
                        "target that realised it in a rolling backtest of the history")
    p.add_argument("--calibrate", action="store_true",
                   help="kept for scripts: calibration is the default with an overall target")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _check_system(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Resolve the planning mode into ``system_target``, ``budget`` and ``calibrate``."""
    if args.calibrate and args.no_calibrate:
        p.error("--calibrate and --no-calibrate contradict each other")
    if args.calibrate and (args.per_item or args.budget is not None):
        p.error("--calibrate needs an overall target (--system-target), not "
                + ("--per-item" if args.per_item else "--budget"))
    if args.per_item or args.budget is not None:
        args.calibrate = False
        return
    if args.system_target is None:
        args.system_target = DEFAULT_SYSTEM_TARGET
    args.calibrate = not args.no_calibrate


def _print_calibration(cal: Calibration | None) -> None:
    if cal is None:
        return
    if cal.holdout == 0:
        print(f"calibration: too little history, planned at the target {cal.planned_target:g}")
        return
    print(f"calibration: planned overall target {cal.planned_target:g} for a goal of "
          f"{cal.goal:g} (in-sample backtest of the last {cal.holdout} periods, re-planned "
          f"every {cal.replan_every})")
    print(cal.frontier())


def register(subparsers: argparse._SubParsersAction) -> None:
    parts = subparsers.add_parser("parts", help="spare-parts policies, orders and backtests")
    sub = parts.add_subparsers(dest="parts_command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("policy", help="stocking policy per location and part -> policy.csv")
    _common(p)
    _system(p)
    p.add_argument("-o", "--out", required=True, help="output directory")
    p.add_argument("--parquet", action="store_true", help="also write policy.parquet")
    p.set_defaults(func=cmd_policy, parser=p)

    o = sub.add_parser("orders", help="replenishment orders and transfers for today -> orders.csv")
    _common(o)
    _system(o)
    o.add_argument("-o", "--out", required=True, help="output directory")
    o.add_argument("--parquet", action="store_true", help="also write orders.parquet")
    o.add_argument("--transfer-days", type=float, default=1.0,
                   help="lead time of a depot-to-depot transfer (days, default 1)")
    o.set_defaults(func=cmd_orders, parser=o)

    b = sub.add_parser("backtest", help="plan on history up to a date, replay the rest")
    _common(b)
    _system(b)
    b.add_argument("--train-until", required=True, help="last date of the training history")
    b.add_argument("--unmet", choices=[u.value for u in UnmetDemand], default="backorder")
    b.add_argument("--given-lead-times", action="store_true",
                   help="use the mean lead times instead of sampling them")
    b.add_argument("--replan-every", type=int, default=None,
                   help="re-plan every N periods on the demand seen so far")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--quote-quantile", type=float, default=QUOTE_QUANTILE,
                   help="quantile of the lead-time distribution taken as the quoted lead time "
                        "for on-time supply (default %(default)s)")
    b.add_argument("-o", "--out", default=None, help="write backtest.csv here")
    b.add_argument("--parquet", action="store_true")
    b.set_defaults(func=cmd_backtest, parser=b)


def _write(frame: pd.DataFrame, out: str, name: str, parquet: bool) -> Path:
    directory = Path(out)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{directory}: cannot create output directory ({exc})") from exc
    path = directory / f"{name}.csv"
    frame.to_csv(path, index=False)
    if parquet:
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    return path


def _warn(data: PartsData, out: str | None) -> None:
    """The data's warnings on stderr, and as ``data_warnings.csv`` in ``out`` (when given)."""
    if out is not None:
        table = pd.DataFrame([w.model_dump() for w in data.warnings],
                             columns=["kind", "file", "row", "location", "part", "message"])
        _write(table, out, "data_warnings", False)
    for w in data.warnings:
        print(f"warning: {w}", file=sys.stderr)


def _warning_summary(data: PartsData) -> str | None:
    if not data.warnings:
        return None
    kinds = sorted({w.kind for w in data.warnings})
    return (f"{len(data.warnings)} data warning(s) ({', '.join(kinds)}): see stderr and "
            "data_warnings.csv")


def _plan(args: argparse.Namespace):
    _check_system(args.parser, args)
    check_writable_dir(args.out)  # before planning, not after it
    data = read_parts_data(args.data_dir, args.bucket)
    _warn(data, args.out)
    config = PolicyConfig(target_stockout_rate=args.target)
    result = plan_policy(data, config, system_target=args.system_target, budget=args.budget,
                         calibrate=args.calibrate, progress=_progress)
    print(f"planned to: {_planned_to(args)}")
    _print_calibration(result.calibration)
    _print_warehouse(result.warehouse_target)
    return data, result


def _print_warehouse(target: float | None) -> None:
    if target is not None:
        print(f"warehouses held at a {target:g} stockout rate on their depots' orders (the "
              "least investment for the goal as the model expects it); the depots carry the "
              "customers' service")


def _planned_to(args: argparse.Namespace) -> str:
    if args.per_item:
        return f"a {args.target:g} stockout rate at every part-location (--per-item)"
    if args.budget is not None:
        return f"the lowest overall stockout rate within a budget of {args.budget:,.2f}"
    how = ("calibrated on the history" if args.calibrate
           else "the model's expectation, uncalibrated")
    return f"an overall {args.system_target:g} stockout rate at the least investment ({how})"


def cmd_policy(args: argparse.Namespace) -> int:
    data, result = _plan(args)
    path = _write(result.table, args.out, "policy", args.parquet)
    print(f"{len(result.table)} policies ({data.bucket.value} buckets) -> {path}")
    if (summary := _warning_summary(data)) is not None:
        print(summary)
    print(summary_table(result.table).to_string())
    if result.curve is not None:
        print()
        print(result.budget_what_if().to_string(index=False))
    return 0


def cmd_orders(args: argparse.Namespace) -> int:
    data, result = _plan(args)
    orders = orders_for_today(data, result, args.transfer_days)
    path = _write(orders, args.out, "orders", args.parquet)
    _write(result.table[POLICY_COLUMNS], args.out, "policy", False)
    print(f"{len(orders)} orders as of {data.as_of} -> {path}")
    if (summary := _warning_summary(data)) is not None:
        print(summary)
    if len(orders):
        print(orders.groupby(["kind", "source"])["qty"].agg(["count", "sum"]).to_string())
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    _check_system(args.parser, args)
    if args.out:
        check_writable_dir(args.out)
    data = read_parts_data(args.data_dir, args.bucket)
    _warn(data, args.out)
    config = PolicyConfig(target_stockout_rate=args.target)
    res = backtest(data, args.train_until, config, UnmetDemand(args.unmet),
                   sampled_lead_times=not args.given_lead_times,
                   replan_every=args.replan_every, seed=args.seed,
                   quote_quantile=args.quote_quantile, system_target=args.system_target,
                   budget=args.budget, calibrate=args.calibrate, progress=_progress)
    print(f"planned to: {_planned_to(args)}")
    _print_calibration(res.calibration)
    if (summary := _warning_summary(data)) is not None:
        print(summary)
    if args.out:
        _write(res.per_series, args.out, "backtest", args.parquet)
    width = max(len(k) for k in res.summary)
    for key, value in res.summary.items():
        print(f"{key:<{width}}  {value:,.4f}")
    print()
    print(res.by_class.round(4).to_string())
    return 0
