"""Field-service dispatch and spare-parts optimisation engine.

The public API, flat::

    from optimizer import read_problem, solve, SolveOptions, validate
    problem = read_problem("problem.json")
    plan = solve(problem, SolveOptions(time_limit_s=30))
    assert not validate(problem, plan)

The contract models and ``read_problem``/``validate`` load with the package; the engines
(``solve`` with OR-Tools, ``plan_policy`` with pandas, ...) load when first used, so that
``import optimizer`` and the command line start quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from optimizer.io import read_plan, read_problem
from optimizer.models import Plan, Problem
from optimizer.validate import validate

__version__ = "0.1.0"

# name -> module that defines it, imported on first use (start-up time: OR-Tools, pandas)
_LAZY = {
    "solve": "optimizer.dispatch",
    "SolveOptions": "optimizer.dispatch",
    "Stability": "optimizer.dispatch",
    "reoptimize": "optimizer.dispatcher",
    "ReoptimizeOptions": "optimizer.dispatcher",
    "Events": "optimizer.dispatcher",
    "plan_policy": "optimizer.parts.plan",
    "run_nightly": "optimizer.batch",
    "plan_maintenance": "optimizer.maintenance",
    "read_maintenance_data": "optimizer.maintenance",
}

__all__ = [
    "Events", "Plan", "Problem", "ReoptimizeOptions", "SolveOptions", "Stability",
    "plan_maintenance", "plan_policy", "read_maintenance_data", "read_plan", "read_problem",
    "reoptimize", "run_nightly", "solve", "validate",
]

if TYPE_CHECKING:
    from optimizer.batch import run_nightly
    from optimizer.dispatch import SolveOptions, Stability, solve
    from optimizer.dispatcher import Events, ReoptimizeOptions, reoptimize
    from optimizer.maintenance import plan_maintenance, read_maintenance_data
    from optimizer.parts.plan import plan_policy


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
