"""Behaviour snapshot: plans under work limits (not time), to show a reshaping changed nothing.

    PYTHONPATH=. python3 scripts/behaviour_snapshot.py OUT_DIR   (from the repository root)

writes one JSON per case to OUT_DIR, timing fields removed: the demo night (seeds 0 and 1,
``max_solutions=100``), Solomon's and Pillac's R101 (seeds 0 and 3, ``max_solutions=200``),
and the re-optimisation validity sweep (repair path) on generated days planned by greedy
insertion and by the solver (``max_solutions=50``): 15 event mixes at 5 times of day. Run it
before and after a change and compare the directories (``diff -r``); it takes some minutes
(about 9 on an idle 2-core machine).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks.reoptimize_sweep import MIXES
from optimizer import ReoptimizeOptions, SolveOptions, read_problem, reoptimize, solve
from optimizer.compile import compile_problem
from optimizer.insertion.board import board_plan, greedy_plan_routes
from optimizer.instances import pillac, solomon
from optimizer.models import JobStop
from optimizer.synthetic import generate_problem, synthetic_events
from optimizer.validate import validate

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def clean(obj: object) -> object:
    """Drop timing fields (they differ run to run)."""
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()
                if not ("wall" in k or k in ("time_limit_s", "solver_time_s"))}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


def dump(out: Path, name: str, **parts: object) -> None:
    data = {k: clean(json.loads(v.model_dump_json(by_alias=True))) for k, v in parts.items()}
    (out / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    say = lambda m: print(f"[{time.perf_counter() - t:6.1f}s] {m}", flush=True)  # noqa: E731
    # Demo night (400 jobs: by territory) under a work limit.
    demo = read_problem(REPO / "scenarios" / "demo" / "problem.json")
    for seed in (0, 1):
        plan = solve(demo, SolveOptions(time_limit_s=1e4, seed=seed, max_solutions=100))
        assert not validate(demo, plan)
        dump(out, f"demo_s{seed}", plan=plan)
        say(f"demo seed {seed}: {plan.kpis.jobs_assigned} jobs")
    # Solomon R101 and Pillac's TRSP R101.
    sol = solomon.to_problem(solomon.read_solomon(DATA / "solomon/instances/R101.txt"))
    tr = pillac.to_problem(pillac.read_pillac(
        DATA / "trsp-pillac/instances_txt/R101.100_25-5-5-5.txt"))
    for name, problem in (("solomon_R101", sol), ("pillac_R101", tr)):
        for seed in (0, 3):
            plan = solve(problem, SolveOptions(time_limit_s=1e4, seed=seed, max_solutions=200))
            assert not validate(problem, plan)
            dump(out, f"{name}_s{seed}", plan=plan)
            say(f"{name} seed {seed}: {plan.kpis.jobs_assigned} jobs, "
                f"{plan.kpis.distance_km:.1f} km")
    # Re-optimisation sweep (repair path) on greedy and solver-planned days.
    hours = [1.0, 3.0, 5.0, 7.0, 9.0]
    for size in ("60x8", "150x15"):
        n_jobs, n_engs = (int(x) for x in size.split("x"))
        for seed in (0, 1, 2):
            problem = generate_problem(n_jobs=n_jobs, n_engineers=n_engs, seed=seed)
            days = {}
            board, left = greedy_plan_routes(compile_problem(problem))
            days["greedy"] = board_plan(board, left, status="greedy", wall_s=0.0)
            days["solver"] = solve(problem, SolveOptions(time_limit_s=1e4, seed=seed,
                                                         max_solutions=50))
            for planner, plan in days.items():
                dump(out, f"day_{size}_s{seed}_{planner}", plan=plan)
                worked = sum(any(isinstance(s, JobStop) for s in r.stops) for r in plan.routes)
                if worked < 4:
                    continue
                bad = 0
                for h in hours:
                    for mix in MIXES:
                        ev = synthetic_events(problem, plan, mix, h)
                        after, new, diff = reoptimize(
                            problem, plan, ev, options=ReoptimizeOptions(solver_time_s=0))
                        bad += bool(validate(after, new))
                        dump(out, f"reopt_{size}_s{seed}_{planner}_h{h:g}_{mix}",
                             after=after, plan=new, diff=diff)
                say(f"sweep {size} seed {seed} {planner}: {bad} invalid")
    say("done")


if __name__ == "__main__":
    main()
