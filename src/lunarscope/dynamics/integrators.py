"""Compiled Dormand–Prince 8(5,3) integrator with 7th-order dense output and events.

The method is DOP853 of E. Hairer, S. P. Nørsett and G. Wanner, *Solving Ordinary
Differential Equations I*, 2nd ed., Springer 1993, Sec. II.10 (the 8th-order
Dormand–Prince pair with the 5th- and 3rd-order embedded error estimators and the
7th-order continuous extension), as published in their Fortran code ``dop853.f``
(version of 2004). The Butcher coefficients below are the numerical values of that
publication; the step-size controller, the initial-step guess (``HINIT``) and the
dense-output formula (``CONTD8``) follow the same source (HNW II.4 and II.10).

Right-hand sides and event functions are numba-compiled functions received as
first-class arguments of the compiled integrator::

    @numba.njit(cache=True)
    def rhs(t, y, args):          # t [s], y (n,) float64, args: any tuple
        return dy                 # (n,) float64

    @numba.njit(cache=True)
    def event(t, y, args):        # terminal event: stops where it crosses + -> -
        return value              # float

Each distinct (rhs, event, args-type) combination compiles its own specialization of
the integrator once per process (numba caching may store it on disk).

Fixed-step option: the same 12-stage 8th-order DOP853 formula is applied with a
constant step ``fixed_step`` and no error control (the final step is shortened, or
stretched by at most 1 %, to land exactly on ``t_end``); dense output and events
work as in the adaptive mode.

Units are whatever the right-hand side uses (lunarscope uses km, km/s, s).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from enum import IntEnum

import numba
import numpy as np
from numba import njit

from lunarscope.errors import InputError

# ---------------------------------------------------------------------------------
# Butcher tableau of DOP853, Hairer–Nørsett–Wanner (1993) / dop853.f.
# Stage numbering is HNW's (1-based): stages 1..12 give the 8th-order solution,
# stage 13 is f(t+h, y_new) (first-same-as-last), stages 14..16 are the extra
# stages of the 7th-order continuous extension. _A_ENTRIES lists (i, j, a_ij);
# row 13 holds the 8th-order weights b_j. _E3/_E5 are the weights of the 3rd- and
# 5th-order error estimators (b - bhh and er_j of dop853.f). _D_ENTRIES lists
# (row, j, d_rowj), rows 5..8 of the dense-output coefficients (CONTD8).
# ---------------------------------------------------------------------------------
_C_NODES = (
    0.0,
    0.05260015195876773,
    0.0789002279381516,
    0.1183503419072274,
    0.2816496580927726,
    0.3333333333333333,
    0.25,
    0.3076923076923077,
    0.6512820512820513,
    0.6,
    0.8571428571428571,
    1.0,
    1.0,
    0.1,
    0.2,
    0.7777777777777778,
)

_A_ENTRIES = (
    (2, 1, 0.05260015195876773),
    (3, 1, 0.0197250569845379),
    (3, 2, 0.0591751709536137),
    (4, 1, 0.02958758547680685),
    (4, 3, 0.08876275643042054),
    (5, 1, 0.2413651341592667),
    (5, 3, -0.8845494793282861),
    (5, 4, 0.924834003261792),
    (6, 1, 0.037037037037037035),
    (6, 4, 0.17082860872947386),
    (6, 5, 0.12546768756682242),
    (7, 1, 0.037109375),
    (7, 4, 0.17025221101954405),
    (7, 5, 0.06021653898045596),
    (7, 6, -0.017578125),
    (8, 1, 0.03709200011850479),
    (8, 4, 0.17038392571223998),
    (8, 5, 0.10726203044637328),
    (8, 6, -0.015319437748624402),
    (8, 7, 0.008273789163814023),
    (9, 1, 0.6241109587160757),
    (9, 4, -3.3608926294469414),
    (9, 5, -0.868219346841726),
    (9, 6, 27.59209969944671),
    (9, 7, 20.154067550477894),
    (9, 8, -43.48988418106996),
    (10, 1, 0.47766253643826434),
    (10, 4, -2.4881146199716677),
    (10, 5, -0.590290826836843),
    (10, 6, 21.230051448181193),
    (10, 7, 15.279233632882423),
    (10, 8, -33.28821096898486),
    (10, 9, -0.020331201708508627),
    (11, 1, -0.9371424300859873),
    (11, 4, 5.186372428844064),
    (11, 5, 1.0914373489967295),
    (11, 6, -8.149787010746927),
    (11, 7, -18.52006565999696),
    (11, 8, 22.739487099350505),
    (11, 9, 2.4936055526796523),
    (11, 10, -3.0467644718982196),
    (12, 1, 2.273310147516538),
    (12, 4, -10.53449546673725),
    (12, 5, -2.0008720582248625),
    (12, 6, -17.9589318631188),
    (12, 7, 27.94888452941996),
    (12, 8, -2.8589982771350235),
    (12, 9, -8.87285693353063),
    (12, 10, 12.360567175794303),
    (12, 11, 0.6433927460157636),
    (13, 1, 0.054293734116568765),
    (13, 6, 4.450312892752409),
    (13, 7, 1.8915178993145003),
    (13, 8, -5.801203960010585),
    (13, 9, 0.3111643669578199),
    (13, 10, -0.1521609496625161),
    (13, 11, 0.20136540080403034),
    (13, 12, 0.04471061572777259),
    (14, 1, 0.056167502283047954),
    (14, 7, 0.25350021021662483),
    (14, 8, -0.2462390374708025),
    (14, 9, -0.12419142326381637),
    (14, 10, 0.15329179827876568),
    (14, 11, 0.00820105229563469),
    (14, 12, 0.007567897660545699),
    (14, 13, -0.008298),
    (15, 1, 0.03183464816350214),
    (15, 6, 0.028300909672366776),
    (15, 7, 0.053541988307438566),
    (15, 8, -0.05492374857139099),
    (15, 11, -0.00010834732869724932),
    (15, 12, 0.0003825710908356584),
    (15, 13, -0.00034046500868740456),
    (15, 14, 0.1413124436746325),
    (16, 1, -0.42889630158379194),
    (16, 6, -4.697621415361164),
    (16, 7, 7.683421196062599),
    (16, 8, 4.06898981839711),
    (16, 9, 0.3567271874552811),
    (16, 13, -0.0013990241651590145),
    (16, 14, 2.9475147891527724),
    (16, 15, -9.15095847217987),
)

_E3_ENTRIES = (
    (1, -0.18980075407240762),
    (6, 4.450312892752409),
    (7, 1.8915178993145003),
    (8, -5.801203960010585),
    (9, -0.4226823213237919),
    (10, -0.1521609496625161),
    (11, 0.20136540080403034),
    (12, 0.02265179219836082),
)

_E5_ENTRIES = (
    (1, 0.01312004499419488),
    (6, -1.2251564463762044),
    (7, -0.4957589496572502),
    (8, 1.6643771824549864),
    (9, -0.35032884874997366),
    (10, 0.3341791187130175),
    (11, 0.08192320648511571),
    (12, -0.022355307863886294),
)

_D_ENTRIES = (
    (5, 1, -8.428938276109013),
    (5, 6, 0.5667149535193777),
    (5, 7, -3.0689499459498917),
    (5, 8, 2.38466765651207),
    (5, 9, 2.117034582445028),
    (5, 10, -0.871391583777973),
    (5, 11, 2.2404374302607883),
    (5, 12, 0.6315787787694688),
    (5, 13, -0.08899033645133331),
    (5, 14, 18.148505520854727),
    (5, 15, -9.194632392478356),
    (5, 16, -4.436036387594894),
    (6, 1, 10.427508642579134),
    (6, 6, 242.28349177525817),
    (6, 7, 165.20045171727028),
    (6, 8, -374.5467547226902),
    (6, 9, -22.113666853125306),
    (6, 10, 7.733432668472264),
    (6, 11, -30.674084731089398),
    (6, 12, -9.332130526430229),
    (6, 13, 15.697238121770845),
    (6, 14, -31.139403219565178),
    (6, 15, -9.35292435884448),
    (6, 16, 35.81684148639408),
    (7, 1, 19.985053242002433),
    (7, 6, -387.0373087493518),
    (7, 7, -189.17813819516758),
    (7, 8, 527.8081592054236),
    (7, 9, -11.57390253995963),
    (7, 10, 6.8812326946963),
    (7, 11, -1.0006050966910838),
    (7, 12, 0.7777137798053443),
    (7, 13, -2.778205752353508),
    (7, 14, -60.19669523126412),
    (7, 15, 84.32040550667716),
    (7, 16, 11.99229113618279),
    (8, 1, -25.69393346270375),
    (8, 6, -154.18974869023643),
    (8, 7, -231.5293791760455),
    (8, 8, 357.6391179106141),
    (8, 9, 93.40532418362432),
    (8, 10, -37.45832313645163),
    (8, 11, 104.0996495089623),
    (8, 12, 29.8402934266605),
    (8, 13, -43.53345659001114),
    (8, 14, 96.32455395918828),
    (8, 15, -39.17726167561544),
    (8, 16, -149.72683625798564),
)


def _build_tableau():
    a = np.zeros((16, 16))
    for i, j, v in _A_ENTRIES:
        a[i - 1, j - 1] = v
    e3 = np.zeros(13)
    for i, v in _E3_ENTRIES:
        e3[i - 1] = v
    e5 = np.zeros(13)
    for i, v in _E5_ENTRIES:
        e5[i - 1] = v
    d = np.zeros((4, 16))
    for r, j, v in _D_ENTRIES:
        d[r - 5, j - 1] = v
    return np.array(_C_NODES), a, e3, e5, d


DOP853_C, DOP853_A, DOP853_E3, DOP853_E5, DOP853_D = _build_tableau()
_C = DOP853_C
_A = DOP853_A
_E3 = DOP853_E3
_E5 = DOP853_E5
_D = DOP853_D

# Step-size control constants of dop853.f (HNW II.4, eq. 4.13 and the code defaults).
SAFETY = 0.9  # safety factor "safe"
MIN_FACTOR = 0.333  # "fac1": a new step is at least this times the old one
MAX_FACTOR = 6.0  # "fac2": a new step is at most this times the old one
_ERR_EXPONENT = 1.0 / 8.0  # "expo1" with beta = 0 (no Lund stabilisation)
_EPS = np.finfo(np.float64).eps

DEFAULT_EVENT_TOL_S = 1e-6  # event times are located to 1 microsecond
DEFAULT_MAX_STEPS = 1_000_000


class IntegrationStatus(IntEnum):
    """Outcome of an integration (the compiled kernel returns the integer value)."""

    SUCCESS = 0  # reached t_end
    EVENT = 1  # the terminal event crossed from + to -; stopped at the event time
    MAX_STEPS = -1  # gave up after max_steps accepted+rejected steps
    STEP_TOO_SMALL = -2  # the step fell below the round-off of t (HNW criterion)


# --------------------------------------------------------------------------------- kernels


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
        tol1 = 2.0 * _EPS * abs(b) + 0.5 * tol
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
def _rms(v, sk):
    acc = 0.0
    for m in range(v.shape[0]):
        acc += (v[m] / sk[m]) ** 2
    return math.sqrt(acc / v.shape[0])


@njit(cache=True)
def _initial_step(rhs, t, y, f0, direction, hmax, rtol, atol, args):
    """HNW HINIT (dop853.f): step guess from f and a finite-difference f' estimate."""
    n = y.shape[0]
    sk = np.empty(n)
    for m in range(n):
        sk[m] = atol[m] + rtol * abs(y[m])
    dnf = _rms(f0, sk)
    dny = _rms(y, sk)
    if dnf <= 1e-10 or dny <= 1e-10:
        h = 1.0e-6
    else:
        h = 0.01 * dny / dnf
    h = min(h, hmax) * direction
    y1 = y + h * f0
    f1 = rhs(t + h, y1, args)
    der2 = _rms(f1 - f0, sk) / abs(h)
    der12 = max(abs(der2), math.sqrt(dnf))
    if der12 <= 1e-15:
        h1 = max(1.0e-6, abs(h) * 1.0e-3)
    else:
        h1 = (0.01 / der12) ** (1.0 / 8.0)
    h = min(100.0 * abs(h), h1, hmax)
    if not (h > 0.0):  # non-finite rhs values: start small, the controller takes over
        h = min(1.0e-6, hmax)
    return direction * h


