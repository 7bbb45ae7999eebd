"""Pillac TRSP reader and converter: counts, mapping, and the thesis BKS routes reproduced."""

from __future__ import annotations

from pathlib import Path

import pytest
from bks_tex import TexRoute, read_appendix

from optimizer.instances import minute_of
from optimizer.instances.pillac import (
    DEPOT_ID,
    UNLIMITED,
    PillacInstance,
    euclid,
    plan_figures,
    read_bks,
    read_pillac,
    request_id,
    route_figures,
    technician_id,
    to_problem,
)
from optimizer.instances.routes import DepotVisit, Visit, plan_from_sequences
from optimizer.validate import validate


@pytest.fixture(scope="module")
def appendix(pillac_dir: Path) -> dict[str, list[TexRoute]]:
    return read_appendix(pillac_dir / "pillac-dissertation-appendix-bks-trsp.tex")


def _instance(pillac_dir: Path, name: str) -> PillacInstance:
    return read_pillac(pillac_dir / "instances_txt" / f"{name}.txt")


def test_56_instances_with_bks(pillac_dir: Path) -> None:
    names = sorted(p.stem for p in (pillac_dir / "instances_txt").glob("*.txt"))
    assert len(names) == 56
    assert sorted(read_bks(pillac_dir / "bks.csv")) == names


def test_c101_counts_and_mapping(pillac_dir: Path) -> None:
    inst = _instance(pillac_dir, "C101.100_25-5-5-5")
    assert (inst.n_technicians, inst.n_skills, inst.n_tools, inst.n_parts) == (25, 5, 5, 5)
    assert list(inst.requests) == list(range(26, 126))
    problem = to_problem(inst)
    assert len(problem.engineers) == 25 and len(problem.jobs) == 100
    t1 = problem.engineer("t1")  # home (9, 6), skills [1,3,4], tools [1,2,3], parts [3,0,4,4,0]
    assert t1.skills == {"s1": 1, "s3": 1, "s4": 1}
    assert t1.tools == ["t1", "t2", "t3"]
    assert t1.van_stock == {"p0": 3, "p2": 4, "p3": 4}
    r26 = problem.job("r26")  # (45, 68), [912, 967], service 90, skill [4], parts [1,0,1,0,0]
    assert r26.required_skills == {"s4": 1} and r26.required_tools == []
    assert r26.required_parts == {"p0": 1, "p2": 1}
    assert minute_of(r26.time_windows[0].start) == 91200 and r26.duration_min == 9000
    (depot,) = problem.depots
    assert depot.id == DEPOT_ID and depot.pickup_min == 0
    assert depot.stock == {f"p{i}": UNLIMITED for i in range(5)}
    assert depot.tools == [f"t{i}" for i in range(5)]


def test_travel_rounds_up(pillac_dir: Path) -> None:
    inst = _instance(pillac_dir, "C101.100_25-5-5-5")
    problem = to_problem(inst, time_scale=10)
    # Home of t1 (9, 6) to the depot (40, 50): sqrt(31^2 + 44^2) = 53.823.. -> 539 minutes.
    d = euclid(inst)[1, 0]
    assert d == pytest.approx(53.8238, abs=1e-4)
    assert problem.travel.duration_min[1][0] == 539
    assert problem.travel.distance_km[1][0] == pytest.approx(d)


def test_objective_costs(pillac_dir: Path) -> None:
    inst = _instance(pillac_dir, "R101.100_25-5-5-5")
    e = to_problem(inst, objective="distance").engineers[0]
    assert (e.cost_per_km, e.cost_per_hour) == (1.0, 0.0)
    e = to_problem(inst).engineers[0]
    assert e.cost_per_km == 0.0 and e.cost_per_hour > 0
    with pytest.raises(ValueError, match="objective"):
        to_problem(inst, objective="vehicles")


def _with_depot(inst: PillacInstance, route: TexRoute) -> list[int]:
    """The route's requests, with the depot visit the appendix leaves out put back by distance."""
    home = route.k + 1
    seqs = [route.requests] + [
        [*route.requests[:i], 0, *route.requests[i:]] for i in range(len(route.requests) + 1)
    ]
    return min(seqs, key=lambda s: abs(route_figures(inst, home, s)[0] - route.distance))


def test_route_figures_reproduce_every_bks_route(
    pillac_dir: Path, appendix: dict[str, list[TexRoute]]
) -> None:
    n = 0
    for name, routes in appendix.items():
        inst = _instance(pillac_dir, name)
        for route in routes:
            d, t = route_figures(inst, route.k + 1, _with_depot(inst, route))
            assert d == pytest.approx(route.distance, abs=2e-3), (name, route.k)
            assert t == pytest.approx(route.duration, abs=2e-3), (name, route.k)
            n += 1
    assert n == 757


def _bks_sequences(inst: PillacInstance, routes: list[TexRoute]) -> dict[str, list[Visit]]:
    """Contract sequences of a BKS; at the depot, pick up what the rest of the route lacks."""
    out: dict[str, list[Visit]] = {}
    for route in routes:
        home = route.k + 1
        seq = _with_depot(inst, route)
        visits: list[Visit] = []
        for i, node in enumerate(seq):
            if node != 0:
                visits.append(request_id(node))
                continue
            stock = list(inst.parts[home])
            for r in seq[:i]:
                stock = [s - q for s, q in zip(stock, inst.parts[r], strict=True)]
            after = seq[i + 1 :]
            need = [sum(inst.parts[r][p] for r in after) for p in range(inst.n_parts)]
            pickup = {
                f"p{p}": need[p] - stock[p] for p in range(inst.n_parts) if need[p] > stock[p]
            }
            tools = {f"t{t}" for r in after for t in inst.tools[r]} - {
                f"t{t}" for t in inst.tools[home]
            }
            visits.append(DepotVisit(DEPOT_ID, pickup, sorted(tools)))
        out[technician_id(home)] = visits
    return out


@pytest.mark.parametrize("name", ["C101", "R101", "R204", "RC105", "RC208"])
def test_bks_is_a_valid_plan_with_the_bks_figures(
    pillac_dir: Path, appendix: dict[str, list[TexRoute]], name: str
) -> None:
    full = f"{name}.100_25-5-5-5"
    inst = _instance(pillac_dir, full)
    problem = to_problem(inst)
    plan = plan_from_sequences(problem, _bks_sequences(inst, appendix[full]))
    assert validate(problem, plan) == []
    assert plan.unassigned == []
    bks = read_bks(pillac_dir / "bks.csv")[full]
    fig = plan_figures(inst, plan)
    assert fig.technicians == bks.vehicles
    assert fig.distance == pytest.approx(bks.distance, abs=1e-2)
    assert fig.duration == pytest.approx(bks.duration, abs=1e-2)


def test_bks_needs_the_depot(pillac_dir: Path, appendix: dict[str, list[TexRoute]]) -> None:
    # Without its depot visits the C101 BKS lacks tools or parts: the converter keeps them binding.
    full = "C101.100_25-5-5-5"
    inst = _instance(pillac_dir, full)
    problem = to_problem(inst)
    seqs = {
        e: [v for v in visits if not isinstance(v, DepotVisit)]
        for e, visits in _bks_sequences(inst, appendix[full]).items()
    }
    violations = validate(problem, plan_from_sequences(problem, seqs))
    assert violations
    assert all(
        "tool" in str(v).lower() or "part" in str(v).lower() or "stock" in str(v).lower()
        for v in violations
    ), violations[:3]
