"""Routing engines behind the one public ``solve``: OR-Tools, VROOM and PyVRP.

Each engine has one adapter module here, the only module that imports it:
``ortools`` (our routing model, ``optimizer.dispatch.model``, with its search and repair),
``vroom`` (pyvroom) and ``pyvrp``. An external engine's adapter compiles the contract through
the compiled numeric form (``optimizer.compile``) into the engine's model, solves under a
time limit (or an iteration / work limit, for reproducible plans) and reads the routes back as
:class:`EngineRoutes`: job indices in visiting order per shift. ``realise`` turns those into a
contract plan with our own insertion layer, which knows the whole contract (exact times,
breaks, depot detours for parts and tools, shared depot stock); ``portfolio`` runs the
engines, repairs and compares their plans, and returns the best by the tier order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINES = ("ortools", "vroom", "pyvrp")
"""Engine names, in the fixed order the portfolio runs and compares them."""


@dataclass(frozen=True)
class EngineRoutes:
    """What an engine planned: per flat shift index, job indices in visiting order.

    ``status`` is the engine's word for how it ended (``solved``, ``declined`` when the
    adapter cannot express the problem within its limits, ``failed``); ``detail`` says why;
    ``info`` carries the engine's own figures (wall time, cost, iterations).
    """

    engine: str
    routes: dict[int, list[int]] = field(default_factory=dict)
    breaks_before: dict[int, list[int]] = field(default_factory=dict)  # per job of a route:
    # how many of the shift's breaks the engine placed before it (engines that place breaks)
    status: str = "solved"
    detail: str = ""
    info: dict[str, object] = field(default_factory=dict)


class EngineDeclined(Exception):
    """The adapter cannot express this problem within its limits (e.g. PyVRP's memory)."""
