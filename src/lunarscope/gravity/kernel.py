"""Compiled spherical-harmonic gravity kernel (fully normalized, Pines formulation).

Units are whatever the caller passes consistently (lunarscope passes km, km^3/s^2, so
accelerations come out in km/s^2, gradients in 1/s^2, potentials in km^2/s^2).

Formulation
-----------
Pines (1973), "Uniform representation of the gravitational potential and its derivatives",
AIAA J. 11(11), 1508-1511, with the fully normalized Helmholtz polynomials of
Lundberg & Schutz (1988), J. Guid. Control Dyn. 11(1), 31-38, and the normalization
factors given in Eckman, Brown & Adamo (2011), "Normalization of gravitational
acceleration models", NASA/TM-2011-216155. The body-fixed position ``r`` enters only
through r = |r|, the direction cosines (s, t, u) = r/|r| and
    r_m + i i_m = (s + i t)^m,
so there is no 1/cos(latitude) anywhere: the kernel is regular on the poles.

With C00 = 1 and the 4pi ("geodesy") fully normalized coefficients C_nm, S_nm,

    V = sum_n sum_m (GM/r) (R/r)^n  Abar_nm(u) (C_nm r_m + S_nm i_m),

where Abar_nm(u) = N_nm d^m P_n(u)/du^m, N_nm = sqrt((2-d_m0)(2n+1)(n-m)!/(n+m)!), so that
Abar_nm(sin phi) cos^m(phi) = Pbar_nm(sin phi). Recursions (derived from Bonnet's
recursion differentiated m times; same coefficients as the standard column recursion of
Pbar_nm, Holmes & Featherstone 2002, J. Geodesy 76, 279-299, eq. 11-12):

    Abar_00 = 1,  Abar_nn = sqrt((2n+1)/(2n)) Abar_(n-1)(n-1)   (n>1),  Abar_11 = sqrt(3)
    Abar_nm = alpha_nm u Abar_(n-1)m - beta_nm Abar_(n-2)m        (m < n)
    alpha_nm = sqrt((2n+1)(2n-1) / ((n-m)(n+m)))
    beta_nm  = sqrt((2n+1)(n+m-1)(n-m-1) / ((2n-3)(n+m)(n-m)))
    d/du of the un-normalized A_nm is A_n(m+1); normalized: C_nm A_n(m+1) = C_nm gamma_nm Abar_n(m+1),
    gamma_nm = sqrt((2-d_m0)/2 (n+m+1)(n-m)).

Gradient (derived by the chain rule with d(x_i/r)/dx_j = (d_ij - e_i e_j)/r; this is
Pines' a1..a4 form): for Phi(e) = Abar(u) D(s,t) and k_n = GM R^n / r^(n+2),

    a = sum k_n [ G + w e ],  G = grad_e Phi,  w = -(n+1) Phi - e.G
    H = da/dr = sum (k_n / r) [ -(n+2)(G + w e) e^T + M P + e (P b)^T + w P ]

with P = I - e e^T, M = Hessian_e Phi, b = -(n+2) G - M e.

Range: Abar_nm(u) is largest at |u| = 1, where it reaches ~1e251 at n = 1200 and would
overflow near n = 1470; ``MAX_DEGREE`` = 1300 keeps a factor > 1e30 of headroom. Near the
poles (s+it)^m underflows gracefully: any product that underflows is below 1e-50 of the
central term.

Kernel API (all ``@njit(cache=True)``, callable from other numba code)::

    alpha, beta, gamma = recursion_coefficients(nmax)         # once per field (numpy)
    a   = accel(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma)            # (3,)
    a,H = accel_and_gradient(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma)  # (3,), (3,3)
    V   = potential(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma)        # float
    accel_into(r, ..., out)           # writes out[0:3], no allocation of the result
    accel_many(rs, ...)               # (N,3) -> (N,3)
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_DEGREE = 1300
"""Highest degree the kernel supports without overflow of Abar_nm (see module doc)."""


def recursion_coefficients(nmax: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (alpha, beta, gamma), each (nmax+1, nmax+1) float64, for the kernel.

    ``alpha[n, n]`` holds the sectoral factor Abar_nn / Abar_(n-1)(n-1); ``alpha[n, m]``,
    ``beta[n, m]`` (m < n) the column recursion; ``gamma[n, m]`` the normalized
    derivative factor (zero for m = n). Formulas in the module docstring.
    """
    nmax = int(nmax)
    if nmax < 0 or nmax > MAX_DEGREE:
        raise ValueError(f"nmax must be in [0, {MAX_DEGREE}], got {nmax}")
    size = nmax + 1
    alpha = np.zeros((size, size))
    beta = np.zeros((size, size))
    gamma = np.zeros((size, size))
    for n in range(1, size):
        m = np.arange(n, dtype=np.float64)
        nf = float(n)
        alpha[n, :n] = np.sqrt((2 * nf + 1) * (2 * nf - 1) / ((nf - m) * (nf + m)))
        if n >= 2:
            beta[n, :n] = np.sqrt((2 * nf + 1) * (nf + m - 1) * (nf - m - 1) / ((2 * nf - 3) * (nf + m) * (nf - m)))
        alpha[n, n] = np.sqrt(3.0) if n == 1 else np.sqrt((2 * nf + 1) / (2 * nf))
    for n in range(size):
        m = np.arange(n + 1, dtype=np.float64)
        g = np.sqrt((n + m + 1) * (n - m))
        g[0] *= np.sqrt(0.5)
        gamma[n, : n + 1] = g
    return alpha, beta, gamma


