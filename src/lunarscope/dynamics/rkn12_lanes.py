"""RKN12(10) for LANES orbits at once: the stages of all lanes computed together, vectorised.

One orbit's integration (:func:`lunarscope.dynamics.rkn12_kernel.rkn12_kernel`) is a chain of
dependent operations; the processor's vector units and most of its execution ports idle.
This kernel runs LANES (8) orbits side by side over one span and force model: each lane keeps
its own time, step, error control, dense output and impact event — the scalar kernel's
decisions, one lane at a time — while the 17 stages, the field sum
(:func:`lunarscope.gravity.kernel.accel_lanes`) and the step's linear combinations run with the
lanes innermost, on stack arrays (:mod:`lunarscope.intrinsics`), as vector instructions.

Every lane executes the scalar kernel's floating-point operations in the same order (the
lanes' right-hand side :func:`lunarscope.dynamics.forces.moon_accel_lanes` has
:func:`~lunarscope.dynamics.forces.moon_rhs`'s bits), so each orbit comes out bit for bit as
``propagate`` gives it alone (tests/dynamics/test_rkn12_lanes.py). A lane whose orbit has finished
(end of span, impact, failure) or that holds no orbit keeps stepping in place with h = 0 until
the last lane finishes; its work is wasted, not wrong.

Right-hand side: the force model of :mod:`lunarscope.dynamics.forces` (``ForceModel.args``)
only, with :func:`~lunarscope.dynamics.forces.impact_event` as the terminal event.
"""

from __future__ import annotations

import numpy as np

from ..gravity.kernel import LANES
from ..intrinsics import njit_slp, stack_empty1, stack_empty2, stack_empty3
from .dop853_tableau import UNIT_ROUNDOFF
from .forces import moon_accel_lanes
from .rkn12_kernel import (
    INITIAL_STEP_EXPONENT,
    N_DENSE_COEF,
    _dense_coefficients,
    _error_norm,
    _hermite_point,
    _locate_event,
    _next_step,
    _rejected_step,
)
from .rkn12_tableau import N_STAGES
from .rkn12_tableau import RKN12_A as _A
from .rkn12_tableau import RKN12_B as _B
from .rkn12_tableau import RKN12_BP as _BP
from .rkn12_tableau import RKN12_C as _C
from .rkn12_tableau import RKN12_EB as _EB
from .rkn12_tableau import RKN12_EBP as _EBP
from .step_control import clip_step, initial_finish, initial_guess

RUNNING = 2
"""Lane status while its orbit is being integrated (the finished ones take the scalar kernel's
codes: 0 done, 1 event, -1 too many steps, -2 step too small)."""
IDLE = 3
"""Lane status of a lane that holds no orbit."""


@njit_slp(cache=True)
def _stages(t, y, a0, h, args, f, r, ts, g, acc, y_new, err_vec):
    """:func:`~lunarscope.dynamics.rkn12_kernel._rkn_step` for every lane: stage accelerations
    into f (N_STAGES, 3, LANES), the order-12 solution into y_new (6, LANES), the embedded error
    into err_vec (6, LANES)."""
    sacc = stack_empty1(LANES)
    for m in range(3):
        for p in range(LANES):
            f[0, m, p] = a0[m, p]
    for s in range(1, N_STAGES):
        for p in range(LANES):
            ts[p] = t[p] + _C[s] * h[p]
        for m in range(3):
            for p in range(LANES):
                sacc[p] = 0.0
            for j in range(s):
                a = _A[s, j]
                for p in range(LANES):
                    sacc[p] += a * f[j, m, p]
            for p in range(LANES):
                ch = _C[s] * h[p]
                r[m, p] = y[m, p] + ch * y[3 + m, p] + h[p] * h[p] * sacc[p]
        moon_accel_lanes(ts, r, args, g, acc)
        for m in range(3):
            for p in range(LANES):
                f[s, m, p] = acc[m, p]
    pb = stack_empty1(LANES)
    vb = stack_empty1(LANES)
    pe = stack_empty1(LANES)
    ve = stack_empty1(LANES)
    for m in range(3):
        for p in range(LANES):
            pb[p] = 0.0
            vb[p] = 0.0
            pe[p] = 0.0
            ve[p] = 0.0
        for j in range(N_STAGES):
            cb = _B[j]
            cbp = _BP[j]
            ceb = _EB[j]
            cebp = _EBP[j]
            for p in range(LANES):
                pb[p] += cb * f[j, m, p]
                vb[p] += cbp * f[j, m, p]
                pe[p] += ceb * f[j, m, p]
                ve[p] += cebp * f[j, m, p]
        for p in range(LANES):
            hp = h[p]
            y_new[m, p] = y[m, p] + hp * y[3 + m, p] + hp * hp * pb[p]
            y_new[3 + m, p] = y[3 + m, p] + hp * vb[p]
            err_vec[m, p] = hp * hp * pe[p]
            err_vec[3 + m, p] = hp * ve[p]


