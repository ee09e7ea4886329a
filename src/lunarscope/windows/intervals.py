"""Interval algebra on time: :class:`Windows`, a set of closed intervals in TDB seconds.

A ``Windows`` is a finite union of closed intervals ``[start, stop]`` (float64 TDB seconds
past J2000), held as two sorted, read-only numpy arrays ``starts`` and ``stops`` with
``starts[i] < stops[i] < starts[i+1]``.

Conventions (decided here, relied on by ``lunarscope.windows.finder``):

- **Zero-length intervals are dropped.** ``[t, t]`` carries no duration; the algebra works on
  sets up to sets of measure zero (single instants). This keeps every operation closed on
  "finite unions of intervals of positive length", so identities such as De Morgan and
  ``complement(complement(A)) == A`` hold exactly.
- **Touching intervals merge.** ``[0, 1] | [1, 2] == [0, 2]``; consequently the intersection of
  ``[0, 1]`` and ``[1, 2]`` is empty (a single instant), and the complement of ``[a, b]`` in
  ``[s, e]`` is ``[s, a], [b, e]`` (closed, sharing the boundary instants).

All operations are vectorized sweeps over sorted endpoints (no Python loop over intervals).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lunarscope.errors import InputError

__all__ = ["Windows"]

_TABLE_DTYPE = np.dtype([("start", "f8"), ("stop", "f8"), ("duration", "f8")])


def _as_1d(values, field: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(field, f"must be a 1-D array of TDB seconds, got shape {arr.shape}")
    return arr


def _normalize(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort, drop empty/zero-length, merge overlapping or touching intervals (vectorized)."""
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts, stops
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    reach = np.maximum.accumulate(stops)
    # A new merged interval begins where the start lies strictly beyond all earlier stops.
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, starts.size - 1]
    return starts[first], reach[last]


