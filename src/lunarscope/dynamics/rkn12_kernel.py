"""The compiled RKN12(10) kernel: one Nyström step, its error norm, dense output, events.

For y = (r, v) with r'' = a(t, r) (the acceleration must not depend on v), the 17-stage
Runge–Kutta–Nyström pair of Dormand, El-Mikkawy & Prince (1987, coefficients in
:mod:`lunarscope.dynamics.rkn12_tableau`) advances r and v with order 12 and estimates the
local error with the embedded order-10 solution. The right-hand side has the same signature
as DOP853's, ``rhs(t, y, args) -> (v, a)``; only its acceleration half is used.

Dense output: RKN pairs have no free continuous extension; each step gets the polynomial
P(x), x = (t − t_k)/h, of degree 5 + m that matches r and v at both ends and the acceleration
at both ends and at m interior stage nodes c_j (``DENSE_STAGES``), using the stage
accelerations F_j the step has already computed — no extra right-hand-side calls. The stage
positions are only of low order (~1e-7 km off on the 100 km orbit), but a(r) moves by
|∂a/∂r| ~ 2 GM/r³ ≈ 1.6e-6 s⁻² per km, so F_j is a(t_j) to ~1e-13 km/s². P is the cubic
Hermite H3 of the ends plus x²(1 − x)² Q(x), Q fixed by the acceleration conditions through a
matrix that depends only on the c_j (``DENSE_MATRIX``, inverted once): the ends are hit
exactly and round-off stays at the 1e-12 km level. The velocity is P'/h. Measured on the
100 km 70×70 orbit against direct integration from the step start: ≤ 0.02 mm at rtol 1e-10
(140 s steps), < 0.001 mm at rtol 1e-12; on an e = 0.2 Kepler orbit with 900 s steps at rtol
1e-13, 7e-9 km (``tests/dynamics/test_rkn.py``).

Steps end on representable times: the step is h = fl(t + h) − t, so the state and its time
agree (in 2030, ulp(t) = 1.2e-7 s, 0.2 mm along a 1.6 km/s orbit per step otherwise).
Controller: HNW 1993 Sec. II.4 (eq. 4.12–4.13) with the exponent 1/11 of the embedded order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .dop853_tableau import UNIT_ROUNDOFF
from .rkn12_tableau import ERR_EXPONENT, MAX_FACTOR, MIN_FACTOR, N_STAGES, ORDER, SAFETY
from .rkn12_tableau import RKN12_A as _A
from .rkn12_tableau import RKN12_B as _B
from .rkn12_tableau import RKN12_BP as _BP
from .rkn12_tableau import RKN12_C as _C
from .rkn12_tableau import RKN12_EB as _EB
from .rkn12_tableau import RKN12_EBP as _EBP
from .step_control import clip_step, initial_finish, initial_guess

#: interior stages whose accelerations shape the dense output (c = 0.1, 0.2, 0.5, 0.75, 6/7):
#: chosen by measurement (docs/benchmarks.md); the stages at c = 0.02, 0.04 and ≥ 0.945 have
#: the least accurate positions (~1e-6 km), and more nodes made the output worse (conditioning).
DENSE_STAGES = (3, 7, 10, 12, 13)
N_DENSE_COEF = 6 + len(DENSE_STAGES)  # power coefficients of P per component (degree 10)


def _dense_matrix() -> np.ndarray:
    """Inverse of the matrix mapping q (Q's power coefficients) to W''(x) at x = 0, 1, c_j for
    W = x²(1 − x)² Q(x), the part of P beyond the cubic Hermite interpolant of r and v."""
    nq = N_DENSE_COEF - 4
    xs = [0.0, 1.0] + [float(_C[s]) for s in DENSE_STAGES]
    rows = []
    for x in xs:
        row = []
        for j in range(nq):
            # W_j = x^(j+2) − 2 x^(j+3) + x^(j+4); W_j'' at x
            w = 0.0
            for p, c in ((j + 2, 1.0), (j + 3, -2.0), (j + 4, 1.0)):
                w += c * p * (p - 1) * x ** (p - 2)
            row.append(w)
        rows.append(row)
    return np.linalg.inv(np.array(rows))


DENSE_MATRIX = _dense_matrix()
INITIAL_STEP_EXPONENT = 1.0 / (ORDER + 1)  # HINIT's h ~ (0.01 / d2)^(1/(p+1))
EVENT_MAX_ITER = 200  # root-finder iterations before giving up refining an event time
VELOCITY_PROBE_KMS = 1.0  # velocity change used to check that the acceleration ignores v


@njit(cache=True)
def _rkn_step(rhs, t, y, a0, h, args, f, ytmp, y_new, err_vec):
    """17 stages with step h from y = (r, v), a0 = a(t, r); fills y_new (6,) and err_vec (6,)."""
    for m in range(3):
        f[0, m] = a0[m]
    for s in range(1, N_STAGES):
        ch = _C[s] * h
        for m in range(3):
            acc = 0.0
            for j in range(s):
                acc += _A[s, j] * f[j, m]
            ytmp[m] = y[m] + ch * y[3 + m] + h * h * acc
            ytmp[3 + m] = y[3 + m] + ch * a0[m]  # unused by a velocity-free acceleration
        ks = rhs(t + ch, ytmp, args)
        for m in range(3):
            f[s, m] = ks[3 + m]
    for m in range(3):
        pb = 0.0
        vb = 0.0
        pe = 0.0
        ve = 0.0
        for j in range(N_STAGES):
            pb += _B[j] * f[j, m]
            vb += _BP[j] * f[j, m]
            pe += _EB[j] * f[j, m]
            ve += _EBP[j] * f[j, m]
        y_new[m] = y[m] + h * y[3 + m] + h * h * pb
        y_new[3 + m] = y[3 + m] + h * vb
        err_vec[m] = h * h * pe
        err_vec[3 + m] = h * ve


@njit(cache=True)
def _initial_step(rhs, t, y, f0, direction, hmax, rtol, atol, args):
    """HNW 1993 Sec. II.4 (``HINIT``) initial step for a method of order 12
    (:mod:`.step_control`)."""
    h, sk, dnf = initial_guess(y, f0, direction, hmax, rtol, atol)
    f1 = rhs(t + h, y + h * f0, args)
    return initial_finish(f0, f1, sk, dnf, h, direction, hmax, INITIAL_STEP_EXPONENT)


@njit(cache=True, inline="always")
def _rejected_step(h, err):
    """Step to retry with after a rejected step of error norm err (NaN: the smallest factor)."""
    if not math.isnan(err):
        return h * max(MIN_FACTOR, SAFETY * err ** (-ERR_EXPONENT))
    return h * MIN_FACTOR


@njit(cache=True, inline="always")
def _next_step(h, err, hmax, direction, rejected_last):
    """Step after an accepted step of error norm err (HNW II.4 eq. 4.13, capped by hmax, not
    grown right after a rejection)."""
    fac = SAFETY * err ** (-ERR_EXPONENT) if err > 0.0 else MAX_FACTOR
    fac = min(MAX_FACTOR, max(MIN_FACTOR, fac))
    h_new = h * fac
    if abs(h_new) > hmax:
        h_new = direction * hmax
    if rejected_last:
        h_new = direction * min(abs(h_new), abs(h))
    return h_new


@njit(cache=True)
def _error_norm(y, y_new, err_vec, rtol, atol):
    """RMS of the embedded error over atol + rtol·max(|y|, |y_new|) (HNW II.4 eq. 4.11); ≤ 1 accepts."""
    acc = 0.0
    for m in range(6):
        sk = atol[m] + rtol * max(abs(y[m]), abs(y_new[m]))
        acc += (err_vec[m] / sk) ** 2
    return math.sqrt(acc / 6.0)


@njit(cache=True)
def _dense_coefficients(y, y_new, a_new, f, h, out):
    """Power coefficients (N_DENSE_COEF, 3) of the step's position polynomial into out:
    P = H3 + x²(1 − x)² Q, H3 the cubic Hermite of r, h·v at both ends (so P hits the step's
    ends exactly, and Q carries only the small remainder: well conditioned), Q from
    P'' = h² a at x = 0, 1 and the DENSE_STAGES nodes."""
    nd = len(DENSE_STAGES)
    nq = N_DENSE_COEF - 4
    rhs_q = np.empty(nq)
    q = np.empty(nq)
    for m in range(3):
        p0 = y[m]
        p1 = h * y[3 + m]
        d = y_new[m] - y[m]
        hv1 = h * y_new[3 + m]
        p2 = 3.0 * d - 2.0 * p1 - hv1
        p3 = -2.0 * d + p1 + hv1
        rhs_q[0] = h * h * f[0, m] - 2.0 * p2
        rhs_q[1] = h * h * a_new[m] - (2.0 * p2 + 6.0 * p3)
        for j in range(nd):
            x = _C[DENSE_STAGES[j]]
            rhs_q[2 + j] = h * h * f[DENSE_STAGES[j], m] - (2.0 * p2 + 6.0 * p3 * x)
        for r in range(nq):
            acc = 0.0
            for c in range(nq):
                acc += DENSE_MATRIX[r, c] * rhs_q[c]
            q[r] = acc
        for i in range(N_DENSE_COEF):
            out[i, m] = 0.0
        out[0, m] = p0
        out[1, m] = p1
        out[2, m] = p2
        out[3, m] = p3
        for j in range(nq):  # x^(j+2) − 2 x^(j+3) + x^(j+4)
            out[j + 2, m] += q[j]
            out[j + 3, m] -= 2.0 * q[j]
            out[j + 4, m] += q[j]


@njit(cache=True)
def _hermite_point(coef, t_old, h, t, out):
    """Position and velocity (6,) at t from one step's coefficients (N_DENSE_COEF, 3)."""
    x = (t - t_old) / h
    nc = coef.shape[0]
    for m in range(3):
        p = coef[nc - 1, m]
        dp = (nc - 1) * coef[nc - 1, m]
        for i in range(nc - 2, -1, -1):
            p = coef[i, m] + x * p
            if i > 0:
                dp = i * coef[i, m] + x * dp
        out[m] = p
        out[3 + m] = dp / h


@njit(cache=True)
def hermite_evaluate(keys, t_old, h, coefs, direction, tq):
    """Evaluate the piecewise Hermite output at times tq (M,) -> (M, 6); layout as
    :func:`lunarscope.dynamics.dop853_kernel.dense_evaluate` with coefs (K, N_DENSE_COEF, 3)."""
    nk = coefs.shape[0]
    m_q = tq.shape[0]
    out = np.empty((m_q, 6))
    row = np.empty(6)
    idx = np.searchsorted(keys, tq * direction, side="right") - 1
    for q in range(m_q):
        i = min(max(idx[q], 0), nk - 1)
        _hermite_point(coefs[i], t_old[i], h[i], tq[q], row)
        for m in range(6):
            out[q, m] = row[m]
    return out


@njit(cache=True)
def _locate_event(event, coef, t_old, h, ta, tb, ga, gb, args, tol):
    """Illinois regula falsi (Dahlquist & Björck, *Numerical Methods*, 1974, Sec. 6.2.2) with
    bisection safeguard on the dense output between ta (g > 0) and tb (g <= 0); returns a time
    on the g <= 0 side within tol of the crossing."""
    row = np.empty(6)
    a, b, fa, fb = ta, tb, ga, gb
    side = 0
    for it in range(EVENT_MAX_ITER):
        if abs(b - a) <= tol:
            break
        x = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not (min(a, b) < x < max(a, b)) or it % 8 == 7:  # safeguard: bisect now and then
            x = 0.5 * (a + b)
        _hermite_point(coef, t_old, h, x, row)
        fx = event(x, row, args)
        if fx <= 0.0:
            b, fb = x, fx
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a, fa = x, fx
            if side == 1:
                fb *= 0.5
            side = 1
    return b


@njit(cache=True)
def velocity_dependence(rhs, t, y, args):
    """Largest change of the acceleration (km/s²) when the velocity changes by VELOCITY_PROBE_KMS
    (``integrators`` compiles it with rhs typed as a FunctionType, as the kernels)."""
    a0 = rhs(t, y, args)
    y2 = y.copy()
    for m in range(3, 6):
        y2[m] += VELOCITY_PROBE_KMS
    a1 = rhs(t, y2, args)
    d = 0.0
    for m in range(3, 6):
        d = max(d, abs(a1[m] - a0[m]))
    return d


@njit(cache=True, nogil=True)
def rkn12_kernel(rhs, event, t0, y0, t_end, args, rtol, atol, max_step, first_step, max_steps, fixed_step, event_tol):
    """Integrate r'' = a(t, r) (y = (r, v), y' = rhs(t, y, args)) from t0 to t_end with RKN12(10).

    Same arguments and returns as :func:`lunarscope.dynamics.dop853_kernel.dop853_kernel`
    except coefs, (K, N_DENSE_COEF, 3) position coefficients. n_rhs counts every call.
    """
    direction = 1.0 if t_end >= t0 else -1.0
    span = abs(t_end - t0)
    hmax = min(max_step, span)
    cap = 64
    ts = np.empty(cap + 1)
    ys = np.empty((cap + 1, 6))
    tolds = np.empty(cap)
    hs = np.empty(cap)
    coefs = np.empty((cap, N_DENSE_COEF, 3))
    f = np.zeros((N_STAGES, 3))
    ytmp = np.empty(6)
    y_new = np.empty(6)
    err_vec = np.empty(6)
    t = t0
    y = y0.copy()
    ts[0] = t
    ys[0] = y
    y_event = np.full(6, np.nan)
    t_event = np.nan
    if span == 0.0:
        return ts[:1], ys[:1], tolds[:0], hs[:0], coefs[:0], 0, t_event, y_event, 0, 0
    fy = rhs(t, y, args)
    a0 = fy[3:].copy()
    n_rhs = 1
    g_old = event(t, y, args)
    fixed = fixed_step > 0.0
    if fixed:
        h = direction * fixed_step
    elif first_step > 0.0:
        h = direction * min(first_step, hmax)
    else:
        h = _initial_step(rhs, t, y, fy, direction, hmax, rtol, atol, args)
        n_rhs += 1
    n_acc = 0
    n_att = 0
    status = 0
    rejected_last = False
    err = 0.0
    while True:
        if n_att >= max_steps:
            status = -1
            break
        if not (0.1 * abs(h) > abs(t) * UNIT_ROUNDOFF):
            status = -2
            break
        h, last = clip_step(t, h, t_end, direction)
        n_att += 1
        _rkn_step(rhs, t, y, a0, h, args, f, ytmp, y_new, err_vec)
        n_rhs += N_STAGES - 1
        if not fixed:
            err = _error_norm(y, y_new, err_vec, rtol, atol)
            if not (err <= 1.0):  # rejected (NaN too)
                h = _rejected_step(h, err)
                rejected_last = True
                continue
        t_new = t_end if last else t + h
        a_new = rhs(t_new, y_new, args)[3:].copy()
        n_rhs += 1
        if n_acc == cap:
            cap2 = 2 * cap
            ts2 = np.empty(cap2 + 1)
            ys2 = np.empty((cap2 + 1, 6))
            tolds2 = np.empty(cap2)
            hs2 = np.empty(cap2)
            coefs2 = np.empty((cap2, N_DENSE_COEF, 3))
            ts2[: cap + 1] = ts
            ys2[: cap + 1] = ys
            tolds2[:cap] = tolds
            hs2[:cap] = hs
            coefs2[:cap] = coefs
            ts, ys, tolds, hs, coefs, cap = ts2, ys2, tolds2, hs2, coefs2, cap2
        _dense_coefficients(y, y_new, a_new, f, t_new - t, coefs[n_acc])
        tolds[n_acc] = t
        hs[n_acc] = t_new - t
        g_new = event(t_new, y_new, args)
        n_acc += 1
        if g_old > 0.0 and g_new <= 0.0:
            k = n_acc - 1
            t_event = _locate_event(event, coefs[k], t, hs[k], t, t_new, g_old, g_new, args, event_tol)
            _hermite_point(coefs[k], t, hs[k], t_event, y_event)
            ts[n_acc] = t_event
            ys[n_acc] = y_event
            status = 1
            break
        ts[n_acc] = t_new
        ys[n_acc] = y_new
        t = t_new
        y = y_new.copy()
        a0 = a_new
        g_old = g_new
        if last:
            break
        if not fixed:
            h = _next_step(h, err, hmax, direction, rejected_last)
            rejected_last = False
    return (
        ts[: n_acc + 1],
        ys[: n_acc + 1],
        tolds[:n_acc],
        hs[:n_acc],
        coefs[:n_acc],
        status,
        t_event,
        y_event,
        n_acc,
        n_rhs,
    )
