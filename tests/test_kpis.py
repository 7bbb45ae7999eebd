"""KPIs of the contract example reproduce the example plan's numbers exactly."""

from __future__ import annotations

from examples import build, example_plan, example_problem

from optimizer.kpis import compute_kpis
from optimizer.models import Kpis, Plan, Problem


def _example() -> tuple[Problem, Plan]:
    return build(example_problem(), example_plan())


def test_example_kpis_reproduce_exactly() -> None:
    problem, plan = _example()
    kpis = compute_kpis(problem, plan.routes, plan.unassigned)
    for field in Kpis.model_fields:
        assert getattr(kpis, field) == getattr(plan.kpis, field), field


def test_example_extra_kpis() -> None:
    problem, plan = _example()
    kpis = compute_kpis(problem, plan.routes, plan.unassigned)
    extra = kpis.model_extra or {}
    assert extra["late_jobs"] == 0
    assert extra["depot_min"] == 10.0
    assert extra["break_min"] == 30.0
    assert extra["unassigned_by_priority"]["normal"] == 1  # J005


def test_late_job_and_overtime_counted() -> None:
    """Shift J001 to start after its due and E01 to return 20 min after shift end."""
    problem, plan = _example()
    r0 = plan.routes[0]
    j001 = r0.stops[0].model_copy(
        update={
            "start": r0.stops[0].start.replace(hour=11, minute=30),
            "end": r0.stops[0].start.replace(hour=12, minute=30),
        }
    )
    late_end = r0.end_time.replace(hour=17, minute=20)
    routes = [r0.model_copy(update={"stops": [j001, *r0.stops[1:]], "end_time": late_end})]
    kpis = compute_kpis(problem, routes + plan.routes[1:], plan.unassigned)
    assert kpis.on_time_pct == 50.0  # J001 late, J003 on time
    assert (kpis.model_extra or {})["lateness_min"] == 30.0
    assert kpis.overtime_min == 20.0
