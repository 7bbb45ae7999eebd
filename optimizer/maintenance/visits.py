"""From the installed base to the visits to plan: due dates, windows and customer visits.

Each asset due in the horizon gets its due date (``last_pm_date + cycle``, or today when never
maintained or overdue). Assets of one customer at one site whose windows overlap become one
customer visit (one trip, one notice). The result is compiled once into :class:`PmProblem`,
with integer day numbers (0 = today) and a travel matrix over sites and engineers' homes, which
the planners read and never change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from optimizer.maintenance.data import Asset, MaintenanceData, Notice, PmEngineer, Slot
from optimizer.models import Location
from optimizer.travel import TravelMatrix, travel_matrix

NEVER = 10**6  # a certificate that does not expire, as a day number
MIN_CREW = 4  # engineers who must be able to do a merged visit (if as many can do its parts)


@dataclass(frozen=True)
class PlanOptions:
    """How to plan: the contract's notice period, the horizon and the search's limits."""

    horizon_days: int = 120
    notice_days: int = 30
    early_days: int = 28  # a new visit is at most this many days before its due date
    neighbours: int = 5  # engineers considered per visit: the nearest qualified ones
    time_limit_s: float = 60.0  # the whole run: week models, then the local search
    workers: int = 1
    seed: int = 0


@dataclass(frozen=True)
class DueAsset:
    asset: Asset
    due_date: dt.date  # as written: today when never maintained or overdue
    overdue: bool


@dataclass(frozen=True)
class Visit:
    """One customer visit to plan: assets at one site, one slot, a window of day numbers."""

    index: int
    customer: str
    site: int  # point index in the travel matrix
    slot: Slot
    assets: tuple[str, ...]
    duration_min: int
    skills: dict[str, int]
    due: int  # day number of the earliest due date among the assets
    lo: int  # first day allowed
    last: int  # last day allowed at all (horizon, contract end); late after ``due``
    critical: bool
    short_notice: bool
    fixed_day: int | None = None  # announced: the day is kept
    fixed_engineer: int | None = None  # announced engineer (None: anyone qualified)


@dataclass(frozen=True)
class Unplannable:
    asset: str
    reason: str


@dataclass(frozen=True)
class PmProblem:
    """Everything the planners need, in day numbers and point indices."""

    today: dt.date
    options: PlanOptions
    engineers: tuple[PmEngineer, ...]
    home: np.ndarray  # engineer -> point index
    capacity: np.ndarray  # engineer -> PM minutes per day
    works: np.ndarray  # bool [engineer, day 0..H]
    travel: TravelMatrix  # over points: sites then homes
    points: tuple[Location, ...]
    visits: tuple[Visit, ...]
    holders: tuple[tuple[int, ...], ...]  # visit -> engineers holding its skills
    expiry: dict[tuple[int, int], int]  # (visit, engineer) -> last certified day number
    due_assets: tuple[DueAsset, ...]
    unplannable: tuple[Unplannable, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def horizon(self) -> int:
        return self.options.horizon_days

    def date(self, day: int) -> dt.date:
        return self.today + dt.timedelta(days=day)

    def qualified(self, v: int, e: int, day: int) -> bool:
        """Engineer ``e`` works on ``day`` and holds visit ``v``'s skills, certified then."""
        return bool(self.works[e, day]) and self.expiry.get((v, e), -1) >= day

    def rt(self, e: int, site: int) -> int:
        """Minutes of the round trip home -> site -> home."""
        h = int(self.home[e])
        return int(self.travel.minutes[h, site]) + int(self.travel.minutes[site, h])


