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
    x: dict[tuple[int, int, int], int]  # (visit, engineer, day) -> variable index
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


class _Proto:
    """Writes 0-1 variables and linear rows straight into the model's protocol buffer: the
    Python helpers cost several times more per term at tens of thousands of variables."""

    def __init__(self, model: cp_model.CpModel):
        self.proto = model.proto

    def boolean(self) -> int:
        var = self.proto.variables.add()
        var.domain.extend([0, 1])
        return len(self.proto.variables) - 1

    def implies(self, a: int, b: int) -> None:
        self.proto.constraints.add().bool_or.literals.extend([-a - 1, b])

    def at_most_one(self, literals: list[int]) -> None:
        self.proto.constraints.add().at_most_one.literals.extend(literals)

    def at_most(self, terms: list[tuple[int, int]], bound: int) -> None:
        row = self.proto.constraints.add().linear
        row.vars.extend([i for _, i in terms])
        row.coeffs.extend([c for c, _ in terms])
        row.domain.extend([-(2**62), bound])

    def minimize(self, terms: list[tuple[int, int]]) -> None:
        self.proto.objective.vars.extend([i for _, i in terms])
        self.proto.objective.coeffs.extend([c for c, _ in terms])

    def hint(self, values: dict[int, int]) -> None:
        self.proto.solution_hint.vars.extend(list(values))
        self.proto.solution_hint.values.extend(list(values.values()))


def build_week(problem: PmProblem, schedule: Schedule, cells: Cells,
               near: list[tuple[int, ...]], week: WeekInput) -> WeekModel:
    """The week's CP-SAT model (see the module docstring), hinted with a greedy solution."""
    m = cp_model.CpModel()
    w = _Proto(m)
    x: dict[tuple[int, int, int], int] = {}
    x_cost: dict[tuple[int, int, int], int] = {}
    z: dict[tuple[int, int, int], int] = {}
    load: dict[tuple[int, int], list[tuple[int, int]]] = {}
    cost: dict[int, int] = {}
    last_day = max(week.days)
    value: dict[int, int] = {}  # visit -> what placing it this week is worth
    used = {(e, d): schedule.day(e, d) for e in range(len(problem.engineers))
            for d in week.days}
    room = {k: int(problem.capacity[k[0]]) - day.used_min for k, day in used.items()}
    existing = {k: {int(cells.of_site[problem.visits[u].site]) for u in day.visits}
                for k, day in used.items()}
    optional: list[tuple[int, int]] = []
    for v in week.candidates:
        visit = problem.visits[v]
        cell = int(cells.of_site[visit.site])
        hop = _hop(problem, cells, visit.site)
        need = {e: visit.duration_min + _cell_rt(problem, cells, e, cell) + hop for e in near[v]}
        must = v in week.must
        chosen = []
        for d in week.days:
            if d < visit.lo or d > visit.last:
                continue
            late = max(0, d - visit.due)
            early = 0 if must else max(0, visit.due - d)
            asap = d - visit.lo if visit.short_notice else 0
            for e in near[v]:
                if need[e] > room[(e, d)] or not problem.qualified(v, e, d):
                    continue
                var = w.boolean()
                x[(v, e, d)] = var
                chosen.append(var)
                key = (e, d, cell)
                if key not in z:
                    z[key] = w.boolean()
                w.implies(var, z[key])
                load.setdefault((e, d), []).append((visit.duration_min + hop, var))
                x_cost[(v, e, d)] = hop + LATE_PER_DAY * late + early + asap
                cost[var] = x_cost[(v, e, d)]
        if not chosen:
            continue
        w.at_most_one(chosen)
        if must:
            value[v] = LATE_PER_DAY * max(1, last_day + 1 - visit.due) + MUST_LEAVE
        else:
            urgency = max(0, problem.options.early_days - (visit.due - last_day))
            value[v] = OPTIONAL_REWARD + 5 * urgency
            optional.extend((visit.duration_min, var) for var in chosen)
        for var in chosen:
            cost[var] -= value[v]
    if optional:
        w.at_most(optional, max(0, week.optional_budget_min))
    by_day: dict[tuple[int, int], list[tuple[int, int]]] = {}
    z_rt: dict[tuple[int, int, int], int] = {}
    for (e, d, cell), var in z.items():
        if cell in existing[(e, d)]:
            z_rt[(e, d, cell)] = 0
            continue  # the day already goes there: no new round trip
        rt = z_rt[(e, d, cell)] = _cell_rt(problem, cells, e, cell)
        by_day.setdefault((e, d), []).append((1, var))
        load.setdefault((e, d), []).append((rt, var))
        cost[var] = rt
    for k, terms in by_day.items():
        w.at_most(terms, max(0, CELLS_PER_DAY - len(existing[k])))
    for k, terms in load.items():
        w.at_most(terms, room[k])
    w.minimize([(c, var) for var, c in cost.items()])
    on_x, on_z = _greedy_hint(problem, schedule, cells, week, x_cost, z_rt, value)
    w.hint({**{var: int(key in on_x) for key, var in x.items()},
            **{var: int(key in on_z) for key, var in z.items()}})
    return WeekModel(model=m, x=x, hint=frozenset(on_x))


def _existing_cells(problem: PmProblem, schedule: Schedule, cells: Cells, e: int, d: int
                    ) -> set[int]:
    return {int(cells.of_site[problem.visits[u].site]) for u in schedule.day(e, d).visits}


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
    values = solver.response_proto.solution
    return sorted(key for key, var in week.x.items() if values[var])
