"""The seeded field-service generator: reproducible, contract-valid, realistic mix."""

from __future__ import annotations

from collections import Counter

from optimizer.models import Priority, Problem
from optimizer.synthetic import generate_problem


def test_same_seed_same_problem_and_other_seed_differs():
    a = generate_problem(60, 6, seed=3)
    b = generate_problem(60, 6, seed=3)
    c = generate_problem(60, 6, seed=4)
    assert a == b
    assert a != c


def test_problem_round_trips_through_contract_json():
    p = generate_problem(80, 8, seed=1)
    assert Problem.model_validate_json(p.model_dump_json(exclude_none=True)) == p


def test_mix_has_emergencies_due_within_four_hours_and_slots():
    p = generate_problem(400, 40, seed=2)
    kinds = Counter(j.kind for j in p.jobs)
    assert set(kinds) == {"emergency", "repair", "maintenance", "installation"}
    for j in p.jobs:
        if j.kind == "emergency":
            assert j.priority is Priority.CRITICAL
            assert j.due is not None
            assert (j.due - j.time_windows[0].start).total_seconds() == 4 * 3600
    assert any(len(j.time_windows) == 2 for j in p.jobs)
    assert any(j.required_parts for j in p.jobs)
    assert any(j.required_tools for j in p.jobs)
    assert all(e.shifts[0].breaks for e in p.engineers)


def test_without_parts_and_tools():
    p = generate_problem(50, 5, seed=1, parts=False, tools=False)
    assert not any(j.required_parts or j.required_tools for j in p.jobs)
    assert not any(e.van_stock or e.tools for e in p.engineers)
    assert not any(d.stock or d.tools for d in p.depots)


def test_catalogue_and_depot_stock_are_used():
    catalogue = {"P-A": "hvac", "P-B": "laundry"}
    stock = {"D-NORTH": {"P-A": 4}}
    p = generate_problem(100, 10, seed=5, parts_catalogue=catalogue, depot_stock=stock)
    used = {part for j in p.jobs for part in j.required_parts}
    assert used <= set(catalogue)
    north = next(d for d in p.depots if d.id == "D-NORTH")
    assert north.stock == {"P-A": 4}
