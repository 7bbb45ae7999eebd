"""The monthly service report's standards (``monthly_kpis.json``, shared/contract/MAINTENANCE.md).

A job counts in the calendar month of its ``reported_at`` in the organisation's time zone;
maintenance counts in the month of its ``completed_at`` (not completed: of its ``due_date``,
the month it was missed in; without either, of its ``reported_at``). Each standard:

- ``response_1h``: jobs with ``responded_at``; met when responded within 60 min of
  ``reported_at``;
- ``emergency_on_site_4h``: priority ``critical`` (planned maintenance is no emergency whatever
  its priority); on site within 240 min; never visited = missed;
- ``repair_on_site_24h``: kind ``repair``, not critical; on site within 24 h; never visited =
  missed;
- ``pm_compliance``: maintenance with a ``due_date``; completed (local date) on or before it;
  not completed = missed;
- ``first_time_fix``: jobs with ``first_time_fix`` given; ``true``;
- ``parts_on_time``: units of ``parts_needed`` (jobs with ``parts_on_time`` given); units on
  time; ``count`` in units;
- ``stockout_rate``: units of demand in the parts engine's records (``--stockout``), else null;
- ``satisfaction``: jobs with a score; 4 or 5.

Values are percentages rounded to 2 decimals; ``met`` compares the unrounded share. A standard
with nothing to count has ``value`` null and a ``note`` saying why; rows a standard leaves out
for a missing fact are counted in its ``note``, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from optimizer.errors import InputError
from optimizer.report.history import History, ServiceRecord
from optimizer.report.stockout import StockoutSource

Month = str  # "YYYY-MM"


@dataclass(frozen=True)
class Standard:
    """A service standard: key, label, target (in %) and the direction it is met in."""

    key: str
    label: str
    target: float
    target_op: str  # ">=" or "<="
    definition: str


STANDARDS: tuple[Standard, ...] = (
    Standard("response_1h", "Response within 1 h", 100.0, ">=",
             "responded_at - reported_at <= 60 min, over jobs with responded_at"),
    Standard("emergency_on_site_4h", "Emergencies on site within 4 h", 100.0, ">=",
             "critical jobs (not maintenance): arrived_at - reported_at <= 240 min; "
             "never visited = missed"),
    Standard("repair_on_site_24h", "Other repairs on site within 24 h", 100.0, ">=",
             "repairs not critical: arrived_at - reported_at <= 24 h; never visited = missed"),
    Standard("pm_compliance", "Maintenance done by its due date", 100.0, ">=",
             "maintenance with a due_date: completed_at (local date) <= due_date; "
             "not completed = missed"),
    Standard("first_time_fix", "First-time fix", 95.0, ">=",
             "share of first_time_fix true, where given"),
    Standard("parts_on_time", "Parts on time", 98.0, ">=",
             "sum parts_on_time / sum parts_needed (units)"),
    Standard("stockout_rate", "Stockout rate", 1.0, "<=",
             "units short / units demanded, from the parts engine's backtest or records"),
    Standard("satisfaction", "Satisfied customers (4 or 5 of 5)", 90.0, ">=",
             "share of scores 4 or 5 among jobs with a score"),
)
BY_KEY = {s.key: s for s in STANDARDS}


@dataclass(frozen=True)
class Miss:
    """A job that missed a standard, and by how much (``why``)."""

    job: str
    customer: str
    priority: str
    kind: str
    reported_at: str
    why: str


@dataclass(frozen=True)
class Result:
    """One standard over one month."""

    standard: Standard
    good: float
    count: float
    missed: tuple[Miss, ...] = ()
    note: str | None = None
    value_override: float | None = None  # a rate given as such (stockout)

    @property
    def value(self) -> float | None:
        if self.value_override is not None:
            return round(self.value_override, 2)
        return None if self.count <= 0 else round(100.0 * self.good / self.count, 2)

    @property
    def met(self) -> bool | None:
        if self.value_override is not None:
            share = self.value_override
        elif self.count <= 0:
            return None
        else:
            share = 100.0 * self.good / self.count
        t = self.standard.target
        return share >= t - 1e-9 if self.standard.target_op == ">=" else share <= t + 1e-9

    def to_json(self) -> dict[str, Any]:
        s = self.standard
        count: float | int = int(self.count) if float(self.count).is_integer() else self.count
        out: dict[str, Any] = {
            "key": s.key, "label": s.label, "value": self.value, "unit": "%",
            "target": s.target, "target_op": s.target_op, "met": self.met, "count": count,
            "missed": [m.job for m in self.missed],
        }
        if self.note:
            out["note"] = self.note
        return out


# --------------------------------------------------------------------------- months


def month_key(d: date) -> Month:
    return f"{d.year:04d}-{d.month:02d}"


def parse_month(text: str) -> Month:
    """``2026-10`` (checked)."""
    t = text.strip()
    try:
        if len(t) != 7 or t[4] != "-":
            raise ValueError
        date(int(t[:4]), int(t[5:]), 1)
    except ValueError:
        raise InputError(f"--month {text!r}: write the month as YYYY-MM (e.g. 2026-10)") from None
    return t


def next_month(m: Month) -> Month:
    y, mo = int(m[:4]), int(m[5:])
    return f"{y + (mo == 12):04d}-{mo % 12 + 1:02d}"


def month_of(r: ServiceRecord, tz: tzinfo) -> Month:
    """The month a job counts in (see module docstring)."""
    if r.is_maintenance:
        if r.completed_at is not None:
            return month_key(r.completed_at.astimezone(tz).date())
        if r.due_date is not None:
            return month_key(r.due_date)
    return month_key(r.reported_at.astimezone(tz).date())


def last_recorded(history: History) -> datetime:
    """The latest time anywhere in the history (reported, responded, arrived, completed)."""
    times = [t for r in history.records
             for t in (r.reported_at, r.responded_at, r.arrived_at, r.completed_at)
             if t is not None]
    return max(times)


def months_covered(history: History, tz: tzinfo) -> list[Month]:
    """Every month from the first to the last a job counts in (empty months included)."""
    keys = sorted({month_of(r, tz) for r in history.records})
    out = [keys[0]]
    while out[-1] < keys[-1]:
        out.append(next_month(out[-1]))
    return out


def last_complete_month(history: History, tz: tzinfo) -> tuple[Month, str]:
    """The latest month that ended before the history's last recorded time, and a sentence
    saying so (the latest month, said to be incomplete, when no month ended before it)."""
    end = last_recorded(history).astimezone(tz)
    covered = months_covered(history, tz)
    complete = [m for m in covered if next_month(m) <= month_key(end.date())]
    if complete:
        return complete[-1], (f"the last complete month in the history (it runs to "
                              f"{end.date().isoformat()})")
    return covered[-1], (f"no month of the history is complete (it runs to "
                         f"{end.date().isoformat()}): the latest, incomplete")


# --------------------------------------------------------------------------- standards


def _miss(r: ServiceRecord, why: str, tz: tzinfo) -> Miss:
    return Miss(r.job, r.customer, r.priority, r.kind,
                r.reported_at.astimezone(tz).isoformat(timespec="minutes"), why)


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60.0


def _fmt_wait(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


def _left_out(n: int, what: str) -> str | None:
    return None if n == 0 else f"{n} job{'s' if n != 1 else ''} {what}: not counted"


Measured = tuple[float, float, list[Miss], str | None]  # good, count, missed, note


def _response(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
    counted = [r for r in rs if r.responded_at is not None]
    missed = []
    for r in counted:
        wait = _minutes(r.reported_at, r.responded_at)  # type: ignore[arg-type]
        if wait > 60 + 1e-9:
            missed.append(_miss(r, f"responded after {_fmt_wait(wait)}", tz))
    note = _left_out(len(rs) - len(counted), "without responded_at")
    return len(counted) - len(missed), len(counted), missed, note


def _on_site(limit_min: int) -> Callable[..., Measured]:
    def measure(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
        missed = []
        for r in rs:
            if r.arrived_at is None:
                missed.append(_miss(r, "never visited", tz))
                continue
            wait = _minutes(r.reported_at, r.arrived_at)
            if wait > limit_min + 1e-9:
                missed.append(_miss(r, f"on site after {_fmt_wait(wait)}", tz))
        return len(rs) - len(missed), len(rs), missed, None
    return measure


def _pm(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
    counted = [r for r in rs if r.due_date is not None]
    missed = []
    for r in counted:
        assert r.due_date is not None
        if r.completed_at is None:
            missed.append(_miss(r, f"not completed (due {r.due_date.isoformat()})", tz))
            continue
        done = r.completed_at.astimezone(tz).date()
        late = (done - r.due_date).days
        if late > 0:
            missed.append(_miss(r, f"completed {done.isoformat()}, {late} day"
                                   f"{'s' if late != 1 else ''} after its due date "
                                   f"{r.due_date.isoformat()}", tz))
    note = _left_out(len(rs) - len(counted), "of maintenance without due_date")
    return len(counted) - len(missed), len(counted), missed, note


def _first_time_fix(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
    counted = [r for r in rs if r.first_time_fix is not None]
    missed = [_miss(r, "not fixed at the first visit", tz) for r in counted
              if not r.first_time_fix]
    return len(counted) - len(missed), len(counted), missed, None


def _parts(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
    needed = [r for r in rs if r.parts_needed]
    counted = [r for r in needed if r.parts_on_time is not None]
    good = sum(r.parts_on_time or 0 for r in counted)
    units = sum(r.parts_needed or 0 for r in counted)
    missed = [_miss(r, f"{r.parts_on_time} of {r.parts_needed} units on time", tz)
              for r in counted if (r.parts_on_time or 0) < (r.parts_needed or 0)]
    note = _left_out(len(needed) - len(counted), "needing parts without parts_on_time")
    return good, units, missed, note


def _satisfaction(rs: Sequence[ServiceRecord], tz: tzinfo) -> Measured:
    counted = [r for r in rs if r.satisfaction is not None]
    missed = [_miss(r, f"scored {r.satisfaction} of 5", tz) for r in counted
              if (r.satisfaction or 0) < 4]
    return len(counted) - len(missed), len(counted), missed, None


def _is_emergency(r: ServiceRecord) -> bool:
    return r.priority == "critical" and not r.is_maintenance


_MEASURES: dict[str, tuple[Callable[[ServiceRecord], bool], Callable[..., Any], str]] = {
    "response_1h": (lambda r: True, _response, "no job with responded_at"),
    "emergency_on_site_4h": (_is_emergency, _on_site(240), "no critical job reported"),
    "repair_on_site_24h": (lambda r: r.kind == "repair" and not _is_emergency(r),
                           _on_site(24 * 60), "no repair (other than critical) reported"),
    "pm_compliance": (lambda r: r.is_maintenance, _pm, "no maintenance with a due date"),
    "first_time_fix": (lambda r: True, _first_time_fix, "no job with first_time_fix given"),
    "parts_on_time": (lambda r: True, _parts, "no job needed parts"),
    "satisfaction": (lambda r: True, _satisfaction, "no job with a satisfaction score"),
}


def evaluate(standard: Standard, records: Sequence[ServiceRecord], month: Month, tz: tzinfo,
             stockout: StockoutSource | None = None) -> Result:
    """``standard`` over the ``records`` that count in ``month``."""
    if standard.key == "stockout_rate":
        return _stockout(standard, month, stockout)
    belongs, measure, empty = _MEASURES[standard.key]
    rs = [r for r in records if belongs(r)]
    good, count, missed, note = measure(rs, tz)
    if count <= 0:
        why = f"{empty} in {month}"
        note = f"{why}; {note}" if note else why
    return Result(standard, float(good), float(count), tuple(missed), note)


def _stockout(standard: Standard, month: Month, source: StockoutSource | None) -> Result:
    if source is None:
        return Result(standard, 0.0, 0.0, note="no stockout records given (--stockout: the "
                      "parts engine's backtest.csv, monthly records, or a rate)")
    figure = source.for_month(month)
    if figure is None:
        return Result(standard, 0.0, 0.0, note=f"{source.describe()}: nothing for {month}")
    rate_pct, units = figure
    return Result(standard, 0.0, units, value_override=rate_pct, note=source.note(month))


@dataclass(frozen=True)
class MonthReport:
    """The standards of one month, and the same for every month the history covers."""

    month: Month
    month_reason: str
    utc_offset: str
    source: str
    jobs: int  # history rows counting in the month
    results: tuple[Result, ...]
    trend: dict[Month, tuple[Result, ...]] = field(default_factory=dict)
    incomplete: dict[Month, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "standards": [r.to_json() for r in self.results],
                "month_chosen": self.month_reason, "utc_offset": self.utc_offset,
                "history": self.source, "jobs_in_month": self.jobs}


def offset_text(tz: tzinfo) -> str:
    off = datetime(2000, 1, 1, tzinfo=tz).utcoffset()
    assert off is not None
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def standards_for(records: Iterable[ServiceRecord], month: Month, tz: tzinfo,
                  stockout: StockoutSource | None = None) -> tuple[Result, ...]:
    """Every standard over the records counting in ``month``."""
    rs = [r for r in records if month_of(r, tz) == month]
    return tuple(evaluate(s, rs, month, tz, stockout) for s in STANDARDS)


def monthly_report(history: History, *, month: Month | None = None, tz: tzinfo | None = None,
                   stockout: StockoutSource | None = None) -> MonthReport:
    """The month's standards (default: the last complete month) and their trend."""
    tz = tz or history.first_offset()
    covered = months_covered(history, tz)
    if month is None:
        month, reason = last_complete_month(history, tz)
    else:
        month = parse_month(month)
        if month not in covered:
            raise InputError(f"--month {month}: the history {history.source} covers "
                             f"{covered[0]} to {covered[-1]} (in UTC{offset_text(tz)})")
        reason = "given (--month)"
    end = last_recorded(history).astimezone(tz).date()
    first = min(r.reported_at.astimezone(tz).date() for r in history.records)
    incomplete = {}
    if month_key(first) == covered[0] and first.day != 1:
        incomplete[covered[0]] = f"the history starts on {first.isoformat()}"
    for m in covered:
        if next_month(m) > month_key(end):
            incomplete[m] = f"the history runs to {end.isoformat()}"
    trend = {m: standards_for(history.records, m, tz, stockout) for m in covered}
    jobs = sum(1 for r in history.records if month_of(r, tz) == month)
    return MonthReport(month=month, month_reason=reason, utc_offset=offset_text(tz),
                       source=history.source, jobs=jobs, results=trend[month], trend=trend,
                       incomplete=incomplete)
