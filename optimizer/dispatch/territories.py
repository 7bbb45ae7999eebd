"""Split a dispatch problem by territory, solve the parts, merge them into one contract plan.

A large day (more than ``DECOMPOSE_JOBS`` jobs) is cut into territories of about ``PART_JOBS``
jobs that are solved independently, in parallel (local processes or a Dask cluster: see
``optimizer.dispatch.decompose``):

1. **Territories.** Engineers and jobs are grouped by a region the caller gives (a mapping from
   engineer and job id to a region label) or, when none is given, by a seeded k-means clustering
   of the job locations. Engineers are then shared out to territories in proportion to each
   territory's work (job minutes), nearest first, so that every territory with jobs has
   engineers. A pinned job always goes to its pinned engineer's territory.
2. **Stock.** Each depot's stock of each part is split between territories so that the shares
   add up to exactly the stock: territories take what their jobs need beyond their engineers'
   van stock, nearest territory to the depot first; what is left goes to the depot's nearest
   territory. Tools at depots are not used up, so every territory sees every depot's tools.
3. **Border pass.** Jobs left unassigned in their territory (other than pinned ones) are offered
   to the nearest other territory that has an engineer qualified for them; that territory is
   solved again with its own jobs plus the offered ones, warm-started from its first plan, with
   the stock its first plan used plus a share of what no territory used.
4. **Merge.** Routes and unassigned jobs are concatenated in the problem's order, and the KPIs
   are recomputed over the whole problem with :func:`optimizer.kpis.compute_kpis`.

The functions here are pure and never import the solver: :func:`solve_by_territory` takes the
function that solves one territory and the ``map`` that runs the solves (serially, on local
processes or on a Dask cluster), so that the same plan comes out whichever runs it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optimizer.dispatch.options import SolveOptions
from optimizer.kpis import plan_of, served_by_tier
from optimizer.models import (
    DepotStop,
    Engineer,
    Job,
    JobStop,
    Location,
    Plan,
    Problem,
    SolverInfo,
    SolverStatus,
    Unassigned,
    UnassignedReason,
)
from optimizer.travel import EARTH_RADIUS_KM, great_circle_km_from

DECOMPOSE_JOBS = 250  # above this many jobs (and with 2+ engineers) a day is cut
PART_JOBS = 100  # jobs a territory, about

Stock = dict[str, dict[str, int]]  # depot id -> part -> qty
MapFn = Callable[[Callable[..., Any], Sequence[Any]], list[Any]]


@dataclass(frozen=True)
class Territory:
    """One part of a partitioned problem: its sub-problem and where its work lies."""

    index: int
    problem: Problem
    centroid: Location
    stock: Mapping[str, Mapping[str, int]]  # depot -> part -> qty given to this territory


@dataclass(frozen=True)
class Partitioning:
    """A problem cut into territories; ``job_part`` / ``engineer_part`` map ids to indices."""

    problem: Problem
    territories: tuple[Territory, ...]
    job_part: Mapping[str, int]
    engineer_part: Mapping[str, int]

    @property
    def n_parts(self) -> int:
        return len(self.territories)


# --------------------------------------------------------------------------- geometry


def _xy_km(lat: np.ndarray, lon: np.ndarray, lat0: float) -> np.ndarray:
    """Equirectangular projection (km) around latitude ``lat0``: fine for clustering."""
    y = np.radians(lat) * EARTH_RADIUS_KM
    x = np.radians(lon) * EARTH_RADIUS_KM * math.cos(math.radians(lat0))
    return np.column_stack([x, y])


def _points(locations: Sequence[Location]) -> tuple[np.ndarray, np.ndarray]:
    lat = np.array([loc.lat for loc in locations], dtype=np.float64)
    lon = np.array([loc.lon for loc in locations], dtype=np.float64)
    return lat, lon


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 100) -> np.ndarray:
    """Labels (0..k-1) of a seeded k-means (k-means++ start, Lloyd steps) of ``points`` (n, 2).

    Deterministic for a given seed. An emptied cluster is restarted at the point farthest from
    its centre. Clusters are numbered by their centre's x (west to east), then y.
    """
    n = len(points)
    if k <= 1 or n == 0:
        return np.zeros(n, dtype=np.int64)
    k = min(k, n)
    rng = np.random.default_rng(seed)
    centres = np.empty((k, points.shape[1]))
    centres[0] = points[rng.integers(n)]
    d2 = ((points - centres[0]) ** 2).sum(axis=1)
    for c in range(1, k):
        total = d2.sum()
        idx = int(rng.choice(n, p=d2 / total)) if total > 0 else int(rng.integers(n))
        centres[c] = points[idx]
        d2 = np.minimum(d2, ((points - centres[c]) ** 2).sum(axis=1))
    labels = np.full(n, -1, dtype=np.int64)
    for _ in range(iterations):
        dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        new = dist.argmin(axis=1)
        for c in range(k):
            if not (new == c).any():  # restart an empty cluster at the worst-served point
                far = int(dist[np.arange(n), new].argmax())
                new[far] = c
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            centres[c] = points[labels == c].mean(axis=0)
    order = np.lexsort((centres[:, 1], centres[:, 0]))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels]


def _largest_remainder(total: int, weights: np.ndarray, minimum: np.ndarray) -> np.ndarray:
    """Integers >= ``minimum`` summing to ``total`` (if possible), proportional to weights."""
    out = minimum.astype(np.int64).copy()
    rest = total - int(out.sum())
    if rest <= 0:
        return out
    w = weights.astype(np.float64)
    if w.sum() <= 0:
        w = np.ones_like(w)
    ideal = w / w.sum() * (total)
    extra = np.maximum(ideal - out, 0.0)
    if extra.sum() <= 0:
        extra = np.ones_like(extra)
    share = extra / extra.sum() * rest
    add = np.floor(share).astype(np.int64)
    left = rest - int(add.sum())
    order = np.lexsort((np.arange(len(w)), -(share - add)))
    add[order[:left]] += 1
    return out + add


# --------------------------------------------------------------------------- territories


def n_parts_for(problem: Problem) -> int:
    """Territories of about :data:`PART_JOBS` jobs, at most one per engineer."""
    return max(1, min(len(problem.engineers), math.ceil(len(problem.jobs) / PART_JOBS)))


def should_decompose(problem: Problem) -> bool:
    """Whether ``solve`` cuts ``problem`` into territories (one routing model is too slow)."""
    return len(problem.jobs) > DECOMPOSE_JOBS and len(problem.engineers) > 1


def _qualified(engineer: Engineer, job: Job) -> bool:
    if engineer.id in job.excluded_engineers:
        return False
    return all(engineer.skills.get(s, 0) >= lvl for s, lvl in job.required_skills.items())


def _group_by_regions(
    problem: Problem, regions: Mapping[str, str], xy_jobs: np.ndarray, xy_eng: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Territory index of each job and engineer from a region mapping (missing ids: nearest)."""
    labels = sorted({regions[x.id] for x in (*problem.engineers, *problem.jobs) if x.id in regions})
    if not labels:
        raise ValueError("regions: no engineer or job id of the problem is mapped to a region")
    index = {label: i for i, label in enumerate(labels)}
    job_part = np.array([index.get(regions.get(j.id, ""), -1) for j in problem.jobs], np.int64)
    eng_part = np.array([index.get(regions.get(e.id, ""), -1) for e in problem.engineers], np.int64)
    k = len(labels)
    xy = np.vstack([xy_jobs, xy_eng]) if len(xy_jobs) or len(xy_eng) else np.zeros((0, 2))
    part = np.concatenate([job_part, eng_part])
    centres = np.array([xy[part == c].mean(axis=0) for c in range(k)])
    for arr, pts in ((job_part, xy_jobs), (eng_part, xy_eng)):
        missing = np.flatnonzero(arr < 0)
        if len(missing):
            d = ((pts[missing, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
            arr[missing] = d.argmin(axis=1)
    return job_part, eng_part, k


def _share_engineers(
    xy_eng: np.ndarray, centres: np.ndarray, work: np.ndarray
) -> np.ndarray:
    """Engineers to territories in proportion to work, nearest (start location) first."""
    n, k = len(xy_eng), len(centres)
    has_work = work > 0
    minimum = has_work.astype(np.int64) if n >= int(has_work.sum()) else np.zeros(k, np.int64)
    quota = _largest_remainder(n, work + 1e-9, minimum)
    d = ((xy_eng[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    order = np.lexsort((np.repeat(np.arange(k)[None, :], n, 0).ravel(),
                        np.repeat(np.arange(n)[:, None], k, 1).ravel(), d.ravel()))
    out = np.full(n, -1, dtype=np.int64)
    left = quota.copy()
    for flat in order:
        e, c = divmod(int(flat), k)
        if out[e] < 0 and left[c] > 0:
            out[e] = c
            left[c] -= 1
    unplaced = out < 0  # only if quotas fell short: nearest territory
    if unplaced.any():
        out[unplaced] = d[unplaced].argmin(axis=1)
    return out


def split_stock(
    depots: Sequence[tuple[str, np.ndarray, Mapping[str, int]]],
    centres: np.ndarray,
    needs: Sequence[Mapping[str, int]],
    receivers: Sequence[int] | None = None,
) -> list[Stock]:
    """Split each depot's stock between territories; shares add up to exactly the stock.

    ``depots`` holds (id, xy position, stock); ``needs[t]`` is what territory ``t`` still needs
    of each part. Over (depot, territory) pairs nearest first, a territory takes what it needs
    while the depot has it; the rest goes to the depot's nearest territory. Only
    ``receivers`` (default: all) take a share.
    """
    k = len(centres)
    allowed = list(range(k)) if receivers is None else sorted(set(receivers))
    out: list[Stock] = [{} for _ in range(k)]
    if not allowed:
        return out
    remaining_need = [dict(n) for n in needs]
    pairs = []
    for d_i, (_, xy, _) in enumerate(depots):
        for t in allowed:
            pairs.append((float(((centres[t] - xy) ** 2).sum()), d_i, t))
    pairs.sort()
    left = [dict(stock) for _, _, stock in depots]
    for _, d_i, t in pairs:
        depot_id = depots[d_i][0]
        for part in sorted(left[d_i]):
            take = min(left[d_i][part], remaining_need[t].get(part, 0))
            if take > 0:
                out[t].setdefault(depot_id, {})[part] = out[t].get(depot_id, {}).get(part, 0) + take
                left[d_i][part] -= take
                remaining_need[t][part] -= take
    for d_i, (depot_id, xy, _) in enumerate(depots):
        nearest = min(allowed, key=lambda t, xy=xy: (float(((centres[t] - xy) ** 2).sum()), t))
        for part in sorted(left[d_i]):
            if left[d_i][part] > 0:
                share = out[nearest].setdefault(depot_id, {})
                share[part] = share.get(part, 0) + left[d_i][part]
    return out


def _needs(problem: Problem, jobs: Sequence[Job], engineers: Sequence[Engineer]) -> dict[str, int]:
    """Parts the jobs need beyond what the engineers carry."""
    need: dict[str, int] = {}
    for j in jobs:
        for part, qty in j.required_parts.items():
            need[part] = need.get(part, 0) + qty
    for e in engineers:
        for part, qty in e.van_stock.items():
            if part in need:
                need[part] = max(0, need[part] - qty)
    return need


def subproblem(
    problem: Problem,
    engineer_ids: Sequence[str],
    job_ids: Sequence[str],
    stock: Mapping[str, Mapping[str, int]],
    problem_id: str,
) -> Problem:
    """The problem restricted to some engineers and jobs, with depots holding ``stock``.

    Engineer references of jobs to engineers outside are dropped (an excluded engineer who is
    not there cannot be chosen; a preferred one cannot either). Depots with neither a share of
    stock nor tools are left out.
    """
    eng_set = set(engineer_ids)
    job_set = set(job_ids)
    engineers = [e for e in problem.engineers if e.id in eng_set]
    jobs = []
    for j in problem.jobs:
        if j.id not in job_set:
            continue
        update: dict[str, Any] = {}
        if any(e not in eng_set for e in j.excluded_engineers):
            update["excluded_engineers"] = [e for e in j.excluded_engineers if e in eng_set]
        if any(e not in eng_set for e in j.preferred_engineers):
            update["preferred_engineers"] = [e for e in j.preferred_engineers if e in eng_set]
        if j.pinned is not None and j.pinned.engineer not in eng_set:
            raise ValueError(f"job {j.id!r}: pinned engineer {j.pinned.engineer!r} is not in "
                             "its territory")
        jobs.append(j.model_copy(update=update) if update else j)
    depots = []
    for d in problem.depots:
        share = {p: q for p, q in stock.get(d.id, {}).items() if q > 0}
        if share or d.tools:
            depots.append(d.model_copy(update={"stock": dict(sorted(share.items()))}))
    return problem.model_copy(
        update={"id": problem_id, "engineers": engineers, "jobs": jobs, "depots": depots}
    )


def partition_problem(
    problem: Problem,
    n_parts: int | None = None,
    *,
    regions: Mapping[str, str] | None = None,
    seed: int = 0,
) -> Partitioning:
    """Cut ``problem`` into territories (see the module docstring).

    ``regions`` maps engineer and job ids to region labels (ids left out join the nearest
    region); without it, ``n_parts`` k-means clusters of the job locations (default
    :func:`n_parts_for`), seeded by ``seed``.
    """
    if n_parts is not None and n_parts < 1:
        raise ValueError(f"n_parts must be >= 1, got {n_parts}")
    jobs, engineers = problem.jobs, problem.engineers
    all_locs = [j.location for j in jobs] + [e.start for e in engineers]
    lat0 = float(np.mean([loc.lat for loc in all_locs])) if all_locs else 0.0
    xy_jobs = _xy_km(*_points([j.location for j in jobs]), lat0) if jobs else np.zeros((0, 2))
    xy_eng = _xy_km(*_points([e.start for e in engineers]), lat0) if engineers else np.zeros((0, 2))

    if regions is not None:
        job_part, eng_part, k = _group_by_regions(problem, regions, xy_jobs, xy_eng)
        centres = np.array([
            np.vstack([xy_jobs[job_part == c], xy_eng[eng_part == c]]).mean(axis=0)
            for c in range(k)
        ])
    else:
        k = n_parts_for(problem) if n_parts is None else n_parts
        k = max(1, min(k, len(jobs) or 1, len(engineers) or 1))
        job_part = kmeans(xy_jobs, k, seed) if len(jobs) else np.zeros(0, np.int64)
        k = int(job_part.max()) + 1 if len(jobs) else 1
        centres = np.array([xy_jobs[job_part == c].mean(axis=0) if len(jobs) else np.zeros(2)
                            for c in range(k)])
        work = np.array([sum(j.duration_min for j, p in zip(jobs, job_part, strict=True)
                             if p == c) for c in range(k)], dtype=np.float64)
        eng_part = (_share_engineers(xy_eng, centres, work) if len(engineers)
                    else np.zeros(0, np.int64))

    # A pinned job goes where its engineer is.
    eng_index = {e.id: i for i, e in enumerate(engineers)}
    for i, j in enumerate(jobs):
        if j.pinned is not None:
            job_part[i] = eng_part[eng_index[j.pinned.engineer]]

    job_ids = [[j.id for j, p in zip(jobs, job_part, strict=True) if p == c] for c in range(k)]
    eng_ids = [[e.id for e, p in zip(engineers, eng_part, strict=True) if p == c]
               for c in range(k)]
    by_id_job = {j.id: j for j in jobs}
    by_id_eng = {e.id: e for e in engineers}
    needs = [
        _needs(problem, [by_id_job[x] for x in job_ids[c]], [by_id_eng[x] for x in eng_ids[c]])
        for c in range(k)
    ]
    depot_xy = (_xy_km(*_points([d.location for d in problem.depots]), lat0)
                if problem.depots else np.zeros((0, 2)))
    depots = [(d.id, depot_xy[i], d.stock) for i, d in enumerate(problem.depots)]
    shares = split_stock(depots, centres, needs)

    lat_c = np.degrees(centres[:, 1] / EARTH_RADIUS_KM)
    lon_c = np.degrees(centres[:, 0] / (EARTH_RADIUS_KM * math.cos(math.radians(lat0))))
    territories = tuple(
        Territory(
            index=c,
            problem=subproblem(problem, eng_ids[c], job_ids[c], shares[c], f"{problem.id}#t{c}"),
            centroid=Location(lat=float(np.clip(lat_c[c], -90, 90)),
                              lon=float(np.clip(lon_c[c], -180, 180))),
            stock=shares[c],
        )
        for c in range(k)
    )
    return Partitioning(
        problem=problem,
        territories=territories,
        job_part={j.id: int(p) for j, p in zip(jobs, job_part, strict=True)},
        engineer_part={e.id: int(p) for e, p in zip(engineers, eng_part, strict=True)},
    )


# --------------------------------------------------------------------------- border pass


@dataclass(frozen=True)
class BorderRound:
    """Second-round sub-problems: territory index -> (problem, jobs offered to it)."""

    problems: Mapping[int, Problem]
    offered: Mapping[int, tuple[str, ...]]


def _pickups(plan: Plan) -> Stock:
    used: Stock = {}
    for r in plan.routes:
        for s in r.stops:
            if isinstance(s, DepotStop):
                for part, qty in s.pickup.items():
                    used.setdefault(s.depot, {})[part] = used.get(s.depot, {}).get(part, 0) + qty
    return used


def border_round(
    parting: Partitioning, plans: Sequence[Plan], max_offer_km: float | None = None
) -> BorderRound:
    """Offer each territory's unplaced jobs to the nearest other territory able to do them.

    Pinned jobs are not offered. ``max_offer_km`` (great-circle km from the job to the other
    territory's centre) bounds how far a job may travel; None: no bound.
    """
    problem = parting.problem
    k = parting.n_parts
    if k < 2:
        return BorderRound(problems={}, offered={})
    jobs = {j.id: j for j in problem.jobs}
    c_lat, c_lon = _points([t.centroid for t in parting.territories])
    offered: dict[int, list[str]] = {}
    for t, plan in enumerate(plans):
        for u in plan.unassigned:
            job = jobs[u.job]
            if job.pinned is not None:
                continue
            d = great_circle_km_from(job.location.lat, job.location.lon, c_lat, c_lon)
            for q in np.lexsort((np.arange(k), d)):
                q = int(q)
                if q == t:
                    continue
                if max_offer_km is not None and d[q] > max_offer_km:
                    break
                if any(_qualified(e, job) for e in parting.territories[q].problem.engineers):
                    offered.setdefault(q, []).append(job.id)
                    break
    if not offered:
        return BorderRound(problems={}, offered={})

    # Stock: what each re-solved territory used, plus a share of what nobody used.
    residual: Stock = {d.id: dict(d.stock) for d in problem.depots}
    for plan in plans:
        for depot, parts in _pickups(plan).items():
            for part, qty in parts.items():
                residual[depot][part] = residual[depot].get(part, 0) - qty
    lat0 = float(np.mean(c_lat))
    centres = _xy_km(c_lat, c_lon, lat0)
    depot_xy = (_xy_km(*_points([d.location for d in problem.depots]), lat0)
                if problem.depots else np.zeros((0, 2)))
    depots = [(d.id, depot_xy[i], {p: max(0, q) for p, q in residual[d.id].items()})
              for i, d in enumerate(problem.depots)]
    needs = [_needs(problem, [jobs[x] for x in offered.get(q, [])], []) for q in range(k)]
    extra = split_stock(depots, centres, needs, receivers=sorted(offered))

    away = {j for jobs_q in offered.values() for j in jobs_q}  # leave their home territory
    problems: dict[int, Problem] = {}
    for q in sorted(offered):
        terr = parting.territories[q]
        stock: Stock = {}
        for source in (_pickups(plans[q]), extra[q]):
            for depot, parts in source.items():
                for part, qty in parts.items():
                    stock.setdefault(depot, {})[part] = stock.get(depot, {}).get(part, 0) + qty
        job_ids = [j.id for j in terr.problem.jobs if j.id not in away] + offered[q]
        problems[q] = subproblem(problem, [e.id for e in terr.problem.engineers], job_ids,
                                 stock, terr.problem.id)
    return BorderRound(problems=problems, offered={q: tuple(v) for q, v in offered.items()})


# --------------------------------------------------------------------------- merge


# Territory statuses from the least to the most successful: the merged plan's is the first.
_STATUS_RANK = [SolverStatus.INFEASIBLE, SolverStatus.INVALID, SolverStatus.FAIL,
                SolverStatus.FAIL_TIMEOUT, SolverStatus.NOT_SOLVED, SolverStatus.PARTIAL_SUCCESS,
                SolverStatus.SUCCESS, SolverStatus.OPTIMAL, SolverStatus.WARM_START_KEPT,
                SolverStatus.NO_JOBS, SolverStatus.EMPTY]


def _status_rank(status: str) -> int:
    """Where ``status`` stands in ``_STATUS_RANK`` (a word not in it: below all)."""
    return _STATUS_RANK.index(status) if status in _STATUS_RANK else -1


def merge_plans(
    parting: Partitioning,
    plans: Sequence[Plan],
    border: BorderRound | None = None,
    border_plans: Mapping[int, Plan] | None = None,
    wall_s: float = 0.0,
) -> Plan:
    """One contract plan for the whole problem from the territories' plans.

    A territory solved again in the border pass contributes its second plan; an offered job
    placed there leaves its home territory's unassigned list. KPIs are recomputed over the whole
    problem.
    """
    problem = parting.problem
    border_plans = dict(border_plans or {})
    final = [border_plans.get(t, plan) for t, plan in enumerate(plans)]
    routes = [r for p in final for r in p.routes]
    placed = {s.job for r in routes for s in r.stops if isinstance(s, JobStop)}

    offered_to = {j: q for q, jobs in (border.offered.items() if border else []) for j in jobs}
    unassigned: dict[str, Unassigned] = {}
    for plan in final:
        for u in plan.unassigned:
            if u.job in placed:
                continue  # an offered job placed across the border
            q = offered_to.get(u.job)
            if q is None:
                unassigned[u.job] = u
            elif plan is final[q]:  # the second try speaks for the job, naming the first
                home = parting.job_part[u.job]
                first = next(x for x in plans[home].unassigned if x.job == u.job)
                detail = (f"{u.detail} (territory {q}; first in territory {home}: "
                          f"{first.reason.value})").strip()
                unassigned[u.job] = u.model_copy(update={"detail": detail})
    jobs = {j.id: j for j in problem.jobs}
    for job_id, u in list(unassigned.items()):  # contract rule 6: one reason for a pinned job
        if jobs[job_id].pinned is not None and u.reason != UnassignedReason.PINNED_INFEASIBLE:
            detail = f"{u.reason.value}: {u.detail}".strip().rstrip(":")
            unassigned[job_id] = u.model_copy(
                update={"reason": UnassignedReason.PINNED_INFEASIBLE, "detail": detail})
    order = {j.id: i for i, j in enumerate(problem.jobs)}
    unassigned_list = sorted(unassigned.values(), key=lambda u: order[u.job])
    eng_order = {e.id: i for i, e in enumerate(problem.engineers)}
    routes.sort(key=lambda r: (eng_order[r.engineer], r.shift))
    statuses = [p.solver.status for p in final]
    solver = SolverInfo(
        status=min(statuses, key=_status_rank) if statuses else SolverStatus.EMPTY,
        partition_status=statuses,
        wall_s=round(wall_s, 3),
        partitions=parting.n_parts,
        partition_jobs=[len(t.problem.jobs) for t in parting.territories],
        partition_engineers=[len(t.problem.engineers) for t in parting.territories],
        border_offered=len(offered_to),
        border_placed=sum(1 for j in offered_to if j in placed),
        partition_wall_s=[round(p.solver.wall_s, 3) for p in final],
    )
    return plan_of(problem, routes, unassigned_list, solver)


# --------------------------------------------------------------------------- orchestration


def restrict_plan(plan: Plan, sub: Problem) -> Plan:
    """The part of ``plan`` that concerns ``sub``'s engineers and jobs (for warm starts)."""
    engs = {e.id for e in sub.engineers}
    jobs = {j.id for j in sub.jobs}
    routes = [r for r in plan.routes if r.engineer in engs]
    unassigned = [u for u in plan.unassigned if u.job in jobs]
    return plan_of(sub, routes, unassigned, plan.solver)


def options_for(sub: Problem, options: SolveOptions, initial: Plan | None = None) -> SolveOptions:
    """Per-territory options: the same limits and seed, references restricted to ``sub``."""
    jobs = {j.id for j in sub.jobs}
    warm = initial if initial is not None else (
        restrict_plan(options.initial_plan, sub) if options.initial_plan is not None else None)
    stability = options.stability
    if stability is not None:
        stability = replace(stability, reference=restrict_plan(stability.reference, sub))
    return replace(
        options,
        initial_plan=warm,
        stability=stability,
        affinity={j: a for j, a in options.affinity.items() if j in jobs},
        progress=None,  # runs on a worker: nobody reads its stderr
    )


def empty_plan(sub: Problem) -> Plan:
    """The plan of a territory without engineers or jobs: every job reported, none placed."""
    unassigned = [
        Unassigned(job=j.id, reason=UnassignedReason.PINNED_INFEASIBLE if j.pinned
                   else UnassignedReason.NO_QUALIFIED_ENGINEER,
                   detail="no engineer in this territory")
        for j in sub.jobs
    ]
    return plan_of(sub, [], unassigned, SolverInfo(status=SolverStatus.EMPTY, wall_s=0.0))


def keep_first_plan(sub: Problem, warm: Plan) -> Plan:
    """``warm``'s routes as a plan of ``sub``: every other job unassigned for capacity."""
    served = {s.job for r in warm.routes for s in r.stops if isinstance(s, JobStop)}
    left = {u.job: u for u in warm.unassigned}
    unassigned = [
        left.get(j.id)
        or Unassigned(job=j.id, reason=UnassignedReason.CAPACITY, detail="not placed")
        for j in sub.jobs
        if j.id not in served
    ]
    return plan_of(sub, warm.routes, unassigned,
                   SolverInfo(status=SolverStatus.WARM_START_KEPT, wall_s=0.0))


@dataclass(frozen=True)
class TerritoryRun:
    """How to cut and where to solve: ``map_fn(fn, items) -> results in order`` runs the
    territory solves (local processes, Dask, serial); ``n_parts`` (None: :func:`n_parts_for`),
    ``regions`` (engineer and job id -> label) and ``seed`` (None: the solve's) shape the cut;
    ``border`` enables the border pass, ``max_offer_km`` bounds how far a job is offered."""

    map_fn: MapFn
    n_parts: int | None = None
    regions: Mapping[str, str] | None = None
    seed: int | None = None
    border: bool = True
    max_offer_km: float | None = None


def solve_by_territory(
    problem: Problem,
    options: SolveOptions,
    run: TerritoryRun,
    solve_fn: Callable[[Problem, SolveOptions], Plan],
) -> Plan:
    """Partition as ``run`` says, solve the territories with
    ``run.map_fn(fn, [(sub, options), ...])``, merge.

    ``solve_fn(sub, options)`` plans one territory (module level, so that it can be
    pickled); it is never this module's business which solver that is. ``map_fn`` returns
    results in input order; serial, process-pool and Dask maps give the same plan. In the
    border pass a territory whose new plan serves fewer jobs (by tier) than its first plan
    keeps the first plan's routes (its warm start), the offered jobs unassigned.
    """
    t0 = time.perf_counter()
    map_fn = run.map_fn
    n_parts = n_parts_for(problem) if run.n_parts is None else run.n_parts
    seed = options.seed if run.seed is None else run.seed
    parting = partition_problem(problem, n_parts, regions=run.regions, seed=seed)
    subs = [t.problem for t in parting.territories]
    plans = map_fn(_star(solve_fn), [(s, options_for(s, options)) for s in subs])
    round2: BorderRound | None = None
    border_plans: dict[int, Plan] = {}
    if run.border:
        round2 = border_round(parting, plans, run.max_offer_km)
        if round2.problems:
            keys = sorted(round2.problems)
            args = [
                (round2.problems[q], options_for(
                    round2.problems[q], options,
                    restrict_plan(plans[q], round2.problems[q]) if plans[q].routes else None))
                for q in keys
            ]
            for q, (sub, opts), plan in zip(keys, args, map_fn(_star(solve_fn), args),
                                            strict=True):
                warm = opts.initial_plan
                if warm is not None and served_by_tier(sub, warm) > served_by_tier(sub, plan):
                    # A border pass whose warm start the model rejected (or that ran out of
                    # time) must not undo its territory's first plan.
                    plan = keep_first_plan(sub, warm)
                border_plans[q] = plan
    return merge_plans(parting, plans, round2, border_plans, wall_s=time.perf_counter() - t0)


@dataclass(frozen=True)
class _star:
    """``fn(*args)`` as a one-argument picklable callable for ``map``."""

    fn: Callable[..., Any]

    def __call__(self, args: tuple[Any, ...]) -> Any:
        return self.fn(*args)
