"""Preventive maintenance programme (``shared/contract/MAINTENANCE.md``).

Read a maintenance data directory, plan every visit due in the horizon on engineer-days
(CP-SAT week by week, exact day routes), write the plan, the notices and a summary.
"""

from optimizer.maintenance.data import MaintenanceData, read_maintenance_data
from optimizer.maintenance.plan import PmPlan, plan_greedy, plan_maintenance
from optimizer.maintenance.visits import PlanOptions, compile_problem

__all__ = [
    "MaintenanceData",
    "PlanOptions",
    "PmPlan",
    "compile_problem",
    "plan_greedy",
    "plan_maintenance",
    "read_maintenance_data",
]
