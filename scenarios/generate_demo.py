"""Generate the bundled demo data directory ``scenarios/demo/`` (seeded, reproducible).

Home-appliance after-sales service in one metro area for 2026-11-24: 40 engineers with mixed
skills and levels, 400 jobs (emergencies due within 4 h, same-day repairs, customer slots,
preventive maintenance, installations), three depots with stock and tools, van stock.

The spare-parts files (parts.csv, locations.csv, stock.csv, demand.csv, ...) are written first
by ``scenarios/generate_demo_parts.py``; this script then takes the part catalogue and the
depots' stock from them, so dispatch and parts talk about the same parts.

    python scenarios/generate_demo.py            # writes scenarios/demo/problem.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from optimizer.synthetic import generate_problem  # noqa: E402

DEMO_DIR = HERE / "demo"
SEED = 20261124


def _parts_inputs(demo_dir: Path) -> tuple[dict[str, str] | None, dict[str, dict[str, int]] | None]:
    """Part catalogue (part -> trade) and depot stock from the demo's parts files, if present."""
    parts_csv, stock_csv = demo_dir / "parts.csv", demo_dir / "stock.csv"
    if not parts_csv.exists():
        return None, None
    parts = pd.read_csv(parts_csv)
    catalogue = None
    if "skill" in parts.columns:
        catalogue = dict(zip(parts["part"].astype(str), parts["skill"].astype(str), strict=True))
    depot_stock: dict[str, dict[str, int]] | None = None
    if stock_csv.exists():
        stock = pd.read_csv(stock_csv)
        depot_stock = {}
        for row in stock.itertuples(index=False):
            loc = str(row.location)
            if loc.startswith("D-") and int(row.on_hand) > 0:
                depot_stock.setdefault(loc, {})[str(row.part)] = int(row.on_hand)
    return catalogue, depot_stock


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEMO_DIR)
    ap.add_argument("--jobs", type=int, default=400)
    ap.add_argument("--engineers", type=int, default=40)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--skip-parts", action="store_true", help="keep the existing parts files")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    parts_script = HERE / "generate_demo_parts.py"
    if not args.skip_parts and parts_script.exists():
        subprocess.run([sys.executable, str(parts_script)], check=True)
    catalogue, depot_stock = _parts_inputs(args.out)
    problem = generate_problem(
        n_jobs=args.jobs,
        n_engineers=args.engineers,
        seed=args.seed,
        parts_catalogue=catalogue,
        depot_stock=depot_stock,
        problem_id="demo-metro-2026-11-24",
    )
    path = args.out / "problem.json"
    path.write_text(problem.model_dump_json(indent=1, exclude_none=True) + "\n")
    print(f"wrote {path}: {len(problem.engineers)} engineers, {len(problem.jobs)} jobs, "
          f"{len(problem.depots)} depots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
