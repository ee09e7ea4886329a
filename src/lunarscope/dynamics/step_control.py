"""Step-size control shared by the compiled integrators (DOP853, RKN12 and RKN12's lanes kernel).

- the initial step of HNW 1993 Sec. II.4 (``HINIT`` of dop853.f): an explicit Euler probe gives
  a second-derivative estimate d2, and h = (0.01 / max(d2, |f|))^(1/(p+1)) for a method of order
  p, in two halves around the probe's right-hand-side call (the lanes kernel makes that call for
  all its lanes at once);
- the step actually taken: shortened to end on t_end when t + 1.01 h passes it, else advanced to
  a representable time (ulp(t) = 1.2e-7 s in 2030, 0.2 mm along a 1.6 km/s orbit per step
  otherwise), h = fl(t + h) − t, so the state and its time stamp agree.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def rms(v, sk):
    """RMS of v / sk (the HNW error norm)."""
    acc = 0.0
    for m in range(v.shape[0]):
        acc += (v[m] / sk[m]) ** 2
    return math.sqrt(acc / v.shape[0])


@njit(cache=True)
def initial_guess(y, f0, direction, hmax, rtol, atol):
    """First half of HINIT: (the Euler probe's step h (signed), the error scale sk, |f0| in it)."""
    n = y.shape[0]
    sk = np.empty(n)
    for m in range(n):
        sk[m] = atol[m] + rtol * abs(y[m])
    dnf = rms(f0, sk)
    dny = rms(y, sk)
    h = 1.0e-6 if (dnf <= 1e-10 or dny <= 1e-10) else 0.01 * dny / dnf
    return min(h, hmax) * direction, sk, dnf


@njit(cache=True)
def initial_finish(f0, f1, sk, dnf, h, direction, hmax, exponent):
    """Second half of HINIT, from f1 = rhs(t + h, y + h f0); ``exponent`` = 1 / (order + 1)."""
    der2 = rms(f1 - f0, sk) / abs(h)
    der12 = max(abs(der2), math.sqrt(dnf))
    h1 = max(1.0e-6, abs(h) * 1.0e-3) if der12 <= 1e-15 else (0.01 / der12) ** exponent
    h = min(100.0 * abs(h), h1, hmax)
    if not (h > 0.0):  # non-finite rhs values: start small, the controller takes over
        h = min(1.0e-6, hmax)
    return direction * h


@njit(cache=True, inline="always")
def clip_step(t, h, t_end, direction):
    """(the step taken from t, whether it is the last), see the module docstring."""
    if direction * (t + 1.01 * h - t_end) >= 0.0:
        return t_end - t, True
    return (t + h) - t, False
