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

Kernel API (all ``@njit(cache=True)``, callable from other numba code; ``args`` is
``GravityField.kernel_args()`` = (C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk))::

    alpha, beta, gamma = recursion_coefficients(nmax)         # once per field (numpy)
    pk = packed_coefficients(C, S, nmax, mmax, alpha, beta, gamma)   # once per field
    a   = accel(r, *args)                 # (3,)   single point, column recursions in registers
    accel_into(r, *args, out)             # same, writes out[0:3] (the propagator's call)
    accel_many(rs, *args)                 # (N,3) -> (N,3), SIMD over blocks of points
    accel_many_parallel(rs, *args)        # same on all cores (numba prange over the blocks)
    a,H = accel_and_gradient(r, *args)    # (3,), (3,3)   row-by-row sum of the formulas above
    V   = potential(r, *args)             # float

The acceleration kernels reorder the same sums (m outer, n inner, see the comments above
``packed_coefficients``); the gradient/potential path keeps the n-by-n order, so the two are
independent checks of each other (tests/gravity).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..intrinsics import fma, njit_slp, stack_empty1

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


# ---- packed column coefficients (acceleration kernels) ------------------------------------
# The acceleration kernels walk the (n, m) triangle column by column (m outer, n inner), so
# each column's recursion lives in registers and its coefficients stream from one contiguous
# block. Per column m the terms are factored as
#     sum_n k_n Abar_nm (C_nm r_m + S_nm i_m) = r_m sum_n k_n Abar_nm C_nm + i_m sum_n k_n Abar_nm S_nm,
# so only six running sums per column are needed (with and without the (n+1) radial factor,
# and the u-derivative sums of column m-1, which read Abar_n(m) of this column; the scalar
# kernel forms the two radial ones from prefix sums, see ``_accel_packed``).
# The recursion is rescaled to a unit second coefficient: with w_mm = w_(m+1)m = 1 and
# w_nm = beta_nm w_(n-2)m, B_nm = Abar_nm / w_nm obeys
#     B_nm = alpha_nm (w_(n-1)m / w_nm) u B_(n-1)m - B_(n-2)m,
# and w_nm is folded into the coefficients (one multiply less per term than the plain
# recursion; w stays within [0.2, 1.2] up to degree 1300).

PACK_WIDTH = 8
"""Doubles per packed (n, m) entry (64 bytes, one cache line): [a', wC, wS, (n+1)wC, (n+1)wS,
w gamma_n(m-1) C_n(m-1), w gamma_n(m-1) S_n(m-1), 0]; the (n+1) pair is read by no kernel
since the batch kernel runs the lanes sum (which forms the radial sums from prefix sums); it
keeps an entry one cache line."""

LANES = 8
"""Points (orbits) evaluated together by :func:`accel_lanes` and the lane integrator
(:mod:`lunarscope.dynamics.rkn12_lanes`): 8 doubles fill one AVX-512 register, two AVX2 ones."""


BATCH_BLOCK_POINTS = LANES
"""Points evaluated together by the batch kernel: one call of :func:`accel_lanes`."""


@njit(cache=True)
def column_offset(m, nmax):
    """Row of entry (n=m, m) in the packed array; column m holds n = m..nmax."""
    return m * (nmax + 1) - (m * (m - 1)) // 2


@njit(cache=True)
def packed_coefficients(C, S, nmax, mmax, alpha, beta, gamma):
    """Packed, rescaled column coefficients ((nmax+1)(nmax+2)/2, PACK_WIDTH) for ``accel*``.

    Built once per field from C, S and ``recursion_coefficients`` (layout: module comments).
    """
    size = (nmax + 1) * (nmax + 2) // 2
    pk = np.zeros((size, PACK_WIDTH))
    w = np.empty(nmax + 1)
    mtop = min(mmax, nmax)
    for m in range(nmax + 1):
        off = column_offset(m, nmax)
        for n in range(m, nmax + 1):
            if n <= m + 1:
                w[n] = 1.0
            else:
                w[n] = beta[n, m] * w[n - 2]
        for n in range(m, nmax + 1):
            i = off + n - m
            if n == m:
                pk[i, 0] = 1.0 if m == 0 else alpha[m, m]
            else:
                pk[i, 0] = alpha[n, m] * (w[n - 1] / w[n])
            if m <= mtop:
                pk[i, 1] = w[n] * C[n, m]
                pk[i, 2] = w[n] * S[n, m]
                pk[i, 3] = (n + 1) * pk[i, 1]
                pk[i, 4] = (n + 1) * pk[i, 2]
            if m >= 1 and m - 1 <= mtop:
                pk[i, 5] = w[n] * gamma[n, m - 1] * C[n, m - 1]
                pk[i, 6] = w[n] * gamma[n, m - 1] * S[n, m - 1]
    return pk