def _coverage_at_least(starts_list, stops_list, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Where at least ``k`` of the given normalized interval sets overlap (sweep line).

    Each set contributes +1 at its starts and -1 at its stops; at equal times the -1 events are
    processed first, so sets that only touch do not count as overlapping (measure-zero rule).
    """
    s = np.concatenate(starts_list)
    e = np.concatenate(stops_list)
    if s.size == 0:
        return s, e
    times = np.concatenate([s, e])
    delta = np.concatenate([np.ones(s.size, np.int64), -np.ones(e.size, np.int64)])
    order = np.lexsort((delta, times))  # by time, then -1 before +1
    times, delta = times[order], delta[order]
    count = np.cumsum(delta)
    before = np.r_[0, count[:-1]]
    up = (count >= k) & (before < k)
    down = (count < k) & (before >= k)
    return _normalize(times[up], times[down])


class Windows:
    """Sorted, disjoint, closed time intervals ``[start, stop]`` in TDB seconds (immutable).

    ``Windows(starts, stops)`` normalizes its input: sorts, merges overlapping or touching
    intervals and drops zero-length ones (see the module docstring for why).
    """

    __slots__ = ("_starts", "_stops")

    def __init__(self, starts=(), stops=()):
        s = _as_1d(starts, "starts")
        e = _as_1d(stops, "stops")
        if s.shape != e.shape:
            raise InputError("stops", f"needs as many entries as starts ({s.size}), got {e.size}")
        if np.isnan(s).any() or np.isnan(e).any():
            raise InputError("starts/stops", "must not contain NaN")
        s, e = _normalize(s, e)
        self._set(s, e)

    def _set(self, s: np.ndarray, e: np.ndarray) -> None:
        s = np.array(s, dtype=np.float64)
        e = np.array(e, dtype=np.float64)
        s.flags.writeable = False
        e.flags.writeable = False
        object.__setattr__(self, "_starts", s)
        object.__setattr__(self, "_stops", e)

    @classmethod
    def _trusted(cls, s: np.ndarray, e: np.ndarray) -> Windows:
        obj = cls.__new__(cls)
        obj._set(s, e)
        return obj

    def __setattr__(self, name, value):
        raise AttributeError("Windows is immutable")

    def __reduce__(self):
        """Pickle as the two arrays (bit for bit; no re-normalization on load)."""
        return (Windows._trusted, (self._starts, self._stops))

    # ----------------------------------------------------------------- constructors
    @classmethod
    def empty(cls) -> Windows:
        """No interval."""
        return cls._trusted(np.empty(0), np.empty(0))

    @classmethod
    def from_intervals(cls, pairs) -> Windows:
        """From an iterable of ``(start, stop)`` pairs (TDB s)."""
        arr = np.asarray(list(pairs), dtype=np.float64).reshape(-1, 2)
        return cls(arr[:, 0], arr[:, 1])

    @classmethod
    def from_mask(cls, times, mask) -> Windows:
        """Runs of ``True`` in ``mask`` sampled at sorted ``times`` (TDB s).

        Each run of consecutive ``True`` samples ``times[i..j]`` becomes ``[times[i], times[j]]``
        (no extrapolation between samples); a run of a single sample has zero length and is
        dropped. For boundaries between samples use :func:`lunarscope.windows.find_windows`.
        """
        t = _as_1d(times, "times")
        m = np.asarray(mask, dtype=bool)
        if m.shape != t.shape:
            raise InputError("mask", f"needs the shape of times {t.shape}, got {m.shape}")
        if t.size > 1 and np.any(np.diff(t) < 0):
            raise InputError("times", "must be sorted in increasing order")
        edges = np.diff(np.r_[0, m.astype(np.int8), 0])
        first = np.flatnonzero(edges == 1)
        last = np.flatnonzero(edges == -1) - 1
        return cls(t[first], t[last])

    # ----------------------------------------------------------------- basic access
    @property
    def starts(self) -> np.ndarray:
        """Interval starts, TDB s (read-only)."""
        return self._starts

    @property
    def stops(self) -> np.ndarray:
        """Interval stops, TDB s (read-only)."""
        return self._stops

    @property
    def durations(self) -> np.ndarray:
        """Length of each interval, s."""
        return self._stops - self._starts

    @property
    def total_duration(self) -> float:
        """Summed length of all intervals, s."""
        return float(np.sum(self.durations))

    def __len__(self) -> int:
        return int(self._starts.size)

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return iter(zip(self._starts.tolist(), self._stops.tolist()))

    def __repr__(self) -> str:
        """One short line: the first two intervals (TDB s) and the count."""
        body = ", ".join(f"[{a:.3f}, {b:.3f}]" for a, b in list(self)[:2])
        more = f", ... ({len(self)} intervals, {self.total_duration:.3f} s)" if len(self) > 2 else ""
        return f"Windows({body}{more})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Windows):
            return NotImplemented
        return bool(np.array_equal(self._starts, other._starts) and np.array_equal(self._stops, other._stops))

    __hash__ = None  # mutable-looking numpy payload; compare with == or isclose

    def isclose(self, other: Windows, tol_s: float) -> bool:
        """Same number of intervals and every endpoint within ``tol_s`` seconds."""
        return len(self) == len(other) and bool(
            np.all(np.abs(self._starts - other._starts) <= tol_s)
            and np.all(np.abs(self._stops - other._stops) <= tol_s)
        )

    def longest(self) -> tuple[float, float] | None:
        """The longest interval as ``(start, stop)`` (the earliest on ties); ``None`` if empty."""
        if len(self) == 0:
            return None
        i = int(np.argmax(self.durations))
        return float(self._starts[i]), float(self._stops[i])

    def to_table(self) -> np.ndarray:
        """Structured array with fields ``start``, ``stop`` (TDB s) and ``duration`` (s)."""
        out = np.empty(len(self), dtype=_TABLE_DTYPE)
        out["start"] = self._starts
        out["stop"] = self._stops
        out["duration"] = self.durations
        return out

    # ----------------------------------------------------------------- membership
    def contains(self, times) -> np.ndarray:
        """Boolean array: is each time (TDB s) inside a closed interval? Vectorized."""
        t = np.asarray(times, dtype=np.float64)
        idx = np.searchsorted(self._starts, t, side="right") - 1
        ok = idx >= 0
        safe = np.where(ok, idx, 0)
        if self._stops.size == 0:
            return np.zeros(t.shape, dtype=bool)
        return ok & (t <= self._stops[safe])

    def __contains__(self, t) -> bool:
        return bool(self.contains(np.float64(t)))

    # ----------------------------------------------------------------- algebra
    def __or__(self, other: Windows) -> Windows:
        if not isinstance(other, Windows):
            return NotImplemented
        s, e = _normalize(
            np.concatenate([self._starts, other._starts]),
            np.concatenate([self._stops, other._stops]),
        )
        return Windows._trusted(s, e)

    def __and__(self, other: Windows) -> Windows:
        if not isinstance(other, Windows):
            return NotImplemented
        s, e = _coverage_at_least([self._starts, other._starts], [self._stops, other._stops], 2)
        return Windows._trusted(s, e)

    def __sub__(self, other: Windows) -> Windows:
        if not isinstance(other, Windows):
            return NotImplemented
        return self & other.complement(-np.inf, np.inf)

    def complement(self, span_start: float, span_stop: float) -> Windows:
        """The parts of ``[span_start, span_stop]`` not covered (closed; shares boundary instants).

        ``span_start``/``span_stop`` may be ``-inf``/``inf``.
        """
        if not span_stop >= span_start:
            raise InputError("span_stop", f"{span_stop!r} must be >= span_start {span_start!r}")
        inner = self.clip(span_start, span_stop)
        s = np.r_[span_start, inner._stops]
        e = np.r_[inner._starts, span_stop]
        keep = e > s
        return Windows._trusted(s[keep], e[keep])

    def clip(self, span_start: float, span_stop: float) -> Windows:
        """Intersection with ``[span_start, span_stop]``."""
        s = np.maximum(self._starts, span_start)
        e = np.minimum(self._stops, span_stop)
        keep = e > s
        return Windows._trusted(s[keep], e[keep])

    def filter_min_duration(self, seconds: float) -> Windows:
        """Keep the intervals at least ``seconds`` long."""
        keep = self.durations >= seconds
        return Windows._trusted(self._starts[keep], self._stops[keep])

    def pad(self, before_s: float, after_s: float) -> Windows:
        """Extend each interval by ``before_s`` earlier and ``after_s`` later, merging overlaps.

        Negative values shrink intervals; ones shrunk to zero length or below are dropped.
        """
        s, e = _normalize(self._starts - before_s, self._stops + after_s)
        return Windows._trusted(s, e)

    def shift(self, seconds: float) -> Windows:
        """All intervals moved by ``seconds``."""
        return Windows._trusted(self._starts + seconds, self._stops + seconds)
