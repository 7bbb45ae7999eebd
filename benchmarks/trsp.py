"""Pillac technician routing (TRSP) benchmark: skills, tools, van parts and depot pick-ups.

Each instance is converted to the contract (``optimizer.instances.pillac``: technician homes as
engineer starts, binary skills, tools, van stock, a central depot with every tool and unlimited
parts, exact Euclidean distances, time x100 in whole minutes rounded up per leg) and solved by our
public ``solve``; every plan is validated. Distance and duration (Pillac's objective: travel +
service + waiting, from leaving home to coming back) are recomputed in the original units from
the visit sequences and compared with the thesis BKS (and the 2014 best durations).

VROOM, with ``--peers vroom``, sees the same problem without tools and parts (it has neither):
a relaxation, so its figures are a reference, not a competing TRSP solution.

    python -m benchmarks.trsp                           # one instance per class, 10 s
    python -m benchmarks.trsp --instances all --time-limit 10 --out /tmp/trsp.csv
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
from optimizer.instances.pillac import (
    TIME_SCALE,
    PillacInstance,
    plan_figures,
    read_bks,
    read_pillac,
    request_id,
    route_figures,
    to_problem,
)
from optimizer.models import Plan, Problem

DEFAULT = ["C101", "C201", "R101", "R201", "RC101", "RC201"]


def figures_of_sequences(
    inst: PillacInstance, sequences: Mapping[str, Sequence[str]]
) -> tuple[int, float, float]:
    """Technicians, distance and least duration of visit sequences (no depot visits)."""
    node = {request_id(r): r for r in inst.requests}
    used, dist, dur = 0, 0.0, 0.0
    for eid, seq in sequences.items():
        if seq:
            d, t = route_figures(inst, int(eid.removeprefix("t")), [node[j] for j in seq])
            used, dist, dur = used + 1, dist + d, dur + t
    return used, dist, dur


def relaxed(problem: Problem) -> Problem:
    """The problem without tools, parts and depots (what VROOM can express)."""
    jobs = [j.model_copy(update={"required_tools": [], "required_parts": {}}) for j in problem.jobs]
    engineers = [e.model_copy(update={"tools": [], "van_stock": {}}) for e in problem.engineers]
    return problem.model_copy(update={"jobs": jobs, "engineers": engineers, "depots": []})


def solved(r: Mapping[str, Any]) -> bool:
    return bool(r["ok"]) and r["unassigned"] == 0 and r["valid"] is not False


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--instances",
        nargs="*",
        help=f"Solomon names or globs (C1*, R101), or 'all'; default: {' '.join(DEFAULT)}",
    )
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per solver run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--time-scale", type=int, default=TIME_SCALE, help="minutes per instance time unit"
    )
    ap.add_argument(
        "--objective",
        choices=("duration", "distance"),
        default="duration",
        help="what the engineers' costs price (Pillac's objective is duration)",
    )
    ap.add_argument("--no-peers", action="store_true", help="no VROOM reference (the default)")
    ap.add_argument("--peers", default="", help="'vroom' for the relaxed VROOM reference")
    ap.add_argument("--out", help="write one CSV row per instance and solver")
    args = ap.parse_args(argv)

    folder = data_dir("trsp-pillac")
    files = {p.stem.split(".")[0]: p for p in (folder / "instances_txt").glob("*.txt")}
    chosen = select(sorted(files), args.instances, DEFAULT)
    bks = read_bks(folder / "bks.csv")
    solvers = ["ours"] + ([] if args.no_peers else [p for p in args.peers.split(",") if p])
    rows: list[dict[str, Any]] = []
    for n, name in enumerate(chosen, 1):
        inst = read_pillac(files[name])
        plan: Plan | None = None
        problem = to_problem(inst, time_scale=args.time_scale, objective=args.objective)
        best = bks[inst.name]
        for solver in solvers:
            log(f"[{n}/{len(chosen)}] {name} {solver} ({args.time_limit:g} s) ...")
            if solver == "ours":
                out, plan = run_ours(problem, args.time_limit, args.seed)
            else:
                from benchmarks.peers import solve_vroom

                try:
                    out = solve_vroom(relaxed(problem), args.time_limit)
                    out.solver = "vroom_relaxed"
                except Exception as exc:
                    out = Outcome(solver="vroom_relaxed", error=f"{type(exc).__name__}: {exc}")
            if out.error:
                log(f"    {solver} on {name}: {out.error}")
            if out.valid is False:
                log(f"    {solver} on {name}: INVALID plan: {out.first_violation}")
            row = {"instance": name, "cls": inst.cls, **outcome_row(out)}
            if out.ok and plan is not None and out.solver == "ours":
                # Figures in instance units from our plan (depot visits included).
                fig = plan_figures(inst, plan)
                row.update(
                    technicians=fig.technicians, distance=fig.distance, duration=fig.duration
                )
            elif out.ok:
                used, dist, dur = figures_of_sequences(inst, out.sequences)
                row.update(technicians=used, distance=dist, duration=dur)
            if out.ok:
                row["gap_distance_pct"] = gap_pct(row["distance"], best.distance)
                row["gap_duration_pct"] = gap_pct(row["duration"], best.duration)
                row["gap_duration_2014_pct"] = gap_pct(row["duration"], best.best_duration_2014)
            row.update(
                bks_technicians=best.vehicles,
                bks_distance=best.distance,
                bks_duration=best.duration,
                bks_duration_2014=best.best_duration_2014,
                time_limit_s=args.time_limit,
            )
            row["solved"] = solved(row)
            rows.append(row)
            if args.out:
                write_csv(args.out, rows, quiet=True)
            if out.ok:
                log(
                    f"    technicians {row['technicians']}  distance {row['distance']:.1f}  "
                    f"duration {row['duration']:.1f}  unassigned {out.unassigned}  "
                    f"wall {out.wall_s:.1f} s"
                )

    print_table(
        rows,
        [
            "instance",
            "solver",
            "solved",
            "technicians",
            "distance",
            "duration",
            "gap_distance_pct",
            "gap_duration_pct",
            "unassigned",
            "wall_s",
            "valid",
            "bks_technicians",
            "bks_distance",
            "bks_duration",
        ],
        title=f"Pillac TRSP, {args.time_limit:g} s per run (instance units)",
    )
    ok_rows = lambda rs: [r for r in rs if solved(r)]  # noqa: E731
    summary = summarise(
        rows,
        "cls",
        [s if s == "ours" else "vroom_relaxed" for s in solvers],
        {
            "instances": len,
            "solved": lambda rs: len(ok_rows(rs)),
            "technicians": lambda rs: mean(r["technicians"] for r in ok_rows(rs)),
            "bks_technicians": lambda rs: mean(r["bks_technicians"] for r in ok_rows(rs)),
            "gap_distance_pct": lambda rs: mean(r["gap_distance_pct"] for r in ok_rows(rs)),
            "gap_duration_pct": lambda rs: mean(r["gap_duration_pct"] for r in ok_rows(rs)),
            "gap_duration_2014_pct": lambda rs: mean(
                r["gap_duration_2014_pct"] for r in ok_rows(rs)
            ),
            "unassigned": lambda rs: sum(r["unassigned"] for r in rs),
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
            "technicians",
            "bks_technicians",
            "gap_distance_pct",
            "gap_duration_pct",
            "gap_duration_2014_pct",
            "unassigned",
            "wall_s",
            "cpu_s",
            "invalid",
        ],
        title="Per class (means over instances with every request served)",
    )
    ours = [r for r in rows if r["solver"] == "ours"]
    invalid = sum(1 for r in ours if r["valid"] is False)
    failed = sum(1 for r in ours if not solved(r))
    print(f"\nour plans: {len(ours)}, invalid: {invalid}, not fully served or failed: {failed}")
    if args.out:
        write_csv(args.out, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