@njit(cache=True)
def _accel_packed(x, y, z, pk, gm, R, nmax, mmax, a_out):
    """Acceleration at body-fixed (x, y, z) from the packed coefficients, written to a_out[0:3]
    (one point; each column's recursion and sums live in registers).

    The radial sums carry the factor (n+1); instead of two more multiply-adds per term they
    come from the prefix sums the plain sums already form: for terms a_n, n = j+1..N,
        sum (n+1) a_n = (N+1) sum a_n - sum_(i=j+1..N-1) prefix_i,
    which costs two additions per term (the first term of each column, the central GM/r^2 for
    j = 0, is kept apart, so the subtraction never cancels against it).
    """
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    s = x / r
    t = y / r
    u = z / r
    rho = R / r
    # k_n = GM R^n / r^(n+2) by k_(n+1) = k_n rho, formed along each column from kj = k_j (the
    # same products, so the same bits as a table of k_n, without allocating one per call)
    kj = gm / r2
    mtop = min(mmax, nmax)
    jtop = min(mtop + 1, nmax)  # column mtop+1 is needed for the u-derivative of column mtop
    top1 = nmax + 1.0
    asec = 1.0
    rm = 1.0
    im = 0.0
    sphi1 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for j in range(jtop + 1):
        off = column_offset(j, nmax)
        asec *= pk[off, 0]
        pa = 0.0
        pb = asec
        kn = kj
        tt = kn * asec
        p0c = tt * pk[off, 1]
        p0s = tt * pk[off, 2]
        gc_ = tt * pk[off, 5]
        gs_ = tt * pk[off, 6]
        pc_ = 0.0
        ps_ = 0.0
        zc = 0.0
        zs = 0.0
        for n in range(j + 1, nmax + 1):
            i = off + n - j
            b = fma(pk[i, 0] * u, pb, -pa)
            pa = pb
            pb = b
            kn *= rho
            tt = kn * b
            zc += pc_
            zs += ps_
            pc_ = fma(tt, pk[i, 1], pc_)
            ps_ = fma(tt, pk[i, 2], ps_)
            gc_ = fma(tt, pk[i, 5], gc_)
            gs_ = fma(tt, pk[i, 6], gs_)
        qc_ = (j + 1.0) * p0c + (top1 * pc_ - zc)
        qs_ = (j + 1.0) * p0s + (top1 * ps_ - zs)
        pc_ += p0c
        ps_ += p0s
        if j >= 1:
            rmp = rm
            imp = im
            rm = s * rmp - t * imp
            im = s * imp + t * rmp
            g1 += j * (pc_ * rmp + ps_ * imp)
            g2 += j * (ps_ * rmp - pc_ * imp)
            g3 += gc_ * rmp + gs_ * imp  # u-derivative sums belong to column j-1
        if j <= mtop:
            sphi1 += qc_ * rm + qs_ * im
        kj *= rho
    sw = -sphi1 - (s * g1 + t * g2 + u * g3)
    a_out[0] = g1 + sw * s
    a_out[1] = g2 + sw * t
    a_out[2] = g3 + sw * u


