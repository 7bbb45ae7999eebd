"""Write the demo region's spare-parts data into ``scenarios/demo/`` (seeded, reproducible).

A central warehouse ``WH-CENTRAL`` (supplied by the supplier) resupplies three depots
``D-NORTH``, ``D-EAST``, ``D-SOUTH``. ``N_PARTS`` home-appliance parts ``P-0001``... each
with a trade (``skill``), and two years of intermittent daily demand at the depots ending
2026-11-23: compound Poisson (occurrences per day, sizes 1 + geometric), some slow, some lumpy.

Today's stock (``stock.csv``, ``on_order.csv``) is what a network running the engine's own
policy would hold: the policy is planned on the generated history with ``optimizer.parts``,
then the network is replayed under it over the last ``WARM_UP_DAYS`` days of that history
(depots review daily and order from the centre, which ships what it has and owes the rest;
the centre reviews on Thursdays and orders from the supplier; lead times are sampled). The
replay stops before tonight's review, so today's positions, open orders, backorders and the
few stockouts are the ones that policy produced, and tonight's orders are an ordinary night's.
One disruption is added: the supplier of ``SHORTAGE_PARTS`` has been on allocation for
``DISRUPTION_DAYS`` days, so the network has run dry of the busiest of them (backorders, and
open orders due when the late deliveries land).

    python scenarios/generate_demo_parts.py [--out scenarios/demo] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optimizer.parts.data import read_parts_data
from optimizer.parts.plan import plan_policy

N_PARTS = 300
END = pd.Timestamp("2026-11-23")
DAYS = 730
DEPOTS = ["D-NORTH", "D-EAST", "D-SOUTH"]
CENTRAL = "WH-CENTRAL"
WARM_UP_DAYS = 365  # days of history replayed under the policy to reach today's positions
CENTRAL_REVIEW_WEEKDAY = 3  # Thursday
# Parts whose supplier deliveries of the last DISRUPTION_DAYS slipped past today (supplier on
# allocation): the network runs dry of them. Chosen among parts the dispatch demo's jobs need
# (seed 20261124) and no van carries, so the demo shows jobs held for parts.
SHORTAGE_PARTS = ("P-0074", "P-0133", "P-0229", "P-0241", "P-0050", "P-0262")
DISRUPTION_DAYS = 150

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

    tables = {"parts": parts, "locations": locations, "lead_times": lead_times,
              "demand": demand}
    stock, on_order = todays_positions(tables, rng)
    return {**tables, "stock": stock, "on_order": on_order}


def _order_qty(position, s, S, Q, is_q, pack, moq):
    """The engine's ordering rule (PARTS.md): 0 above ``s``, else up to S or multiples of Q."""
    Q = np.maximum(Q, 1.0)
    qty = np.where(is_q, np.ceil((s - position + 1) / Q) * Q, S - position)
    qty = np.maximum(np.ceil(qty / pack) * pack, moq)
    return np.where((position <= s) & (qty > 0), qty, 0.0)


def _lead_days(rng, mean, std):
    """Sampled lead times in whole days (the engine simulator's convention: >= 0)."""
    return np.maximum(np.rint(rng.normal(mean, std)), 0).astype(int)


