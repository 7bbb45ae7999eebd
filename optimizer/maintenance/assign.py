"""CP-SAT assignment of customer visits to engineer-days, one week at a time.

The sites are cut into small geographic cells (k-means). In a week's model an engineer-day
serves at most two cells; its travel is estimated as the round trip home -> cell centre ->
home per cell served plus, per visit, the detour centre -> site -> centre. By the triangle
inequality that estimate bounds the real route from above, so the capacity rows keep the days
feasible and the objective groups each day's visits close together and near the engineer's
home. Visits due this week (or late) must be placed; the others may be, within the week's
share of the remaining PM work, which levels the load across weeks. The exact routes are
checked afterwards by :class:`~optimizer.maintenance.schedule.Schedule`.

Model building, solving and reading the solution are separate functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy.cluster.vq import kmeans2

from optimizer.maintenance.schedule import Schedule
from optimizer.maintenance.visits import PmProblem

SITES_PER_CELL = 6
MAX_HOP_MIN = 24  # a cell's sites are within this round trip of its centre (else split)
CELLS_PER_DAY = 2
LATE_PER_DAY = 300  # cost of a day late, in minutes of travel
MUST_LEAVE = 2000  # on top of the lateness a must-visit left to a later week would have
OPTIONAL_REWARD = 400  # value of doing a not-yet-due visit now (within the week's share)


@dataclass(frozen=True)
class Cells:
    """Geographic cells of the sites: each site's cell and each cell's centre site."""

    of_site: np.ndarray  # site -> cell
    centre: np.ndarray  # cell -> site nearest the cell's mean


def make_cells(problem: PmProblem, seed: int = 0) -> Cells:
    n_sites = int(problem.home.min()) if len(problem.home) else len(problem.points)
    if n_sites == 0:
        return Cells(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    lat = np.array([p.lat for p in problem.points[:n_sites]])
    lon = np.array([p.lon for p in problem.points[:n_sites]])
    xy = np.column_stack([lon * np.cos(np.radians(lat.mean())), lat])
    k = max(1, min(n_sites, round(n_sites / SITES_PER_CELL)))
    if k == 1:
        labels = np.zeros(n_sites, dtype=np.int64)
    else:
        _, labels = kmeans2(xy, k, iter=15, minit="points", seed=seed)
    labels = _split_wide(problem, xy, np.asarray(labels, dtype=np.int64), seed)
    used = np.unique(labels)
    relabel = np.full(int(labels.max()) + 1, -1, dtype=np.int64)
    relabel[used] = np.arange(len(used))
    labels = relabel[labels]
    centre = np.zeros(len(used), dtype=np.int64)
    for c in range(len(used)):
        members = np.flatnonzero(labels == c)
        mean = xy[members].mean(axis=0)
        centre[c] = members[np.argmin(((xy[members] - mean) ** 2).sum(axis=1))]
    return Cells(of_site=labels, centre=centre)


def _split_wide(problem: PmProblem, xy: np.ndarray, labels: np.ndarray, seed: int
                ) -> np.ndarray:
    """Halve cells whose sites lie more than ``MAX_HOP_MIN`` of round trip from each other's
    middle, so a cell stays a neighbourhood however few sites there are."""
    minutes = problem.travel.minutes
    for _ in range(12):
        split = False
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            if len(members) < 2:
                continue
            mean = xy[members].mean(axis=0)
            mid = members[np.argmin(((xy[members] - mean) ** 2).sum(axis=1))]
            hop = minutes[mid, members] + minutes[members, mid]
            if hop.max() <= MAX_HOP_MIN:
                continue
            _, sub = kmeans2(xy[members], 2, iter=10, minit="++", seed=seed)
            if sub.min() == sub.max():
                continue
            labels[members[sub == 1]] = labels.max() + 1
            split = True
        if not split:
            break
    return labels


def nearest_holders(problem: PmProblem) -> list[tuple[int, ...]]:
    """Per visit, the ``neighbours`` engineers holding its skills with the shortest round trip."""
    k = problem.options.neighbours
    out = []
    for v in problem.visits:
        hs = sorted(problem.holders[v.index], key=lambda e: (problem.rt(e, v.site), e))
        out.append(tuple(hs[:k]))
    return out


@dataclass
class WeekModel:
    model: cp_model.CpModel
    x: dict[tuple[int, int, int], cp_model.IntVar]  # (visit, engineer, day)
    hint: frozenset[tuple[int, int, int]] = frozenset()  # the greedy start, feasible


@dataclass(frozen=True)
class WeekInput:
    days: tuple[int, ...]
    candidates: tuple[int, ...]  # visits that may be placed this week
    must: frozenset[int]  # of which due by the week's end (or late)
    optional_budget_min: int  # on-site minutes of not-yet-due visits the week may take


def _hop(problem: PmProblem, cells: Cells, site: int) -> int:
    c = int(cells.centre[cells.of_site[site]])
    m = problem.travel.minutes
    return int(m[c, site]) + int(m[site, c])


def _cell_rt(problem: PmProblem, cells: Cells, e: int, cell: int) -> int:
    return problem.rt(e, int(cells.centre[cell]))


def _weighted(terms: list) -> cp_model.LinearExpr:
    """sum(coefficient x variable) built in one call (much faster than Python's sum)."""
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])


