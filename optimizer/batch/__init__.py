"""The nightly batch runner: plan tomorrow, order tonight, write the report.

``run_nightly(data_dir, date=..., time_limit_s=...)`` returns a :class:`NightlyResult`;
``write_atomic_dir(out_dir, result.files())`` publishes it. See ``docs/nightly.md``.
"""

from optimizer.batch.nightly import NightlyResult, StageTime, run_nightly
from optimizer.batch.outputs import verify, write_atomic_dir
from optimizer.batch.report import render_report

__all__ = ["NightlyResult", "StageTime", "render_report", "run_nightly", "verify",
           "write_atomic_dir"]
