"""CLI of the dispatcher's day: ``reoptimize``, ``explain`` and ``slots``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from optimizer.dispatcher.events import Events
from optimizer.dispatcher.explain import explain_plan
from optimizer.dispatcher.options import ReoptimizeOptions
from optimizer.dispatcher.reoptimize import reoptimize
from optimizer.dispatcher.slots import coverage, offer_slots
from optimizer.io import (
    check_output_file,
    check_writable_dir,
    parse_model,
    read_json,
    read_plan,
    read_problem,
    to_json,
    write_text_atomic,
)
from optimizer.models import Job


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("reoptimize", help="apply the day's events to a dispatched plan")
    r.add_argument("problem", type=Path, help="problem JSON the plan was made for")
    r.add_argument("plan", type=Path, help="the dispatched plan JSON")
    r.add_argument("events", type=Path, help="events JSON (now + events)")
    r.add_argument("-o", "--output", type=Path, required=True,
                   help="directory for problem.json, plan.json and diff.json")
    r.add_argument("--max-moved", type=int, default=20, metavar="N",
                   help="cap on jobs the events did not touch that may move (default 20)")
    r.add_argument("--solver-time", type=float, default=1.0, metavar="S",
                   help="seconds for the solver on the affected engineers after the repair "
                        "(0: repair only; default 1)")
    r.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    r.set_defaults(func=_reoptimize)

    e = sub.add_parser("explain", help="fill each unassigned job's cheapest relaxations")
    e.add_argument("problem", type=Path)
    e.add_argument("plan", type=Path)
    e.add_argument("-o", "--output", type=Path, required=True, help="the explained plan JSON")
    e.set_defaults(func=_explain)

    s = sub.add_parser("slots", help="appointment slots that can be promised for a new job")
    s.add_argument("problem", type=Path)
    s.add_argument("plan", type=Path)
    s.add_argument("job", type=Path, help="a contract job JSON (its windows are ignored)")
    s.add_argument("--days", type=int, default=3)
    s.add_argument("--slot-min", type=int, default=120)
    s.add_argument("--top", type=int, default=10, help="how many offers to print (default 10)")
    s.set_defaults(func=_slots)


def _reoptimize(args: argparse.Namespace) -> int:
    problem = read_problem(args.problem)
    plan = read_plan(args.plan)
    events = parse_model(Events, read_json(args.events), source=str(args.events))
    check_writable_dir(args.output)
    after, new_plan, diff = reoptimize(
        problem, plan, events, options=ReoptimizeOptions(
            max_moved_jobs=args.max_moved, solver_time_s=args.solver_time, seed=args.seed))
    out: Path = args.output
    write_text_atomic(out / "problem.json", to_json(after))
    write_text_atomic(out / "plan.json", to_json(new_plan))
    write_text_atomic(out / "diff.json", diff.to_json())
    print(f"reoptimized in {new_plan.solver.wall_s:.2f}s: {diff.unchanged} unchanged, "
          f"{len(diff.retimed)} retimed, {len(diff.reassigned)} reassigned, "
          f"{len(diff.added)} added, {len(diff.unassigned)} newly unassigned, "
          f"{len(diff.cancelled)} cancelled -> {out}")
    info = new_plan.solver.model_dump()
    why = f" ({info['solver_note']})" if info.get("solver_note") else ""
    print(f"plan from the {info.get('path', 'repair')}{why}")
    for w in diff.warnings or []:
        print(f"warning: {w}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    problem, plan = read_problem(args.problem), read_plan(args.plan)
    check_output_file(args.output)
    plan = explain_plan(problem, plan)
    write_text_atomic(args.output, to_json(plan))
    for u in plan.unassigned:
        print(f"{u.job}: {u.reason.value}: {u.detail}")
    return 0


def _slots(args: argparse.Namespace) -> int:
    problem = read_problem(args.problem)
    job = parse_model(Job, read_json(args.job), source=str(args.job))
    offers = offer_slots(problem, read_plan(args.plan), job, days=args.days,
                         slot_min=args.slot_min)
    days = coverage(problem)
    if len(days) < args.days:
        print(f"note: shifts cover only {', '.join(days)}; no slot is offered beyond them")
    for o in offers[: args.top]:
        print(json.dumps({"start": o.start.isoformat(), "end": o.end.isoformat(),
                          "engineer": o.engineer, "planned_start": o.planned_start.isoformat(),
                          "marginal_cost": o.marginal_cost, "slack_min": o.slack_min,
                          "risk": o.risk}))
    return 0
