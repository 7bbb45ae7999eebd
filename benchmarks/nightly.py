"""Nightly batch wall time: the demo data, and a 2,000-job / 200-engineer day on 1, 2, 4 workers.

Each run is the whole pipeline of ``optimizer nightly`` (read, parts check, solve, validate,
policies and orders, KPIs, report) plus the atomic write, timed end to end, with the stage
times beside it. The generated day is ``optimizer.synthetic.generate_problem(n_jobs=2000,
n_engineers=200, seed=...)`` with the demo's spare-parts files beside it (same part ids and
depots, so the parts stage runs too). On workers it is solved territory by territory on a local
Dask cluster (``optimizer.distributed.solve_partitioned``, each territory with the same time
limit); the demo runs the single in-process solve of the README command.

    python -m benchmarks.nightly                       # demo + 2,000 jobs on 1, 2, 4 workers
    python -m benchmarks.nightly --time-limit 5 --workers 1,2 --skip-demo

Tables go to stdout, progress to stderr. Wall times depend on the machine (2 cores here: four
workers share two cores, and a time-limited solve takes its time whatever it shares).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import format_table  # noqa: E402 (after the repository is on the path)

DEMO = REPO / "scenarios" / "demo"
PARTS_FILES = ("parts", "locations", "lead_times", "stock", "on_order", "demand")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def generated_data_dir(directory: Path, n_jobs: int, n_engineers: int, seed: int) -> Path:
    """A data directory: a generated problem.json and, when the demo has them, its parts files."""
    import pandas as pd

    from optimizer.synthetic import generate_problem

    directory.mkdir(parents=True, exist_ok=True)
    catalogue = depot_stock = None
    for name in PARTS_FILES:
        src = DEMO / f"{name}.csv"
        if src.exists():
            shutil.copy(src, directory / src.name)
    if (directory / "parts.csv").exists():
        parts = pd.read_csv(directory / "parts.csv")
        if "skill" in parts.columns:
            catalogue = dict(zip(parts["part"].astype(str), parts["skill"].astype(str),
                                 strict=True))
        stock = pd.read_csv(directory / "stock.csv")
        depot_stock = {}
        for row in stock.itertuples(index=False):
            if str(row.location).startswith("D-") and int(row.on_hand) > 0:
                depot_stock.setdefault(str(row.location), {})[str(row.part)] = int(row.on_hand)
    problem = generate_problem(n_jobs=n_jobs, n_engineers=n_engineers, seed=seed,
                               parts_catalogue=catalogue, depot_stock=depot_stock,
                               problem_id=f"bench-{n_jobs}j-{n_engineers}e-s{seed}")
    (directory / "problem.json").write_text(problem.model_dump_json(exclude_none=True))
    return directory


def run_once(data_dir: Path, out_dir: Path, *, time_limit: float, seed: int,
             workers: int | None) -> dict:
    """One timed nightly run (pipeline + atomic write); its figures as a row."""
    from optimizer.batch import run_nightly, write_atomic_dir

    t0 = time.perf_counter()
    # allow_invalid: time the whole run even when the solver's plan breaks a rule (the
    # CLI refuses to publish such a plan); the table says so.
    result = run_nightly(data_dir, time_limit_s=time_limit, seed=seed, workers=workers,
                         progress=_progress, allow_invalid=True)
    write_atomic_dir(out_dir, result.files())
    wall = time.perf_counter() - t0
    stages = {s.stage: s.seconds for s in result.stages}
    k = result.plan.kpis
    return {"wall_s": wall, "solve_s": stages.get("solve", 0.0),
            "parts_s": stages.get("parts", 0.0), "report_s": stages.get("report", 0.0),
            "planned": k.jobs_assigned, "jobs": k.jobs_total, "held": len(result.held),
            "orders": 0 if result.orders is None else len(result.orders),
            "status": result.plan.solver.status + (
                f", PLAN INVALID ({len(result.violations)} violations)"
                if result.violations else ", valid")}


def run_safely(*args, **kwargs) -> dict:
    """``run_once``, with a failure kept as a row rather than ending the benchmark."""
    try:
        return run_once(*args, **kwargs)
    except Exception as exc:  # a failed run is a result too
        _progress(f"run failed: {type(exc).__name__}: {exc}")
        return {"wall_s": float("nan"), "solve_s": float("nan"), "parts_s": float("nan"),
                "report_s": float("nan"), "planned": 0, "jobs": 0, "held": 0, "orders": 0,
                "status": f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}"}


def _table(rows: list[tuple[str, dict]]) -> str:
    cols = ["run", "wall_s", "solve_s", "parts_s", "report_s", "planned", "held", "orders",
            "status"]
    return format_table([{**r, "run": name, "planned": f"{r['planned']}/{r['jobs']}"}
                         for name, r in rows], cols)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0,
                    help="solver seconds (per territory on workers); default 10")
    ap.add_argument("--workers", default="1,2,4", help="comma list of local worker counts")
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--engineers", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args(argv)
    rows: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="nightly-bench-") as tmp:
        tmpdir = Path(tmp)
        if not args.skip_demo:
            if (DEMO / "problem.json").exists():
                _progress(f"== demo ({DEMO})")
                rows.append(("demo, 1 process", run_safely(
                    DEMO, tmpdir / "out-demo", time_limit=args.time_limit, seed=args.seed,
                    workers=None)))
            else:
                _progress(f"demo data not found at {DEMO}; skipped")
        data = generated_data_dir(tmpdir / "generated", args.jobs, args.engineers, args.seed)
        for n in [int(x) for x in args.workers.split(",") if x.strip()]:
            _progress(f"== {args.jobs} jobs, {args.engineers} engineers, {n} workers")
            rows.append((f"{args.jobs} jobs/{args.engineers} eng, {n} worker(s)", run_safely(
                data, tmpdir / f"out-{n}", time_limit=args.time_limit, seed=args.seed,
                workers=n)))
    print(_table(rows))
    print(f"\n(time limit {args.time_limit:g} s per solve; seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
