"""A generated daily spare-parts network for the parts benchmark (seeded, reproducible).

``N_PARTS`` parts, a central warehouse ``WH`` supplied by the supplier (lead time 3-60 days
per part, std a fifth of the mean, weekly review) and three depots ``D1..D3`` it resupplies
(transport 1-3 days, daily review). Two and a half years of daily compound-Poisson demand at
the depots: occurrences Poisson, sizes 1 + negative binomial (a quarter of the parts lumpy),
each part with its own log-linear trend (±50 % a year), some launched late, some phased out.

    python benchmarks/parts_generated.py OUT_DIR [--seed 11]    # writes a PARTS.md directory
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

N_PARTS = 150
DAYS = 913  # 2.5 years
END = pd.Timestamp("2026-06-30")
DEPOTS = ("D1", "D2", "D3")
TEST_DAYS = 180


def generate(seed: int = 11) -> dict[str, pd.DataFrame]:
    """The data set's tables (``parts``, ``locations``, ``lead_times``, ``stock``, ``demand``)."""
    rng = np.random.default_rng(seed)
    P = N_PARTS
    ids = [f"G-{i:03d}" for i in range(1, P + 1)]
    unit_cost = np.round(np.exp(rng.normal(3.5, 1.2, P)), 2)
    pack = np.where((unit_cost < 10) & (rng.random(P) < 0.5), 5, 1)
    parts = pd.DataFrame({
        "part": ids, "unit_cost": unit_cost, "order_cost": np.round(rng.uniform(10, 40, P), 2),
        "holding_rate": 0.25, "pack_size": pack, "moq": pack,
        "criticality": rng.choice(["critical", "high", "normal", "low"], P,
                                  p=[0.05, 0.2, 0.6, 0.15]),
    })
    locations = pd.DataFrame({
        "location": ["WH", *DEPOTS], "kind": ["central", "depot", "depot", "depot"],
        "supplied_by": ["supplier", "WH", "WH", "WH"],
        "lead_time_days_mean": [21.0, 1.0, 2.0, 3.0],
        "lead_time_days_std": [4.0, 0.3, 0.5, 0.8], "review_days": [7, 1, 1, 1],
    })
    lt = rng.integers(3, 61, P).astype(float)
    lead_times = pd.DataFrame({"location": "WH", "part": ids, "lead_time_days_mean": lt,
                               "lead_time_days_std": np.round(lt / 5, 1)})

    t = np.arange(DAYS) / 365.25
    lam = np.exp(rng.normal(np.log(0.06), 1.1, P))  # occurrences per depot-day at t = 0
    slope = rng.normal(0.0, 0.5, P)  # log growth per year
    level = np.exp(slope[:, None] * (t[None, :] - t.mean()))
    launch = np.where(rng.random(P) < 0.1, rng.uniform(0.2, 1.5, P), -1.0)
    level *= t[None, :] >= launch[:, None]
    retire = np.where(rng.random(P) < 0.1, rng.uniform(1.0, 2.3, P), 9.0)
    level *= np.exp(-np.maximum(t[None, :] - retire[:, None], 0) * 3.0)
    lumpy = rng.random(P) < 0.25
    size_p = np.where(lumpy, rng.uniform(0.15, 0.4, P), rng.uniform(0.6, 0.95, P))
    dates = pd.date_range(END - pd.Timedelta(days=DAYS - 1), END, freq="D")
    rows = []
    for depot, share in zip(DEPOTS, (1.0, 0.7, 0.5), strict=True):
        occ = rng.poisson(lam[:, None] * share * level)
        p_idx, d_idx = np.nonzero(occ)
        k = occ[p_idx, d_idx]
        qty = k + rng.negative_binomial(k, size_p[p_idx])
        rows.append(pd.DataFrame({"date": dates[d_idx].strftime("%Y-%m-%d"), "location": depot,
                                  "part": np.array(ids)[p_idx], "qty": qty}))
    demand = pd.concat(rows).sort_values(["date", "location", "part"], ignore_index=True)
    stock = pd.DataFrame({"location": np.repeat(["WH", *DEPOTS], P), "part": ids * 4,
                          "on_hand": 0})
    return {"parts": parts, "locations": locations, "lead_times": lead_times, "stock": stock,
            "demand": demand}


def train_until() -> pd.Timestamp:
    """Last training day: the last :data:`TEST_DAYS` days are the test part."""
    return END - pd.Timedelta(days=TEST_DAYS)


def write(out: Path, seed: int = 11) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in generate(seed).items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    print(write(Path(args.out), args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
