"""Generate the demo's maintenance data ``scenarios/demo/maintenance/`` (seeded, reproducible).

The installed base under PM contract of the demo's service area: about 1,500 assets of 600
customers (one site each; the first 400 at the sites of the demo's jobs, the rest around
them), the demo's 40 engineers (ids, homes and skills of ``problem.json``) as PM engineers
with their certificates (some lapsing in the next months), leave and public holidays, and
the visits already announced to customers by the run of two weeks before.

The files live in a ``maintenance/`` sub-folder so that the nightly, which reads
``scenarios/demo`` (``problem.json``, parts files), never takes ``engineers.csv`` of the PM
contract for its own table; ``optimizer maintenance plan scenarios/demo`` finds them there.

    python scenarios/generate_demo_maintenance.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from optimizer.maintenance.data import read_maintenance_data  # noqa: E402
from optimizer.maintenance.outputs import announced_table  # noqa: E402
from optimizer.maintenance.plan import plan_maintenance  # noqa: E402
from optimizer.maintenance.synthetic import (  # noqa: E402
    absences_table,
    assets_table,
    engineers_table,
    metro_points,
    write_tables,
)
from optimizer.maintenance.visits import PlanOptions  # noqa: E402

DEMO_DIR = HERE / "demo"
SEED = 20261123
TODAY = dt.date(2026, 11, 23)  # the evening before the demo's dispatch day
ANNOUNCED_BY = dt.date(2026, 11, 9)  # the run whose notices customers have received
ANNOUNCED_AHEAD = dt.timedelta(days=16)  # confirmed with the customer again a fortnight ahead
HOLIDAYS = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(6, 13))]  # New Year, Spring Fest.


def _customers(problem: dict, n: int, rng: np.random.Generator) -> list[tuple[str, float, float]]:
    sites = [(j["location"]["lat"], j["location"]["lon"]) for j in problem["jobs"]]
    lat0 = float(np.mean([s[0] for s in sites]))
    lon0 = float(np.mean([s[1] for s in sites]))
    lat, lon = metro_points(rng, max(0, n - len(sites)), 25.0, (lat0, lon0))
    sites += list(zip(lat.tolist(), lon.tolist(), strict=True))
    return [(f"C{k + 1:04d}", float(a), float(b)) for k, (a, b) in enumerate(sites[:n])]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEMO_DIR / "maintenance")
    ap.add_argument("--assets", type=int, default=1500)
    ap.add_argument("--customers", type=int, default=600)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    problem = json.loads((DEMO_DIR / "problem.json").read_text())
    rng = np.random.default_rng(args.seed)
    engineers = engineers_table(
        len(problem["engineers"]), args.seed, TODAY,
        ids=[e["id"] for e in problem["engineers"]],
        homes=[(e["start"]["lat"], e["start"]["lon"]) for e in problem["engineers"]],
        skills=[e["skills"] for e in problem["engineers"]])
    customers = _customers(problem, args.customers, rng)
    tables = {
        "assets": assets_table(args.assets, args.seed, TODAY, engineers, customers=customers),
        "engineers": engineers,
        "absences": absences_table(engineers, args.seed, TODAY),
        "holidays": pd.DataFrame({"date": HOLIDAYS}),
    }
    out = write_tables(args.out, tables)
    (out / "notices.csv").unlink(missing_ok=True)
    # what customers were told two weeks ago and confirmed since: that run's visits of the
    # next 16 days (from tomorrow on), whose notice was due by today
    earlier = plan_maintenance(read_maintenance_data(out), ANNOUNCED_BY,
                               PlanOptions(time_limit_s=5.0), method="greedy")
    told = announced_table(earlier)
    notice = dt.timedelta(days=30)
    visit = pd.to_datetime(told["visit_date"]).dt.date
    keep = (visit > TODAY) & (visit - notice <= TODAY) & (visit <= TODAY + ANNOUNCED_AHEAD)
    told[keep].to_csv(out / "notices.csv", index=False)
    print(f"wrote {out}: {len(tables['assets'])} assets of {len(customers)} customers, "
          f"{len(engineers)} engineers, {len(tables['absences'])} absences, "
          f"{len(HOLIDAYS)} holidays, {int(keep.sum())} announced visits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