def due_assets(data: MaintenanceData, today: dt.date, horizon_days: int
               ) -> tuple[list[DueAsset], list[str]]:
    """Assets whose next visit is due by ``today + horizon_days``, overdue ones included.

    Announced assets are kept even when due later (their notice stands). Returns the due
    assets and notes on announced visits dated before today (ignored: the visit is past).
    """
    end = today + dt.timedelta(days=horizon_days)
    announced = {n.asset for n in data.notices if n.visit_date >= today}
    out: list[DueAsset] = []
    for a in data.assets:
        nominal = a.last_pm_date + dt.timedelta(days=a.cycle) if a.last_pm_date else None
        overdue = nominal is None or nominal < today
        due = today if overdue or nominal is None else nominal
        if due <= end or a.asset in announced:
            out.append(DueAsset(asset=a, due_date=due, overdue=overdue))
    past = [n for n in data.notices if n.visit_date < today]
    notes = []
    if past:
        notes.append(f"{len(past)} announced visit(s) dated before {today} ignored (past; "
                     f"update last_pm_date): " + ", ".join(n.asset for n in past[:10])
                     + (" ..." if len(past) > 10 else ""))
    return out, notes


def _calendar(data: MaintenanceData, today: dt.date, days: int) -> np.ndarray:
    absent = data.absent()
    works = np.zeros((len(data.engineers), days + 1), dtype=bool)
    for k in range(days + 1):
        day = today + dt.timedelta(days=k)
        if day in data.holidays:
            continue
        for e, eng in enumerate(data.engineers):
            works[e, k] = day.weekday() in eng.workdays and day not in absent.get(
                eng.engineer, ())
    return works


def _expiry_day(eng: PmEngineer, skills: dict[str, int], today: dt.date) -> int:
    last = NEVER
    for s in skills:
        until = eng.certified_until.get(s)
        if until is not None:
            last = min(last, (until - today).days)
    return last


def _skills_text(skills: dict[str, int]) -> str:
    return ";".join(f"{s}:{lvl}" for s, lvl in sorted(skills.items()))


