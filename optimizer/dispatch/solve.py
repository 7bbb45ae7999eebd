"""Entry point of the dispatch solver (being built: see issue 2)."""

from __future__ import annotations

from optimizer.dispatch.options import SolveOptions
from optimizer.models import Plan, Problem


def solve(problem: Problem, options: SolveOptions | None = None) -> Plan:
    """Plan ``problem``: a valid contract plan, every job placed or reported unassigned."""
    raise NotImplementedError("the dispatch solver is being built")
