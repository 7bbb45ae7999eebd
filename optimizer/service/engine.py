"""The engine functions the service calls, looked up when called.

The service drives the same public functions a library user calls: ``optimizer.dispatch.solve``,
``optimizer.dispatcher.reoptimize.reoptimize``, ``optimizer.dispatcher.slots.offer_slots`` and
``optimizer.dispatcher.explain.explain_plan`` / ``objective_breakdown``. They are imported at
call time, so
the service starts even while one of them is missing; a call to a missing one raises
:class:`NotAvailable`, which the app answers with 501.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class NotAvailable(Exception):
    """An engine capability is not built (missing module or NotImplementedError)."""


def function_at(module: str, name: str) -> Any:
    """``module.name``, imported now (:class:`NotAvailable` when it is not in this build)."""
    return _function(module, name)


def _function(module: str, name: str) -> Any:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            raise NotAvailable(f"{module}.{name} is not available in this build") from exc
        raise
    fn = getattr(mod, name, None)
    if fn is None:
        raise NotAvailable(f"{module}.{name} is not available in this build")
    return fn


Target = tuple[str, str] | Callable[..., Any]


@dataclass(frozen=True)
class Engine:
    """Where each capability lives: ``(module, function)``, or a callable (tests wrap one)."""

    solve: Target = ("optimizer.dispatch", "solve")
    reoptimize: Target = ("optimizer.dispatcher.reoptimize", "reoptimize")
    offer_slots: Target = ("optimizer.dispatcher.slots", "offer_slots")
    explain_plan: Target = ("optimizer.dispatcher.explain", "explain_plan")
    objective_breakdown: Target = ("optimizer.dispatcher.explain", "objective_breakdown")

    def function(self, capability: str) -> Callable[..., Any]:
        """The function of ``capability`` (:class:`NotAvailable` if it is not there)."""
        target = getattr(self, capability)
        return target if callable(target) else _function(*target)

    def call(self, capability: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``capability``; NotImplementedError from it becomes :class:`NotAvailable`."""
        fn = self.function(capability)
        try:
            return fn(*args, **kwargs)
        except NotImplementedError as exc:
            name = getattr(fn, "__qualname__", capability)
            raise NotAvailable(f"{name}: {exc or 'not implemented yet'}") from exc
