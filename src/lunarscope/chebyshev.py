"""Compiled evaluation of the Chebyshev records of JPL SPK (types 2, 3) and binary PCK
(type 2) segments, scalar (for other numba code such as force models) and vectorized.

Record layout (NAIF SPK required reading, "Type 2: Chebyshev position only"): a segment is
``n`` records of ``rsize`` doubles: MID, RADIUS, then ``ncomp × ncoef`` coefficients; the
trailer holds INIT (s past J2000 TDB), INTLEN (s), RSIZE, N. Record k covers
[INIT + k·INTLEN, INIT + (k+1)·INTLEN]. Value = Σ c_j T_j(s), s = 2(t − start)/INTLEN − 1;
its rate is Σ c_j T_j′(s) · 2/INTLEN.

``t − start`` is formed as (t − (INIT + k·INTLEN)): INIT and INTLEN are whole seconds in
JPL kernels, so the record start is exact and the difference loses nothing (Sterbenz).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class ChebSegment:
    """Coefficients (n_records, n_comp, n_coef) of one SPK/PCK segment, in memory order."""

    coeffs: np.ndarray
    init: float
    intlen: float
    start: float  # TDB seconds covered
    stop: float
    ncomp: int  # components evaluated (3 positions or 3 angles)

    @classmethod
    def from_jplephem(cls, segment, ncomp: int = 3) -> ChebSegment:
        """Map the coefficients of a jplephem SPK or PCK segment (no copy)."""
        init, intlen, rsize, n = segment.daf.read_array(segment.end_i - 3, segment.end_i)
        n, rsize = int(n), int(rsize)
        stored = 6 if getattr(segment, "data_type", 2) == 3 else 3
        ncoef = (rsize - 2) // stored
        raw = np.asarray(segment.daf.map_array(segment.start_i, segment.end_i - 4))
        coeffs = raw.reshape(n, rsize)[:, 2:].reshape(n, stored, ncoef)
        start = getattr(segment, "start_second", getattr(segment, "initial_second", init))
        stop = getattr(segment, "end_second", getattr(segment, "final_second", init + n * intlen))
        return cls(coeffs, float(init), float(intlen), float(start), float(stop), ncomp)


@numba.njit(cache=True, inline="always")
def record_at(t, init, intlen, n):
    """(k, s): the record k (clamped to 0..n−1) of the grid ``init + k·intlen`` (TDB s) that
    holds ``t``, and the Chebyshev argument s = 2 (t − start_k)/intlen − 1 there."""
    k = int(math.floor((t - init) / intlen))
    if k < 0:
        k = 0
    elif k > n - 1:
        k = n - 1
    return k, 2.0 * (t - (init + k * intlen)) / intlen - 1.0


@numba.njit(cache=True, inline="always")
def cheb_eval(coeffs, init, intlen, t, ncomp, out, with_rate):
    """Evaluate one segment at TDB seconds ``t`` into ``out[:ncomp]`` (values) and
    ``out[ncomp:2*ncomp]`` (rates per second) when ``with_rate``."""
    n = coeffs.shape[0]
    ncoef = coeffs.shape[2]
    k, s = record_at(t, init, intlen, n)
    for c in range(ncomp):
        t0 = 1.0
        t1 = s
        d0 = 0.0
        d1 = 1.0
        val = coeffs[k, c, 0] + coeffs[k, c, 1] * s
        der = coeffs[k, c, 1]
        for j in range(2, ncoef):
            t2 = 2.0 * s * t1 - t0
            d2 = 2.0 * t1 + 2.0 * s * d1 - d0
            val += coeffs[k, c, j] * t2
            der += coeffs[k, c, j] * d2
            t0, t1 = t1, t2
            d0, d1 = d1, d2
        out[c] = val
        if with_rate:
            out[ncomp + c] = der * 2.0 / intlen


@numba.njit(cache=True)
def cheb_eval_many(coeffs, init, intlen, t, ncomp):
    """Vectorized :func:`cheb_eval`: (N,) times → (N, 2·ncomp) values and rates."""
    out = np.empty((t.size, 2 * ncomp))
    buf = np.empty(2 * ncomp)
    for i in range(t.size):
        cheb_eval(coeffs, init, intlen, t[i], ncomp, buf, True)
        for c in range(2 * ncomp):
            out[i, c] = buf[c]
    return out


@numba.njit(cache=True, inline="always")
def euler313_into(ang, r, dr, i, with_rate):
    """Write R = rot(ψ,3) rot(θ,1) rot(φ,3) (and dR/dt) for ang = (φ, θ, ψ, φ̇, θ̇, ψ̇)
    into r[i], dr[i]. Frame-rotation convention of SPICE ``eul2m``."""
    p, q, w = ang[0], ang[1], ang[2]
    cp, sp = np.cos(p), np.sin(p)
    cq, sq = np.cos(q), np.sin(q)
    cw, sw = np.cos(w), np.sin(w)
    r[i, 0, 0] = cw * cp - sw * cq * sp
    r[i, 0, 1] = cw * sp + sw * cq * cp
    r[i, 0, 2] = sw * sq
    r[i, 1, 0] = -sw * cp - cw * cq * sp
    r[i, 1, 1] = -sw * sp + cw * cq * cp
    r[i, 1, 2] = cw * sq
    r[i, 2, 0] = sq * sp
    r[i, 2, 1] = -sq * cp
    r[i, 2, 2] = cq
    if with_rate:
        dp, dq, dw = ang[3], ang[4], ang[5]
        dr[i, 0, 0] = (-sw * cp - cw * cq * sp) * dw + (sw * sq * sp) * dq + (-cw * sp - sw * cq * cp) * dp
        dr[i, 0, 1] = (-sw * sp + cw * cq * cp) * dw + (-sw * sq * cp) * dq + (cw * cp - sw * cq * sp) * dp
        dr[i, 0, 2] = (cw * sq) * dw + (sw * cq) * dq
        dr[i, 1, 0] = (-cw * cp + sw * cq * sp) * dw + (cw * sq * sp) * dq + (sw * sp - cw * cq * cp) * dp
        dr[i, 1, 1] = (-cw * sp - sw * cq * cp) * dw + (-cw * sq * cp) * dq + (-sw * cp - cw * cq * sp) * dp
        dr[i, 1, 2] = (-sw * sq) * dw + (cw * cq) * dq
        dr[i, 2, 0] = (cq * sp) * dq + (sq * cp) * dp
        dr[i, 2, 1] = (-cq * cp) * dq + (sq * sp) * dp
        dr[i, 2, 2] = -sq * dq


@numba.njit(cache=True)
def euler313_many(ang):
    """(N,3,3) R and dR/dt from (N, 6) = (φ, θ, ψ, φ̇, θ̇, ψ̇); see :func:`euler313_into`."""
    n = ang.shape[0]
    r = np.empty((n, 3, 3))
    dr = np.empty((n, 3, 3))
    for i in range(n):
        euler313_into(ang[i], r, dr, i, True)
    return r, dr


@numba.njit(cache=True)
def euler313_rotate_states(ang, states, post):
    """States (N,6) into the frame R = post · rot(ψ,3) rot(θ,1) rot(φ,3): x' = R x,
    v' = Ṙ x + R v, without materializing the (N,3,3) matrices (``ang`` as in
    :func:`euler313_many`, ``post`` a fixed 3×3, identity for none)."""
    n = states.shape[0]
    out = np.empty((n, 6))
    r = np.empty((1, 3, 3))
    dr = np.empty((1, 3, 3))
    for i in range(n):
        euler313_into(ang[i], r, dr, 0, True)
        for a in range(3):
            p = 0.0
            v = 0.0
            for b in range(3):
                m = 0.0
                dm = 0.0
                for k in range(3):
                    m += post[a, k] * r[0, k, b]
                    dm += post[a, k] * dr[0, k, b]
                p += m * states[i, b]
                v += dm * states[i, b] + m * states[i, 3 + b]
            out[i, a] = p
            out[i, 3 + a] = v
    return out
