"""Vectorized event finder: where is ``g(t) >= 0`` over a span, for one or M conditions at once.

Guarantee (see ``docs/events.md`` for the argument):

1. no window (maximal interval with ``g >= 0``) and no gap (maximal interval with ``g < 0``)
   longer than ``min_duration_s`` inside the span is missed: each overlaps a reported window,
   respectively a reported gap;
2. every reported boundary that is not a span end lies within ``tol_s`` of a true sign change:
   it is one end of an interval ``[a, b]``, ``b - a <= tol_s``, with ``g(a)`` and ``g(b)`` on
   opposite sides (``>= 0`` versus ``< 0``); the reported end is the one where ``g >= 0``, so
   reported windows start and stop at instants that were evaluated inside;
3. windows touching the span ends are clipped to the span.

This needs ``g`` continuous in ``t`` and, when ``rate_bound`` is given, ``|dg/dt| <= rate_bound``
(a Lipschitz bound, per condition or scalar) everywhere in the span.

Sampling: without a rate bound, samples are ``h = min(min_duration_s - margin, max_step_s)``
apart, so every interval longer than ``min_duration_s`` holds a sample. With a rate bound ``L``
a sample ``g(a) = v`` rules out sign changes in ``(a - |v|/L, a + |v|/L)``. The finder starts
from a coarse grid and subdivides only the intervals ``[a, b]`` whose uncovered part
``[a + |g(a)|/L, b - |g(b)|/L]`` is longer than ``h``, per condition, placing at most
``_SPLIT - 1`` new samples evenly over that uncovered part. Splitting evaluates
only the (time, condition) pairs needed when ``g_rows`` is given; without it all M conditions
share one grid (an interval is split if any condition needs it). The per-level bookkeeping of
the per-condition sampler and of the refinement runs in numba kernels.

Refinement: all brackets of all conditions together, one ``g`` call per iteration (the
no-``g_rows`` M-condition fallback splits calls only to bound memory), by the ITP method
(Oliveira & Takahashi 2020): at most one iteration more than bisection, superlinear on smooth g.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from lunarscope.errors import InputError
from lunarscope.windows.sweep import assemble

__all__ = ["Condition", "find_windows"]

#: Smallest accepted boundary tolerance, s (design.md: 1 us event boundaries at worst).
MIN_TOL_S = 1e-6
#: Relative margin taken off min_duration_s for the sampling step (rounding of grid times).
_STEP_REL_MARGIN = 1e-6
#: Absolute margin on the step in units of the float64 spacing at the span's largest |t|.
_STEP_ULP_MARGIN = 16
#: Smallest sampling step in float64 spacings of the span's times (keeps subdivision exact).
_MIN_STEP_ULPS = 1024
#: Intervals are split into this many parts per level of the adaptive sampler.
_SPLIT = 4
#: Most float64 values of g held in one evaluation or work batch (about 32 MB).
_BUDGET = 1 << 22
#: Relative safety applied to rate bounds (guards the exclusion test against rounding).
_RATE_SAFETY = 1.0 + 1e-9
#: Iteration cap for refinement (ITP needs at most log2(step/tol) + 1 < 60).
_MAX_REFINE_ITER = 200

Array = np.ndarray
GFunc = Callable[[Array], Array]
GRowsFunc = Callable[[Array, Array], Array]


# ====================================================================== conditions
def _rows_via_full(g: GFunc, t: Array, rows: Array) -> Array:
    v = np.asarray(g(t), dtype=np.float64)
    if v.ndim == 1:
        return v
    return v[rows, np.arange(t.size)]


def _combine_bounds(a, b):
    if a is None or b is None:
        return None
    return np.maximum(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


class Condition:
    """A condition ``g(t) >= 0`` with an optional bound on ``|dg/dt|`` (g units per second).

    ``g(t)`` takes ``(N,)`` TDB seconds and returns ``(N,)`` or ``(M, N)`` (M conditions).
    ``g_rows(t, rows)``, optional, returns ``(N,)``: condition ``rows[i]`` at ``t[i]`` only; it
    lets the finder evaluate just what it needs for M conditions.
    ``rate_bound`` is a scalar or ``(M,)``: ``|dg_m/dt| <= rate_bound[m]`` everywhere.

    ``a & b`` is ``min(g_a, g_b)`` (both hold), ``a | b`` is ``max(g_a, g_b)`` (either holds),
    ``~a`` is ``-g_a`` (holds where ``g_a <= 0``); rate bounds combine by ``max`` (a bound on the
    Lipschitz constant of min, max and negation). Shapes broadcast: a single condition combines
    with each of M conditions.
    """

    __slots__ = ("g", "g_rows", "name", "rate_bound", "sweep")

    def __init__(self, g: GFunc, rate_bound=None, g_rows: GRowsFunc | None = None, name: str = "", sweep=None):
        if not callable(g):
            raise InputError("g", "must be callable g(t) -> (N,) or (M, N) array")
        if rate_bound is not None:
            rb = np.asarray(rate_bound, dtype=np.float64)
            if np.any(~(rb > 0)):
                raise InputError("rate_bound", "must be > 0 (g units per second) or None")
        self.g = g
        self.g_rows = g_rows
        self.rate_bound = rate_bound
        self.name = name
        # optional specialised finder with the same guarantee: sweep(t0, t1, min_duration_s,
        # tol_s) -> list of M Windows, or None where it does not apply (combinations drop it)
        self.sweep = sweep

    def __call__(self, t) -> Array:
        return np.asarray(self.g(np.asarray(t, dtype=np.float64)), dtype=np.float64)

    def eval_rows(self, t: Array, rows: Array) -> Array:
        """Condition ``rows[i]`` at ``t[i]``, shape ``(N,)``."""
        if self.g_rows is not None:
            return np.asarray(self.g_rows(t, rows), dtype=np.float64)
        return _rows_via_full(self.g, t, rows)

    def _binary(self, other: Condition, op, label: str) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        a, b = self, other

        def g(t):
            return op(a(t), b(t))

        g_rows = None
        if a.g_rows is not None or b.g_rows is not None:

            def g_rows(t, rows):
                return op(a.eval_rows(t, rows), b.eval_rows(t, rows))

        return Condition(
            g,
            _combine_bounds(a.rate_bound, b.rate_bound),
            g_rows,
            f"({a.name} {label} {b.name})",
        )

    def __and__(self, other):
        return self._binary(other, np.minimum, "&")

    def __or__(self, other):
        return self._binary(other, np.maximum, "|")

    def __invert__(self) -> Condition:
        a = self

        def g(t):
            return -a(t)

        g_rows = None
        if a.g_rows is not None:

            def g_rows(t, rows):
                return -a.eval_rows(t, rows)

        return Condition(g, a.rate_bound, g_rows, f"~{a.name}")

    def find(self, span_start, span_stop, min_duration_s, tol_s=1e-3, max_step_s=None):
        """``find_windows(self, ...)``."""
        return find_windows(self, span_start, span_stop, min_duration_s, tol_s, max_step_s=max_step_s)


# ====================================================================== evaluation
class _Evaluator:
    """Calls g (or g_rows) with shape checks; chunks full evaluations to bound memory."""

    def __init__(self, g: GFunc, g_rows: GRowsFunc | None, m: int, one_d: bool):
        self.g = g
        self.g_rows = g_rows
        self.m = m
        self.one_d = one_d

    def _call(self, t: Array) -> Array:
        v = np.asarray(self.g(t), dtype=np.float64)
        want = (t.size,) if self.one_d else (self.m, t.size)
        if v.shape != want:
            raise InputError("g", f"returned shape {v.shape} for {t.size} times, expected {want}")
        if np.isnan(v).any():
            raise InputError("g", "returned NaN")
        return v.reshape(self.m, t.size)

    def full(self, t: Array) -> Array:
        """All conditions at all times, ``(M, N)``."""
        per = max(1, _BUDGET // self.m)
        if t.size <= per:
            return self._call(t)
        return np.concatenate([self._call(t[i : i + per]) for i in range(0, t.size, per)], axis=1)

    def pairs(self, t: Array, rows: Array) -> Array:
        """Condition ``rows[i]`` at ``t[i]``, ``(N,)``."""
        if t.size == 0:
            return np.empty(0)
        if self.g_rows is not None:
            v = np.asarray(self.g_rows(t, rows), dtype=np.float64)
            if v.shape != t.shape:
                raise InputError("g_rows", f"returned shape {v.shape}, expected {t.shape}")
            if np.isnan(v).any():
                raise InputError("g_rows", "returned NaN")
            return v
        if self.m == 1:
            return self._call(t)[0]
        per = max(1, _BUDGET // self.m)
        out = np.empty(t.size)
        for i in range(0, t.size, per):
            sl = slice(i, i + per)
            out[sl] = self._call(t[sl])[rows[sl], np.arange(t[sl].size)]
        return out


# ====================================================================== sampling
def _subdivide(a, b, lo, hi, h):
    """Split each [a, b] by points spread over its uncovered part [lo, hi] (length u > h).

    k = min(_SPLIT, ceil(u / h)) pieces of the uncovered part: the points are
    lo + u j / k, j = 1..k-1. Returns (grp, j, k, t) for the sequence a, points..., b of each
    interval: grp the interval index, j the position (0 = a, k = b), t the time.
    """
    u = hi - lo
    k = np.clip(np.ceil(u / h), 2, _SPLIT).astype(np.int64)
    n = k + 1
    start = np.cumsum(n) - n
    grp = np.repeat(np.arange(a.size), n)
    j = np.arange(grp.size) - start[grp]
    kk = k[grp]
    t = lo[grp] + u[grp] * (j / kk)
    t = np.where(j == 0, a[grp], np.where(j == kk, b[grp], t))
    return grp, j, kk, t


@njit(cache=True)
def _plan_level(rows, a, b, ga, gb, inv_rate, h, split):  # pragma: no cover - numba kernel
    """One level of per-row sampling: which items are brackets, and the new sample points.

    Item i covers [a_i, b_i] for condition rows_i; its uncovered part is
    [a + |ga| r, b - |gb| r] (r = 1/rate bound). Final if that is <= h long; otherwise
    k = min(split, ceil(u/h)) pieces of the uncovered part get k - 1 new points.
    Returns (is_bracket mask, new times, their rows, number of child intervals).
    """
    n = rows.size
    bracket = np.zeros(n, dtype=np.bool_)
    npts = 0
    nchild = 0
    for i in range(n):
        ir = inv_rate[rows[i]]
        lo = a[i] + abs(ga[i]) * ir
        hi = b[i] - abs(gb[i]) * ir
        u = hi - lo
        if u <= h:
            bracket[i] = (ga[i] >= 0.0) != (gb[i] >= 0.0)
        else:
            k = min(split, max(2, int(np.ceil(u / h))))
            npts += k - 1
            nchild += k
    t_new = np.empty(npts)
    r_new = np.empty(npts, dtype=np.int64)
    p = 0
    for i in range(n):
        ir = inv_rate[rows[i]]
        lo = a[i] + abs(ga[i]) * ir
        hi = b[i] - abs(gb[i]) * ir
        u = hi - lo
        if u > h:
            k = min(split, max(2, int(np.ceil(u / h))))
            for j in range(1, k):
                t_new[p] = lo + u * (j / k)
                r_new[p] = rows[i]
                p += 1
    return bracket, t_new, r_new, nchild


@njit(cache=True)
def _children(rows, a, b, ga, gb, inv_rate, h, split, v_new, nchild):  # pragma: no cover
    """Child intervals of the items _plan_level split, with their end values (same order)."""
    cr = np.empty(nchild, dtype=np.int64)
    ca = np.empty(nchild)
    cb = np.empty(nchild)
    cga = np.empty(nchild)
    cgb = np.empty(nchild)
    p = 0
    c = 0
    for i in range(rows.size):
        ir = inv_rate[rows[i]]
        lo = a[i] + abs(ga[i]) * ir
        hi = b[i] - abs(gb[i]) * ir
        u = hi - lo
        if u > h:
            k = min(split, max(2, int(np.ceil(u / h))))
            left_t = a[i]
            left_v = ga[i]
            for j in range(1, k + 1):
                if j < k:
                    right_t = lo + u * (j / k)
                    right_v = v_new[p]
                    p += 1
                else:
                    right_t = b[i]
                    right_v = gb[i]
                cr[c] = rows[i]
                ca[c] = left_t
                cb[c] = right_t
                cga[c] = left_v
                cgb[c] = right_v
                c += 1
                left_t = right_t
                left_v = right_v
    return cr, ca, cb, cga, cgb


def _sample_per_row(ev, rows, a, b, ga, gb, inv_rate, h, out):
    """Adaptive sampling with one (row, interval) item per condition; brackets appended to out.

    The bookkeeping of each level runs in two numba kernels; the evaluation of the new
    points is one ``g_rows`` (or ``g``) call per level.
    """
    stack = [(rows.astype(np.int64), a, b, ga, gb)]
    while stack:
        rows, a, b, ga, gb = stack.pop()
        if rows.size * _SPLIT > _BUDGET:
            half = rows.size // 2
            stack.append(tuple(x[half:] for x in (rows, a, b, ga, gb)))
            stack.append(tuple(x[:half] for x in (rows, a, b, ga, gb)))
            continue
        bracket, t_new, r_new, nchild = _plan_level(rows, a, b, ga, gb, inv_rate, h, _SPLIT)
        if bracket.any():
            out.append((rows[bracket], a[bracket], b[bracket], ga[bracket], gb[bracket]))
        if nchild == 0:
            continue
        v_new = ev.pairs(t_new, r_new)
        stack.append(_children(rows, a, b, ga, gb, inv_rate, h, _SPLIT, v_new, nchild))


def _sample_common(ev, m, a, b, ga, gb, inv_rate, h, out):
    """Adaptive sampling on a grid shared by all M conditions; ga, gb are (K, M)."""
    stack = [(a, b, ga, gb)]
    while stack:
        a, b, ga, gb = stack.pop()
        if a.size * _SPLIT * m > _BUDGET and a.size > 1:
            half = a.size // 2
            stack.append(tuple(x[half:] for x in (a, b, ga, gb)))
            stack.append(tuple(x[:half] for x in (a, b, ga, gb)))
            continue
        ca = np.abs(ga) * inv_rate[None, :]
        cb = np.abs(gb) * inv_rate[None, :]
        need = (b - a)[:, None] - (ca + cb) > h
        final = ~need.any(axis=1)
        change = final[:, None] & ((ga >= 0) != (gb >= 0))
        kk, row = np.nonzero(change)
        if kk.size:
            out.append((row, a[kk], b[kk], ga[kk, row], gb[kk, row]))
        todo = ~final
        if not todo.any():
            continue
        a0, b0, ga0, gb0 = a[todo], b[todo], ga[todo], gb[todo]
        # uncovered part shared by the rows that need it
        lo = a0 + np.where(need[todo], ca[todo], np.inf).min(axis=1)
        hi = b0 - np.where(need[todo], cb[todo], np.inf).min(axis=1)
        grp, j, k, t = _subdivide(a0, b0, lo, hi, h)
        v = np.where((j == 0)[:, None], ga0[grp], gb0[grp])
        new = (j > 0) & (j < k)
        v[new] = ev.full(t[new]).T
        left = np.flatnonzero(j < k)
        stack.append((t[left], t[left + 1], v[left], v[left + 1]))


# ====================================================================== refinement
@njit(cache=True)
def _itp_points(active, a, b, fa, fb, n_max, kappa1, j, eps):  # pragma: no cover - numba
    """ITP trial point of each active bracket (Oliveira & Takahashi 2020, Algorithm 1)."""
    x = np.empty(active.size)
    for q in range(active.size):
        i = active[q]
        A, B, FA, FB = a[i], b[i], fa[i], fb[i]
        w = B - A
        mid = 0.5 * (A + B)
        r = eps * 2.0 ** (n_max[i] - j) - 0.5 * w
        delta = kappa1[i] * w * w
        den = FB - FA
        xf = (FB * A - FA * B) / den if den != 0.0 else mid
        if not np.isfinite(xf):
            xf = mid
        sigma = 1.0 if mid > xf else (-1.0 if mid < xf else 0.0)
        xt = xf + sigma * delta if delta <= abs(mid - xf) else mid
        xi = xt if abs(xt - mid) <= r else mid - sigma * r
        # Brent's minimum step: stay eps inside, so the bracket itself collapses
        xi = min(max(xi, A + eps), B - eps)
        if xi <= A or xi >= B:
            xi = mid
        x[q] = xi
    return x


@njit(cache=True)
def _itp_update(active, a, b, fa, fb, x, fx, tol):  # pragma: no cover - numba kernel
    """Replace the bracket end on x's side; return the brackets still wider than tol."""
    keep = np.zeros(active.size, dtype=np.bool_)
    for q in range(active.size):
        i = active[q]
        if (fx[q] >= 0.0) == (fa[i] >= 0.0):
            a[i] = x[q]
            fa[i] = fx[q]
        else:
            b[i] = x[q]
            fb[i] = fx[q]
        keep[q] = (b[i] - a[i]) > max(tol, 4.0 * np.spacing(abs(b[i])))
    return active[keep]


