"""Observation requests and the interval helpers the schedulers share.

Times are float64 TDB seconds past J2000; durations in s; data rates in Mbit/s.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lunarscope.errors import InputError


def as_intervals(obj, field: str) -> np.ndarray:
    """Return a sorted, merged ``(K, 2)`` float64 array of ``[start, stop)`` intervals.

    Accepts a ``(K, 2)`` array-like or any object with ``.starts`` and ``.stops`` arrays
    (duck-typed so that ``lunarscope.windows.Windows`` works without importing it).
    Empty intervals are dropped, overlapping or touching ones merged.
    """
    if hasattr(obj, "starts") and hasattr(obj, "stops"):
        a = np.column_stack([np.asarray(obj.starts, float).ravel(), np.asarray(obj.stops, float).ravel()])
    else:
        a = np.asarray(obj, dtype=float)
        if a.size == 0:
            return np.zeros((0, 2))
        if a.ndim != 2 or a.shape[1] != 2:
            raise InputError(field, f"intervals must be a (K, 2) array or have .starts/.stops, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise InputError(field, "interval bounds must be finite")
    if np.any(a[:, 1] < a[:, 0]):
        raise InputError(field, "interval stop before start (negative duration)")
    a = a[a[:, 1] > a[:, 0]]
    if len(a) == 0:
        return np.zeros((0, 2))
    a = a[np.argsort(a[:, 0], kind="stable")]
    # merge overlapping / touching intervals
    ends = np.maximum.accumulate(a[:, 1])
    new = np.ones(len(a), bool)
    new[1:] = a[1:, 0] > ends[:-1]
    grp = np.cumsum(new) - 1
    out = np.zeros((grp[-1] + 1, 2))
    out[:, 0] = a[new, 0]
    out[:, 1] = np.maximum.reduceat(a[:, 1], np.flatnonzero(new))
    return out


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two merged interval arrays (sweep, O(len a + len b))."""
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i, 0], b[j, 0])
        hi = min(a[i, 1], b[j, 1])
        if hi > lo:
            out.append((lo, hi))
        if a[i, 1] < b[j, 1]:
            i += 1
        else:
            j += 1
    return np.array(out, float).reshape(-1, 2)


def subtract(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` minus the union of ``b`` (both merged interval arrays)."""
    out = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j, 1] <= cur:
            j += 1
        k = j
        while k < len(b) and b[k, 0] < hi:
            if b[k, 0] > cur:
                out.append((cur, b[k, 0]))
            cur = max(cur, b[k, 1])
            k += 1
        if cur < hi:
            out.append((cur, hi))
    return np.array(out, float).reshape(-1, 2)


@dataclass(frozen=True)
class Request:
    """One observation request.

    target: name of a target in the problem.
    exposure_s: total exposure wanted (s, > 0).
    min_visit_s: a visit shorter than this earns nothing (s, > 0).
    n_visits: at most this many visits (None = no limit).
    cadence_s: minimum separation between the starts of two visits (s, None = none).
    priority: weight (> 0); value = priority * min(1, counted exposure / exposure_s).
    validity: optional (from, to) TDB s; visits must lie inside it.
    data_rate_mbit_s: science data rate while observing (Mbit/s, >= 0).
    name: identifier (defaults to ``"<target>#<index>"`` in the problem).
    """

    target: str
    exposure_s: float
    min_visit_s: float
    priority: float = 1.0
    n_visits: int | None = None
    cadence_s: float | None = None
    validity: tuple[float, float] | None = None
    data_rate_mbit_s: float = 0.0
    name: str | None = None

    def check(self, field: str) -> None:
        """Raise InputError naming the field for impossible values."""
        for attr in ("exposure_s", "min_visit_s", "priority"):
            v = float(getattr(self, attr))
            if not np.isfinite(v) or v <= 0:
                raise InputError(f"{field}.{attr}", f"{v} must be > 0")
        if self.data_rate_mbit_s < 0 or not np.isfinite(self.data_rate_mbit_s):
            raise InputError(f"{field}.data_rate_mbit_s", f"{self.data_rate_mbit_s} must be >= 0")
        if self.n_visits is not None and int(self.n_visits) < 1:
            raise InputError(f"{field}.n_visits", f"{self.n_visits} must be >= 1")
        if self.cadence_s is not None and not (self.cadence_s >= 0):
            raise InputError(f"{field}.cadence_s", f"{self.cadence_s} must be >= 0 (negative duration)")
        if self.validity is not None:
            lo, hi = self.validity
            if not (hi > lo):
                raise InputError(f"{field}.validity", f"({lo}, {hi}): stop must be after start")
