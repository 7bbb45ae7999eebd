"""Reading the per-route BKS detail of Pillac's thesis appendix (test helper)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ROUTE = re.compile(r"^\s*(\d+) &\s+([\d.]+)\s*&\s+([\d.]+)\s*&([^\\]*)\\\\", re.M)


@dataclass(frozen=True)
class TexRoute:
    """Route ``k`` (technician node k + 1) of a BKS: duration, distance, requests in order."""

    k: int
    duration: float
    distance: float
    requests: list[int]


def read_appendix(path: Path) -> dict[str, list[TexRoute]]:
    """Instance name -> non-empty BKS routes, from the appendix's detailed solutions."""
    out: dict[str, list[TexRoute]] = {}
    for sec in path.read_text().split("\\subsection*{Instance ")[1:]:
        name = sec.split("}", 1)[0]
        out[name] = [
            TexRoute(int(m[1]), float(m[2]), float(m[3]), [int(t) for t in m[4].split()])
            for m in _ROUTE.finditer(sec)
            if m[4].split()
        ]
    return out
