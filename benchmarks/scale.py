"""Scale benchmark: generated field-service days of 100, 1,000 and 5,000 jobs, us beside VROOM
and PyVRP.

Problems come from ``optimizer.synthetic.generate_problem`` (10 engineers per 100 jobs). Our
public ``solve`` plans the full problem (parts, tools, depots, breaks, pins); every plan is
validated. VROOM gets the same problem with parts, tools and soft due times left out (it has
none): skills as integer ids per level, windows, priorities, shifts, breaks, service times, and
the same travel matrix (seconds, metres). PyVRP gets our adapter's model (skills as routing
profiles, windows as client groups, priorities as prizes; breaks relaxed: its own routes are
counted as they come). VROOM runs first; with ``--vroom-time`` (the default when VROOM runs)
ours and PyVRP then get VROOM's own wall time, rounded up to the second. Each run happens in a
fresh process so that its peak memory (max RSS, C++ solvers included; ours adds the largest
engine process it started) is its own.

    python -m benchmarks.scale                                  # 100 and 1,000 jobs, 30 s
    python -m benchmarks.scale --sizes 300,1000 --no-parts --peers vroom,pyvrp
    python -m benchmarks.scale --sizes 100,1000,5000 --time-limit 60 --out /tmp/scale.csv
    python -m benchmarks.scale --no-parts   # both solvers see a problem without parts/tools
    python -m benchmarks.scale --no-parts --no-breaks   # ... and without breaks
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from benchmarks.common import (
    log,
    peak_rss_mb,
    print_table,
    run_ours,
    weighted_assigned_pct,
    write_csv,
)
from optimizer.models import Priority, Problem

ENGINEERS_PER_JOB = 0.1


def make_problem(n_jobs: int, seed: int, parts: bool, breaks: bool = True) -> Problem:
    """The generated day of ``n_jobs`` jobs and ``n_jobs / 10`` engineers (``breaks``
    False: the same day with every shift's breaks removed)."""
    from optimizer.synthetic import generate_problem

    n_eng = max(1, round(n_jobs * ENGINEERS_PER_JOB))
    if parts:
        p = generate_problem(n_jobs=n_jobs, n_engineers=n_eng, seed=seed)
    else:
        p = generate_problem(n_jobs=n_jobs, n_engineers=n_eng, seed=seed, parts=False,
                             tools=False)
    if not breaks:
        engs = [e.model_copy(update={"shifts": [s.model_copy(update={"breaks": []})
                                                for s in e.shifts]}) for e in p.engineers]
        p = p.model_copy(update={"engineers": engs})
    return p


def _lateness(problem: Problem, starts: dict[str, Any]) -> tuple[int, float]:
    """Late jobs and minutes late (start after ``due``) of jobs started at ``starts``."""
    late, minutes = 0, 0.0
    for j in problem.jobs:
        if j.due is not None and j.id in starts and starts[j.id] > j.due:
            late += 1
            minutes += (starts[j.id] - j.due).total_seconds() / 60.0
    return late, minutes


def run_one(
    solver: str, n_jobs: int, seed: int, time_limit_s: float, parts: bool, vroom_level: int,
    breaks: bool = True, engine: str = "auto",
) -> dict[str, Any]:
    """One solver on one generated problem (called in a fresh process)."""
    problem = make_problem(n_jobs, seed, parts, breaks)
    rss_before = peak_rss_mb()
    crit = [j.id for j in problem.jobs if j.priority == Priority.CRITICAL]
    row: dict[str, Any] = {
        "jobs": len(problem.jobs),
        "engineers": len(problem.engineers),
        "solver": solver,
        "seed": seed,
        "parts": parts,
        "breaks": breaks,
        "time_limit_s": time_limit_s,
    }
    if solver == "ours":
        out, plan = run_ours(problem, time_limit_s, seed, engine=engine)
        row["engine"] = out.extra.get("engine")
        if plan is not None:
            row["late_jobs"] = int(getattr(plan.kpis, "late_jobs", 0) or 0)
            row["lateness_min"] = float(getattr(plan.kpis, "lateness_min", 0.0) or 0.0)
    elif solver == "pyvrp":
        from benchmarks.peers import solve_pyvrp_field

        out = solve_pyvrp_field(problem, time_limit_s, seed=seed + 1)
    else:
        from benchmarks.peers import solve_vroom

        out = solve_vroom(problem, time_limit_s, exploration_level=vroom_level)
        row["late_jobs"], row["lateness_min"] = _lateness(problem, out.extra.pop("starts", {}))
        row["build_s"] = out.extra.get("build_s")
    assigned = {j for seq in out.sequences.values() for j in seq}
    row.update(
        ok=out.ok,
        error=out.error,
        assigned=out.assigned,
        assigned_pct=100.0 * out.assigned / max(1, len(problem.jobs)),
        weighted_pct=weighted_assigned_pct(problem, assigned),
        critical=f"{sum(1 for j in crit if j in assigned)}/{len(crit)}",
        engineers_used=out.vehicles,
        distance_km=out.distance_km,
        km_per_job=out.distance_km / out.assigned if out.assigned else None,
        wall_s=out.wall_s,
        valid=out.valid,
        violations=out.violations,
        first_violation=out.first_violation,
        rss_before_mb=rss_before,
        peak_rss_mb=peak_rss_mb(),
        child_peak_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
    )
    return row


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        "--instances",
        dest="sizes",
        default="100,1000",
        help="comma list of job counts (engineers = jobs / 10); e.g. 100,1000,5000",
    )
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per solver run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-peers", action="store_true", help="run only our solver")
    ap.add_argument("--no-ours", action="store_true", help="run only the peers")
    ap.add_argument("--peers", default="vroom,pyvrp", help="comma list of peers (vroom, pyvrp)")
    ap.add_argument("--no-breaks", action="store_true", help="remove every shift's breaks")
    ap.add_argument("--engine", default="auto", help="our engine (auto, ortools, vroom, pyvrp)")
    ap.add_argument("--fixed-time", action="store_true",
                    help="give every solver --time-limit (default: ours and PyVRP get VROOM's "
                         "own wall time when VROOM runs)")
    ap.add_argument(
        "--no-parts",
        action="store_true",
        help="generate without parts and tools, so both solvers see the same problem",
    )
    ap.add_argument("--vroom-level", type=int, default=5, help="VROOM exploration level (1-5)")
    ap.add_argument("--out", help="write one CSV row per size and solver")
    args = ap.parse_args(argv)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    peers = [] if args.no_peers else [p.strip() for p in args.peers.split(",") if p.strip()]
    # VROOM first: the others get its wall time
    solvers = [p for p in peers if p == "vroom"] + ([] if args.no_ours else ["ours"]) + [
        p for p in peers if p != "vroom"]
    rows: list[dict[str, Any]] = []
    ctx = mp.get_context("spawn")
    for n in sizes:
        limit = args.time_limit
        for solver in solvers:
            log(f"{n} jobs, {solver} ({limit:g} s) ...")
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                try:
                    row = pool.submit(
                        run_one,
                        solver,
                        n,
                        args.seed,
                        limit,
                        not args.no_parts,
                        args.vroom_level,
                        not args.no_breaks,
                        args.engine,
                    ).result()
                except Exception as exc:  # a crashed child is a result too
                    row = {
                        "jobs": n,
                        "solver": solver,
                        "ok": False,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
            if row.get("error"):
                log(f"    {row['error']}")
            if row.get("valid") is False:
                log(f"    INVALID plan: {row['first_violation']}")
            log(
                f"    assigned {row.get('assigned')}  weighted {row.get('weighted_pct', 0):.1f}%"
                f"  distance {row.get('distance_km', 0):.0f} km  wall {row.get('wall_s', 0):.1f}"
                f" s  peak {row.get('peak_rss_mb', 0):.0f} MB"
            )
            rows.append(row)
            if solver == "vroom" and not args.fixed_time and row.get("wall_s"):
                limit = float(math.ceil(row["wall_s"]))
    if "vroom" in solvers and not args.fixed_time:
        timing = f"VROOM at {args.time_limit:g} s, the others at its wall time"
    else:
        timing = f"{args.time_limit:g} s per run"
    print_table(
        rows,
        [
            "jobs",
            "engineers",
            "solver",
            "assigned",
            "assigned_pct",
            "weighted_pct",
            "critical",
            "engineers_used",
            "distance_km",
            "km_per_job",
            "late_jobs",
            "lateness_min",
            "wall_s",
            "peak_rss_mb",
            "child_peak_mb",
            "valid",
            "engine",
        ],
        title=f"Generated field-service days, {timing} "
        f"({'no parts/tools' if args.no_parts else 'peers without parts/tools'}"
        f"{', no breaks' if args.no_breaks else ', breaks'})",
    )
    ours = [r for r in rows if r["solver"] == "ours"]
    if ours:
        invalid = sum(1 for r in ours if r.get("valid") is False)
        print(
            f"\nour plans: {len(ours)}, invalid: {invalid}, failed: "
            f"{sum(1 for r in ours if not r.get('ok'))}"
        )
    if args.out:
        write_csv(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
