"""Helpers of the service tests: the contract example, engine checks, polling."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


def example_problem() -> dict[str, Any]:
    """The contract's problem.example.json (a fresh copy)."""
    return json.loads((DATA / "problem.example.json").read_text())


def example_plan() -> dict[str, Any]:
    """The contract's plan.example.json, a valid plan of the example problem (a fresh copy)."""
    return json.loads((DATA / "plan.example.json").read_text())


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