def _refine(ev, rows, a, b, fa, fb, tol_s):
    """Shrink every bracket [a, b] (g(a), g(b) on opposite sides of 0) to width <= tol_s.

    ITP method (Oliveira & Takahashi 2020, ACM TOMS 47(1) 5, Algorithm 1; kappa1 = 0.2/(b-a),
    kappa2 = 2, n0 = 1): regula falsi, truncated towards the midpoint and projected into a
    shrinking ball around it. It never needs more than one iteration beyond bisection and
    converges superlinearly on smooth g; steps are kept ``tol_s/2`` from the ends (Brent 1973,
    ch. 4) so that the bracket, not only the estimate, collapses. Clamping only moves the trial
    point towards the midpoint, so the ITP worst-case bound still holds. All brackets advance
    together: one evaluation of the needed (time, condition) pairs per iteration. Returns the
    refined (a, b, fa, fb).
    """
    a, b, fa, fb = (np.array(x, dtype=np.float64) for x in (a, b, fa, fb))
    eps = 0.5 * tol_s
    width0 = b - a
    n_max = np.ceil(np.log2(np.maximum(width0 / (2 * eps), 1.0))) + 1  # n_1/2 + n0
    kappa1 = 0.2 / np.where(width0 > 0, width0, 1.0)
    active = np.flatnonzero(width0 > np.maximum(tol_s, 4 * np.spacing(np.abs(b))))
    j = 0
    while active.size:
        if j > _MAX_REFINE_ITER:  # pragma: no cover - ITP stops after n_max iterations
            raise RuntimeError("event refinement did not converge")
        x = _itp_points(active, a, b, fa, fb, n_max, kappa1, j, eps)
        fx = ev.pairs(x, rows[active])
        active = _itp_update(active, a, b, fa, fb, x, fx, tol_s)
        j += 1
    return a, b, fa, fb


