"""Solomon VRPTW benchmark (CVRPLIB convention): us, VROOM and PyVRP side by side.

Every instance is converted once to the contract (``optimizer.instances.solomon``: matrix travel
with distances truncated to one decimal, time x10 in whole minutes, capacity/load) and the same
problem goes to our public ``solve``, to VROOM and to PyVRP with the same time limit. Every plan
is checked by ``optimizer.validate`` (the peers' routes are rebuilt as contract plans too), and
distances are recomputed from the contract matrix, so all three are measured alike.

    python -m benchmarks.solomon                      # one instance per class, 10 s
    python -m benchmarks.solomon --instances all --time-limit 10 --out /tmp/solomon.csv
    python -m benchmarks.solomon --instances 'R1*' --no-peers
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.common import (
    Outcome,
    data_dir,
    gap_pct,
    log,
    mean,
    outcome_row,
    print_table,
    run_ours,
    select,
    summarise,
    write_csv,
)
from optimizer.instances.routes import plan_from_sequences
from optimizer.instances.solomon import read_bks, read_solomon, to_problem
from optimizer.models import Problem

DEFAULT = ["C101", "C201", "R101", "R201", "RC101", "RC201"]
FULLER = [*DEFAULT, "C105", "C205", "R105", "R205", "RC105", "RC205"]
PEERS = ("vroom", "pyvrp")


def check_peer(problem: Problem, out: Outcome) -> None:
    """Rebuild a peer's routes as a contract plan: validate it and measure it like ours."""
    from optimizer.validate import validate

    if not out.ok:
        return
    try:
        plan = plan_from_sequences(problem, out.sequences, status=out.solver)
    except (ValueError, KeyError) as exc:
        out.valid, out.violations, out.first_violation = False, 1, str(exc)
        return
    violations = validate(problem, plan)
    out.valid = not violations
    out.violations = len(violations)
    out.first_violation = str(violations[0]) if violations else ""
    out.extra["reported_distance"] = out.distance_km
    out.distance_km = plan.kpis.distance_km


def run_peer(name: str, problem: Problem, time_limit_s: float, seed: int) -> Outcome:
    from benchmarks.peers import solve_pyvrp, solve_vroom

    try:
        if name == "vroom":
            out = solve_vroom(problem, time_limit_s)
        else:
            out = solve_pyvrp(problem, time_limit_s, seed=seed + 1)
    except Exception as exc:  # report, do not stop the run
        out = Outcome(solver=name, error=f"{type(exc).__name__}: {exc}")
    check_peer(problem, out)
    return out


def solved(r: Mapping[str, Any]) -> bool:
    return bool(r["ok"]) and r["unassigned"] == 0 and r["valid"] is True


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--instances",
        nargs="*",
        help=f"names or globs (C1*, R101), or 'all'; default: {' '.join(DEFAULT)}",
    )
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per solver run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-peers", action="store_true", help="run only our solver")
    ap.add_argument("--no-ours", action="store_true", help="run only the peers")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma list of vroom, pyvrp")
    ap.add_argument("--out", help="write one CSV row per instance and solver")
    args = ap.parse_args(argv)

    folder = data_dir("solomon")
    names = sorted(p.stem for p in (folder / "instances").glob("*.txt"))
    if args.instances == ["fuller"]:
        args.instances = FULLER
    chosen = select(names, args.instances, DEFAULT)
    bks = read_bks(folder / "bks.csv")
    solvers = ([] if args.no_ours else ["ours"]) + (
        [] if args.no_peers else [p for p in args.peers.split(",") if p]
    )
    rows: list[dict[str, Any]] = []
    for n, name in enumerate(chosen, 1):
        inst = read_solomon(folder / "instances" / f"{name}.txt")
        problem = to_problem(inst)
        best = bks[name]
        for solver in solvers:
            log(f"[{n}/{len(chosen)}] {name} {solver} ({args.time_limit:g} s) ...")
            if solver == "ours":
                out, _ = run_ours(problem, args.time_limit, args.seed)
            else:
                out = run_peer(solver, problem, args.time_limit, args.seed)
            if out.error:
                log(f"    {solver} on {name}: {out.error}")
            if out.valid is False:
                log(f"    {solver} on {name}: INVALID plan: {out.first_violation}")
            row = {
                "instance": name,
                "cls": inst.cls,
                **outcome_row(out),
                "gap_pct": gap_pct(out.distance_km, best.distance) if out.ok else float("nan"),
                "bks_vehicles": best.vehicles,
                "bks_distance": best.distance,
                "time_limit_s": args.time_limit,
            }
            row["solved"] = solved(row)
            rows.append(row)
            if args.out:  # rewritten after every run, so a long run can be read as it goes
                write_csv(args.out, rows, quiet=True)
            log(
                f"    vehicles {out.vehicles}  distance {out.distance_km:.1f}  "
                f"gap {row['gap_pct']:.2f}%  unassigned {out.unassigned}  wall {out.wall_s:.1f} s"
            )

    print_table(
        rows,
        [
            "instance",
            "solver",
            "solved",
            "vehicles",
            "distance_km",
            "gap_pct",
            "unassigned",
            "wall_s",
            "valid",
            "bks_vehicles",
            "bks_distance",
        ],
        title=f"Solomon, CVRPLIB convention, {args.time_limit:g} s per run",
    )
    ok_rows = lambda rs: [r for r in rs if solved(r)]  # noqa: E731
    summary = summarise(
        rows,
        "cls",
        solvers,
        {
            "instances": len,
            "solved": lambda rs: len(ok_rows(rs)),
            "vehicles": lambda rs: mean(r["vehicles"] for r in ok_rows(rs)),
            "bks_vehicles": lambda rs: mean(r["bks_vehicles"] for r in ok_rows(rs)),
            "distance": lambda rs: mean(r["distance_km"] for r in ok_rows(rs)),
            "gap_pct": lambda rs: mean(r["gap_pct"] for r in ok_rows(rs)),
            "max_gap_pct": lambda rs: max(
                (r["gap_pct"] for r in ok_rows(rs)), default=float("nan")
            ),
            "at_bks": lambda rs: sum(1 for r in ok_rows(rs) if r["gap_pct"] < 1e-6),
            "within_0.5%": lambda rs: sum(1 for r in ok_rows(rs) if r["gap_pct"] <= 0.5),
            "wall_s": lambda rs: mean(r["wall_s"] for r in rs if r["ok"]),
            "cpu_s": lambda rs: mean(r.get("x_cpu_s", float("nan")) for r in rs if r["ok"]),
            "invalid": lambda rs: sum(1 for r in rs if r["valid"] is False),
        },
    )
    print_table(
        summary,
        [
            "cls",
            "solver",
            "instances",
            "solved",
            "vehicles",
            "bks_vehicles",
            "distance",
            "gap_pct",
            "max_gap_pct",
            "at_bks",
            "within_0.5%",
            "wall_s",
            "cpu_s",
            "invalid",
        ],
        title="Per class (means over solved instances; gap to the CVRPLIB BKS distance)",
    )
    ours = [r for r in rows if r["solver"] == "ours"]
    if ours:
        invalid = sum(1 for r in ours if r["valid"] is False)
        failed = sum(1 for r in ours if not solved(r))
        print(f"\nour plans: {len(ours)}, invalid: {invalid}, not fully served or failed: {failed}")
    if args.out:
        write_csv(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
