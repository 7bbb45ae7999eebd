"""Write the demo region's spare-parts data into ``scenarios/demo/`` (seeded, reproducible).

A central warehouse ``WH-CENTRAL`` (supplied by the supplier) resupplies three depots
``D-NORTH``, ``D-EAST``, ``D-SOUTH``. ``N_PARTS`` home-appliance parts ``P-0001``... each
with a trade (``skill``), and two years of intermittent daily demand at the depots ending
2026-11-23: compound Poisson (occurrences per day, sizes 1 + geometric), some slow, some lumpy.

    python scenarios/generate_demo_parts.py [--out scenarios/demo] [--seed 7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

N_PARTS = 300
END = pd.Timestamp("2026-11-23")
DAYS = 730
DEPOTS = ["D-NORTH", "D-EAST", "D-SOUTH"]
CENTRAL = "WH-CENTRAL"

CATALOGUE = {
    "refrigeration": ["compressor", "evaporator fan motor", "defrost heater", "door gasket",
                      "thermostat", "start relay", "condenser fan", "water filter"],
    "laundry": ["drain pump", "drum bearing kit", "door lock", "heating element", "carbon brushes",
                "shock absorber", "inlet valve", "drive belt"],
    "cooking": ["oven element", "igniter", "thermocouple", "hob knob", "fan oven motor",
                "door hinge", "control board", "burner cap"],
    "dishwasher": ["circulation pump", "spray arm", "float switch", "door seal", "salt cap",
                   "filter assembly", "heater", "rack wheel"],
    "hvac": ["capacitor", "contactor", "blower motor", "expansion valve", "pressure switch",
             "flame sensor", "filter drier", "thermostat"],
    "electrical": ["fuse", "terminal block", "mains lead", "PCB relay", "switch", "cable loom",
                   "EMI filter", "thermal fuse"],
}


def generate(seed: int = 7) -> dict[str, pd.DataFrame]:
    """All tables of the demo data set."""
    rng = np.random.default_rng(seed)
    skills = np.array(list(CATALOGUE))
    skill = skills[rng.integers(0, len(skills), N_PARTS)]
    names = [f"{CATALOGUE[s][rng.integers(0, 8)]} {chr(65 + rng.integers(0, 26))}"
             f"{rng.integers(100, 999)}" for s in skill]
    ids = [f"P-{i:04d}" for i in range(1, N_PARTS + 1)]
    unit_cost = np.round(np.exp(rng.normal(3.2, 1.1, N_PARTS)), 2)  # median ~25
    cheap = unit_cost < 8
    pack = np.where(cheap & (rng.random(N_PARTS) < 0.6), rng.choice([5, 10], N_PARTS), 1)
    moq = np.where(rng.random(N_PARTS) < 0.1, pack * 2, pack)
    crit = rng.choice(["critical", "high", "normal", "low"], N_PARTS, p=[0.08, 0.22, 0.55, 0.15])
    parts = pd.DataFrame({
        "part": ids, "name": names, "skill": skill, "unit_cost": unit_cost,
        "order_cost": np.round(rng.uniform(15, 40, N_PARTS), 2), "holding_rate": 0.25,
        "pack_size": pack, "moq": moq, "criticality": crit,
    })

    locations = pd.DataFrame({
        "location": [CENTRAL, *DEPOTS],
        "kind": ["central", "depot", "depot", "depot"],
        "supplied_by": ["supplier", CENTRAL, CENTRAL, CENTRAL],
        "lead_time_days_mean": [21.0, 2.0, 2.0, 3.0],
        "lead_time_days_std": [5.0, 0.5, 0.5, 1.0],
        "review_days": [7, 1, 1, 1],
    })
    slow_import = rng.random(N_PARTS) < 0.1
    lead_times = pd.DataFrame({
        "location": CENTRAL, "part": np.array(ids)[slow_import],
        "lead_time_days_mean": 42.0, "lead_time_days_std": 10.0,
    })

    # demand: occurrences per day ~ Poisson(lam), sizes 1 + geometric(p)
    lam = np.exp(rng.normal(np.log(0.04), 1.0, N_PARTS))  # per depot-day
    lumpy = rng.random(N_PARTS) < 0.25
    size_p = np.where(lumpy, rng.uniform(0.15, 0.4, N_PARTS), rng.uniform(0.7, 0.95, N_PARTS))
    depot_scale = np.array([1.0, 0.7, 0.5])
    trend = np.linspace(0.85, 1.15, DAYS)
    dates = pd.date_range(END - pd.Timedelta(days=DAYS - 1), END, freq="D")
    rows = []
    for j, depot in enumerate(DEPOTS):
        rate = lam[:, None] * depot_scale[j] * trend[None, :]
        occ = rng.poisson(rate)
        p_idx, d_idx = np.nonzero(occ)
        k = occ[p_idx, d_idx]
        size = k + rng.negative_binomial(k, size_p[p_idx])  # sum of k sizes 1 + geometric
        rows.append(pd.DataFrame({"date": dates[d_idx].strftime("%Y-%m-%d"), "location": depot,
                                  "part": np.array(ids)[p_idx], "qty": size}))
    demand = pd.concat(rows).sort_values(["date", "location", "part"], ignore_index=True)

    # today's stock: around a month of demand at each depot, more at the centre
    mean_day = demand.groupby(["location", "part"])["qty"].sum() / DAYS
    stock_rows = []
    for loc in [CENTRAL, *DEPOTS]:
        m = (mean_day.unstack(0).reindex(ids).fillna(0).sum(axis=1) if loc == CENTRAL
             else mean_day.get(loc, pd.Series(dtype=float)).reindex(ids).fillna(0))
        days_cover = 40 if loc == CENTRAL else 20
        on_hand = rng.poisson(m.to_numpy() * days_cover * rng.uniform(0.2, 1.6, N_PARTS))
        stock_rows.append(pd.DataFrame({"location": loc, "part": ids, "on_hand": on_hand,
                                        "on_order": 0, "backorders": 0}))
    stock = pd.concat(stock_rows, ignore_index=True)
    stock = stock[(stock["on_hand"] > 0) | (rng.random(len(stock)) < 0.3)]
    open_pick = rng.choice(N_PARTS, 25, replace=False)
    on_order = pd.DataFrame({
        "location": CENTRAL, "part": np.array(ids)[open_pick],
        "qty": rng.integers(1, 6, 25) * parts["pack_size"].to_numpy()[open_pick],
        "due": (END + pd.to_timedelta(rng.integers(1, 21, 25), unit="D")).strftime("%Y-%m-%d"),
    })
    return {"parts": parts, "locations": locations, "lead_times": lead_times, "stock": stock,
            "on_order": on_order, "demand": demand}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "demo"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in generate(args.seed).items():
        frame.to_csv(out / f"{name}.csv", index=False)
        print(f"{out / (name + '.csv')}: {len(frame)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
