"""Validity sweep of re-optimisation: count invalid plans by rule and event mix.

Synthetic days (seeds x sizes, planned by greedy insertion or the solver) are re-optimised
at several times of day under event mixes (``optimizer.synthetic.synthetic_events``, as
the tests use), on the repair path (``solver_time_s=0``). Each output plan is validated against the
returned problem; a table of invalid plans per mix and per broken rule is printed. Usage::

    python -m benchmarks.reoptimize_sweep [--seeds 15] [--sizes 60x8,150x15]
        [--hours 1,2,3,4,5,6,7,8,9] [--planner greedy|solver|both] [--jobs 4] [--show 0]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from benchmarks.common import format_table
from optimizer.compile import compile_problem
from optimizer.dispatcher.events import Events
from optimizer.dispatcher.reoptimize import ReoptimizeOptions, reoptimize
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.models import JobStop, Plan, Problem
from optimizer.synthetic import generate_problem, synthetic_events
from optimizer.validate import validate

MIXES = ["added", "cancelled", "unavailable", "unavailable_later", "started", "finished",
         "delayed", "position", "added+cancelled+unavailable+delayed+position",
         "started+finished+unavailable_later+added", "started+delayed", "finished+delayed",
         "started+unavailable", "unavailable_later+delayed+position",
         "started+finished+delayed+cancelled"]
HOURS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]


def plan_day(problem: Problem, planner: str) -> Plan:
    """The dispatched day: greedy insertion, or the solver (greedy if its plan is invalid)."""
    if planner == "solver":
        from optimizer.dispatch import SolveOptions, solve

        plan = solve(problem, SolveOptions(time_limit_s=2.0, seed=0))
        worked = sum(any(isinstance(s, JobStop) for s in r.stops) for r in plan.routes)
        if worked >= 4 and not validate(problem, plan):  # the events need 4 worked routes
            return plan
    board, left = greedy_plan_routes(compile_problem(problem))
    return board_plan(board, left, status="greedy", wall_s=0.0)


def history_rewritten(plan: Plan, new_plan: Plan, events: Events) -> bool:
    """Whether a stop that ended before ``now`` (not reported) is missing from the new plan."""
    now = events.now.replace(second=0, microsecond=0)
    reported = {e.job for e in events.events if e.type in ("job_started", "job_finished",
                                                            "job_delayed")}
    if events.events and any(e.type in ("job_started", "job_finished", "job_delayed")
                             for e in events.events):
        return False  # reports may legitimately contradict planned history ("not done")

    def hist(p: Plan) -> set:
        return {(r.engineer, s.model_dump_json()) for r in p.routes for s in r.stops
                if s.end <= now and not (isinstance(s, JobStop) and s.job in reported)}
    return not hist(plan) <= hist(new_plan)


def run_case(args: tuple[int, str, str, Sequence[float], Sequence[str]]) -> list[dict]:
    """Every (hour, mix) of one seeded day: one row per re-optimisation."""
    seed, size, planner, hours, mixes = args
    n_jobs, n_engs = (int(x) for x in size.split("x"))
    problem = generate_problem(n_jobs=n_jobs, n_engineers=n_engs, seed=seed)
    plan = plan_day(problem, planner)
    opts = ReoptimizeOptions(solver_time_s=0)
    rows = []
    for h in hours:
        for mix in mixes:
            ev = synthetic_events(problem, plan, mix, h)
            try:
                after, new_plan, _ = reoptimize(problem, plan, ev, options=opts)
                bad = validate(after, new_plan)
                rules = sorted({v.rule.value for v in bad})
                if history_rewritten(plan, new_plan, ev):
                    rules.append("history")
                first = str(bad[0]) if bad else ""
            except Exception as exc:  # a crash counts as invalid
                rules, first = ["crash"], f"{type(exc).__name__}: {exc}"
            rows.append({"seed": seed, "size": size, "planner": planner, "hours": h,
                         "mix": mix, "rules": rules, "first": first})
    return rows


def sweep(seeds: Sequence[int], sizes: Sequence[str], planners: Sequence[str],
          hours: Sequence[float] = HOURS, mixes: Sequence[str] = MIXES,
          jobs: int = 1) -> list[dict]:
    """All rows of the sweep (in parallel processes when ``jobs`` > 1)."""
    cases = [(s, z, p, list(hours), list(mixes)) for s in seeds for z in sizes for p in planners]
    if jobs <= 1:
        return [r for c in cases for r in run_case(c)]
    with ProcessPoolExecutor(jobs) as ex:
        return [r for rows in ex.map(run_case, cases) for r in rows]


def table(rows: list[dict]) -> str:
    """Invalid plans per mix and per rule (a plan breaking two rules counts under each)."""
    rules = sorted({r for row in rows for r in row["rules"]})
    by_mix: dict[str, Counter] = {}
    for row in rows:
        c = by_mix.setdefault(row["mix"], Counter())
        c["plans"] += 1
        c["invalid"] += bool(row["rules"])
        c.update(row["rules"])
    total: Counter = sum(by_mix.values(), Counter())
    lines = [{"mix": mix, **c} for mix, c in [*by_mix.items(), ("TOTAL", total)]]
    return format_table([{k: line.get(k, 0) for k in ["mix", "plans", "invalid", *rules]}
                         for line in lines], ["mix", "plans", "invalid", *rules])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=15)
    ap.add_argument("--sizes", default="60x8,150x15")
    ap.add_argument("--hours", default=",".join(str(h) for h in HOURS))
    ap.add_argument("--planner", choices=["greedy", "solver", "both"], default="greedy")
    ap.add_argument("--jobs", type=int, default=4, help="parallel processes")
    ap.add_argument("--show", type=int, default=0, help="print the first N invalid cases")
    a = ap.parse_args(argv)
    planners = ["greedy", "solver"] if a.planner == "both" else [a.planner]
    rows = sweep(range(a.seeds), a.sizes.split(","), planners,
                 [float(h) for h in a.hours.split(",")], MIXES, a.jobs)
    print(table(rows))
    for row in [r for r in rows if r["rules"]][: a.show]:
        print(f"seed={row['seed']} size={row['size']} {row['planner']} h={row['hours']} "
              f"{row['mix']}: {row['first']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
