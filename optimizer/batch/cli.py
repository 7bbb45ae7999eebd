"""``optimizer nightly DATA_DIR -o OUT_DIR``: the nightly batch from the command line."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from optimizer.batch.nightly import run_nightly
from optimizer.batch.outputs import check_replaceable, clean_stale, write_atomic_dir
from optimizer.errors import InputError
from optimizer.io import check_writable_dir


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (expected YYYY-MM-DD): {text!r}") from exc


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``nightly`` sub-command."""
    p = subparsers.add_parser(
        "nightly",
        help="plan tomorrow, write tonight's parts orders and a report",
        description="Read DATA_DIR (problem.json or engineers/jobs/depots tables, and the "
        "spare-parts files), plan the day, and write plan.json, routes.csv, unassigned.csv, "
        "orders.csv, policy.csv, kpis.json and report.html to OUT_DIR, atomically.",
    )
    p.add_argument("data_dir", metavar="DATA_DIR", type=Path)
    p.add_argument("-o", "--out", metavar="OUT_DIR", type=Path, required=True)
    p.add_argument("--date", type=_date, default=None,
                   help="day to plan, YYYY-MM-DD (default: the first shift day of the problem)")
    p.add_argument("--time-limit", type=_positive(float), default=30.0, metavar="S",
                   help="solver wall-time limit in seconds (default 30)")
    p.add_argument("--max-solutions", type=_positive(int), default=None, metavar="N",
                   help="bound the solver's work instead of its time (reproducible plans)")
    p.add_argument("--workers", type=_positive(int), default=None, metavar="N",
                   help="solve territories in parallel on a local Dask cluster of N workers")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="solve territories on an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pm-time-limit", type=_positive(float), default=10.0, metavar="S",
                   help="seconds for planning the PM programme when DATA_DIR has a "
                        "maintenance/ folder (default 10)")
    p.add_argument("--engine", choices=["auto", "ortools", "vroom", "pyvrp"], default="auto",
                   help="routing engine: auto (the portfolio's measured choice: two engines "
                        "side by side, the better plan by priority tier, then km), ortools, "
                        "vroom or pyvrp (default auto; docs/engines.md)")
    p.add_argument("--parts-system-target", type=_positive(float), default=None, metavar="R",
                   help="plan spare parts by the system view at this overall stockout rate "
                        "(default: a policy per part-location at 1 %%)")
    p.add_argument("--parts-calibrate", action="store_true",
                   help="with --parts-system-target: plan at the target that realised it in a "
                        "rolling backtest of the demand history")
    p.set_defaults(func=handler)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def handler(args: argparse.Namespace) -> int:
    """Run the nightly batch; print progress on stderr and where the report is on stdout."""

    out = Path(args.out)
    check_replaceable(out.resolve())  # fail before an hour of solving, not after
    check_writable_dir(out.resolve().parent, "directory OUT_DIR is written in")
    for stale in clean_stale(out):
        _progress(f"[nightly] removed {stale.name}: left by a run killed while writing")
    if args.workers is not None and args.scheduler is not None:
        raise InputError("give --workers or --scheduler, not both")
    if args.parts_calibrate and args.parts_system_target is None:
        raise InputError("--parts-calibrate needs --parts-system-target (the overall stockout "
                         "rate to reach)")
    t0 = time.perf_counter()
    result = run_nightly(
        args.data_dir, date=args.date, time_limit_s=args.time_limit, seed=args.seed,
        max_solutions=args.max_solutions, workers=args.workers, scheduler=args.scheduler,
        progress=_progress, parts_system_target=args.parts_system_target,
        parts_calibrate=args.parts_calibrate, pm_time_limit_s=args.pm_time_limit,
        engine=args.engine,
    )
    _progress("[nightly] write ...")
    t1 = time.perf_counter()
    manifest = {"problem_id": result.problem.id, "date": result.date.isoformat(),
                "stages": [s.__dict__ for s in result.stages]}
    written = write_atomic_dir(out, result.files(), manifest)
    _progress(f"[nightly] write: {time.perf_counter() - t1:.2f} s ({len(result.files())} files "
              f"to {written})")
    _progress(f"[nightly] done in {time.perf_counter() - t0:.1f} s")
    for note in result.notes:
        _progress(f"[nightly] note: {note}")
    k = result.plan.kpis
    print(f"planned {k.jobs_assigned} of {k.jobs_total} jobs for {result.date}; "
          f"{k.jobs_unassigned} left for tomorrow ({len(result.held)} waiting for parts)")
    print(f"report: {written / 'report.html'}")
    return 0
