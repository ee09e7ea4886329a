"""Observation requests and the interval helpers the schedulers share.

Times are float64 TDB seconds past J2000; durations in s; data rates in Mbit/s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lunarscope.errors import InputError
from lunarscope.windows.intervals import Windows


def as_intervals(obj, field: str) -> np.ndarray:
    """Return a sorted, merged ``(K, 2)`` float64 array of ``[start, stop)`` intervals.

    Accepts a ``(K, 2)`` array-like or any object with ``.starts`` and ``.stops`` arrays
    (``lunarscope.windows.Windows``). Empty intervals are dropped, overlapping or touching
    ones merged (the normalization of ``Windows``).
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
    return _array(Windows(a[:, 0], a[:, 1]))


def _array(w: Windows) -> np.ndarray:
    return np.column_stack([w.starts, w.stops]).reshape(-1, 2)


def _windows(a) -> Windows:
    a = np.asarray(a, float).reshape(-1, 2)
    return Windows(a[:, 0], a[:, 1])


def intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two interval arrays (``Windows`` algebra)."""
    return _array(_windows(a) & _windows(b))


def subtract(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` minus the union of ``b`` (``Windows`` algebra)."""
    return _array(_windows(a) - _windows(b))


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
    efficiency: optional ``scheduling.efficiency.Efficiency``: a visit ``[a, b)`` counts
        ``∫ w dt`` instead of ``b - a`` (SNR requests: ``exposure_s`` is then the exposure at
        the best background); None = every second counts.
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
    efficiency: object = field(default=None, compare=False, repr=False)

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
