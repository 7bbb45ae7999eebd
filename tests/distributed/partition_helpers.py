"""Problems for the partition tests and a check that the solver has landed."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from optimizer.models import Problem
from optimizer.synthetic import generate_problem

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contract"
if not CONTRACT.exists():
    CONTRACT = Path("/work/shared/contract")


def contract_problem() -> Problem:
    return Problem.model_validate(json.loads((CONTRACT / "problem.example.json").read_text()))


@functools.cache
def generated(n_jobs: int = 240, n_engineers: int = 24, seed: int = 3) -> Problem:
    return generate_problem(n_jobs, n_engineers, seed=seed)
