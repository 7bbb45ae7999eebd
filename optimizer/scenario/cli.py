"""``optimizer scenario FILE... -o OUT_DIR``: run the base and each what-if, compare the KPIs."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from optimizer.errors import InputError
from optimizer.io import check_writable_dir
from optimizer.scenario.runner import run_scenarios


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scenario",
        help="run what-if scenarios against their base data and compare the KPIs",
        description="Run the base data directory and every scenario file (TOML or YAML) "
                    "through the nightly batch, in parallel on a Dask cluster, and write "
                    "OUT_DIR/<run>/ plus comparison.csv, comparison.json and comparison.html.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE",
                   help="scenario files (.toml, .yaml); all must name the same base")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT_DIR",
                   help="directory for the runs' outputs and the comparison")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local Dask worker processes (default: one per CPU, at most one per "
                        "run); 1 runs everything in this process")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="address of an existing Dask scheduler, e.g. tcp://host:8786 "
                        "(instead of a local cluster)")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help="wall-time limit of each dispatch solve in seconds (default 30)")
    p.add_argument("--max-solutions", type=int, default=None, metavar="N",
                   help="work limit per solve: with it, results are the same on any machine")
    p.add_argument("--seed", type=int, default=0, help="random seed of the solves (default 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=_scenario)


def _scenario(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler is not None:
        raise InputError("give either --workers or --scheduler, not both")
    check_writable_dir(args.output)  # before the runs, not after them
    start = time.perf_counter()

    def say(message: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    runs = len(args.files) + 1
    executor = None
    workers = args.workers
    if args.scheduler is None:
        workers = min(runs, workers if workers is not None else (os.cpu_count() or 1))
        if workers == 1:
            executor = "serial"
    comparison, outcomes = run_scenarios(
        args.files, args.output, executor=executor, workers=workers, scheduler=args.scheduler,
        time_limit_s=args.time_limit, seed=args.seed, max_solutions=args.max_solutions,
        progress=say,
    )
    failed = [o for o in outcomes if o.error is not None]
    for o in failed:
        print(f"error: run {o.name}: {o.error}", file=sys.stderr)
    say(f"[scenario] wrote {args.output}/comparison.html ({len(comparison.metrics)} KPIs, "
        f"{len(outcomes)} runs)")
    return 1 if failed else 0
