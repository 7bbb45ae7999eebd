"""One exception hierarchy for the whole engine.

Input errors name the object, its id and the field, and say what is wrong; the CLI maps
each class to an exit code and never prints a traceback for bad input.
"""

from __future__ import annotations


class OptimizerError(Exception):
    """Base class of every error the engine raises on purpose."""

    exit_code = 1


class InputError(OptimizerError, ValueError):
    """Bad input data: a file, a row, an object or a field is wrong.

    ``problems`` holds every message found (or the first of them, when ``total`` says how
    many there were), so a caller sees all of them at once.
    """

    exit_code = 2

    def __init__(self, message: str | list[str], *, total: int | None = None):
        problems = [message] if isinstance(message, str) else list(message)
        self.problems = problems
        self.total = max(total or 0, len(problems))
        super().__init__(
            "; ".join(problems)
            if self.total <= 1
            else f"{self.total:,} problems:\n  - " + "\n  - ".join(problems)
        )


class InfeasibleError(OptimizerError):
    """The request cannot be met at all (not: some jobs are left out, which is a plan)."""

    exit_code = 3


class SolverError(OptimizerError):
    """The solver failed in a way that is not the input's fault."""

    exit_code = 4