def _existing_cells(problem: PmProblem, schedule: Schedule, cells: Cells, e: int, d: int
                    ) -> set[int]:
    return {int(cells.of_site[problem.visits[u].site]) for u in schedule.day(e, d).visits}


def build_week(problem: PmProblem, schedule: Schedule, cells: Cells,
               near: list[tuple[int, ...]], week: WeekInput) -> WeekModel:
    """The week's CP-SAT model (see the module docstring), hinted with a greedy solution."""
    m = cp_model.CpModel()
    x: dict[tuple[int, int, int], cp_model.IntVar] = {}
    x_cost: dict[tuple[int, int, int], int] = {}
    z: dict[tuple[int, int, int], cp_model.IntVar] = {}
    load: dict[tuple[int, int], list] = {}
    cost: list = []
    last_day = max(week.days)
    value: dict[int, int] = {}  # visit -> what placing it this week is worth
    for v in week.candidates:
        visit = problem.visits[v]
        cell = int(cells.of_site[visit.site])
        hop = _hop(problem, cells, visit.site)
        chosen = []
        for d in week.days:
            if d < visit.lo or d > visit.last:
                continue
            for e in near[v]:
                if not problem.qualified(v, e, d):
                    continue
                if visit.duration_min + _cell_rt(problem, cells, e, cell) + hop > int(
                        problem.capacity[e]) - schedule.day(e, d).used_min:
                    continue
                var = m.new_bool_var(f"x{v}_{e}_{d}")
                x[(v, e, d)] = var
                chosen.append(var)
                key = (e, d, cell)
                if key not in z:
                    z[key] = m.new_bool_var(f"z{e}_{d}_{cell}")
                m.add_implication(var, z[key])
                load.setdefault((e, d), []).append((visit.duration_min + hop, var))
                late = max(0, d - visit.due)
                early = max(0, visit.due - d) if v not in week.must else 0
                asap = d - visit.lo if visit.short_notice else 0
                x_cost[(v, e, d)] = hop + LATE_PER_DAY * late + early + asap
                cost.append((x_cost[(v, e, d)], var))
        if not chosen:
            continue
        m.add_at_most_one(chosen)
        if v in week.must:
            value[v] = LATE_PER_DAY * max(1, last_day + 1 - visit.due) + MUST_LEAVE
        else:
            urgency = max(0, problem.options.early_days - (visit.due - last_day))
            value[v] = OPTIONAL_REWARD + 5 * urgency
        cost.extend((-value[v], var) for var in chosen)
    optional = [(problem.visits[v].duration_min, var) for (v, _, _), var in x.items()
                if v not in week.must]
    if optional:
        m.add(_weighted(optional) <= max(0, week.optional_budget_min))
    by_day: dict[tuple[int, int], list] = {}
    z_rt: dict[tuple[int, int, int], int] = {}
    for (e, d, cell), var in z.items():
        if cell in _existing_cells(problem, schedule, cells, e, d):
            z_rt[(e, d, cell)] = 0
            continue  # the day already goes there: no new round trip
        z_rt[(e, d, cell)] = _cell_rt(problem, cells, e, cell)
        by_day.setdefault((e, d), []).append(var)
        load.setdefault((e, d), []).append((z_rt[(e, d, cell)], var))
        cost.append((z_rt[(e, d, cell)], var))
    for (e, d), vars_ in by_day.items():
        n_existing = len(_existing_cells(problem, schedule, cells, e, d))
        m.add(cp_model.LinearExpr.sum(vars_) <= max(0, CELLS_PER_DAY - n_existing))
    for (e, d), terms in load.items():
        room = int(problem.capacity[e]) - schedule.day(e, d).used_min
        m.add(_weighted(terms) <= room)
    m.minimize(_weighted(cost))
    on_x, on_z = _greedy_hint(problem, schedule, cells, week, x_cost, z_rt, value)
    hint = m.proto.solution_hint
    hint.vars.extend(var.index for var in x.values())
    hint.values.extend(int(key in on_x) for key in x)
    hint.vars.extend(var.index for var in z.values())
    hint.values.extend(int(key in on_z) for key in z)
    return WeekModel(model=m, x=x, hint=frozenset(on_x))