@njit(cache=True)
def dop853_kernel(rhs, event, t0, y0, t_end, args, rtol, atol, max_step, first_step,
                  max_steps, fixed_step, event_tol):
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
        if not (0.1 * abs(h) > abs(t) * _EPS):  # HNW test; also catches h = 0 or NaN
            status = -2
            break
        last = False
        if direction * (t + 1.01 * h - t_end) >= 0.0:
            h = t_end - t
            last = True
        n_att += 1
        y_new = _rk_step(rhs, t, y, f, h, args, k, ytmp)
        n_rhs += 11
        if not fixed:
            err = _error_norm(y, y_new, k, h, rtol, atol)
            if not (err <= 1.0):  # rejected (NaN counts as rejected)
                if not math.isnan(err):
                    fac11 = err ** _ERR_EXPONENT
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
            t_event = _locate_event(event, coefs[n_acc - 1], t, h, t, t_new, g_old, g_new,
                                    args, event_tol)
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
            fac11 = err ** _ERR_EXPONENT
            fac = max(facc2, min(facc1, fac11 / SAFETY))
            h_new = h / fac
            if abs(h_new) > hmax:
                h_new = direction * hmax
            if rejected_last:
                h_new = direction * min(abs(h_new), abs(h))
            rejected_last = False
            h = h_new
    return (ts[: n_acc + 1], ys[: n_acc + 1], tolds[:n_acc], hs[:n_acc], coefs[:n_acc],
            status, t_event, y_event, n_acc, n_rhs)