@njit_slp(cache=True, error_model="numpy")
def accel_lanes(x, y, z, pk, gm, R, nmax, mmax, ax, ay, az):
    """Accelerations at the LANES body-fixed points (x, y, z) (each (LANES,)) into ax, ay, az.

    The sums of :func:`_accel_packed`, written with the lanes innermost on stack arrays
    (:mod:`lunarscope.intrinsics`: no aliasing, no allocation), so the compiler turns every
    lane loop into vector instructions; each lane's operations are the scalar kernel's, in the
    same order, so every lane has its bits (tests/gravity/test_field_lanes.py). 10x10: 22 ns per
    point against 122 ns for the one-point kernel (``benchmarks/rhs_breakdown.py``; compiled with
    the SLP vectoriser, :func:`lunarscope.intrinsics.njit_slp`).
    """
    s = stack_empty1(LANES)
    t = stack_empty1(LANES)
    u = stack_empty1(LANES)
    rho = stack_empty1(LANES)
    kj = stack_empty1(LANES)
    kn = stack_empty1(LANES)
    rm = stack_empty1(LANES)
    im = stack_empty1(LANES)
    pa = stack_empty1(LANES)
    pb = stack_empty1(LANES)
    sphi1 = stack_empty1(LANES)
    g1 = stack_empty1(LANES)
    g2 = stack_empty1(LANES)
    g3 = stack_empty1(LANES)
    pc_ = stack_empty1(LANES)
    ps_ = stack_empty1(LANES)
    zc = stack_empty1(LANES)
    zs = stack_empty1(LANES)
    gc_ = stack_empty1(LANES)
    gs_ = stack_empty1(LANES)
    p0c = stack_empty1(LANES)
    p0s = stack_empty1(LANES)
    for p in range(LANES):
        r2 = x[p] * x[p] + y[p] * y[p] + z[p] * z[p]
        r = np.sqrt(r2)
        s[p] = x[p] / r
        t[p] = y[p] / r
        u[p] = z[p] / r
        rho[p] = R / r
        kj[p] = gm / r2
        rm[p] = 1.0
        im[p] = 0.0
        sphi1[p] = 0.0
        g1[p] = 0.0
        g2[p] = 0.0
        g3[p] = 0.0
    mtop = min(mmax, nmax)
    jtop = min(mtop + 1, nmax)
    top1 = nmax + 1.0
    asec = 1.0
    for j in range(jtop + 1):
        off = column_offset(j, nmax)
        asec *= pk[off, 0]
        c1 = pk[off, 1]
        c2 = pk[off, 2]
        c5 = pk[off, 5]
        c6 = pk[off, 6]
        for p in range(LANES):
            pa[p] = 0.0
            pb[p] = asec
            kn[p] = kj[p]
            tt = kj[p] * asec
            p0c[p] = tt * c1
            p0s[p] = tt * c2
            gc_[p] = tt * c5
            gs_[p] = tt * c6
            pc_[p] = 0.0
            ps_[p] = 0.0
            zc[p] = 0.0
            zs[p] = 0.0
        for n in range(j + 1, nmax + 1):
            i = off + n - j
            a = pk[i, 0]
            d1 = pk[i, 1]
            d2 = pk[i, 2]
            d5 = pk[i, 5]
            d6 = pk[i, 6]
            for p in range(LANES):
                b = fma(a * u[p], pb[p], -pa[p])
                pa[p] = pb[p]
                pb[p] = b
                k = kn[p] * rho[p]
                kn[p] = k
                tt = k * b
                zc[p] += pc_[p]
                zs[p] += ps_[p]
                pc_[p] = fma(tt, d1, pc_[p])
                ps_[p] = fma(tt, d2, ps_[p])
                gc_[p] = fma(tt, d5, gc_[p])
                gs_[p] = fma(tt, d6, gs_[p])
        jf = j + 1.0
        for p in range(LANES):
            qc_ = jf * p0c[p] + (top1 * pc_[p] - zc[p])
            qs_ = jf * p0s[p] + (top1 * ps_[p] - zs[p])
            pcv = pc_[p] + p0c[p]
            psv = ps_[p] + p0s[p]
            rmv = rm[p]
            imv = im[p]
            if j >= 1:
                rmv = s[p] * rm[p] - t[p] * im[p]
                imv = s[p] * im[p] + t[p] * rm[p]
                g1[p] += j * (pcv * rm[p] + psv * im[p])
                g2[p] += j * (psv * rm[p] - pcv * im[p])
                g3[p] += gc_[p] * rm[p] + gs_[p] * im[p]  # u-derivative sums belong to column j-1
                rm[p] = rmv
                im[p] = imv
            if j <= mtop:
                sphi1[p] += qc_ * rmv + qs_ * imv
            kj[p] *= rho[p]
    for p in range(LANES):
        sw = -sphi1[p] - (s[p] * g1[p] + t[p] * g2[p] + u[p] * g3[p])
        ax[p] = g1[p] + sw * s[p]
        ay[p] = g2[p] + sw * t[p]
        az[p] = g3[p] + sw * u[p]


