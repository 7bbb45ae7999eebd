"""Re-optimisation benchmark: one event on a 1,000-job, 100-engineer day.

Targets (issue): answered in <= 2 s in-process; >= 95 % of the jobs the event does not touch
stay on the same engineer in the same order. Usage::

    python benchmarks/reoptimize.py [--jobs 1000] [--engineers 100] [--seed 1] [--solver S]

``--solver S`` plans the day with ``optimizer.dispatch.solve`` (S seconds); without it (or if
the solver is unavailable) the day is planned by greedy insertion.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from optimizer.compile import compile_problem
from optimizer.events import Events
from optimizer.insertion import board_plan, greedy_plan_routes
from optimizer.models import JobStop, Plan
from optimizer.reoptimize import reoptimize
from optimizer.synthetic import generate_problem
from optimizer.validate import validate


def sequences(plan: Plan) -> dict[str, tuple[str, int]]:
    """job -> (engineer, rank among the engineer's jobs)."""
    out = {}
    for r in plan.routes:
        for k, s in enumerate(x for x in r.stops if isinstance(x, JobStop)):
            out[s.job] = (r.engineer, k)
    return out


def kept_share(before: Plan, after: Plan, touched: set[str]) -> float:
    """Untouched jobs on the same engineer, in the same relative order, / untouched jobs."""
    b, a = sequences(before), sequences(after)
    eng_jobs: dict[str, list[str]] = {}
    for j, (e, _) in b.items():
        if j not in touched:
            eng_jobs.setdefault(e, []).append(j)
    kept = total = 0
    for e, js in eng_jobs.items():
        js.sort(key=lambda j: b[j][1])
        still = [j for j in js if j in a and a[j][0] == e]
        order = sorted(still, key=lambda j: a[j][1])
        kept += sum(1 for x, y in zip(still, order, strict=True) if x == y)
        total += len(js)
    return 100.0 * kept / max(total, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--engineers", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--solver", type=float, default=0.0)
    args = ap.parse_args()
    problem = generate_problem(n_jobs=args.jobs, n_engineers=args.engineers, seed=args.seed)
    plan = None
    if args.solver > 0:
        try:
            from optimizer.dispatch import SolveOptions, solve
            plan = solve(problem, SolveOptions(time_limit_s=args.solver))
            source = f"solver {args.solver:.0f}s"
        except NotImplementedError:
            plan = None
    if plan is None:
        board, left = greedy_plan_routes(compile_problem(problem))
        plan = board_plan(board, left, status="greedy", wall_s=0.0)
        source = "greedy insertion"
    print(f"day: {args.jobs} jobs, {args.engineers} engineers, planned by {source}: "
          f"{plan.kpis.jobs_assigned} assigned")
    now = problem.engineers[0].shifts[0].start + timedelta(hours=3)
    routes = [r for r in plan.routes if sum(isinstance(s, JobStop) for s in r.stops) >= 3]
    r0, r1 = routes[0], routes[1]
    j0 = [s for s in r0.stops if isinstance(s, JobStop)]
    j1 = [s for s in r1.stops if isinstance(s, JobStop)]
    fut0 = [s for s in j0 if s.start > now]
    run1 = [s for s in j1 if s.start <= now] or j1[:1]
    new = problem.jobs[0].model_copy(update={"id": "NEW-1", "pinned": None, "time_windows": []})
    cases = {
        "job_added": ({"type": "job_added", "job": new.model_dump(mode="json")}, set()),
        "job_cancelled": ({"type": "job_cancelled", "job": fut0[0].job}, {fut0[0].job}),
        "engineer_unavailable": ({"type": "engineer_unavailable", "engineer": r0.engineer,
                                  "from": now.isoformat(), "until": None},
                                 {s.job for s in j0}),
        "job_started": ({"type": "job_started", "job": fut0[0].job, "engineer": r0.engineer,
                         "at": now.isoformat()}, {fut0[0].job}),
        "job_finished": ({"type": "job_finished", "job": run1[-1].job, "engineer": r1.engineer,
                          "at": now.isoformat()}, {run1[-1].job}),
        "job_delayed": ({"type": "job_delayed", "job": run1[-1].job,
                         "expected_end": (now + timedelta(minutes=60)).isoformat()},
                        {s.job for s in j1}),
        "engineer_position": ({"type": "engineer_position", "engineer": r0.engineer,
                               "at": now.isoformat(), "location": {"lat": 31.25, "lon": 121.5}},
                              {s.job for s in j0}),
    }
    print(f"{'event':22} {'latency_s':>9} {'kept_%':>7} {'valid':>5}  diff")
    for name, (ev, touched) in cases.items():
        events = Events.model_validate({"now": now.isoformat(), "events": [ev]})
        t = time.perf_counter()
        after, new_plan, diff = reoptimize(problem, plan, events)
        wall = time.perf_counter() - t
        ok = not validate(after, new_plan)
        print(f"{name:22} {wall:9.3f} {kept_share(plan, new_plan, touched):7.1f} {ok!s:>5}  "
              f"unchanged={diff.unchanged} retimed={len(diff.retimed)} "
              f"reassigned={len(diff.reassigned)} unassigned={len(diff.unassigned)} "
              f"added={len(diff.added)}")


if __name__ == "__main__":
    main()