@njit(cache=True)
def _sum(x, y, z, C, S, gm, R, nmax, mmax, alpha, beta, gamma, want_hess, a_out, h_out):
    """Core summation; writes a_out (3,), h_out (3,3) if want_hess; returns V."""
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    s = x / r
    t = y / r
    u = z / r
    mtop = min(mmax, nmax)

    rm = np.empty(mtop + 1)
    im = np.empty(mtop + 1)
    rm[0] = 1.0
    im[0] = 0.0
    for m in range(1, mtop + 1):
        rm[m] = s * rm[m - 1] - t * im[m - 1]
        im[m] = s * im[m - 1] + t * rm[m - 1]

    pa = np.zeros(nmax + 1)  # row n-2
    pb = np.zeros(nmax + 1)  # row n-1
    pc = np.zeros(nmax + 1)  # row n

    rho = R / r
    k = gm / r2  # k_n = GM R^n / r^(n+2)

    sphi = 0.0
    sphi1 = 0.0
    sphi2 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    h1 = 0.0
    h2 = 0.0
    h3 = 0.0
    m11 = 0.0
    m12 = 0.0
    m13 = 0.0
    m23 = 0.0
    m33 = 0.0

    for n in range(nmax + 1):
        # Abar row n
        if n == 0:
            pc[0] = 1.0
        else:
            for m in range(n):
                pc[m] = alpha[n, m] * u * pb[m] - beta[n, m] * pa[m]
            pc[n] = alpha[n, n] * pb[n - 1]

        rphi = 0.0
        rg1 = 0.0
        rg2 = 0.0
        rg3 = 0.0
        r11 = 0.0
        r12 = 0.0
        r13 = 0.0
        r23 = 0.0
        r33 = 0.0
        mlim = min(n, mtop)
        for m in range(mlim + 1):
            c = C[n, m]
            sv = S[n, m]
            a0 = pc[m]
            if m < n:
                a1 = gamma[n, m] * pc[m + 1]
            else:
                a1 = 0.0
            d = c * rm[m] + sv * im[m]
            rphi += a0 * d
            rg3 += a1 * d
            if m >= 1:
                e1 = c * rm[m - 1] + sv * im[m - 1]
                f1 = sv * rm[m - 1] - c * im[m - 1]
                rg1 += m * a0 * e1
                rg2 += m * a0 * f1
                if want_hess:
                    r13 += m * a1 * e1
                    r23 += m * a1 * f1
                    if m >= 2:
                        e2 = c * rm[m - 2] + sv * im[m - 2]
                        f2 = sv * rm[m - 2] - c * im[m - 2]
                        mm1 = m * (m - 1) * a0
                        r11 += mm1 * e2
                        r12 += mm1 * f2
            if want_hess and m + 1 < n:
                r33 += gamma[n, m] * gamma[n, m + 1] * pc[m + 2] * d

        sphi += k * rphi
        sphi1 += k * (n + 1) * rphi
        g1 += k * rg1
        g2 += k * rg2
        g3 += k * rg3
        if want_hess:
            sphi2 += k * ((n + 1) * (n + 2)) * rphi
            h1 += k * (n + 2) * rg1
            h2 += k * (n + 2) * rg2
            h3 += k * (n + 2) * rg3
            m11 += k * r11
            m12 += k * r12
            m13 += k * r13
            m23 += k * r23
            m33 += k * r33
        k *= rho
        tmp = pa
        pa = pb
        pb = pc
        pc = tmp

    sw = -sphi1 - (s * g1 + t * g2 + u * g3)
    a_out[0] = g1 + sw * s
    a_out[1] = g2 + sw * t
    a_out[2] = g3 + sw * u

    if want_hess:
        e = np.empty(3)
        e[0] = s
        e[1] = t
        e[2] = u
        hv = np.empty(3)
        hv[0] = h1
        hv[1] = h2
        hv[2] = h3
        M = np.empty((3, 3))
        M[0, 0] = m11
        M[1, 1] = -m11
        M[0, 1] = m12
        M[1, 0] = m12
        M[0, 2] = m13
        M[2, 0] = m13
        M[1, 2] = m23
        M[2, 1] = m23
        M[2, 2] = m33
        sw2 = -sphi2 - (s * h1 + t * h2 + u * h3)
        Me = M @ e
        sb = -hv - Me
        esb = e[0] * sb[0] + e[1] * sb[1] + e[2] * sb[2]
        psb = sb - esb * e
        for i in range(3):
            ui = hv[i] + sw2 * e[i]
            for j in range(3):
                pij = (1.0 if i == j else 0.0) - e[i] * e[j]
                mp = M[i, j] - Me[i] * e[j]
                h_out[i, j] = (-ui * e[j] + mp + e[i] * psb[j] + sw * pij) / r
        # symmetrize (exact in exact arithmetic; removes rounding asymmetry)
        for i in range(3):
            for j in range(i + 1, 3):
                avg = 0.5 * (h_out[i, j] + h_out[j, i])
                h_out[i, j] = avg
                h_out[j, i] = avg
    return r * sphi


