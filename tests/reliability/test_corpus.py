"""A generated corpus of malformed and extreme input (hypothesis): contract JSON for the CLI's
reader and the service, parts CSV files for the parts reader. Each is refused naming the field
(rc 2 / 4xx, the file, row and column for CSV) or accepted with every number finite and in range;
none ends in a traceback, a 5xx or a hang."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import parts_cases as pc
import pytest
from contract_cases import example_problem
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.compile import compile_problem
from optimizer.errors import InputError
from optimizer.io import parse_model
from optimizer.models import Plan, Problem
from optimizer.parts.data import MAX_QTY, read_parts_data
from optimizer.service.app import create_app
from optimizer.service.engine import Engine

EXTREME: list[Any] = [
    math.inf, -math.inf, math.nan, 1e308, -1e308, 1e20, -1, 0, 1e-300, 2**63, -(2**63), 10**30,
    "", "   ", "abc", None, [], {}, True, [[[[[]]]]], "x" * 10_000, 0.5, -0.0,
]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))] or [path]
    return [path]


# Fields that are maps of names (a skill, a part): any new key there is a valid name.
MAPPINGS = {"skills", "van_stock", "required_skills", "required_parts", "stock"}
BASE = example_problem()
PATHS = [p for p in _leaves(BASE) if p]


@st.composite
def broken_problems(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[Any, ...], str]:
    """(document, the path changed, how): a value replaced, a key removed or a key added."""
    doc = json.loads(json.dumps(BASE))
    path = draw(st.sampled_from(PATHS))
    how = draw(st.sampled_from(["value", "value", "value", "remove", "extra"]))
    parent: Any = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if how == "value":
        parent[last] = draw(st.sampled_from(EXTREME))
    elif how == "remove" and isinstance(parent, dict):
        del parent[last]
    elif isinstance(parent, dict):
        parent["unexpected_field"] = 1
        path = (*path[:-1], "unexpected_field")
    else:
        parent[last] = draw(st.sampled_from(EXTREME))
        how = "value"
    return doc, path, how


def _named(text: str, path: tuple[Any, ...]) -> bool:
    """Does an error text name ``path`` (its last name, or the list it is in)?"""
    names = [str(k) for k in path if isinstance(k, str)]
    return any(n in text for n in names[-2:]) if names else True


def _all_finite(node: Any) -> bool:
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, dict):
        return all(_all_finite(v) for v in node.values())
    if isinstance(node, list):
        return all(_all_finite(v) for v in node)
    return True


@settings(max_examples=150, deadline=None)
@given(broken_problems())
def test_problem_reader_refuses_naming_the_field_or_accepts_sane_values(case: Any) -> None:
    doc, path, how = case
    try:
        problem = parse_model(Problem, doc, source="problem.json")
    except InputError as exc:
        assert _named(str(exc), path), (path, how, str(exc))
        assert all(m.startswith("problem.json: ") for m in exc.problems)
        return
    # accepted: it must be sane all the way into the solver's numeric form
    assert how != "extra" or path[-2] in MAPPINGS, path
    assert _all_finite(problem.model_dump(mode="json"))
    compiled = compile_problem(problem)
    assert compiled.n_jobs == len(problem.jobs)


def _stub_solve(problem: Problem, options: Any) -> Plan:
    from optimizer.kpis import compute_kpis
    from optimizer.models import SolverInfo, Unassigned, UnassignedReason

    left = [Unassigned(job=j.id, reason=UnassignedReason.CAPACITY) for j in problem.jobs]
    return Plan(problem_id=problem.id, routes=[], unassigned=left,
                kpis=compute_kpis(problem, [], left), solver=SolverInfo(status="stub", wall_s=0))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("corpus") / "plans.db"
    with TestClient(create_app(f"sqlite:///{db}", engine=Engine(solve=_stub_solve))) as c:
        yield c


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(broken_problems())
def test_service_answers_4xx_naming_the_field_or_accepts(service: Any, case: Any) -> None:
    doc, path, how = case
    r = service.post("/plans", content=json.dumps({"problem": doc}),
                     headers={"Content-Type": "application/json"})
    assert r.status_code in (202, 400, 413, 422), r.text
    if r.status_code == 202:
        assert how != "extra" or path[-2] in MAPPINGS, path
        got = service.get(f"/plans/{r.json()['id']}")
        assert got.status_code == 200  # stored, and readable back
        return
    err = r.json()["error"]
    assert _named(json.dumps(err), path), (path, how, err)


# --------------------------------------------------------------------------- parts CSV

FILES = {"parts": pc.PARTS, "locations": pc.LOCATIONS, "stock": pc.STOCK}
CELLS = ["inf", "-inf", "nan", "NaN", "1e20", "1e400", "-1", "", " ", "abc", "1e-300",
         "99999999999", "1,5", "0x10", "true", "٣", "x" * 5000, "2031-01-01", "13/01/2025"]


@st.composite
def broken_parts(draw: st.DrawFn) -> tuple[str, int, str, str, dict[str, str]]:
    """(file, data row (0-based), column, new cell, the files' texts)."""
    texts = dict(FILES)
    texts["demand"] = "\n".join(["date,location,part,qty", *pc.demand_rows()]) + "\n"
    name = draw(st.sampled_from(sorted(texts)))
    lines = texts[name].strip("\n").split("\n")
    header = lines[0].split(",")
    row = draw(st.integers(0, len(lines) - 2))
    col = draw(st.integers(0, len(header) - 1))
    cell = draw(st.sampled_from(CELLS))
    cells = lines[row + 1].split(",")
    cells[col] = cell
    lines[row + 1] = ",".join(cells)
    texts[name] = "\n".join(lines) + "\n"
    return name, row, header[col], cell, texts


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(broken_parts())
def test_parts_reader_refuses_with_file_row_column_or_accepts_sane_values(
    tmp_path: Path, case: Any
) -> None:
    name, row, column, cell, texts = case
    target = tmp_path / "data"
    pc.write(target, **texts)
    try:
        data = read_parts_data(target)
    except InputError as exc:
        text = str(exc)
        named = f"{name}.csv row {row + 1}" in text and (column in text or "fields" in text)
        graph = name == "locations" and "supply" in text  # a broken supply chain, named by id
        unknown = "unknown" in text  # an id another file then cannot find, named there
        assert named or graph or unknown, (name, row, column, cell, text)
        return
    for table in (data.parts, data.locations, data.stock, data.lead_times, data.on_order):
        for item in table:
            assert _all_finite(item.model_dump(mode="json"))
    qty = data.demand["qty"].to_numpy()
    assert ((qty >= 0) & (qty <= MAX_QTY)).all()
