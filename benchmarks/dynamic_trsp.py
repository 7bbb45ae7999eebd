"""Dynamic TRSP (Pillac): a day of revealed requests, re-optimised at each reveal.

Each Pillac instance (``optimizer.instances.pillac``: 25 technicians, skills, tools, van parts,
a central depot) comes with release-date files (``dynamic_release_dates/<inst>_rd_<p>.txt``):
p = 10..90 % of the requests are revealed during the day at a release time, the others are
known in the morning. The replay:

1. plans the static requests with ``optimizer.dispatch.solve`` (``--initial-time`` s; greedy
   insertion, with a note, if the solver gives nothing usable);
2. at each release time ``now`` sends the requests revealed then as ``job_added`` events to
   ``optimizer.dispatcher.reoptimize.reoptimize`` (solver path ``--time-limit`` s); the plan is
   executed
   as planned, so whatever ended before ``now`` becomes history;
3. the day's final plan is measured in the instance's own units (distance and least duration,
   as ``benchmarks.trsp``) against the static best-known solution (``bks.csv``): the gap is the
   cost of not knowing the requests in advance plus our solver's own gap to the BKS;
   ``--static-time S`` also solves the day with every request known, to tell the two apart.

Every intermediate plan is validated. Latency: wall seconds per re-optimisation (mean, p95,
max). Usage::

    python -m benchmarks.dynamic_trsp                              # C101 R101 RC101, 50 %
    python -m benchmarks.dynamic_trsp --instances C1* --dod 10,50,90 --time-limit 1 --out d.csv
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import data_dir, gap_pct, log, print_table, select, write_csv
from optimizer.compile import compile_problem
from optimizer.dispatch import SolveOptions, solve
from optimizer.dispatcher.events import Events, JobAdded
from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.instances.grid import at_minute
from optimizer.instances.pillac import (
    TIME_SCALE,
    PillacInstance,
    plan_figures,
    read_bks,
    read_pillac,
    request_id,
    to_problem,
)
from optimizer.models import JobStop, Plan, Problem
from optimizer.validate import validate

DEFAULT = ["C101", "R101", "RC101"]
DODS = (10, 30, 50, 70, 90)


def read_release_dates(path: str | Path) -> dict[int, float]:
    """Request node -> release time (instance units); -1 for a request known in the morning."""
    lines = Path(path).read_text().splitlines()
    head = next((k for k, ln in enumerate(lines) if ln.split()[:2] == ["ID", "RD"]), None)
    if head is None:
        raise ValueError(f"{path}: no 'ID RD' header")
    out: dict[int, float] = {}
    for line in lines[head + 1:]:
        parts = line.split()
        if len(parts) == 2:
            out[int(parts[0])] = float(parts[1])
    return out


@dataclass
class DayResult:
    """One replayed day: the final plan and what each re-optimisation took."""

    plan: Plan
    problem: Problem
    initial: str
    latencies: list[float] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)  # why the repair was kept -> count
    invalid: int = 0
    first_violation: str = ""


def initial_plan(problem: Problem, seconds: float) -> tuple[Plan, str]:
    """The morning plan of the static requests: the solver's, or greedy insertion."""
    board, left = greedy_plan_routes(compile_problem(problem))
    greedy = board_plan(board, left, status="greedy", wall_s=0.0)
    if seconds <= 0:
        return greedy, "greedy"
    plan = solve(problem, SolveOptions(time_limit_s=seconds))
    if validate(problem, plan) or plan.kpis.jobs_assigned < greedy.kpis.jobs_assigned:
        log(f"note: solver morning plan not used ({plan.kpis.jobs_assigned} assigned, greedy "
            f"{greedy.kpis.jobs_assigned}); greedy insertion instead")
        return greedy, "greedy (solver worse)"
    return plan, f"solver {seconds:g}s"


