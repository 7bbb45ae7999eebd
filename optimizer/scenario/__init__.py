"""What-if scenarios: change the base data, run the nightly plan, compare the KPIs."""

from optimizer.scenario.apply import apply_change, apply_changes
from optimizer.scenario.chart import write_comparison
from optimizer.scenario.compare import Comparison, compare_kpis
from optimizer.scenario.data import ScenarioData, load_base, write_data
from optimizer.scenario.models import Change, Region, Scenario
from optimizer.scenario.reader import read_scenario

__all__ = [
    "Change",
    "Comparison",
    "Region",
    "Scenario",
    "ScenarioData",
    "apply_change",
    "apply_changes",
    "compare_kpis",
    "load_base",
    "read_scenario",
    "write_comparison",
    "write_data",
]