def _greedy_hint(problem: PmProblem, schedule: Schedule, cells: Cells, week: WeekInput,
                 x_cost: dict[tuple[int, int, int], int], z_rt: dict[tuple[int, int, int], int],
                 value: dict[int, int]) -> tuple[set, set]:
    """A feasible start for the solver: most valuable visits first, each at its cheapest
    engineer-day under the model's own estimate, capacity and cell limits."""
    options: dict[int, list[tuple[int, int]]] = {}
    for v, e, d in x_cost:
        options.setdefault(v, []).append((e, d))
    room = {}
    n_cells: dict[tuple[int, int], int] = {}
    on_x: set = set()
    on_z: set = {k for k, rt in z_rt.items() if rt == 0}
    budget = week.optional_budget_min
    for v in sorted(options, key=lambda v: (-value[v], problem.visits[v].due, v)):
        visit = problem.visits[v]
        optional = v not in week.must
        if optional and visit.duration_min > budget:
            continue
        cell = int(cells.of_site[visit.site])
        best = None
        for e, d in options[v]:
            if (e, d) not in room:
                room[(e, d)] = int(problem.capacity[e]) - schedule.day(e, d).used_min
                n_cells[(e, d)] = len(_existing_cells(problem, schedule, cells, e, d))
            new = (e, d, cell) not in on_z
            if new and n_cells[(e, d)] >= CELLS_PER_DAY:
                continue
            need = visit.duration_min + _hop(problem, cells, visit.site) + (
                z_rt[(e, d, cell)] if new else 0)
            if need > room[(e, d)]:
                continue
            c = x_cost[(v, e, d)] + (z_rt[(e, d, cell)] if new else 0)
            if best is None or c < best[0]:
                best = (c, e, d, new, need)
        if best is None or best[0] >= value[v]:
            continue
        _, e, d, new, need = best
        on_x.add((v, e, d))
        room[(e, d)] -= need
        if new:
            on_z.add((e, d, cell))
            n_cells[(e, d)] += 1
        if optional:
            budget -= visit.duration_min
    return on_x, on_z


def solve_week(week: WeekModel, time_limit_s: float, workers: int, seed: int
               ) -> tuple[list[tuple[int, int, int]], str]:
    """(visit, engineer, day) placements of the best solution found and the solver status;
    the greedy hint when the time ran out before the solver had a solution of its own."""
    if not week.x:
        return [], "empty"
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    # presolve is most of the time on these 0-1 models: keep it light
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(week.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return sorted(week.hint), "hint"
    return read_week(week, solver), solver.status_name(status).lower()


def read_week(week: WeekModel, solver: cp_model.CpSolver) -> list[tuple[int, int, int]]:
    return sorted(key for key, var in week.x.items() if solver.boolean_value(var))