def todays_positions(tables: dict[str, pd.DataFrame],
                     rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``stock`` and ``on_order`` tables after running the engine's policy on the history."""
    parts, locations, lead_times = tables["parts"], tables["locations"], tables["lead_times"]
    ids = parts["part"].tolist()
    P = len(ids)
    every = pd.MultiIndex.from_product([[CENTRAL, *DEPOTS], ids], names=["location", "part"])
    zero = pd.DataFrame({"on_hand": 0, "on_order": 0, "backorders": 0}, index=every)
    with tempfile.TemporaryDirectory() as tmp:
        for name, frame in tables.items():
            frame.to_csv(Path(tmp) / f"{name}.csv", index=False)
        zero.reset_index().to_csv(Path(tmp) / "stock.csv", index=False)
        policy = plan_policy(read_parts_data(tmp)).table.set_index(["location", "part"])

    def grid(column: str, locs: list[str]) -> np.ndarray:  # (len(locs), P)
        return policy[column].unstack(0).reindex(index=ids, columns=locs).to_numpy(float).T

    def rule(locs: list[str]) -> tuple[np.ndarray, ...]:
        return (grid("reorder_point", locs), grid("order_up_to", locs), grid("order_qty", locs),
                policy["policy"].unstack(0).reindex(index=ids, columns=locs).to_numpy().T
                == "s_Q")

    pack = parts["pack_size"].to_numpy(float)
    moq = parts["moq"].to_numpy(float)
    loc = locations.set_index("location")
    c_lt_mean = np.full(P, loc.at[CENTRAL, "lead_time_days_mean"])
    c_lt_std = np.full(P, loc.at[CENTRAL, "lead_time_days_std"])
    over = lead_times.set_index("part").reindex(ids)
    has = over["lead_time_days_mean"].notna().to_numpy()
    c_lt_mean[has] = over["lead_time_days_mean"].to_numpy(float)[has]
    c_lt_std[has] = over["lead_time_days_std"].to_numpy(float)[has]
    d_lt_mean = loc.loc[DEPOTS, "lead_time_days_mean"].to_numpy(float)[:, None]
    d_lt_std = loc.loc[DEPOTS, "lead_time_days_std"].to_numpy(float)[:, None]

    H = WARM_UP_DAYS
    days = pd.date_range(END - pd.Timedelta(days=H - 1), END, freq="D")
    dem = (tables["demand"].assign(date=pd.to_datetime(tables["demand"]["date"]))
           .query("date >= @days[0]")
           .pivot_table(index=["location", "part"], columns="date", values="qty",
                        aggfunc="sum", fill_value=0))
    dem = dem.reindex(columns=days, fill_value=0).reindex(
        pd.MultiIndex.from_product([DEPOTS, ids]), fill_value=0)
    demand = dem.to_numpy(float).reshape(len(DEPOTS), P, H)

    c_s, c_S, c_Q, c_isq = (a[0] for a in rule([CENTRAL]))
    d_s, d_S, d_Q, d_isq = rule(DEPOTS)
    # H days ago: each position somewhere in (s, S], all of it on hand
    c_hand = np.maximum(c_s + 1 + np.floor(rng.random(P) * np.maximum(c_S - c_s, 1)), 0)
    d_hand = np.maximum(d_s + 1 + np.floor(rng.random(d_s.shape) * np.maximum(d_S - d_s, 1)),
                        0)
    # a supplier on allocation: deliveries of a few busy parts due in the last weeks slipped
    disrupted = np.isin(ids, SHORTAGE_PARTS)
    slip = rng.integers(4, 22, P)  # the supplier's new promise, days from today
    horizon = H + 200
    c_arr = np.zeros((P, horizon))  # supplier deliveries to the centre, by day
    d_arr = np.zeros((len(DEPOTS), P, horizon))  # shipments arriving at the depots
    c_open = np.zeros(P)
    d_open = np.zeros_like(d_hand)  # ordered from the centre, not yet received
    d_bo = np.zeros_like(d_hand)  # customer demand waiting at the depot
    owed = np.zeros_like(d_hand)  # depot orders the centre could not ship yet
    placed = np.zeros_like(d_hand)  # depot orders placed yesterday evening
    for t, day in enumerate(days):
        # the centre: receipts, then yesterday's depot orders and older debts, depot by depot;
        # a shipment leaves in the morning and arrives ``lead time`` days after the order
        c_hand += c_arr[:, t]
        c_open -= c_arr[:, t]
        owed += placed
        for j in range(len(DEPOTS)):
            ship = np.minimum(c_hand, owed[j])
            c_hand -= ship
            owed[j] -= ship
            lt = _lead_days(rng, np.full(P, d_lt_mean[j, 0]), d_lt_std[j, 0])
            np.add.at(d_arr[j], (np.arange(P), np.minimum(t + lt, horizon - 1)), ship)
        if day.day_of_week == CENTRAL_REVIEW_WEEKDAY:
            qty = _order_qty(c_hand + c_open - owed.sum(axis=0), c_s, c_S, c_Q, c_isq, pack, moq)
            arrive = t + 1 + _lead_days(rng, c_lt_mean, c_lt_std)
            late = disrupted & (arrive >= H - DISRUPTION_DAYS)
            arrive = np.where(late, np.maximum(arrive, H - 1 + slip), arrive)
            np.add.at(c_arr, (np.arange(P), np.minimum(arrive, horizon - 1)), qty)
            c_open += qty
        # the depots: receipts serve backorders first, then today's demand
        d_hand += d_arr[:, :, t]
        d_open -= d_arr[:, :, t]
        served = np.minimum(d_hand, d_bo)
        d_hand -= served
        d_bo -= served
        served = np.minimum(d_hand, demand[:, :, t])
        d_hand -= served
        d_bo += demand[:, :, t] - served
        # daily review in the evening, except tonight's: that is the nightly run's job
        placed = np.zeros_like(d_hand)
        if t < H - 1:
            placed = _order_qty(d_hand + d_open - d_bo, d_s, d_S, d_Q, d_isq, pack, moq)
            d_open += placed

    def due(index: int) -> str:  # arrival on day index (H - 1 is today)
        return (END + pd.Timedelta(days=index - (H - 1))).strftime("%Y-%m-%d")

    rows = []
    for i, j in zip(*np.nonzero(c_arr[:, H:]), strict=True):
        rows.append((CENTRAL, ids[i], c_arr[i, H + j], due(H + j)))
    c_next = [next((H + j for j in np.flatnonzero(c_arr[i, H:])), None) for i in range(P)]
    for k, depot in enumerate(DEPOTS):
        for i, j in zip(*np.nonzero(d_arr[k, :, H:]), strict=True):
            rows.append((depot, ids[i], d_arr[k, i, H + j], due(H + j)))
        for i in np.flatnonzero(owed[k] > 0):  # shipped when the centre's next delivery lands
            at = c_next[i] if c_next[i] is not None else H + int(np.ceil(c_lt_mean[i]))
            rows.append((depot, ids[i], owed[k, i], due(at + int(np.ceil(d_lt_mean[k, 0])))))
    on_order = pd.DataFrame(rows, columns=["location", "part", "qty", "due"])
    on_order["qty"] = on_order["qty"].astype(int)
    on_order = on_order.sort_values(["location", "part", "due"], ignore_index=True)

    stock = pd.DataFrame({
        "location": np.repeat([CENTRAL, *DEPOTS], P), "part": ids * (1 + len(DEPOTS)),
        "on_hand": np.concatenate([c_hand, d_hand.ravel()]),
        "on_order": np.concatenate([c_open, d_open.ravel()]),
        "backorders": np.concatenate([owed.sum(axis=0), d_bo.ravel()]),
    })
    for col in ("on_hand", "on_order", "backorders"):
        stock[col] = np.rint(stock[col]).astype(int)
    return stock, on_order


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
