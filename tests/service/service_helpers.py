"""Helpers of the service tests: the contract example, engine checks, polling."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optimizer.models import Problem

DATA = Path(__file__).resolve().parent / "data"


def example_problem() -> dict[str, Any]:
    """The contract's problem.example.json (a fresh copy)."""
    return json.loads((DATA / "problem.example.json").read_text())


def example_plan() -> dict[str, Any]:
    """The contract's plan.example.json, a valid plan of the example problem (a fresh copy)."""
    return json.loads((DATA / "plan.example.json").read_text())


def solver_missing() -> str | None:
    """Why the real dispatch solver cannot run here (None when it can): checked at run time."""
    from optimizer.dispatch import SolveOptions, solve

    problem = Problem.model_validate(example_problem())
    try:
        solve(problem, SolveOptions(time_limit_s=1.0, max_solutions=1))
    except NotImplementedError as exc:
        return f"the dispatch solver is not built yet (NotImplementedError: {exc})"
    return None


def reoptimize_missing() -> str | None:
    """Why the real re-optimisation cannot run here (None when it can)."""
    try:
        from optimizer.dispatcher.reoptimize import reoptimize  # noqa: F401
    except ImportError as exc:
        return f"optimizer.dispatcher.reoptimize is not there yet ({exc})"
    return solver_missing()


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy (an Event with a timeout, not a sleep loop)."""
    tick = threading.Event()
    deadline_hits = int(timeout / 0.02)
    for _ in range(deadline_hits):
        value = predicate()
        if value:
            return value
        tick.wait(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


