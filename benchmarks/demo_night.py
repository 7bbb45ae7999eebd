"""The demo night over several runs: jobs planned and critical jobs on time, run by run.

Runs the README's main command (``optimizer nightly scenarios/demo``, the library call behind
it) ``--runs`` times with the same seed; the wall-clock limit makes each run differ. Every plan
is validated by the nightly itself (an invalid plan fails the run).

    python -m benchmarks.demo_night                     # 5 runs, 30 s, engine auto
    python -m benchmarks.demo_night --runs 3 --engine ortools
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import log, print_table, write_csv
from optimizer.models import JobStop, Priority

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo"


def one_run(time_limit_s: float, seed: int, engine: str) -> dict[str, Any]:
    """One nightly run of the demo: planned jobs, critical jobs served and on time."""
    from optimizer.batch.nightly import run_nightly

    t0 = time.perf_counter()
    result = run_nightly(DEMO, time_limit_s=time_limit_s, seed=seed, engine=engine)
    wall = time.perf_counter() - t0
    plan, problem = result.plan, result.problem
    start = {s.job: s.start for r in plan.routes for s in r.stops if isinstance(s, JobStop)}
    crit = [j for j in problem.jobs if j.priority == Priority.CRITICAL]
    on_time = sum(1 for j in crit if j.id in start and (j.due is None or start[j.id] <= j.due))
    info = plan.solver.model_extra or {}
    return {
        "planned": plan.kpis.jobs_assigned,
        "jobs": plan.kpis.jobs_total,
        "critical": f"{sum(1 for j in crit if j.id in start)}/{len(crit)}",
        "critical_on_time": f"{on_time}/{len(crit)}",
        "distance_km": plan.kpis.distance_km,
        "engine": info.get("engine", "ortools"),
        "engines": "; ".join(f"{t['engine']} {t.get('assigned', t.get('error'))}"
                             for t in info.get("engines", [])),
        "wall_s": wall,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--out", help="write one CSV row per run")
    args = ap.parse_args(argv)
    rows = []
    for k in range(args.runs):
        log(f"demo night, run {k + 1}/{args.runs} ({args.time_limit:g} s, {args.engine}) ...")
        row = {"run": k + 1, **one_run(args.time_limit, args.seed, args.engine)}
        log(f"    planned {row['planned']}/{row['jobs']}, critical on time "
            f"{row['critical_on_time']}, {row['engine']} ({row['engines']})")
        rows.append(row)
    print_table(rows, ["run", "planned", "jobs", "critical", "critical_on_time", "distance_km",
                       "engine", "engines", "wall_s"],
                title=f"Demo night, {args.runs} runs at {args.time_limit:g} s ({args.engine})")
    print(f"\nplanned: min {min(r['planned'] for r in rows)}, "
          f"max {max(r['planned'] for r in rows)}")
    if args.out:
        write_csv(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