# --------------------------------------------------------------------------------- Python API

_CONTIGUITY_TOL_S = 1e-6  # arcs joined by DenseSolution.concatenate must meet within 1 µs


class DenseSolution:
    """Piecewise 7th-order DOP853 polynomials covering [t_start, t_stop] (or reversed).

    Calling it with a time array (M,) returns states (M, n); with a scalar, (n,).
    Step k covers [t_k, t_{k+1}); where arcs are concatenated (e.g. at an impulsive
    manoeuvre) the value at the joint comes from the later arc (right-continuous in
    the direction of integration). Times outside the span raise InputError.
    """

    def __init__(self, t_nodes, t_old, h, coefs, y_start=None):
        t_nodes = np.ascontiguousarray(t_nodes, dtype=np.float64)
        self.t_nodes = t_nodes
        self.t_old = np.ascontiguousarray(t_old, dtype=np.float64)
        self.h = np.ascontiguousarray(h, dtype=np.float64)
        self.coefs = np.ascontiguousarray(coefs, dtype=np.float64)
        self.direction = 1.0 if (len(t_nodes) < 2 or t_nodes[-1] >= t_nodes[0]) else -1.0
        self._keys = t_nodes * self.direction
        self._y_start = None if y_start is None else np.array(y_start, dtype=np.float64)

    @property
    def t_start(self) -> float:
        return float(self.t_nodes[0])

    @property
    def t_stop(self) -> float:
        return float(self.t_nodes[-1])

    @property
    def n_steps(self) -> int:
        return int(self.coefs.shape[0])

    def __call__(self, t):
        tq = np.asarray(t, dtype=np.float64)
        scalar = tq.ndim == 0
        tq = np.atleast_1d(tq).ravel()
        lo, hi = sorted((self.t_start, self.t_stop))
        if tq.size and (not np.all(np.isfinite(tq)) or tq.min() < lo or tq.max() > hi):
            raise InputError("t", f"times must lie in the integrated span [{lo!r}, {hi!r}] s")
        if self.n_steps == 0:  # zero-length span: only t_start is valid
            out = np.repeat(self._y_start[None, :], tq.size, axis=0)
        else:
            out = dense_evaluate(self._keys, self.t_old, self.h, self.coefs, self.direction, tq)
        return out[0] if scalar else out

    @classmethod
    def concatenate(cls, pieces) -> DenseSolution:
        """Join arcs back to back (same direction, each starting where the last stops)."""
        pieces = [p for p in pieces]
        if not pieces:
            raise InputError("pieces", "need at least one DenseSolution")
        nonempty = [p for p in pieces if p.n_steps > 0] or pieces[:1]
        direction = nonempty[0].direction
        for prev, nxt in itertools.pairwise(pieces):
            if abs(nxt.t_start - prev.t_stop) > _CONTIGUITY_TOL_S:
                raise InputError("pieces", f"arc starting at {nxt.t_start!r} s does not "
                                 f"continue the arc stopping at {prev.t_stop!r} s")
        for p in nonempty:
            if p.n_steps > 0 and p.direction != direction:
                raise InputError("pieces", "all arcs must run in the same time direction")
        if len(nonempty) == 1:
            return nonempty[0]
        nodes = [nonempty[0].t_nodes]
        for p in nonempty[1:]:
            nodes.append(p.t_nodes[1:])
        # the joint node is the earlier arc's stop time; later polynomials keep their own
        # origin t_old, so a sub-microsecond mismatch is harmless.
        return cls(np.concatenate(nodes),
                   np.concatenate([p.t_old for p in nonempty]),
                   np.concatenate([p.h for p in nonempty]),
                   np.concatenate([p.coefs for p in nonempty]))

    def __add__(self, other):
        return DenseSolution.concatenate([self, other])


