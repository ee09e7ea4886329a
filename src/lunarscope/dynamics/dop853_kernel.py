"""The compiled DOP853 kernel: one step, its error norm, dense output, events, the loop.

Pure numba functions on float64 arrays; the coefficients come from
:mod:`lunarscope.dynamics.dop853_tableau` and the Python entry point is
:func:`lunarscope.dynamics.integrators.integrate`. Formulas: Hairer, Nørsett & Wanner 1993,
Sec. II.4 (controller, ``HINIT``) and II.10 (``CONTD8``).
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
from numba import njit

from .dop853_tableau import DOP853_A as _A
from .dop853_tableau import DOP853_C as _C
from .dop853_tableau import DOP853_D as _D
from .dop853_tableau import DOP853_E3 as _E3
from .dop853_tableau import DOP853_E5 as _E5
from .dop853_tableau import ERR_EXPONENT, MAX_FACTOR, MIN_FACTOR, SAFETY, UNIT_ROUNDOFF
from .step_control import clip_step, initial_finish, initial_guess


class IntegrationStatus(IntEnum):
    """Outcome of an integration (the compiled kernel returns the integer value)."""

    SUCCESS = 0  # reached t_end
    EVENT = 1  # the terminal event crossed from + to -; stopped at the event time
    MAX_STEPS = -1  # gave up after max_steps accepted+rejected steps
    STEP_TOO_SMALL = -2  # the step fell below the round-off of t (HNW criterion)


@njit(cache=True)
def no_event(t, y, args):
    """Event function that never fires (always +1)."""
    return 1.0


@njit(cache=True)
def _rk_step(rhs, t, y, f0, h, args, k, ytmp):
    """Stages 1..12 of DOP853 with step h; returns the 8th-order y(t+h). k is (16, n)."""
    n = y.shape[0]
    for m in range(n):
        k[0, m] = f0[m]
    for s in range(1, 12):
        for m in range(n):
            acc = 0.0
            for j in range(s):
                acc += _A[s, j] * k[j, m]
            ytmp[m] = y[m] + h * acc
        ks = rhs(t + _C[s] * h, ytmp, args)
        for m in range(n):
            k[s, m] = ks[m]
    y_new = np.empty(n)
    for m in range(n):
        acc = 0.0
        for j in range(12):
            acc += _A[12, j] * k[j, m]
        y_new[m] = y[m] + h * acc
    return y_new


@njit(cache=True)
def _error_norm(y, y_new, k, h, rtol, atol):
    """HNW dop853.f error measure (5th/3rd-order estimators blended), <= 1 accepts."""
    n = y.shape[0]
    err5 = 0.0
    err3 = 0.0
    for m in range(n):
        sk = atol[m] + rtol * max(abs(y[m]), abs(y_new[m]))
        e5 = 0.0
        e3 = 0.0
        for j in range(12):
            e5 += _E5[j] * k[j, m]
            e3 += _E3[j] * k[j, m]
        err5 += (e5 / sk) ** 2
        err3 += (e3 / sk) ** 2
    deno = err5 + 0.01 * err3
    if deno <= 0.0:
        deno = 1.0
    return abs(h) * err5 * math.sqrt(1.0 / (n * deno))


@njit(cache=True)
def _dense_coefficients(rhs, t, y, y_new, f_new, h, args, k, ytmp, out):
    """Fill out (8, n) with y_old and the 7 CONTD8 coefficients (3 extra rhs calls)."""
    n = y.shape[0]
    for m in range(n):
        k[12, m] = f_new[m]
    for s in range(13, 16):
        for m in range(n):
            acc = 0.0
            for j in range(s):
                acc += _A[s, j] * k[j, m]
            ytmp[m] = y[m] + h * acc
        ks = rhs(t + _C[s] * h, ytmp, args)
        for m in range(n):
            k[s, m] = ks[m]
    for m in range(n):
        dy = y_new[m] - y[m]
        out[0, m] = y[m]
        out[1, m] = dy
        out[2, m] = h * k[0, m] - dy
        out[3, m] = 2.0 * dy - h * (k[12, m] + k[0, m])
        for r in range(4):
            acc = 0.0
            for j in range(16):
                acc += _D[r, j] * k[j, m]
            out[4 + r, m] = h * acc


@njit(cache=True)
def _dense_point(coef, t_old, h, t, out):
    """Evaluate one step's 7th-order polynomial at time t into out (n,)."""
    x = (t - t_old) / h
    x1 = 1.0 - x
    n = out.shape[0]
    for m in range(n):
        v = coef[7, m]
        v = coef[6, m] + x * v
        v = coef[5, m] + x1 * v
        v = coef[4, m] + x * v
        v = coef[3, m] + x1 * v
        v = coef[2, m] + x * v
        v = coef[1, m] + x1 * v
        out[m] = coef[0, m] + x * v


