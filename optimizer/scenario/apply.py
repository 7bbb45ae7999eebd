"""Apply a scenario's changes to base data: pure functions, each returning new data.

``apply_changes(base, changes)`` applies the changes in order. Regions given as clusters are
computed on the *base* problem's job locations, so that earlier changes do not move them.
Random choices (which jobs to copy, which engineers to remove) are drawn from the change's
``seed``: the same file gives the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from optimizer.dispatch.territories import kmeans
from optimizer.errors import InputError
from optimizer.models import Depot, Engineer, Job, Location, Problem
from optimizer.scenario.data import ScenarioData
from optimizer.scenario.models import (
    AddEngineers,
    Change,
    ChangeLeadTimes,
    ChangePriority,
    ChangeSkills,
    ChangeSla,
    ChangeStockBudget,
    ChangeSupplierReliability,
    CloseDepot,
    JobFilter,
    LocationFilter,
    Region,
    RemoveEngineers,
    ScaleJobs,
)
from optimizer.travel import great_circle_km_from

SUPPLIER = "supplier"


# --------------------------------------------------------------------------- regions


def _project(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    return np.column_stack([np.radians(lon) * math.cos(math.radians(lat0)), np.radians(lat)])


def region_membership(region: Region, locations: Sequence[Location], base: Problem) -> np.ndarray:
    """Which of ``locations`` lie in ``region`` (clusters from ``base``'s job locations)."""
    lat = np.array([loc.lat for loc in locations], dtype=np.float64)
    lon = np.array([loc.lon for loc in locations], dtype=np.float64)
    if region.shape == "box":
        return ((lat >= region.lat_min) & (lat <= region.lat_max)
                & (lon >= region.lon_min) & (lon <= region.lon_max))
    if region.shape == "circle":
        return great_circle_km_from(region.lat, region.lon, lat, lon) <= region.radius_km
    if not base.jobs:
        return np.zeros(len(locations), dtype=bool)
    blat = np.array([j.location.lat for j in base.jobs])
    blon = np.array([j.location.lon for j in base.jobs])
    lat0 = float(blat.mean())
    pts = _project(blat, blon, lat0)
    labels = kmeans(pts, int(region.clusters), region.seed)
    centres = np.array([pts[labels == c].mean(axis=0) for c in range(int(labels.max()) + 1)])
    if len(locations) == 0:
        return np.zeros(0, dtype=bool)
    q = _project(lat, lon, lat0)
    nearest = ((q[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return nearest == region.cluster


def select_jobs(problem: Problem, jobs: JobFilter, base: Problem) -> np.ndarray:
    """Mask of the problem's jobs that pass the filter."""
    mask = np.ones(len(problem.jobs), dtype=bool)
    if jobs.priorities is not None:
        wanted = set(jobs.priorities)
        mask &= np.array([j.priority in wanted for j in problem.jobs], dtype=bool)
    if jobs.kinds is not None:
        kinds = set(jobs.kinds)
        mask &= np.array([j.kind in kinds for j in problem.jobs], dtype=bool)
    if jobs.region is not None and len(problem.jobs):
        mask &= region_membership(jobs.region, [j.location for j in problem.jobs], base)
    return mask


# --------------------------------------------------------------------------- parts tables


def _update_tables(data: ScenarioData, **tables: pd.DataFrame | None) -> ScenarioData:
    new = dict(data.tables)
    for name, frame in tables.items():
        if frame is not None:
            new[name] = frame.reset_index(drop=True)
    return data.with_(tables=new)


def _str(col: pd.Series) -> pd.Series:
    return col.astype(str)


def _location_mask(frame: pd.DataFrame, where: LocationFilter) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    if where.locations is not None:
        mask &= _str(frame["location"]).isin(where.locations)
    if where.kinds is not None and "kind" in frame.columns:
        mask &= _str(frame["kind"]).isin([k.value for k in where.kinds])
    if where.supplied_by is not None and "supplied_by" in frame.columns:
        mask &= _str(frame["supplied_by"]).isin(where.supplied_by)
    return mask


def _merge_rows(frame: pd.DataFrame, keys: list[str], sums: list[str]) -> pd.DataFrame:
    """Add up rows that now share the same keys (other columns: first row's)."""
    if not frame.duplicated(subset=keys).any():
        return frame
    agg: dict[str, Any] = {c: ("sum" if c in sums else "first")
                           for c in frame.columns if c not in keys}
    return frame.groupby(keys, sort=False, as_index=False).agg(agg)[list(frame.columns)]


def _retire_location(
    data: ScenarioData, loc: str, to: str | None, move_stock: bool
) -> ScenarioData:
    """Take a parts location out: re-point what it supplied, move its demand (and stock) to
    ``to`` when that is a location, drop its own rows."""
    locations = data.table("locations")
    if locations is None or loc not in set(_str(locations["location"])):
        return data
    target = to if to is not None and to != SUPPLIER else None
    if to is not None:
        locations.loc[_str(locations["supplied_by"]) == loc, "supplied_by"] = to
    locations = locations[_str(locations["location"]) != loc]
    out: dict[str, pd.DataFrame | None] = {"locations": locations}
    for name, sums in (("demand", ["qty"]), ("stock", ["on_hand", "on_order", "backorders"]),
                       ("on_order", [])):
        frame = data.table(name)
        if frame is None or "location" not in frame.columns:
            continue
        mine = _str(frame["location"]) == loc
        keep_moving = name == "demand" or (move_stock and name in ("stock", "on_order"))
        if target is not None and keep_moving:
            frame.loc[mine, "location"] = target
            if name != "on_order":
                keys = ["date", "location", "part"] if name == "demand" else ["location", "part"]
                frame = _merge_rows(frame, keys, [c for c in sums if c in frame.columns])
        else:
            frame = frame[~mine]
        out[name] = frame
    lead = data.table("lead_times")
    if lead is not None:
        out["lead_times"] = lead[_str(lead["location"]) != loc]
    return _update_tables(data, **out)


def _copy_location(data: ScenarioData, template: str, new_ids: Sequence[str]) -> ScenarioData:
    """Copy a parts location's own rows (location, stock, lead-time overrides) to new ids."""
    out: dict[str, pd.DataFrame | None] = {}
    for name in ("locations", "stock", "lead_times"):
        frame = data.table(name)
        if frame is None or "location" not in frame.columns:
            continue
        rows = frame[_str(frame["location"]) == template]
        if rows.empty:
            continue
        copies = [rows.assign(location=new_id) for new_id in new_ids]
        out[name] = pd.concat([frame, *copies], ignore_index=True)
    return _update_tables(data, **out)


# --------------------------------------------------------------------------- changes


def _unique_ids(prefix: str, count: int, taken: set[str]) -> list[str]:
    out, n = [], 1
    while len(out) < count:
        candidate = f"{prefix}{n}"
        if candidate not in taken:
            out.append(candidate)
            taken.add(candidate)
        n += 1
    return out


def add_engineers(data: ScenarioData, change: AddEngineers, base: Problem) -> ScenarioData:
    """Hire engineers like a template; its van (a parts location of the same id) is copied."""
    problem = data.problem
    try:
        template = problem.engineer(change.template)
    except KeyError:
        raise InputError(f"add_engineers: template: unknown engineer {change.template!r}") from None
    taken = {e.id for e in problem.engineers}
    ids = _unique_ids(change.id_prefix or f"{template.id}-new-", change.count, taken)
    update: dict[str, Any] = {}
    if change.start is not None:
        update = {"start": change.start, "end": None}
    new = [template.model_copy(update={"id": i, **update}) for i in ids]
    data = data.with_(problem=problem.model_copy(update={"engineers": [*problem.engineers, *new]}))
    return _copy_location(data, template.id, ids)


def _without_engineers(problem: Problem, gone: set[str]) -> Problem:
    jobs = []
    for j in problem.jobs:
        update: dict[str, Any] = {}
        if j.pinned is not None and j.pinned.engineer in gone:
            update["pinned"] = None
        for name in ("excluded_engineers", "preferred_engineers"):
            ids = getattr(j, name)
            if any(e in gone for e in ids):
                update[name] = [e for e in ids if e not in gone]
        jobs.append(j.model_copy(update=update) if update else j)
    engineers = [e for e in problem.engineers if e.id not in gone]
    return problem.model_copy(update={"engineers": engineers, "jobs": jobs})


def remove_engineers(data: ScenarioData, change: RemoveEngineers, base: Problem) -> ScenarioData:
    """Remove engineers; their vans' demand moves to the location that supplied them."""
    problem = data.problem
    known = [e.id for e in problem.engineers]
    if change.ids:
        unknown = [i for i in change.ids if i not in set(known)]
        if unknown:
            raise InputError(f"remove_engineers: ids: unknown engineer(s) {', '.join(unknown)}")
        gone = set(change.ids)
    else:
        pool = [e.id for e in problem.engineers
                if change.with_skill is None or change.with_skill in e.skills]
        assert change.count is not None
        if change.count > len(pool):
            raise InputError(f"remove_engineers: count: {change.count} asked, only {len(pool)} "
                             "engineers" + (f" with skill {change.with_skill!r}"
                                            if change.with_skill else ""))
        rng = np.random.default_rng(change.seed)
        gone = {pool[i] for i in rng.choice(len(pool), size=change.count, replace=False)}
    data = data.with_(problem=_without_engineers(problem, gone))
    locations = data.table("locations")
    for eid in sorted(gone):
        if locations is None:
            break
        row = locations[_str(locations["location"]) == eid]
        if not row.empty:
            data = _retire_location(data, eid, str(row["supplied_by"].iloc[0]), False)
    return data


def change_skills(data: ScenarioData, change: ChangeSkills, base: Problem) -> ScenarioData:
    problem = data.problem
    if change.engineers is not None:
        unknown = sorted(set(change.engineers) - {e.id for e in problem.engineers})
        if unknown:
            raise InputError(f"change_skills: engineers: unknown engineer(s) {', '.join(unknown)}")
    chosen = set(change.engineers) if change.engineers is not None else None
    engineers: list[Engineer] = []
    for e in problem.engineers:
        if (chosen is None or e.id in chosen) and (
            change.with_skill is None or change.with_skill in e.skills
        ):
            skills = {k: v for k, v in e.skills.items() if k not in set(change.remove)}
            skills.update(change.set)
            certified = {k: v for k, v in e.certified_until.items() if k in skills}
            e = e.model_copy(update={"skills": skills, "certified_until": certified})
        engineers.append(e)
    return data.with_(problem=problem.model_copy(update={"engineers": engineers}))


def scale_jobs(data: ScenarioData, change: ScaleJobs, base: Problem) -> ScenarioData:
    """Duplicate (new ids ``<id>-x<n>``, unpinned) or remove sampled jobs."""
    problem = data.problem
    selected = np.flatnonzero(select_jobs(problem, change.jobs, base))
    rng = np.random.default_rng(change.seed)
    jobs = list(problem.jobs)
    if change.factor >= 1:
        extra = round((change.factor - 1) * len(selected))
        taken = {j.id for j in jobs}
        copies: list[Job] = []
        while len(copies) < extra and len(selected):
            for i in rng.permutation(selected)[: extra - len(copies)]:
                src = problem.jobs[int(i)]
                new_id = _unique_ids(f"{src.id}-x", 1, taken)[0]
                copies.append(src.model_copy(update={"id": new_id, "pinned": None}))
        jobs += copies
    else:
        candidates = [int(i) for i in selected if problem.jobs[int(i)].pinned is None]
        drop_n = min(len(candidates), round((1 - change.factor) * len(selected)))
        drop = set(rng.choice(candidates, size=drop_n, replace=False).tolist()) if drop_n else set()
        jobs = [j for k, j in enumerate(jobs) if k not in drop]
    return data.with_(problem=problem.model_copy(update={"jobs": jobs}))


def change_sla(data: ScenarioData, change: ChangeSla, base: Problem) -> ScenarioData:
    """Move the ``due`` of the selected jobs that have one."""
    problem = data.problem
    mask = select_jobs(problem, change.jobs, base)
    shift = timedelta(minutes=change.shift_due_min)
    jobs = [j.model_copy(update={"due": j.due + shift}) if m and j.due is not None else j
            for j, m in zip(problem.jobs, mask, strict=True)]
    return data.with_(problem=problem.model_copy(update={"jobs": jobs}))


def change_priority(data: ScenarioData, change: ChangePriority, base: Problem) -> ScenarioData:
    problem = data.problem
    selected = np.flatnonzero(select_jobs(problem, change.jobs, base))
    k = round(change.share * len(selected))
    if k < len(selected):
        rng = np.random.default_rng(change.seed)
        selected = np.sort(rng.choice(selected, size=k, replace=False))
    chosen = set(selected.tolist())
    jobs = [j.model_copy(update={"priority": change.to}) if i in chosen else j
            for i, j in enumerate(problem.jobs)]
    return data.with_(problem=problem.model_copy(update={"jobs": jobs}))


def _scale_lead(data: ScenarioData, where: LocationFilter, column: str, factor: float,
                add: float, what: str) -> ScenarioData:
    locations = data.table("locations")
    if locations is None:
        raise InputError(f"{what}: the base data has no locations.csv")
    mask = _location_mask(locations, where)
    if where.locations is not None:
        unknown = sorted(set(where.locations) - set(_str(locations["location"])))
        if unknown:
            raise InputError(f"{what}: where.locations: unknown location(s) {', '.join(unknown)}")
    if column not in locations.columns:
        locations[column] = 0.0
    values = pd.to_numeric(locations[column], errors="coerce").fillna(0.0)
    locations[column] = np.where(mask, np.maximum(0.0, values * factor + add), values)
    out: dict[str, pd.DataFrame | None] = {"locations": locations}
    lead = data.table("lead_times")
    if lead is not None and not lead.empty:
        chosen = set(_str(locations.loc[mask, "location"]))
        lmask = _str(lead["location"]).isin(chosen)
        if column not in lead.columns:
            lead[column] = 0.0
        lv = pd.to_numeric(lead[column], errors="coerce").fillna(0.0)
        lead[column] = np.where(lmask, np.maximum(0.0, lv * factor + add), lv)
        out["lead_times"] = lead
    return _update_tables(data, **out)


def change_lead_times(data: ScenarioData, change: ChangeLeadTimes, base: Problem) -> ScenarioData:
    return _scale_lead(data, change.where, "lead_time_days_mean", change.factor,
                       change.add_days, "change_lead_times")


def change_supplier_reliability(
    data: ScenarioData, change: ChangeSupplierReliability, base: Problem
) -> ScenarioData:
    return _scale_lead(data, change.where, "lead_time_days_std", change.std_factor,
                       change.add_std_days, "change_supplier_reliability")


def change_stock_budget(
    data: ScenarioData, change: ChangeStockBudget, base: Problem
) -> ScenarioData:
    """A setting for the run: an absolute budget, or a factor of the base's investment."""
    settings = {k: v for k, v in data.settings.items()
                if k not in ("stock_budget", "stock_budget_factor")}
    if change.amount is not None:
        settings["stock_budget"] = change.amount
    else:
        settings["stock_budget_factor"] = change.factor
    return data.with_(settings=settings)


def _nearest_depot(problem: Problem, depot: Depot) -> str | None:
    others = [d for d in problem.depots if d.id != depot.id]
    if not others:
        return None
    km = great_circle_km_from(depot.location.lat, depot.location.lon,
                              np.array([d.location.lat for d in others]),
                              np.array([d.location.lon for d in others]))
    return min(zip(km.tolist(), (d.id for d in others), strict=True))[1]


def close_depot(data: ScenarioData, change: CloseDepot, base: Problem) -> ScenarioData:
    """Remove a depot from the problem and the parts tables (see :class:`CloseDepot`)."""
    problem = data.problem
    depot = next((d for d in problem.depots if d.id == change.depot), None)
    locations = data.table("locations")
    loc_ids = set(_str(locations["location"])) if locations is not None else set()
    if depot is None and change.depot not in loc_ids:
        raise InputError(f"close_depot: depot: unknown depot {change.depot!r}")
    to = change.reassign_to
    if to is not None and to not in loc_ids | {d.id for d in problem.depots} | {SUPPLIER}:
        raise InputError(f"close_depot: reassign_to: unknown location {to!r}")
    if to is None and depot is not None:
        to = _nearest_depot(problem, depot)
    if to is None and locations is not None and change.depot in loc_ids:
        to = str(locations.loc[_str(locations["location"]) == change.depot,
                               "supplied_by"].iloc[0])
    depots = []
    for d in problem.depots:
        if d.id == change.depot:
            continue
        if change.transfer_stock and depot is not None and d.id == to:
            stock = dict(d.stock)
            for part, qty in depot.stock.items():
                stock[part] = stock.get(part, 0) + qty
            d = d.model_copy(update={"stock": stock})
        depots.append(d)
    data = data.with_(problem=problem.model_copy(update={"depots": depots}))
    return _retire_location(data, change.depot, to, change.transfer_stock)


_APPLY: dict[str, Callable[[ScenarioData, Any, Problem], ScenarioData]] = {
    "add_engineers": add_engineers,
    "remove_engineers": remove_engineers,
    "change_skills": change_skills,
    "scale_jobs": scale_jobs,
    "change_sla": change_sla,
    "change_priority": change_priority,
    "change_lead_times": change_lead_times,
    "change_supplier_reliability": change_supplier_reliability,
    "change_stock_budget": change_stock_budget,
    "close_depot": close_depot,
}


def apply_change(data: ScenarioData, change: Change, base: Problem | None = None) -> ScenarioData:
    """One change applied to ``data`` (``base`` anchors cluster regions; default: data's)."""
    return _APPLY[change.type](data, change, base if base is not None else data.problem)


def apply_changes(base: ScenarioData, changes: Sequence[Change]) -> ScenarioData:
    """The base data with every change applied in order; the problem is validated again."""
    data = base
    for k, change in enumerate(changes, start=1):
        try:
            data = apply_change(data, change, base.problem)
        except InputError as exc:
            raise InputError([f"change {k} ({change.type}): {p}" for p in exc.problems]) from None
    try:
        problem = Problem.model_validate(data.problem.model_dump())
    except ValueError as exc:
        raise InputError(f"the changed problem is not valid: {exc}") from None
    return data.with_(problem=problem)