@njit_slp(cache=True, nogil=True)
def rkn12_lanes_kernel(
    event, t0, y0, t_end, live, args, rtol, atol, max_step, first_step, max_steps, fixed_step, event_tol
):
    """Integrate the orbits y0 (LANES, 6) (lanes with ``live`` False hold none) under
    ``moon_rhs`` from t0 to t_end, as ``rkn12_kernel`` does each one alone, with the terminal
    ``event`` (:func:`~lunarscope.dynamics.forces.impact_event` as a first-class function, see
    ``batch._run_lanes``).

    rtol, atol (6,), max_step, max_steps, fixed_step, event_tol: as ``rkn12_kernel``;
    first_step (LANES,): each lane's first step (0: the HNW guess). Returns, per lane p:
    ts[p, :n+1], ys[p, :n+1], tolds[p, :n], hs[p, :n], coefs[p, :n] with n = n_acc[p];
    status, t_event, y_event (LANES, 6), n_acc, n_rhs (LANES,).
    """
    direction = 1.0 if t_end >= t0 else -1.0
    span = abs(t_end - t0)
    hmax = min(max_step, span)
    ncomp = args[5].shape[2]
    cap = 64
    ts_out = np.empty((LANES, cap + 1))
    ys_out = np.empty((LANES, cap + 1, 6))
    tolds = np.empty((LANES, cap))
    hs = np.empty((LANES, cap))
    coefs = np.empty((LANES, cap, N_DENSE_COEF, 3))
    status = np.full(LANES, IDLE, dtype=np.int64)
    n_acc = np.zeros(LANES, dtype=np.int64)
    n_att = np.zeros(LANES, dtype=np.int64)
    n_rhs = np.zeros(LANES, dtype=np.int64)
    last = np.zeros(LANES, dtype=np.bool_)
    accepted = np.zeros(LANES, dtype=np.bool_)
    rejected_last = np.zeros(LANES, dtype=np.bool_)
    t_event = np.full(LANES, np.nan)
    y_event = np.full((LANES, 6), np.nan)
    g = np.empty((LANES, ncomp))
    # one lane's copies for the scalar kernel's helpers
    yl = np.empty(6)
    ynl = np.empty(6)
    el = np.empty(6)
    al = np.empty(3)
    fl = np.empty((N_STAGES, 3))
    f0l = np.empty(6)
    f1l = np.empty(6)
    # the lanes' state, lanes innermost
    t = stack_empty1(LANES)
    h = stack_empty1(LANES)
    err = stack_empty1(LANES)
    g_old = stack_empty1(LANES)
    tq = stack_empty1(LANES)
    y = stack_empty2(6, LANES)
    y_new = stack_empty2(6, LANES)
    err_vec = stack_empty2(6, LANES)
    a0 = stack_empty2(3, LANES)
    r = stack_empty2(3, LANES)
    acc = stack_empty2(3, LANES)
    f = stack_empty3(N_STAGES, 3, LANES)
    ref = 0
    for p in range(LANES):
        if live[p]:
            ref = p
            break
    for p in range(LANES):
        q = p if live[p] else ref  # an empty lane shadows a live one (finite values, h = 0)
        t[p] = t0
        h[p] = 0.0
        err[p] = 0.0
        for m in range(6):
            y[m, p] = y0[q, m]
        ts_out[p, 0] = t0
        for m in range(6):
            ys_out[p, 0, m] = y0[q, m]
        if live[p]:
            status[p] = 0 if span == 0.0 else RUNNING
    if span == 0.0:
        return (
            ts_out[:, :1],
            ys_out[:, :1],
            tolds[:, :0],
            hs[:, :0],
            coefs[:, :0],
            status,
            t_event,
            y_event,
            n_acc,
            n_rhs,
        )
    for p in range(LANES):
        tq[p] = t[p]
        for m in range(3):
            r[m, p] = y[m, p]
    moon_accel_lanes(tq, r, args, g, acc)
    fixed = fixed_step > 0.0
    probe = False
    for p in range(LANES):
        for m in range(3):
            a0[m, p] = acc[m, p]
        if status[p] != RUNNING:
            continue
        n_rhs[p] = 1
        for m in range(6):
            yl[m] = y[m, p]
        g_old[p] = event(t[p], yl, args)
        if fixed:
            h[p] = direction * fixed_step
        elif first_step[p] > 0.0:
            h[p] = direction * min(first_step[p], hmax)
        else:
            probe = True
    if probe:  # HNW initial step: an Euler probe per lane, one lanes evaluation
        sks = np.empty((LANES, 6))
        dnfs = np.empty(LANES)
        for p in range(LANES):
            tq[p] = t[p]
            for m in range(3):
                r[m, p] = y[m, p]
            if status[p] != RUNNING or fixed or first_step[p] > 0.0:
                continue
            for m in range(3):
                f0l[m] = y[3 + m, p]
                f0l[3 + m] = a0[m, p]
                yl[m] = y[m, p]
                yl[3 + m] = y[3 + m, p]
            hp, sk, dnf = initial_guess(yl, f0l, direction, hmax, rtol, atol)
            h[p] = hp
            sks[p] = sk
            dnfs[p] = dnf
            tq[p] = t[p] + hp
            for m in range(3):
                r[m, p] = y[m, p] + hp * f0l[m]
        moon_accel_lanes(tq, r, args, g, acc)
        for p in range(LANES):
            if status[p] != RUNNING or fixed or first_step[p] > 0.0:
                continue
            hp = h[p]
            for m in range(3):
                f0l[m] = y[3 + m, p]
                f0l[3 + m] = a0[m, p]
                f1l[m] = y[3 + m, p] + hp * a0[m, p]
                f1l[3 + m] = acc[m, p]
            h[p] = initial_finish(f0l, f1l, sks[p], dnfs[p], hp, direction, hmax, INITIAL_STEP_EXPONENT)
            n_rhs[p] += 1
    hstep = stack_empty1(LANES)  # the step each lane takes now (0 for finished lanes)
    stepping = np.zeros(LANES, dtype=np.bool_)
    while True:
        running = 0
        for p in range(LANES):
            hstep[p] = 0.0
            stepping[p] = False
            if status[p] != RUNNING:
                continue
            if n_att[p] >= max_steps:
                status[p] = -1
                continue
            if not (0.1 * abs(h[p]) > abs(t[p]) * UNIT_ROUNDOFF):
                status[p] = -2
                continue
            h[p], last[p] = clip_step(t[p], h[p], t_end, direction)
            hstep[p] = h[p]
            stepping[p] = True
            n_att[p] += 1
            running += 1
        if running == 0:
            break
        _stages(t, y, a0, hstep, args, f, r, tq, g, acc, y_new, err_vec)
        n_new = 0
        for p in range(LANES):
            accepted[p] = False
            tq[p] = t[p]
            for m in range(3):
                r[m, p] = y[m, p]
            if not stepping[p]:
                continue
            n_rhs[p] += N_STAGES - 1
            if not fixed:
                for m in range(6):
                    yl[m] = y[m, p]
                    ynl[m] = y_new[m, p]
                    el[m] = err_vec[m, p]
                err[p] = _error_norm(yl, ynl, el, rtol, atol)
                if not (err[p] <= 1.0):  # rejected (NaN too)
                    h[p] = _rejected_step(h[p], err[p])
                    rejected_last[p] = True
                    continue
            accepted[p] = True
            n_new += 1
            tq[p] = t_end if last[p] else t[p] + h[p]
            for m in range(3):
                r[m, p] = y_new[m, p]
        if n_new == 0:
            continue
        moon_accel_lanes(tq, r, args, g, acc)  # a(t_new, r_new) of the accepted lanes
        if np.max(n_acc) + 1 > cap:
            cap2 = 2 * cap
            ts2 = np.empty((LANES, cap2 + 1))
            ys2 = np.empty((LANES, cap2 + 1, 6))
            tolds2 = np.empty((LANES, cap2))
            hs2 = np.empty((LANES, cap2))
            coefs2 = np.empty((LANES, cap2, N_DENSE_COEF, 3))
            ts2[:, : cap + 1] = ts_out
            ys2[:, : cap + 1] = ys_out
            tolds2[:, :cap] = tolds
            hs2[:, :cap] = hs
            coefs2[:, :cap] = coefs
            ts_out, ys_out, tolds, hs, coefs, cap = ts2, ys2, tolds2, hs2, coefs2, cap2
        for p in range(LANES):
            if not accepted[p]:
                continue
            n_rhs[p] += 1
            t_new = tq[p]
            for m in range(6):
                yl[m] = y[m, p]
                ynl[m] = y_new[m, p]
            for m in range(3):
                al[m] = acc[m, p]
            for s in range(N_STAGES):
                for m in range(3):
                    fl[s, m] = f[s, m, p]
            k = n_acc[p]
            _dense_coefficients(yl, ynl, al, fl, t_new - t[p], coefs[p, k])
            tolds[p, k] = t[p]
            hs[p, k] = t_new - t[p]
            g_new = event(t_new, ynl, args)
            n_acc[p] += 1
            if g_old[p] > 0.0 and g_new <= 0.0:
                te = _locate_event(event, coefs[p, k], t[p], hs[p, k], t[p], t_new, g_old[p], g_new, args, event_tol)
                _hermite_point(coefs[p, k], t[p], hs[p, k], te, y_event[p])
                t_event[p] = te
                ts_out[p, k + 1] = te
                ys_out[p, k + 1] = y_event[p]
                status[p] = 1
                continue
            ts_out[p, k + 1] = t_new
            for m in range(6):
                ys_out[p, k + 1, m] = ynl[m]
                y[m, p] = ynl[m]
            for m in range(3):
                a0[m, p] = al[m]
            t[p] = t_new
            g_old[p] = g_new
            if last[p]:
                status[p] = 0
                continue
            if not fixed:
                h[p] = _next_step(h[p], err[p], hmax, direction, rejected_last[p])
                rejected_last[p] = False
    n = int(np.max(n_acc))
    return (
        ts_out[:, : n + 1],
        ys_out[:, : n + 1],
        tolds[:, :n],
        hs[:, :n],
        coefs[:, :n],
        status,
        t_event,
        y_event,
        n_acc,
        n_rhs,
    )