@njit(cache=True)
def dense_evaluate(keys, t_old, h, coefs, direction, tq):
    """Evaluate piecewise dense output at times tq (M,) -> (M, n).

    keys (K+1,) are the step boundary times multiplied by direction (increasing);
    step k covers [keys[k], keys[k+1]) (the last one closed); t_old, h (K,) are each
    polynomial's origin and step; coefs (K, 8, n).
    """
    nk = coefs.shape[0]
    n = coefs.shape[2]
    m_q = tq.shape[0]
    out = np.empty((m_q, n))
    row = np.empty(n)
    idx = np.searchsorted(keys, tq * direction, side="right") - 1
    for q in range(m_q):
        i = idx[q]
        i = max(i, 0)
        i = min(i, nk - 1)
        _dense_point(coefs[i], t_old[i], h[i], tq[q], row)
        for m in range(n):
            out[q, m] = row[m]
    return out


@njit(cache=True)
def _event_value(event, coef, t_old, h, t, args, row):
    _dense_point(coef, t_old, h, t, row)
    return event(t, row, args)


@njit(cache=True)
def _locate_event(event, coef, t_old, h, ta, tb, ga, gb, args, tol):
    """Brent's method (R. P. Brent, Algorithms for Minimization without Derivatives,
    1973, ch. 4, procedure *zero*) on the dense output between ta (g>0) and tb (g<=0)."""
    n = coef.shape[1]
    row = np.empty(n)
    a, b, fa, fb = ta, tb, ga, gb
    if fb == 0.0:
        return b
    c, fc = a, fa
    d = b - a
    e = d
    for _ in range(200):
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol1 = 2.0 * UNIT_ROUNDOFF * abs(b) + 0.5 * tol
        xm = 0.5 * (c - b)
        if abs(xm) <= tol1 or fb == 0.0:
            break
        if abs(e) >= tol1 and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:
                p = 2.0 * xm * s
                q = 1.0 - s
            else:
                q0 = fa / fc
                r = fb / fc
                p = s * (2.0 * xm * q0 * (q0 - r) - (b - a) * (r - 1.0))
                q = (q0 - 1.0) * (r - 1.0) * (s - 1.0)
            if p > 0.0:
                q = -q
            else:
                p = -p
            if 2.0 * p < min(3.0 * xm * q - abs(tol1 * q), abs(e * q)):
                e = d
                d = p / q
            else:
                d = xm
                e = d
        else:
            d = xm
            e = d
        a, fa = b, fb
        if abs(d) > tol1:
            b = b + d
        else:
            b = b + (tol1 if xm > 0.0 else -tol1)
        fb = _event_value(event, coef, t_old, h, b, args, row)
        if (fb > 0.0 and fc > 0.0) or (fb <= 0.0 and fc <= 0.0):
            c, fc = a, fa
            d = b - a
            e = d
    # return the bracket end on the "<= 0" side so the reported state has crossed
    if fb <= 0.0:
        return b
    return c


@njit(cache=True)
def _initial_step(rhs, t, y, f0, direction, hmax, rtol, atol, args):
    """HNW HINIT (dop853.f) for order 8: step guess from f and a finite-difference f' estimate
    (:mod:`.step_control`)."""
    h, sk, dnf = initial_guess(y, f0, direction, hmax, rtol, atol)
    f1 = rhs(t + h, y + h * f0, args)
    return initial_finish(f0, f1, sk, dnf, h, direction, hmax, 1.0 / 8.0)


