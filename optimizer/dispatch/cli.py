"""CLI commands of the dispatch engine: ``plan``, ``validate`` and ``schema``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from optimizer.dispatch import solve
from optimizer.dispatch.options import SolveOptions
from optimizer.errors import InputError, OptimizerError
from optimizer.io import check_output_file, read_plan, read_problem, to_json, write_text_atomic
from optimizer.limits import fits_this_machine
from optimizer.models import Plan, Problem
from optimizer.validate import format_violations, validate


class InvalidPlanError(OptimizerError):
    """A plan breaks rules of the contract's 'What makes a plan valid'."""

    exit_code = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="plan a dispatch problem (contract JSON) into a plan")
    p.add_argument("problem", type=Path, help="problem JSON (contract format)")
    p.add_argument("-o", "--output", type=Path, required=True, help="where to write the plan")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S",
                   help="wall-time limit of the search in seconds (default 30)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--max-solutions", type=int, default=None, metavar="N",
                   help="work limit: stop after N improving solutions; with it, the same "
                        "problem and seed give the same plan on any machine")
    p.add_argument("--engine", choices=["auto", "ortools", "vroom", "pyvrp"], default="auto",
                   help="routing engine: auto (the portfolio's measured choice: two engines "
                        "side by side, the better plan by priority tier, then km), ortools, "
                        "vroom or pyvrp (default auto; docs/engines.md)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=_plan)

    v = sub.add_parser("validate", help="check a plan against its problem; exit 1 on any violation")
    v.add_argument("problem", type=Path)
    v.add_argument("plan", type=Path)
    v.set_defaults(func=_validate)

    s = sub.add_parser("schema", help="print the JSON Schema of the problem and the plan")
    s.add_argument("which", nargs="?", choices=["problem", "plan", "all"], default="all")
    s.add_argument("-o", "--output", type=Path, default=None,
                   help="a directory to write problem.schema.json and plan.schema.json to")
    s.set_defaults(func=_schema)


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return say


def _plan(args: argparse.Namespace) -> int:
    say = _progress(args.quiet)
    problem = read_problem(args.problem)
    check_output_file(args.output)  # before the solve, not after it
    if too_big := fits_this_machine(problem):
        raise InputError(too_big)

    say(f"read {args.problem}: {len(problem.engineers)} engineers, {len(problem.jobs)} jobs, "
        f"{len(problem.depots)} depots")
    options = SolveOptions(time_limit_s=args.time_limit, seed=args.seed,
                           max_solutions=args.max_solutions, progress=say,
                           engine=args.engine)
    plan = solve(problem, options)
    violations = validate(problem, plan)
    write_text_atomic(args.output, to_json(plan))
    say(f"wrote {args.output}")
    print(kpi_summary(problem, plan))
    if violations:
        raise InvalidPlanError(
            f"the solver returned a plan with {len(violations)} violation(s) (a bug: please "
            f"report it with the problem file):\n{format_violations(violations)}"
        )
    return 0


def kpi_summary(problem: Problem, plan: Plan) -> str:
    """A short human summary of a plan's KPIs and what was left out."""
    k = plan.kpis
    lines = [
        f"plan {plan.problem_id}: {k.jobs_assigned}/{k.jobs_total} jobs assigned "
        f"on {len(plan.routes)} routes, {k.jobs_unassigned} unassigned",
        f"  on time {k.on_time_pct:.1f}%  travel {k.distance_km:.1f} km / {k.travel_min:.0f} min  "
        f"work {k.work_min:.0f} min  overtime {k.overtime_min:.0f} min  "
        f"utilisation {k.utilisation_pct:.1f}%",
    ]
    if plan.unassigned:
        by_reason: dict[str, int] = {}
        for u in plan.unassigned:
            by_reason[u.reason.value] = by_reason.get(u.reason.value, 0) + 1
        lines.append("  unassigned by reason: " + ", ".join(
            f"{r} {n}" for r, n in sorted(by_reason.items(), key=lambda x: -x[1])))
    lines.append(f"  solver {plan.solver.status} in {plan.solver.wall_s:.1f} s")
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    problem = read_problem(args.problem)
    plan = read_plan(args.plan)
    violations = validate(problem, plan)
    if violations:
        print(format_violations(violations))
        print(f"{args.plan}: INVALID, {len(violations)} violation(s)")
        return 1
    print(f"{args.plan}: valid ({len(plan.routes)} routes, {plan.kpis.jobs_assigned} jobs "
          f"assigned, {len(plan.unassigned)} unassigned)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    schemas = {"problem": Problem.model_json_schema(), "plan": Plan.model_json_schema()}
    chosen = schemas if args.which == "all" else {args.which: schemas[args.which]}
    if args.output is None:
        out = chosen if args.which == "all" else chosen[args.which]
        print(json.dumps(out, indent=1))
        return 0
    for name, schema in chosen.items():
        path = args.output / f"{name}.schema.json"
        write_text_atomic(path, json.dumps(schema, indent=1) + "\n")
        print(f"wrote {path}")
    return 0