@dataclass
class IntegrationResult:
    """Output of :func:`integrate`.

    t (K+1,) step-boundary times [s]; y (K+1, n) states there; dense the continuous
    solution; status an IntegrationStatus; event_time/event_state the terminal event
    (NaN when none fired); n_steps accepted steps; n_rhs right-hand-side calls.
    """

    t: np.ndarray
    y: np.ndarray
    dense: DenseSolution
    status: IntegrationStatus
    event_time: float
    event_state: np.ndarray
    n_steps: int
    n_rhs: int

    @property
    def success(self) -> bool:
        return self.status in (IntegrationStatus.SUCCESS, IntegrationStatus.EVENT)


def _is_compiled(fn) -> bool:
    return isinstance(fn, numba.core.registry.CPUDispatcher)


_KERNELS: dict = {}


def _kernel_for(rhs, event, args):
    """Compiled kernel taking rhs/event as first-class functions (numba FunctionType).

    Typing rhs and event as ``FunctionType`` (instead of numba's per-function
    ``Dispatcher`` type) makes one kernel serve every rhs with the same args type, and
    lets numba's on-disk cache reuse it across processes.
    """
    argty = numba.typeof(args)
    vec = numba.types.float64[::1]
    f64 = numba.types.float64
    rsig = vec(f64, vec, argty)
    esig = f64(f64, vec, argty)
    try:
        rhs.compile(rsig)
    except Exception as exc:  # numba typing errors have many classes
        raise InputError("rhs", "must compile as rhs(t: float64, y: float64[::1], args) -> "
                         f"float64[::1] for args of type {argty}: {exc}") from exc
    try:
        event.compile(esig)
    except Exception as exc:
        raise InputError("event", "must compile as event(t: float64, y: float64[::1], args) "
                         f"-> float64 for args of type {argty}: {exc}") from exc
    entry = _KERNELS.get(argty)
    if entry is None:
        ksig = (numba.types.FunctionType(rsig), numba.types.FunctionType(esig), f64, vec, f64,
                argty, f64, vec, f64, f64, numba.types.int64, f64, f64)
        dop853_kernel.compile(ksig)
        entry = dop853_kernel.overloads[ksig].entry_point
        _KERNELS[argty] = entry
    return entry