# ====================================================================== driver
def _check_span(span_start, span_stop, min_duration_s, tol_s, max_step_s):
    t0, t1 = float(span_start), float(span_stop)
    if not (np.isfinite(t0) and np.isfinite(t1)):
        raise InputError("span", "span_start and span_stop must be finite TDB seconds")
    if not t1 > t0:
        raise InputError("span_stop", f"{t1!r} must be later than span_start {t0!r}")
    if not tol_s >= MIN_TOL_S:
        raise InputError("tol_s", f"{tol_s!r} must be >= {MIN_TOL_S} s")
    margin = _STEP_REL_MARGIN * min_duration_s + _STEP_ULP_MARGIN * np.spacing(max(abs(t0), abs(t1)))
    h = min_duration_s - margin
    if not (np.isfinite(min_duration_s) and h > 0):
        raise InputError("min_duration_s", f"{min_duration_s!r} must be a positive number of seconds")
    resolution = _MIN_STEP_ULPS * np.spacing(max(abs(t0), abs(t1)))
    if max_step_s is not None:
        if not max_step_s > resolution:
            raise InputError("max_step_s", f"{max_step_s!r} must be > {resolution:.3g} s")
        h = min(h, float(max_step_s))
    if not h > resolution:
        raise InputError("min_duration_s", f"{min_duration_s!r} is below the time resolution")
    # Widths are compared with a few float64 spacings of slack: grid times are rounded, and
    # the margin above keeps h + slack below min_duration_s.
    h_test = h + 0.5 * _STEP_ULP_MARGIN * np.spacing(max(abs(t0), abs(t1)))
    return t0, t1, h, h_test


