"""PM planning benchmark: our CP-SAT planner beside the greedy earliest-due-first baseline.

Question (issue 14): on installed bases of 500, 2,000 and 10,000 assets over 120 days, is our
plan at least as compliant as the greedy one (and 100 % where capacity allows), with at most
0.8x its PM travel per visit, and is 10,000 assets planned within 2 minutes?

Instances are generated (``optimizer.maintenance.synthetic``, seeded): a 25 km metro area,
about 2.5 assets per customer, a quarter critical (91-day cycle, the rest 182 days), last
maintained somewhere in their cycle (5 % a little overdue, 1 % never), slots, 3 % of
contracts ending, one engineer per 80 assets with two or three of six trades, some
certificates lapsing in the horizon, a week of leave for half of them, Christmas holidays.
Planning date 2026-11-24, notice 30 days.

Both planners get the same compiled problem (due dates, customer visits, calendars, travel)
and place visits through the same exact route check; the greedy takes visits by due date and
puts each on the first day with room (the cheapest insertion among qualified engineers then).
Figures: compliance (share of due assets visited by their due date) beside the bound no plan
can beat (a qualified engineer working on an allowed day by the due date, capacity aside),
overdue left, PM travel km per visit (the day routes home -> visits -> home), weekly load
spread (std / mean of PM hours over the full weeks) and wall seconds of planning (compile
included, reading the files not). Every plan is written and checked by the tests' independent
checker (``tests/maintenance/pm_checker.py``); the count of violations must be 0.

    python benchmarks/maintenance.py                       # 500, 2,000, 10,000 assets
    python benchmarks/maintenance.py --sizes 500 --time-limit 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "maintenance"))

from pm_checker import check_plan  # noqa: E402

from optimizer.maintenance.data import read_maintenance_data  # noqa: E402
from optimizer.maintenance.outputs import notices_table, plan_table, summarise  # noqa: E402
from optimizer.maintenance.plan import plan_cpsat, plan_greedy  # noqa: E402
from optimizer.maintenance.synthetic import installed_base, write_tables  # noqa: E402
from optimizer.maintenance.visits import PlanOptions, compile_problem  # noqa: E402

TODAY = dt.date(2026, 11, 24)
HORIZON = 120


def _run(size: int, seed: int, time_limit: float, workdir: Path) -> list[dict]:
    data_dir = write_tables(workdir / f"base{size}", installed_base(size, seed, TODAY))
    data = read_maintenance_data(data_dir)
    options = PlanOptions(horizon_days=HORIZON, time_limit_s=time_limit, seed=seed)
    rows = []
    for name, planner in (("greedy", plan_greedy), ("ours", plan_cpsat)):
        t0 = time.perf_counter()
        problem = compile_problem(data, TODAY, options)
        plan = planner(problem) if name == "greedy" else planner(
            problem, lambda line: print(line, file=sys.stderr, flush=True))
        seconds = time.perf_counter() - t0
        table = plan_table(plan)
        out = workdir / f"out{size}-{name}"
        out.mkdir(exist_ok=True)
        table.to_csv(out / "pm_plan.csv", index=False)
        notices_table(plan).to_csv(out / "notices.csv", index=False)
        violations = check_plan(data_dir, out, TODAY, HORIZON)
        s = summarise(plan, table)
        rows.append({"assets": size, "engineers": len(data.engineers), "planner": name,
                     "due": s["assets_due"], "visits": s["visits"],
                     "compliance": s["compliance"], "bound": s["compliance_bound"],
                     "overdue_left": s["overdue_left"], "km_per_visit": s["travel_km_per_visit"],
                     "spread": s["weekly_load_spread"], "seconds": seconds,
                     "invalid": len(violations)})
        for v in violations[:5]:
            print(f"  INVALID {name} {size}: {v}", file=sys.stderr)
    return rows


def _table(rows: list[dict]) -> str:
    head = (f"{'assets':>6} {'eng':>4} {'planner':<7} {'due':>5} {'visits':>6} "
            f"{'compliance':>10} {'bound':>7} {'overdue':>7} {'km/visit':>8} {'spread':>6} "
            f"{'seconds':>8} {'invalid':>7}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['assets']:>6} {r['engineers']:>4} {r['planner']:<7} {r['due']:>5} "
                     f"{r['visits']:>6} {100 * r['compliance']:>9.2f}% {100 * r['bound']:>6.2f}% "
                     f"{r['overdue_left']:>7} {r['km_per_visit']:>8.2f} {r['spread']:>6.3f} "
                     f"{r['seconds']:>8.1f} {r['invalid']:>7}")
    return "\n".join(lines)


def _verdicts(rows: list[dict]) -> list[str]:
    out = []
    for size in sorted({r["assets"] for r in rows}):
        g = next(r for r in rows if r["assets"] == size and r["planner"] == "greedy")
        o = next(r for r in rows if r["assets"] == size and r["planner"] == "ours")
        ratio = o["km_per_visit"] / g["km_per_visit"] if g["km_per_visit"] else float("nan")
        gap = o["overdue_left"] - round((1 - o["bound"]) * o["due"])
        checks = [
            f"compliance {100 * o['compliance']:.2f} % vs greedy {100 * g['compliance']:.2f} % "
            f"({'ok' if o['compliance'] >= g['compliance'] else 'MISSED'}), bound "
            f"{100 * o['bound']:.2f} % ({gap} assets late that more capacity could have "
            "put on time)",
            f"travel/visit {ratio:.2f}x greedy ({'ok' if ratio <= 0.8 else 'MISSED'} <= 0.8x)",
        ]
        if size >= 10_000:
            checks.append(f"wall {o['seconds']:.0f} s ({'ok' if o['seconds'] <= 120 else 'MISSED'}"
                          " <= 120 s)")
        out.append(f"{size:>6} assets: " + "; ".join(checks))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,2000,10000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="our CP-SAT seconds over the horizon (default 60)")
    args = ap.parse_args(argv)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"[bench] {size} assets ...", file=sys.stderr, flush=True)
            rows += _run(size, args.seed, args.time_limit, Path(tmp))
    print(_table(rows))
    print()
    print("\n".join(_verdicts(rows)))
    return 1 if any(r["invalid"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
