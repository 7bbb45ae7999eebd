"""The dispatcher's day: events, re-optimisation in seconds, explanations and slot offers.

``reoptimize(problem, plan, events)`` applies the day's events to the dispatched plan
(:mod:`~optimizer.dispatcher.reoptimize`); ``explain_plan`` says what would place each
unassigned job; ``offer_slots`` what can be promised to a new one.
"""

from optimizer.dispatcher.diff import compute_diff
from optimizer.dispatcher.events import Diff, Events
from optimizer.dispatcher.explain import explain_plan, objective_breakdown
from optimizer.dispatcher.options import ReoptimizeOptions
from optimizer.dispatcher.reoptimize import reoptimize
from optimizer.dispatcher.slots import offer_slots

__all__ = ["Diff", "Events", "ReoptimizeOptions", "compute_diff", "explain_plan",
           "objective_breakdown", "offer_slots", "reoptimize"]
