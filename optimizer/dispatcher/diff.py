"""What changed between two plans of one day (``Diff`` of ``shared/contract/EVENTS.md``)."""

from __future__ import annotations

from datetime import datetime

from optimizer.dispatcher.events import Diff, Reassigned, Retimed
from optimizer.models import JobStop, Plan


def compute_diff(before: Plan, after: Plan, *, added: list[str] = (), cancelled: list[str] = (),
                 warnings: list[str] = ()) -> Diff:
    """What changed between two plans (job ids; starts compared to the minute)."""
    def index(p: Plan) -> dict[str, tuple[str, datetime]]:
        return {s.job: (r.engineer, s.start) for r in p.routes for s in r.stops
                if isinstance(s, JobStop)}

    b, a = index(before), index(after)
    added_set = set(added)
    reassigned, retimed, unassigned, placed = [], [], [], []
    unchanged = 0
    for jid, (e1, s1) in a.items():
        if jid in added_set:
            continue
        if jid not in b:
            placed.append(jid)
        elif b[jid][0] != e1:
            reassigned.append(Reassigned(job=jid, from_=b[jid][0], to=e1))
        elif abs((b[jid][1] - s1).total_seconds()) >= 60:
            retimed.append(Retimed(job=jid, from_start=b[jid][1], to_start=s1))
        else:
            unchanged += 1
    for jid in b:
        if jid not in a and jid not in set(cancelled):
            unassigned.append(jid)
    unassigned += [j for j in added if j not in a]
    return Diff(reassigned=reassigned, retimed=retimed, added=[j for j in added if j in a],
                unassigned=unassigned, cancelled=list(cancelled), unchanged=unchanged,
                placed=placed or None, warnings=list(warnings) or None)
