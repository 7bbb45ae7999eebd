"""The dispatch solver: engineers to jobs, and the order of their visits.

``solve`` is the engine portfolio (``optimizer.dispatch.engines.portfolio``): OR-Tools, VROOM
and PyVRP behind one function, chosen by ``SolveOptions.engine``.
"""

from optimizer.dispatch.engines.portfolio import solve
from optimizer.dispatch.options import SolveOptions, Stability

__all__ = ["SolveOptions", "Stability", "solve"]
