"""The dispatch solver: engineers to jobs, and the order of their visits."""

from optimizer.dispatch.options import SolveOptions, Stability
from optimizer.dispatch.solve import solve

__all__ = ["SolveOptions", "Stability", "solve"]
