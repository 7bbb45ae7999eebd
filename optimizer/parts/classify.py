"""Demand classification: Syntetos-Boylan-Croston classes and ABC by annual value.

SBC (Syntetos, Boylan & Croston 2005): ADI = mean interval between demands, CV² = squared
coefficient of variation of the non-zero sizes; cut-offs ADI 1.32 and CV² 0.49.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


class DemandClass(StrEnum):
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"
    NONE = "none"  # fewer than two demands: nothing to classify


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


def adi_cv2(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per series: ADI (periods / demand occurrences), CV² of non-zero sizes, occurrences."""
    Y = np.asarray(Y, dtype=float)
    T = Y.shape[1]
    nz = Y > 0
    k = nz.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(k > 0, T / np.maximum(k, 1), np.inf)
        s1 = np.where(nz, Y, 0.0).sum(axis=1)
        s2 = np.where(nz, Y * Y, 0.0).sum(axis=1)
        mean = s1 / np.maximum(k, 1)
        var = np.where(k > 1, (s2 - k * mean**2) / np.maximum(k - 1, 1), 0.0)
        cv2 = np.where(mean > 0, np.maximum(var, 0.0) / mean**2, 0.0)
    return adi, cv2, k


def classify_sbc(Y: np.ndarray, min_demands: int = 2) -> np.ndarray:
    """SBC class per series (array of DemandClass); ``none`` below ``min_demands`` demands."""
    adi, cv2, k = adi_cv2(Y)
    out = np.where(
        adi <= ADI_CUTOFF,
        np.where(cv2 <= CV2_CUTOFF, DemandClass.SMOOTH, DemandClass.ERRATIC),
        np.where(cv2 <= CV2_CUTOFF, DemandClass.INTERMITTENT, DemandClass.LUMPY),
    ).astype(object)
    out[k < min_demands] = DemandClass.NONE
    return out


def classify_abc(annual_value: np.ndarray, a_share: float = 0.8,
                 b_share: float = 0.95) -> np.ndarray:
    """ABC by annual demand value: A covers the first ``a_share`` of value, B up to ``b_share``."""
    v = np.asarray(annual_value, dtype=float)
    order = np.argsort(-v, kind="stable")
    total = v.sum()
    cum = np.cumsum(v[order]) / total if total > 0 else np.ones(len(v))
    before = np.concatenate([[0.0], cum[:-1]])  # share covered before this item
    cls = np.where(before < a_share, AbcClass.A, np.where(before < b_share, AbcClass.B, AbcClass.C))
    out = np.empty(len(v), dtype=object)
    out[order] = cls
    if total <= 0:
        out[:] = AbcClass.C
    return out
