"""The service standards of kpis.json: definitions on hand-made cases."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from optimizer.batch.standards import (
    expected_stockout_pct,
    is_emergency,
    on_time_probability,
    service_standards,
)
from optimizer.models import Unassigned
from optimizer.parts.data import read_parts_data


def _line(kpis, key):
    return next(x for x in kpis["standards"] + kpis["figures"] if x["key"] == key)


def test_example_plan_meets_its_slas(example):
    problem, plan = example
    k = service_standards(problem, plan)
    em = _line(k, "emergency_on_site_4h")
    # J001 is critical, due 11:00, on site 08:07
    assert (em["count"], em["on_time"], em["value"], em["met"]) == (1, 1, 100.0, True)
    std = _line(k, "standard_within_24h")
    # J003 is the only other job with a due (15:00), started 10:44; J002/J004 have none
    assert (std["count"], std["on_time"], std["value"]) == (1, 1, 100.0)
    assert k["jobs_left_by_reason"] == {"no_qualified_engineer": 1}
    assert _line(k, "travel_km")["value"] == 31.06
    assert _line(k, "stockout_rate_expected")["value"] is None  # no parts data: n/a, not 0


def test_late_and_unplanned_emergencies_are_missed(example):
    problem, plan = example
    j001 = problem.jobs[0]
    early = j001.model_copy(update={"due": j001.time_windows[0].start + timedelta(minutes=5)})
    late_problem = problem.model_copy(update={"jobs": [early, *problem.jobs[1:]]})
    em = _line(service_standards(late_problem, plan), "emergency_on_site_4h")
    assert (em["on_time"], em["late"], em["value"], em["met"]) == (0, 1, 0.0, False)
    # J001 not planned at all: missed (its deadline is today)
    routes = [plan.routes[0].model_copy(update={"stops": plan.routes[0].stops[1:]}),
              plan.routes[1]]
    dropped = plan.model_copy(update={"routes": routes, "unassigned": [
        *plan.unassigned, Unassigned(job="J001", reason="capacity")]})
    em = _line(service_standards(problem, dropped), "emergency_on_site_4h")
    assert (em["count"], em["missed_unassigned"], em["value"]) == (1, 1, 0.0)


def test_unplanned_job_due_after_the_day_is_pending(example):
    problem, plan = example
    j003 = problem.jobs[2]
    later = j003.model_copy(update={"due": j003.due + timedelta(days=1)})
    p2 = problem.model_copy(update={"jobs": [*problem.jobs[:2], later, *problem.jobs[3:]]})
    stops = plan.routes[1].stops[:1]  # E02 does J004 only; J003 left
    route = plan.routes[1].model_copy(update={"stops": stops})
    plan2 = plan.model_copy(update={"routes": [plan.routes[0], route]})
    std = _line(service_standards(p2, plan2), "standard_within_24h")
    assert (std["count"], std["pending"], std["value"]) == (0, 1, None)


def test_emergency_by_kind(example):
    problem, _ = example
    job = problem.jobs[1].model_copy(update={"kind": "Emergency call-out"})
    assert is_emergency(job) and is_emergency(problem.jobs[0])
    assert not is_emergency(problem.jobs[1])


def test_stockout_rate_is_weighted_by_demand(parts_dir):
    parts = read_parts_data(parts_dir)
    weights = parts.demand.groupby("part")["qty"].sum()
    policy = pd.DataFrame({"location": ["D1", "D1"], "part": ["P-1001", "P-2002"],
                           "expected_stockout_rate": [0.02, 0.0]})
    expected = 100 * 0.02 * weights["P-1001"] / (weights["P-1001"] + weights["P-2002"])
    assert expected_stockout_pct(policy, parts) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    "mean, std, quantile, p",
    [
        (2.0, 0.0, 0.95, 1.0),  # no variability: always on time
        (21.0, 5.0, 0.95, 0.9713),  # quote ceil(21 + 1.645 x 5) = 30 d; under 30.5 d: Phi(1.9)
        (2.0, 0.5, 0.95, 0.9987),  # quote ceil(2.82) = 3 d: Phi(3)
        (2.0, 0.5, 0.5, 0.8413),  # quoting the mean: 2 d; on time under 2.5 d: Phi(1)
        (1.5, 0.5, 0.5, 0.9772),  # the mean rounds up to 2 d: Phi(2)
    ],
)
def test_on_time_probability(mean, std, quantile, p):
    assert on_time_probability(mean, std, quantile) == pytest.approx(p, abs=1e-4)


def test_on_time_supply_quotes_as_the_parts_engine_does():
    from optimizer.parts.simulate import QUOTE_QUANTILE

    assert on_time_probability(21.0, 5.0) == on_time_probability(21.0, 5.0, QUOTE_QUANTILE)
