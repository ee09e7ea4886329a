"""Observing efficiency of a request over time: how much each second of a visit counts.

An SNR request (``snr`` instead of ``exposure_s`` in the mission file) earns more per second
when the background is low. ``mission`` turns the background along the target's visibility
into a piecewise-constant efficiency

    w(t) = q(t) / q_best,   q(t) = SNR²(T, B(t)) / T,

the SNR² earned per second at background ``B(t)`` (CCD equation, ``science.etc``) relative to
the best background in the span, and sets the request's ``exposure_s`` to ``T``, the exposure
that reaches the requested SNR at the best background. A visit ``[a, b)`` then counts
``∫ w dt`` seconds. Inverse-variance co-addition of visits gives SNR² = Σ SNR²_i, so
``min(1, Σ ∫w dt / T)`` is the fraction of the requested SNR² earned (exact where SNR² grows
linearly with time, i.e. when the read noise of one visit is small against sky and source;
the report recomputes the achieved SNR exactly per visit).

Because 0 < w ≤ 1, every bound computed with unit efficiency stays an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lunarscope.errors import InputError


@dataclass(frozen=True, eq=False)
class Efficiency:
    """Piecewise-constant efficiency: ``w[k]`` on ``[t[k], t[k+1])`` (TDB s), ``w[0]`` before
    ``t[0]`` and ``w[-1]`` after ``t[-1]``; every value in (0, 1]."""

    t: np.ndarray
    w: np.ndarray

    def __post_init__(self):
        t = np.asarray(self.t, float).ravel()
        w = np.asarray(self.w, float).ravel()
        if len(w) < 1 or len(t) != len(w) + 1:
            raise InputError("efficiency", f"need K+1 breakpoints for K values, got {len(t)} and {len(w)}")
        if not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
            raise InputError("efficiency.t", "breakpoints must be finite and increasing")
        if not (np.all(np.isfinite(w)) and np.all(w > 0) and np.all(w <= 1 + 1e-12)):
            raise InputError("efficiency.w", "values must be in (0, 1]")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "w", np.minimum(w, 1.0))
        object.__setattr__(self, "_cum", np.concatenate([[0.0], np.cumsum(w * np.diff(t))]))

    def cumulative(self, x) -> np.ndarray:
        """F(x) = ∫_{t[0]}^{x} w dt (s; negative before ``t[0]``)."""
        x = np.asarray(x, float)
        k = np.clip(np.searchsorted(self.t, x, side="right") - 1, 0, len(self.w) - 1)
        return self._cum[k] + self.w[k] * (x - self.t[k])

    def counted(self, a, b) -> np.ndarray:
        """Counted seconds ∫_a^b w dt of visits ``[a, b)``."""
        return self.cumulative(b) - self.cumulative(a)

    def stop_for(self, a, need) -> np.ndarray:
        """The stop ``b`` at which a visit starting at ``a`` has counted ``need`` seconds."""
        target = self.cumulative(a) + np.asarray(need, float)
        k = np.clip(np.searchsorted(self._cum, target, side="right") - 1, 0, len(self.w) - 1)
        return self.t[k] + (target - self._cum[k]) / self.w[k]

    def at(self, x) -> np.ndarray:
        """w(x)."""
        x = np.asarray(x, float)
        return self.w[np.clip(np.searchsorted(self.t, x, side="right") - 1, 0, len(self.w) - 1)]


def counted_seconds(request, a, b):
    """Counted seconds of visits ``[a, b)`` of ``request`` (its duration without an efficiency)."""
    eff = getattr(request, "efficiency", None)
    if eff is None:
        return np.asarray(b, float) - np.asarray(a, float)
    return eff.counted(a, b)


def stop_for(request, a, need):
    """Stop of a visit from ``a`` that counts ``need`` seconds of ``request``."""
    eff = getattr(request, "efficiency", None)
    if eff is None:
        return np.asarray(a, float) + np.asarray(need, float)
    return eff.stop_for(a, need)