def replay(inst: PillacInstance, release: dict[int, float], *, initial_s: float,
           options: ReoptimizeOptions, time_scale: int = TIME_SCALE) -> DayResult:
    """Replay the day: the static plan, then one re-optimisation per release time."""
    full = to_problem(inst, time_scale=time_scale)
    jobs = {j.id: j for j in full.jobs}
    dynamic = {request_id(n): t for n, t in release.items() if t >= 0}
    static = full.model_copy(update={"jobs": [j for j in full.jobs if j.id not in dynamic]})
    plan, how = initial_plan(static, initial_s)
    out = DayResult(plan=plan, problem=static, initial=how)
    bad = validate(static, plan)
    out.invalid += bool(bad)
    by_time: dict[int, list[str]] = {}
    for jid, t in dynamic.items():
        by_time.setdefault(math.ceil(t * time_scale - 1e-9), []).append(jid)
    problem = static
    for minute in sorted(by_time):
        events = Events(now=at_minute(minute),
                        events=[JobAdded(job=jobs[j]) for j in sorted(by_time[minute])])
        t = time.perf_counter()
        problem, plan, _ = reoptimize(problem, plan, events, options=options)
        out.latencies.append(time.perf_counter() - t)
        info = plan.solver.model_dump()
        out.paths.append(str(info.get("path", "")))
        if info.get("path") != "solver" and info.get("solver_note"):
            why = str(info["solver_note"]).split(" (")[0]
            out.notes[why] = out.notes.get(why, 0) + 1
        bad = validate(problem, plan)
        if bad:
            out.invalid += 1
            out.first_violation = out.first_violation or str(bad[0])
    out.plan, out.problem = plan, problem
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", nargs="*",
                    help=f"Solomon names or globs, or 'all'; default: {' '.join(DEFAULT)}")
    ap.add_argument("--dod", default="50",
                    help="degrees of dynamism (%% of requests revealed during the day), "
                         "comma list of 10,30,50,70,90 (default 50)")
    ap.add_argument("--time-limit", type=float, default=0.5,
                    help="solver seconds per re-optimisation (0: repair only; default 0.5)")
    ap.add_argument("--initial-time", type=float, default=10.0,
                    help="solver seconds for the morning plan (0: greedy; default 10)")
    ap.add_argument("--static-time", type=float, default=0.0,
                    help="also solve each instance with every request known, this many "
                         "seconds (our static reference beside the BKS; default 0: off)")
    ap.add_argument("--max-moved", type=int, default=20,
                    help="cap on untouched jobs moved per re-optimisation (default 20)")
    ap.add_argument("--out", help="CSV, one row per instance and degree of dynamism")
    args = ap.parse_args(argv)
    dods = [int(d) for d in args.dod.split(",") if d.strip()]
    if not set(dods) <= set(DODS):
        ap.error(f"--dod takes values among {', '.join(map(str, DODS))}")

    folder = data_dir("trsp-pillac")
    files = {p.stem.split(".")[0]: p for p in (folder / "instances_txt").glob("*.txt")}
    chosen = select(sorted(files), args.instances, DEFAULT)
    bks = read_bks(folder / "bks.csv")
    options = ReoptimizeOptions(solver_time_s=args.time_limit, max_moved_jobs=args.max_moved,
                                time_budget_s=None)
    rows: list[dict[str, Any]] = []
    for name in chosen:
        inst = read_pillac(files[name])
        best = bks[inst.name]
        static = None
        if args.static_time > 0:
            log(f"{name}: static reference, every request known ({args.static_time:g} s) ...")
            plan0, how0 = initial_plan(to_problem(inst), args.static_time)
            static = (plan_figures(inst, plan0), plan0.kpis.jobs_assigned, how0)
        for dod in dods:
            rd = folder / "dynamic_release_dates" / f"{inst.name}_rd_{dod}.txt"
            if not rd.exists():
                log(f"{name} {dod}%: no release-date file {rd.name}; skipped")
                continue
            release = read_release_dates(rd)
            n_dyn = sum(t >= 0 for t in release.values())
            log(f"{name} {dod}%: {n_dyn} requests revealed during the day ...")
            t0 = time.perf_counter()
            day = replay(inst, release, initial_s=args.initial_time, options=options)
            fig = plan_figures(inst, day.plan)
            served = sum(isinstance(s, JobStop) for r in day.plan.routes for s in r.stops)
            lat = np.array(day.latencies or [0.0])
            rows.append({
                "instance": name, "dod": dod, "revealed": n_dyn, "reveals": len(day.latencies),
                "initial": day.initial, "served": served, "requests": len(inst.requests),
                "technicians": fig.technicians, "duration": round(fig.duration, 1),
                "bks_duration": best.duration,
                "duration_gap_pct": round(gap_pct(fig.duration, best.duration), 2),
                "distance": round(fig.distance, 1), "bks_distance": best.distance,
                "distance_gap_pct": round(gap_pct(fig.distance, best.distance), 2),
                "static_served": static[1] if static else None,
                "static_duration": round(static[0].duration, 1) if static else None,
                "vs_static_pct": round(gap_pct(fig.duration, static[0].duration), 2)
                if static else None,
                "lat_mean_s": round(float(lat.mean()), 3),
                "lat_p95_s": round(float(np.percentile(lat, 95)), 3),
                "lat_max_s": round(float(lat.max()), 3),
                "solver_won": sum(p == "solver" for p in day.paths),
                "invalid": day.invalid, "first_violation": day.first_violation,
                "repair_kept_because": "; ".join(f"{k}: {v}" for k, v in day.notes.items()),
                "wall_s": round(time.perf_counter() - t0, 1),
            })
            if args.out:
                write_csv(args.out, rows, quiet=True)
    print_table(rows, ["instance", "dod", "reveals", "initial", "served", "technicians",
                       "duration", "bks_duration", "duration_gap_pct", "distance",
                       "distance_gap_pct", "static_served", "static_duration", "vs_static_pct",
                       "lat_mean_s", "lat_p95_s", "lat_max_s",
                       "solver_won", "invalid"],
                title="Dynamic TRSP: final day vs static BKS (gap = cost of not knowing)")
    print("gaps are only comparable where every request was served (served = requests)")
    for r in rows:
        if r["repair_kept_because"]:
            print(f"{r['instance']} {r['dod']}%: repair kept because {r['repair_kept_because']}")
    return 1 if any(r["invalid"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