@njit(cache=True)
def _accel_block(rs, i0, i1, pk, gm, R, nmax, mmax, out):
    """Accelerations of points rs[i0:i1] (at most BATCH_BLOCK_POINTS = LANES) into out[i0:i1]:
    :func:`accel_lanes` on the block (a short block padded with copies of its first point), so
    each point has the bits of the one-point kernel."""
    x = stack_empty1(LANES)
    y = stack_empty1(LANES)
    z = stack_empty1(LANES)
    ax = stack_empty1(LANES)
    ay = stack_empty1(LANES)
    az = stack_empty1(LANES)
    for p in range(LANES):
        i = i0 + p if i0 + p < i1 else i0
        x[p] = rs[i, 0]
        y[p] = rs[i, 1]
        z[p] = rs[i, 2]
    accel_lanes(x, y, z, pk, gm, R, nmax, mmax, ax, ay, az)
    for p in range(i1 - i0):
        out[i0 + p, 0] = ax[p]
        out[i0 + p, 1] = ay[p]
        out[i0 + p, 2] = az[p]


@njit(cache=True)
def accel_into(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk, out):
    """Acceleration at body-fixed ``r`` (3,) written into ``out`` (3,) (km/s^2 for km inputs);
    the single-point kernel the propagator calls each force evaluation."""
    _accel_packed(r[0], r[1], r[2], pk, gm, R, nmax, mmax, out)


@njit(cache=True)
def accel(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Acceleration (3,) at body-fixed position ``r`` (3,): gradient of ``potential``."""
    out = np.empty(3)
    _accel_packed(r[0], r[1], r[2], pk, gm, R, nmax, mmax, out)
    return out


@njit(cache=True)
def accel_and_gradient(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Acceleration (3,) and gravity gradient H[i, j] = d a_i / d r_j (3, 3) at ``r``."""
    out = np.empty(3)
    h = np.empty((3, 3))
    _sum(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, True, out, h)
    return out, h


@njit(cache=True)
def potential(r, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Gravitational potential V (positive, V = GM/r for a point mass) at ``r`` (3,)."""
    out = np.empty(3)
    dummy = np.empty((0, 0))
    return _sum(r[0], r[1], r[2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, False, out, dummy)


@njit(cache=True)
def accel_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Accelerations (N, 3) at body-fixed positions ``rs`` (N, 3): blocks of
    BATCH_BLOCK_POINTS points, SIMD over points, one thread (callable from numba code)."""
    n = rs.shape[0]
    out = np.empty((n, 3))
    nblk = (n + BATCH_BLOCK_POINTS - 1) // BATCH_BLOCK_POINTS
    for b in range(nblk):
        i0 = b * BATCH_BLOCK_POINTS
        _accel_block(rs, i0, min(n, i0 + BATCH_BLOCK_POINTS), pk, gm, R, nmax, mmax, out)
    return out


@njit(cache=True, parallel=True)
def accel_many_parallel(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """``accel_many`` with the blocks spread over numba's threads (all cores; same results)."""
    n = rs.shape[0]
    out = np.empty((n, 3))
    nblk = (n + BATCH_BLOCK_POINTS - 1) // BATCH_BLOCK_POINTS
    for b in prange(nblk):
        i0 = b * BATCH_BLOCK_POINTS
        _accel_block(rs, i0, min(n, i0 + BATCH_BLOCK_POINTS), pk, gm, R, nmax, mmax, out)
    return out


@njit(cache=True)
def accel_and_gradient_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Accelerations (N, 3) and gradients (N, 3, 3) at body-fixed positions ``rs`` (N, 3)."""
    n = rs.shape[0]
    out = np.empty((n, 3))
    hs = np.empty((n, 3, 3))
    for i in range(n):
        _sum(rs[i, 0], rs[i, 1], rs[i, 2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, True, out[i], hs[i])
    return out, hs


@njit(cache=True)
def potential_many(rs, C, S, gm, R, nmax, mmax, alpha, beta, gamma, pk):
    """Potentials (N,) at body-fixed positions ``rs`` (N, 3)."""
    n = rs.shape[0]
    v = np.empty(n)
    out = np.empty(3)
    dummy = np.empty((0, 0))
    for i in range(n):
        v[i] = _sum(rs[i, 0], rs[i, 1], rs[i, 2], C, S, gm, R, nmax, mmax, alpha, beta, gamma, False, out, dummy)
    return v