@njit(cache=True, nogil=True)
def dop853_kernel(rhs, event, t0, y0, t_end, args, rtol, atol, max_step, first_step, max_steps, fixed_step, event_tol):
    """Integrate y' = rhs(t, y, args) from t0 to t_end (either direction).

    atol (n,) per component; rtol scalar; max_step > 0 (inf allowed); first_step 0 ->
    HNW HINIT guess; fixed_step > 0 -> constant steps without error control.
    Returns (t (K+1,), y (K+1, n), t_old (K,), h (K,), coefs (K, 8, n), status,
    t_event, y_event (n,), n_steps, n_rhs). n_steps counts accepted steps.
    """
    n = y0.shape[0]
    direction = 1.0 if t_end >= t0 else -1.0
    span = abs(t_end - t0)
    hmax = min(max_step, span)
    cap = 64
    ts = np.empty(cap + 1)
    ys = np.empty((cap + 1, n))
    tolds = np.empty(cap)
    hs = np.empty(cap)
    coefs = np.empty((cap, 8, n))
    k = np.zeros((16, n))
    ytmp = np.empty(n)
    t = t0
    y = y0.copy()
    ts[0] = t
    ys[0] = y
    y_event = np.full(n, np.nan)
    t_event = np.nan
    if span == 0.0:
        return ts[:1], ys[:1], tolds[:0], hs[:0], coefs[:0], 0, t_event, y_event, 0, 0
    f = rhs(t, y, args)
    n_rhs = 1
    g_old = event(t, y, args)
    fixed = fixed_step > 0.0
    if fixed:
        h = direction * fixed_step
    elif first_step > 0.0:
        h = direction * min(first_step, hmax)
    else:
        h = _initial_step(rhs, t, y, f, direction, hmax, rtol, atol, args)
        n_rhs += 1
    n_acc = 0
    n_att = 0
    status = 0
    rejected_last = False
    err = 0.0
    facc1 = 1.0 / MIN_FACTOR
    facc2 = 1.0 / MAX_FACTOR
    while True:
        if n_att >= max_steps:
            status = -1
            break
        if not (0.1 * abs(h) > abs(t) * UNIT_ROUNDOFF):  # HNW test; also catches h = 0 or NaN
            status = -2
            break
        h, last = clip_step(t, h, t_end, direction)  # ends on t_end or a representable time
        n_att += 1
        y_new = _rk_step(rhs, t, y, f, h, args, k, ytmp)
        n_rhs += 11
        if not fixed:
            err = _error_norm(y, y_new, k, h, rtol, atol)
            if not (err <= 1.0):  # rejected (NaN counts as rejected)
                if not math.isnan(err):
                    fac11 = err**ERR_EXPONENT
                    h = h / min(facc1, fac11 / SAFETY)
                else:
                    h = h / facc1
                rejected_last = True
                continue
        f_new = rhs(t + h, y_new, args)
        n_rhs += 1
        if n_acc == cap:  # grow storage
            cap2 = 2 * cap
            ts2 = np.empty(cap2 + 1)
            ys2 = np.empty((cap2 + 1, n))
            tolds2 = np.empty(cap2)
            hs2 = np.empty(cap2)
            coefs2 = np.empty((cap2, 8, n))
            ts2[: cap + 1] = ts
            ys2[: cap + 1] = ys
            tolds2[:cap] = tolds
            hs2[:cap] = hs
            coefs2[:cap] = coefs
            ts, ys, tolds, hs, coefs, cap = ts2, ys2, tolds2, hs2, coefs2, cap2
        _dense_coefficients(rhs, t, y, y_new, f_new, h, args, k, ytmp, coefs[n_acc])
        n_rhs += 3
        tolds[n_acc] = t
        hs[n_acc] = h
        t_new = t_end if last else t + h
        g_new = event(t_new, y_new, args)
        n_acc += 1
        if g_old > 0.0 and g_new <= 0.0:
            t_event = _locate_event(event, coefs[n_acc - 1], t, h, t, t_new, g_old, g_new, args, event_tol)
            _dense_point(coefs[n_acc - 1], t, h, t_event, y_event)
            ts[n_acc] = t_event
            ys[n_acc] = y_event
            status = 1
            break
        ts[n_acc] = t_new
        ys[n_acc] = y_new
        t = t_new
        y = y_new
        f = f_new
        g_old = g_new
        if last:
            break
        if not fixed:
            fac11 = err**ERR_EXPONENT
            fac = max(facc2, min(facc1, fac11 / SAFETY))
            h_new = h / fac
            if abs(h_new) > hmax:
                h_new = direction * hmax
            if rejected_last:
                h_new = direction * min(abs(h_new), abs(h))
            rejected_last = False
            h = h_new
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