def integrate(rhs, t0, y0, t_end, args=(), rtol=1e-10, atol=1e-12, max_step=np.inf,
              event=None, fixed_step=None, first_step=None, max_steps=DEFAULT_MAX_STEPS,
              event_tol=DEFAULT_EVENT_TOL_S) -> IntegrationResult:
    """Integrate y' = rhs(t, y, args) from t0 to t_end with DOP853 (HNW 1993).

    rhs, event: numba ``@njit`` functions ``(t, y, args)``; args: a tuple passed through
    untouched. rtol scalar; atol scalar or (n,). max_step [s] caps |h|. event: terminal
    event, stops at its first + -> - crossing, located to event_tol [s] on the dense
    output. fixed_step [s] > 0: constant-step DOP853 without error control (rtol,
    atol, max_step and first_step are then unused). first_step [s] overrides the HNW
    initial-step guess; max_steps bounds attempted (accepted + rejected) steps.
    The dense output always costs 3 extra rhs calls per accepted step (counted in n_rhs).
    """
    if not _is_compiled(rhs):
        raise InputError("rhs", "must be a numba @njit function rhs(t, y, args) -> dy")
    if event is None:
        event = no_event
    elif not _is_compiled(event):
        raise InputError("event", "must be a numba @njit function event(t, y, args) -> float")
    y0 = np.array(y0, dtype=np.float64)
    if y0.ndim != 1 or y0.size == 0 or not np.all(np.isfinite(y0)):
        raise InputError("y0", "must be a non-empty 1-D array of finite numbers")
    t0 = float(t0)
    t_end = float(t_end)
    if not (math.isfinite(t0) and math.isfinite(t_end)):
        raise InputError("t0/t_end", "must be finite")
    rtol = float(rtol)
    if not rtol > 0.0 or not math.isfinite(rtol):
        raise InputError("rtol", f"{rtol!r} must be > 0")
    rtol = max(rtol, 10.0 * float(_EPS))  # HNW dop853.f refuses rtol <= 10 uround
    atol_arr = np.asarray(atol, dtype=np.float64)
    if atol_arr.ndim > 1 or (atol_arr.ndim == 1 and atol_arr.shape != y0.shape):
        raise InputError("atol", f"must be a scalar or have shape {y0.shape}")
    atol_arr = np.broadcast_to(atol_arr, y0.shape).copy()
    if np.any(~np.isfinite(atol_arr)) or np.any(atol_arr < 0.0):
        raise InputError("atol", "must be finite and >= 0 (scalar or one per component)")
    max_step = float(max_step)
    if not max_step > 0.0:
        raise InputError("max_step", f"{max_step!r} must be > 0")
    fs = 0.0
    if fixed_step is not None:
        fs = float(fixed_step)
        if not (fs > 0.0 and math.isfinite(fs)):
            raise InputError("fixed_step", f"{fixed_step!r} must be a finite step > 0 s")
    h0 = 0.0
    if first_step is not None:
        h0 = float(first_step)
        if not (h0 > 0.0 and math.isfinite(h0)):
            raise InputError("first_step", f"{first_step!r} must be > 0 s")
    if not isinstance(args, tuple):
        raise InputError("args", "must be a tuple")
    kernel = _kernel_for(rhs, event, args)
    (ts, ys, tolds, hs, coefs, status, t_ev, y_ev, n_steps, n_rhs) = kernel(
        rhs, event, t0, y0, t_end, args, rtol, atol_arr, max_step, h0, int(max_steps), fs,
        float(event_tol))
    dense = DenseSolution(ts, tolds, hs, coefs, y_start=y0)
    return IntegrationResult(t=ts, y=ys, dense=dense, status=IntegrationStatus(status),
                             event_time=float(t_ev), event_state=y_ev, n_steps=int(n_steps),
                             n_rhs=int(n_rhs))