@njit(cache=True)
def _sum_fast(x, y, z, C, S, gm, R, nmax, mmax, alpha, beta, gamma, a_out):
    """Acceleration-only version of ``_sum`` (same formulas, no Hessian branches); returns V."""
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    s = x / r
    t = y / r
    u = z / r
    mtop = min(mmax, nmax)
    rm = np.empty(mtop + 1)
    im = np.empty(mtop + 1)
    rm[0] = 1.0
    im[0] = 0.0
    for m in range(1, mtop + 1):
        rm[m] = s * rm[m - 1] - t * im[m - 1]
        im[m] = s * im[m - 1] + t * rm[m - 1]
    pa = np.zeros(nmax + 2)
    pb = np.zeros(nmax + 2)
    pc = np.zeros(nmax + 2)
    rho = R / r
    k = gm / r2
    sphi = 0.0
    sphi1 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for n in range(nmax + 1):
        if n == 0:
            pc[0] = 1.0
        else:
            for m in range(n):
                pc[m] = alpha[n, m] * u * pb[m] - beta[n, m] * pa[m]
            pc[n] = alpha[n, n] * pb[n - 1]
        mlim = min(n, mtop)
        # m = 0 term
        c = C[n, 0]
        a0 = pc[0]
        rphi = a0 * c
        rg3 = gamma[n, 0] * pc[1] * c
        rg1 = 0.0
        rg2 = 0.0
        for m in range(1, mlim + 1):
            c = C[n, m]
            sv = S[n, m]
            a0 = pc[m]
            a1 = gamma[n, m] * pc[m + 1]  # gamma[n, n] = 0 and pc[n+1] = 0
            d = c * rm[m] + sv * im[m]
            rphi += a0 * d
            rg3 += a1 * d
            ma0 = m * a0
            rg1 += ma0 * (c * rm[m - 1] + sv * im[m - 1])
            rg2 += ma0 * (sv * rm[m - 1] - c * im[m - 1])
        sphi += k * rphi
        sphi1 += k * (n + 1) * rphi
        g1 += k * rg1
        g2 += k * rg2
        g3 += k * rg3
        k *= rho
        tmp = pa
        pa = pb
        pb = pc
        pc = tmp
    sw = -sphi1 - (s * g1 + t * g2 + u * g3)
    a_out[0] = g1 + sw * s
    a_out[1] = g2 + sw * t
    a_out[2] = g3 + sw * u
    return r * sphi


@njit(cache=True)
def accel_into(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma, out):
    """Acceleration at body-fixed ``r`` (3,) written into ``out`` (3,) (km/s^2 for km inputs)."""
    _sum_fast(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, out)


@njit(cache=True)
def accel(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Acceleration (3,) at body-fixed position ``r`` (3,): gradient of ``potential``."""
    out = np.empty(3)
    _sum_fast(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, out)
    return out


@njit(cache=True)
def accel_and_gradient(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Acceleration (3,) and gravity gradient H[i, j] = d a_i / d r_j (3, 3) at ``r``."""
    out = np.empty(3)
    h = np.empty((3, 3))
    _sum(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, True, out, h)
    return out, h


@njit(cache=True)
def potential(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Gravitational potential V (positive, V = GM/r for a point mass) at ``r`` (3,)."""
    out = np.empty(3)
    dummy = np.empty((0, 0))
    return _sum(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, False, out, dummy)


@njit(cache=True)
def accel_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Accelerations (N, 3) at body-fixed positions ``rs`` (N, 3)."""
    n = rs.shape[0]
    out = np.empty((n, 3))
    for i in range(n):
        _sum_fast(rs[i, 0], rs[i, 1], rs[i, 2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, out[i])
    return out


@njit(cache=True)
def accel_and_gradient_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Accelerations (N, 3) and gradients (N, 3, 3) at body-fixed positions ``rs`` (N, 3)."""
    n = rs.shape[0]
    out = np.empty((n, 3))
    hs = np.empty((n, 3, 3))
    for i in range(n):
        _sum(rs[i, 0], rs[i, 1], rs[i, 2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, True, out[i], hs[i])
    return out, hs


@njit(cache=True)
def potential_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma):
    """Potentials (N,) at body-fixed positions ``rs`` (N, 3)."""
    n = rs.shape[0]
    v = np.empty(n)
    out = np.empty(3)
    dummy = np.empty((0, 0))
    for i in range(n):
        v[i] = _sum(rs[i, 0], rs[i, 1], rs[i, 2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, False, out, dummy)
    return v