def _union(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for s, lvl in b.items():
        out[s] = max(out.get(s, 0), lvl)
    return out


def _merged_slot(a: Slot, b: Slot) -> Slot | None:
    if a == Slot.ANY:
        return b
    if b in (Slot.ANY, a):
        return a
    return None


@dataclass
class _Group:
    customer: str
    site: int
    slot: Slot
    assets: list[str]
    duration: int
    skills: dict[str, int]
    due: int
    lo: int
    last: int
    critical: bool
    short: bool


class _Builder:
    """Turns due assets into visits, or into unplannable rows with their reason."""

    def __init__(self, data: MaintenanceData, today: dt.date, options: PlanOptions,
                 site_of: dict[tuple[float, float], int], travel: TravelMatrix,
                 home: np.ndarray, works: np.ndarray):
        self.data, self.today, self.opt = data, today, options
        self.site_of, self.travel, self.home, self.works = site_of, travel, home, works
        self.unplannable: list[Unplannable] = []

    def day(self, d: dt.date) -> int:
        return (d - self.today).days

    def holders(self, skills: dict[str, int]) -> list[int]:
        return [e for e, eng in enumerate(self.data.engineers) if eng.holds(skills)]

    def fits(self, skills: dict[str, int], site: int, duration: int) -> bool:
        """Some engineer holding the skills can do it within one day's PM time."""
        for e in self.holders(skills):
            h = int(self.home[e])
            trip = int(self.travel.minutes[h, site]) + int(self.travel.minutes[site, h])
            if trip + duration <= self.data.engineers[e].pm_minutes:
                return True
        return False

    def certified(self, skills: dict[str, int], day: int) -> int:
        """How many engineers hold ``skills``, certified on ``day``."""
        return sum(1 for e in self.holders(skills)
                   if _expiry_day(self.data.engineers[e], skills, self.today) >= day)

    def common(self, a: dict[str, int], b: dict[str, int], both: dict[str, int], day: int
               ) -> bool:
        """One visit for both only when that does not make it scarce: as many engineers (or
        at least ``MIN_CREW``) can do both as can do the rarer part alone."""
        need = min(MIN_CREW, self.certified(a, day), self.certified(b, day))
        return self.certified(both, day) >= need

    def window(self, da: DueAsset) -> tuple[int, int, int, bool] | None:
        """(due, lo, last, short_notice) of one asset, or None (reason recorded)."""
        a, opt = da.asset, self.opt
        due = self.day(da.due_date)
        short = due < opt.notice_days
        lo = 1 if short else max(opt.notice_days, due - opt.early_days)
        last = opt.horizon_days
        if a.contract_end is not None:
            last = min(last, self.day(a.contract_end))
            if last < lo:
                when = "ended" if a.contract_end < self.today else "ends"
                self.fail(a.asset, f"contract {when} {a.contract_end}, before the earliest "
                          f"possible visit {self.today + dt.timedelta(days=lo)}")
                return None
        return due, lo, last, short

    def fail(self, asset: str, reason: str) -> None:
        self.unplannable.append(Unplannable(asset, reason))

    def check_asset(self, da: DueAsset, lo: int, last: int) -> bool:
        a = da.asset
        holders = self.holders(a.required_skills)
        site = self.site_of[(a.lat, a.lon)]
        if not holders:
            self.fail(a.asset, f"no qualified engineer: nobody holds "
                      f"{_skills_text(a.required_skills)}")
            return False
        certified = [e for e in holders
                     if _expiry_day(self.data.engineers[e], a.required_skills, self.today) >= lo]
        if not certified:
            lapsed = ", ".join(
                f"{self.data.engineers[e].engineer}'s "
                + "/".join(s for s in a.required_skills
                           if s in self.data.engineers[e].certified_until)
                + " certificate" for e in holders[:3])
            self.fail(a.asset, f"no qualified engineer: certificates expired before "
                      f"{self.today + dt.timedelta(days=lo)} (renew {lapsed})")
            return False
        if not self.works[np.array(certified)][:, lo:last + 1].any():
            self.fail(a.asset, f"no qualified engineer works between "
                      f"{self.today + dt.timedelta(days=lo)} and "
                      f"{self.today + dt.timedelta(days=last)}")
            return False
        if not self.fits(a.required_skills, site, a.pm_duration_min):
            self.fail(a.asset, f"{a.pm_duration_min} min on site plus travel exceed every "
                      "qualified engineer's daily PM time (pm_share x shift)")
            return False
        return True

    def groups(self, due: list[DueAsset]) -> list[_Group]:
        by_place: dict[tuple[str, int, bool], list[tuple[int, int, int, DueAsset]]] = {}
        for da in due:
            w = self.window(da)
            if w is None:
                continue
            d, lo, last, short = w
            if not self.check_asset(da, lo, last):
                continue
            key = (da.asset.customer, self.site_of[(da.asset.lat, da.asset.lon)], short)
            by_place.setdefault(key, []).append((d, lo, last, da))
        out: list[_Group] = []
        for (customer, site, short), items in sorted(by_place.items()):
            open_groups: list[_Group] = []
            for d, lo, last, da in sorted(items, key=lambda t: (t[0], t[3].asset.asset)):
                a = da.asset
                placed = False
                for g in open_groups:
                    slot = _merged_slot(g.slot, a.slot)
                    skills = _union(g.skills, a.required_skills)
                    nlo, nlast = max(g.lo, lo), min(g.last, last)
                    if (slot is None or nlo > min(g.due, d) or nlo > nlast
                            or not self.fits(skills, site, g.duration + a.pm_duration_min)
                            or not self.common(g.skills, a.required_skills, skills, nlo)):
                        continue
                    g.slot, g.skills, g.lo, g.last = slot, skills, nlo, nlast
                    g.due = min(g.due, d)
                    g.assets.append(a.asset)
                    g.duration += a.pm_duration_min
                    g.critical = g.critical or a.criticality == "critical"
                    placed = True
                    break
                if not placed:
                    open_groups.append(_Group(customer, site, a.slot, [a.asset],
                                              a.pm_duration_min, dict(a.required_skills), d,
                                              lo, last, a.criticality == "critical", short))
            out.extend(open_groups)
        return out


def _fixed_visits(data: MaintenanceData, today: dt.date, site_of: dict[tuple[float, float], int],
                  engineer_index: dict[str, int], due_of: dict[str, DueAsset],
                  ended: list[Unplannable]) -> list[Visit]:
    """Announced visits (today or later) grouped by customer, site, date, slot and engineer;
    those after their contract's end go to ``ended``."""
    assets = {a.asset: a for a in data.assets}
    groups: dict[tuple, list[Notice]] = {}
    for n in data.notices:
        if n.visit_date < today:
            continue
        a = assets[n.asset]
        if a.contract_end is not None and n.visit_date > a.contract_end:
            ended.append(Unplannable(a.asset, f"announced for {n.visit_date}, after the contract "
                                     f"end {a.contract_end}: cancel the visit with the customer"))
            continue
        key = (n.customer, site_of[(a.lat, a.lon)], n.visit_date, n.slot, n.engineer or "")
        groups.setdefault(key, []).append(n)
    out = []
    for (customer, site, day, slot, eng), notices in sorted(groups.items(), key=str):
        members = [assets[n.asset] for n in notices]
        skills: dict[str, int] = {}
        for a in members:
            skills = _union(skills, a.required_skills)
        dues = [(due_of[a.asset].due_date - today).days for a in members]
        d = (day - today).days
        out.append(Visit(index=-1, customer=customer, site=site, slot=slot,
                         assets=tuple(a.asset for a in members),
                         duration_min=sum(a.pm_duration_min for a in members), skills=skills,
                         due=min(dues), lo=d, last=d,
                         critical=any(a.criticality == "critical" for a in members),
                         short_notice=False, fixed_day=d,
                         fixed_engineer=engineer_index[eng] if eng else None))
    return out


def compile_problem(data: MaintenanceData, today: dt.date, options: PlanOptions) -> PmProblem:
    """Due assets, customer visits with their windows, the calendar and the travel matrix."""
    due, notes = due_assets(data, today, options.horizon_days)
    sites: dict[tuple[float, float], int] = {}
    for da in due:
        sites.setdefault((da.asset.lat, da.asset.lon), len(sites))
    points = [Location(lat=lat, lon=lon) for lat, lon in sites]
    home = np.arange(len(points), len(points) + len(data.engineers))
    points += [Location(lat=e.lat, lon=e.lon) for e in data.engineers]
    travel = travel_matrix(data.travel, points)
    last_day = options.horizon_days
    for n in data.notices:
        last_day = max(last_day, (n.visit_date - today).days)
    works = _calendar(data, today, last_day)
    index = {e.engineer: k for k, e in enumerate(data.engineers)}
    due_of = {da.asset.asset: da for da in due}
    ended: list[Unplannable] = []
    fixed = _fixed_visits(data, today, sites, index, due_of, ended)
    announced = {a for v in fixed for a in v.assets} | {u.asset for u in ended}
    builder = _Builder(data, today, options, sites, travel, home, works)
    builder.unplannable.extend(ended)
    free = [da for da in due if da.asset.asset not in announced]
    visits: list[Visit] = []
    for g in builder.groups(free):
        visits.append(Visit(index=len(visits), customer=g.customer, site=g.site, slot=g.slot,
                            assets=tuple(g.assets), duration_min=g.duration, skills=g.skills,
                            due=g.due, lo=g.lo, last=g.last, critical=g.critical,
                            short_notice=g.short))
    for v in fixed:
        visits.append(Visit(**{**v.__dict__, "index": len(visits)}))
    holders, expiry = [], {}
    for v in visits:
        hs = tuple(e for e, eng in enumerate(data.engineers) if eng.holds(v.skills))
        holders.append(hs)
        for e in hs:
            expiry[(v.index, e)] = _expiry_day(data.engineers[e], v.skills, today)
    return PmProblem(
        today=today, options=options, engineers=data.engineers, home=home,
        capacity=np.array([e.pm_minutes for e in data.engineers], dtype=np.int64),
        works=works, travel=travel, points=tuple(points), visits=tuple(visits),
        holders=tuple(holders), expiry=expiry, due_assets=tuple(due),
        unplannable=tuple(builder.unplannable), notes=tuple(notes))