def find_windows(
    g,
    span_start: float,
    span_stop: float,
    min_duration_s: float,
    tol_s: float = 1e-3,
    rate_bound=None,
    max_step_s: float | None = None,
    g_rows: GRowsFunc | None = None,
):
    """Windows where ``g(t) >= 0`` within ``[span_start, span_stop]`` (TDB s).

    Parameters
    ----------
    g : callable or Condition
        ``g(t)`` for ``t`` of shape ``(N,)`` (TDB s, any order) returns ``(N,)`` or ``(M, N)``
        float64; it must be continuous in ``t``. A :class:`Condition` also supplies
        ``rate_bound`` and ``g_rows`` unless they are passed here.
    min_duration_s : float
        No window and no gap longer than this (s) is missed; shorter ones may or may not be.
    tol_s : float
        Every reported boundary (other than a span end) is within ``tol_s`` s of a true sign
        change; at least ``MIN_TOL_S`` = 1e-6 s.
    rate_bound : float or (M,) array, optional
        Bound on ``|dg/dt|`` (g units per second) valid over the whole span; lets the sampler
        skip where ``|g|`` is large. A wrong (too small) bound voids the guarantee.
    max_step_s : float, optional
        Largest spacing between samples not certified by the rate bound (defaults to
        ``min_duration_s``), and the largest coarse-grid step.
    g_rows : callable, optional
        ``g_rows(t, rows) -> (N,)``: condition ``rows[i]`` at ``t[i]``; lets M conditions be
        sampled and refined without evaluating all M at every time.

    Returns
    -------
    Windows if ``g`` returns ``(N,)``; a list of M Windows if it returns ``(M, N)``.

    The guarantee and the sampling scheme are in the module docstring and ``docs/events.md``.
    """
    if isinstance(g, Condition):
        if g.sweep is not None and rate_bound is None and g_rows is None and max_step_s is None:
            found = g.sweep(span_start, span_stop, min_duration_s, tol_s)
            if found is not None:
                return found
        if rate_bound is None:
            rate_bound = g.rate_bound
        if g_rows is None:
            g_rows = g.g_rows
        g = g.g
    if not callable(g):
        raise InputError("g", "must be callable g(t) -> (N,) or (M, N) array")
    t0, t1, h, h_test = _check_span(span_start, span_stop, min_duration_s, tol_s, max_step_s)

    # Probe the shape of g's output on the span ends.
    probe = np.asarray(g(np.array([t0, t1])), dtype=np.float64)
    if probe.ndim == 1 and probe.shape == (2,):
        one_d, m = True, 1
    elif probe.ndim == 2 and probe.shape[1] == 2 and probe.shape[0] >= 1:
        one_d, m = False, probe.shape[0]
    else:
        raise InputError("g", f"returned shape {probe.shape} for 2 times, expected (2,) or (M, 2)")
    ev = _Evaluator(g, g_rows, m, one_d)

    if rate_bound is None:
        inv_rate = np.zeros(m)
    else:
        rb = np.broadcast_to(np.asarray(rate_bound, dtype=np.float64), (m,))
        if np.any(~(rb > 0)):
            raise InputError("rate_bound", "must be > 0 (g units per second)")
        inv_rate = 1.0 / (rb * _RATE_SAFETY)
    per_row = m == 1 or g_rows is not None

    # Coarse grid step H0 = h * SPLIT**n: as coarse as the span and memory allow.
    span = t1 - t0
    if rate_bound is None:
        H0 = h
    else:
        cap = span if max_step_s is None else min(span, float(max_step_s))
        n = 0
        while h * _SPLIT ** (n + 1) <= cap and m * _SPLIT ** (n + 1) <= _BUDGET:
            n += 1
        H0 = h * _SPLIT**n
    n_top = int(np.ceil(span / H0))
    grid = t0 + H0 * np.arange(n_top + 1, dtype=np.float64)
    grid = np.r_[grid[grid < t1], t1]

    brackets: list[tuple] = []
    cols = max(2, _BUDGET // m)
    first_inside = last_inside = None
    for j0 in range(0, grid.size - 1, cols - 1):
        tg = grid[j0 : j0 + cols]
        vg = ev.full(tg)  # (M, n)
        if j0 == 0:
            first_inside = vg[:, 0] >= 0
        if j0 + cols >= grid.size:
            last_inside = vg[:, -1] >= 0
        if per_row:
            k = tg.size - 1
            rows = np.repeat(np.arange(m), k)
            a = np.tile(tg[:-1], m)
            b = np.tile(tg[1:], m)
            _sample_per_row(
                ev,
                rows,
                a,
                b,
                vg[:, :-1].ravel(),
                vg[:, 1:].ravel(),
                inv_rate,
                h_test,
                brackets,
            )
        else:
            _sample_common(
                ev,
                m,
                tg[:-1],
                tg[1:],
                vg[:, :-1].T,
                vg[:, 1:].T,
                inv_rate,
                h_test,
                brackets,
            )

    if brackets:
        rows, a, b, fa, fb = (np.concatenate(x) for x in zip(*brackets))
        a, b, fa, fb = _refine(ev, rows, a, b, fa, fb, tol_s)
    else:
        rows = np.empty(0, dtype=np.int64)
        a = b = fa = fb = np.empty(0)

    result = assemble(m, rows, a, b, fb, first_inside, last_inside, t0, t1)
    return result[0] if one_d else result
