"""Run the base and every scenario through the nightly batch, in parallel, and compare.

Each run is a task of its own: the scenario's data (base with the changes applied) is
written to a scratch directory on the worker, ``optimizer.batch.run_nightly`` plans it, and
the outputs come back as bytes, so a remote cluster needs no shared disk. The client writes
``OUT_DIR/<run>/`` (the nightly outputs plus ``data/``, the scenario's input) and the
comparison files.

Stock budget: when a scenario changes it, every run (the base too) is also planned by the parts
engine's system view (``optimizer.parts.plan.plan_policy(budget=...)``) at its budget; the
budget of a run without the change is the base's policy investment, that of a ``factor`` is the
factor times it. The results appear as ``stock_budget.*`` KPIs.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.batch.nightly import run_nightly
from optimizer.distributed import ExecutorSpec, mapper
from optimizer.errors import InputError, OptimizerError
from optimizer.io import write_text_atomic
from optimizer.parts.data import read_parts_data
from optimizer.parts.plan import plan_policy
from optimizer.parts.system import expected_system_stockout_rate, steps_for_budget
from optimizer.scenario.apply import apply_changes
from optimizer.scenario.chart import write_comparison
from optimizer.scenario.compare import BASE, Comparison, compare_kpis
from optimizer.scenario.data import ScenarioData, load_base, write_data
from optimizer.scenario.models import Scenario
from optimizer.scenario.reader import read_scenario


@dataclass(frozen=True)
class RunSpec:
    """One run to do: a name, its data and the solve settings (picklable)."""

    name: str
    data: ScenarioData
    time_limit_s: float = 30.0
    seed: int = 0
    max_solutions: int | None = None


@dataclass(frozen=True)
class RunOutcome:
    """What a run gave back: the nightly KPIs and files, or the error that stopped it."""

    name: str
    kpis: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    investment: float | None = None
    wall_s: float = 0.0
    error: str | None = None


def run_one(spec: RunSpec) -> RunOutcome:
    """Plan one run with the nightly batch (runs on a worker)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"scenario-{spec.name}-") as tmp:
        write_data(spec.data, tmp)
        try:
            result = run_nightly(tmp, time_limit_s=spec.time_limit_s, seed=spec.seed,
                                 max_solutions=spec.max_solutions)
        except OptimizerError as exc:
            return RunOutcome(name=spec.name, error=f"{type(exc).__name__}: {exc}",
                              wall_s=time.perf_counter() - t0)
    investment = None
    kpis = dict(result.kpis)
    if result.policy is not None and "investment" in result.policy.columns:
        investment = float(result.policy["investment"].sum())
        kpis["parts"] = {
            "policy_investment": round(investment, 2),
            "order_lines": 0 if result.orders is None else len(result.orders),
        }
    return RunOutcome(name=spec.name, kpis=kpis, files=result.files(),
                      investment=investment, wall_s=time.perf_counter() - t0)


@dataclass(frozen=True)
class BudgetSpec:
    name: str
    data: ScenarioData
    budget: float


def budget_view(spec: BudgetSpec) -> dict[str, Any]:
    """The system view at a budget: what it invests and the stockout rate it expects."""
    with tempfile.TemporaryDirectory(prefix=f"budget-{spec.name}-") as tmp:
        write_data(spec.data, tmp)
        try:
            result = plan_policy(read_parts_data(tmp), budget=spec.budget)
        except (OptimizerError, ValueError) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
    assert result.curve is not None
    k = steps_for_budget(result.curve, spec.budget)
    return {
        "budget": round(spec.budget, 2),
        "investment": round(float(result.table["investment"].sum()), 2),
        "expected_stockout_rate_pct": round(
            100.0 * expected_system_stockout_rate(result.curve, k), 4),
    }


def _budget_of(data: ScenarioData, base_investment: float) -> float:
    if "stock_budget" in data.settings:
        return float(data.settings["stock_budget"])
    return float(data.settings.get("stock_budget_factor", 1.0)) * base_investment


def load_scenarios(paths: Sequence[str | Path]) -> tuple[list[Scenario], Path]:
    """Read scenario files; all must share one base directory and have distinct names."""
    if not paths:
        raise InputError("no scenario file given")
    scenarios = [read_scenario(p) for p in paths]
    bases = sorted({s.base for s in scenarios})
    if len(bases) > 1:
        raise InputError("scenario files name different base directories "
                         f"({', '.join(bases)}); run each base separately")
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1} | ({BASE} & set(names)))
    if dup:
        raise InputError(f"scenario names must be distinct and not {BASE!r}: {', '.join(dup)}")
    return scenarios, Path(bases[0])


def run_scenarios(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    executor: ExecutorSpec = None,
    workers: int | None = None,
    scheduler: str | None = None,
    time_limit_s: float = 30.0,
    seed: int = 0,
    max_solutions: int | None = None,
    progress: Any = None,
) -> tuple[Comparison, list[RunOutcome]]:
    """Run the base and each scenario file, write OUT_DIR, return the comparison and runs."""
    say = progress or (lambda _msg: None)
    scenarios, base_dir = load_scenarios(paths)
    base = load_base(base_dir)
    datas = {BASE: base}
    for s in scenarios:
        datas[s.name] = apply_changes(base, s.changes)
    descriptions = {BASE: f"base data {base_dir}"} | {
        s.name: s.description or ", ".join(c.type for c in s.changes) for s in scenarios}
    specs = [RunSpec(name=n, data=d, time_limit_s=time_limit_s, seed=seed,
                     max_solutions=max_solutions) for n, d in datas.items()]
    say(f"[scenario] {len(specs)} runs ({', '.join(datas)})")
    t0 = time.perf_counter()
    with mapper(executor, workers=workers, scheduler=scheduler) as run:
        outcomes = run(run_one, specs)
        say(f"[scenario] nightly runs done in {time.perf_counter() - t0:.1f} s")
        kpis = {o.name: dict(o.kpis) for o in outcomes}
        needs_budget = any("stock_budget" in d.settings or "stock_budget_factor" in d.settings
                           for d in datas.values())
        base_out = outcomes[0]
        if needs_budget and base_out.investment is not None:
            bspecs = [BudgetSpec(n, d, _budget_of(d, base_out.investment))
                      for (n, d), o in zip(datas.items(), outcomes, strict=True)
                      if o.error is None]
            for spec, view in zip(bspecs, run(budget_view, bspecs), strict=True):
                kpis[spec.name]["stock_budget"] = view
            say(f"[scenario] budget views done in {time.perf_counter() - t0:.1f} s")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for (name, data), o in zip(datas.items(), outcomes, strict=True):
        run_dir = out / name
        write_data(data, run_dir / "data")
        for fname, content in o.files.items():
            (run_dir / fname).write_bytes(content)
        if o.error is not None:
            write_text_atomic(run_dir / "error.txt", o.error + "\n")
    for s in scenarios:
        write_text_atomic(out / s.name / "scenario.json", s.model_dump_json(indent=1) + "\n")
    comparison = compare_kpis({o.name: kpis[o.name] for o in outcomes}, BASE, descriptions)
    write_comparison(comparison, out)
    return comparison, outcomes
