"""Target windows for many targets at once: a compiled sweep over one shared time grid.

The survey-scale route for :class:`~lunarscope.windows.conditions.TargetConstraints`
(``target_visible`` / ``target_occulted`` for M fixed ICRS directions). Same guarantee as
:func:`~lunarscope.windows.finder.find_windows` (``docs/events.md``): no window and no gap
longer than ``min_duration_s`` is missed, every boundary (other than a span end) is the
``g >= 0`` end of an interval of width ``<= tol_s`` whose ends were evaluated on opposite
sides of zero (spacecraft from the trajectory, Sun and Earth from DE440 states every 600 s by
cubic Hermite: ``Scene.body_positions``, ~1e-8 km). How (``docs/windows.md``,
"Survey-scale target windows"):

1. **Shared geometry.** The Moon, Earth and Sun directions and the Moon's and Earth's apparent
   radii are computed once per grid time ``t_k = t0 + k δ`` (``δ <= h / GRID_CELLS_PER_STEP``,
   ``h`` the finder's step below ``min_duration_s``) for all targets.
2. **Time-varying, per-term rate bounds.** ``g`` is the minimum (visible) or minus the minimum
   (occulted) of terms x_i — Moon (limb/occultation), Earth (limb/occultation), Sun exclusion —
   each with its own rate bound L_i(t) per grid cell (set by the current radius and speed, not
   the periapsis ones). With Λ_i the running integral of L_i, a term x_i(a) cannot change sign
   before Λ_i(t) − Λ_i(a) = |x_i(a)|; ``g`` keeps its sign until the first term that can flip it
   does (inside: every term; outside: the last of the negative terms).
3. **March.** Per target, from a sample ``a`` to the last grid point ``b <= t_ex(a) + h``
   (t_ex: where the covered part ends): between consecutive samples at most ``h`` is
   uncovered, so a window or gap that holds no sample is shorter than ``min_duration_s`` (the
   finder's argument). A term is re-evaluated only once a sample passes its reach. Compiled,
   row groups in parallel, each marching block by block in time.
4. **Refinement** of every bracket in one compiled pass on the grid geometry interpolated
   (cubic Hermite, Illinois method), then **verification** by evaluating g at
   ``x ± VERIFY_HALF_WIDTH·tol``;
   a bracket whose check fails is refined by exact ITP (the finder's ``_refine``).

Everything here is a pure function of arrays (times, positions, unit vectors, rates).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..constants import MOON_RADIUS_KM
from .intervals import Windows

#: Grid cells per finder step: grid spacing δ <= h / 2, so a step lands at most δ short of
#: the farthest point the bound allows (larger: finer steps, more grid geometry).
GRID_CELLS_PER_STEP = 2
#: Largest grid handled by the sweep (points); beyond it (a tiny min_duration_s over a long
#: span) the general finder is used. About 230 bytes per point.
MAX_GRID_POINTS = 1 << 23
#: Half-width of the exact check interval around the interpolated root, in units of tol_s.
VERIFY_HALF_WIDTH = 0.4
#: Width (in units of tol_s) to which brackets are refined on the interpolated geometry.
INTERP_TOL_FRACTION = 1.0 / 64.0
#: Most epochs per exact geometry evaluation (bounds the transient memory, ~200 B/epoch).
EXACT_BATCH = 1 << 18
#: Grid cells marched by all rows before the next block (keeps the block's geometry, 88 B
#: per point, in cache).
BLOCK_CELLS = 2048
#: Brackets stored per row group and march call (a group that fills it is marched again).
BRACKETS_PER_CALL = 1 << 15
#: Row groups per thread (groups are scheduled dynamically, which evens out the load).
GROUPS_PER_THREAD = 4
#: Slack on the running rate integrals, in float64 spacings of their largest value.
LAMBDA_ULPS = 64.0
#: Iteration cap of the interpolated ITP (it needs at most log2(width/tol) + 1 < 60).
_MAX_ITER = 100

VISIBLE, OCCULTED = 0, 1


# ====================================================================== geometry
@njit(cache=True, inline="always")
def _derive_one(r, s, e, earth_r, out, k):  # pragma: no cover - numba
    """Moon, Earth, Sun unit directions and Moon/Earth apparent radii seen from r (km)."""
    rm = math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
    out[k, 0] = -r[0] / rm
    out[k, 1] = -r[1] / rm
    out[k, 2] = -r[2] / rm
    out[k, 3] = math.asin(min(1.0, MOON_RADIUS_KM / rm))
    ex, ey, ez = e[0] - r[0], e[1] - r[1], e[2] - r[2]
    de = math.sqrt(ex * ex + ey * ey + ez * ez)
    out[k, 4] = ex / de
    out[k, 5] = ey / de
    out[k, 6] = ez / de
    out[k, 7] = math.asin(min(1.0, earth_r / de))
    sx, sy, sz = s[0] - r[0], s[1] - r[1], s[2] - r[2]
    ds = math.sqrt(sx * sx + sy * sy + sz * sz)
    out[k, 8] = sx / ds
    out[k, 9] = sy / ds
    out[k, 10] = sz / ds


@njit(cache=True, parallel=True)
def derive_geometry(r, sun, earth, earth_r):  # pragma: no cover - numba
    """(N, 11): Moon direction, ρ_M, Earth direction, ρ_E, Sun direction from the spacecraft
    at Moon-centred r (N,3) with the Sun and Earth at sun, earth (N,3) km; ρ = asin(R/d)."""
    n = r.shape[0]
    out = np.empty((n, 11))
    for k in prange(n):
        _derive_one(r[k], sun[k], earth[k], earth_r, out, k)
    return out


@njit(cache=True, inline="always")
def _sep(ux, uy, uz, g, k, j):  # pragma: no cover - numba
    """Angle between u and the unit vector g[k, j:j+3]: atan2(sqrt((1-c)(1+c)), c)."""
    c = ux * g[k, j] + uy * g[k, j + 1] + uz * g[k, j + 2]
    return math.atan2(math.sqrt(max(0.0, (1.0 - c) * (1.0 + c))), c)


@njit(cache=True, inline="always")
def _terms(ux, uy, uz, g, k, mode, lim, x):  # pragma: no cover - numba
    """Terms x_i of the condition at geometry row k; returns their number.

    visible: x = (sep_M − ρ_M − θ_M, sep_E − ρ_E − θ_E[, sep_S − θ_S]), g = min(x);
    occulted: x = (sep_M − ρ_M, sep_E − ρ_E), g = −min(x). ``lim`` = (θ_M, θ_E, θ_S, has_sun).
    """
    om = _sep(ux, uy, uz, g, k, 0) - g[k, 3]
    oe = _sep(ux, uy, uz, g, k, 4) - g[k, 7]
    if mode == VISIBLE:
        x[0] = om - lim[0]
        x[1] = oe - lim[1]
        if lim[3] > 0.0:
            x[2] = _sep(ux, uy, uz, g, k, 8) - lim[2]
            return 3
        return 2
    x[0] = om
    x[1] = oe
    return 2


@njit(cache=True, inline="always")
def _value(mode, x, nt):  # pragma: no cover - numba
    m = x[0]
    for i in range(1, nt):
        m = min(m, x[i])
    return m if mode == VISIBLE else -m


@njit(cache=True)
def eval_pairs(u, trow, mode, rows, g, lim):  # pragma: no cover - numba
    """g of row rows[i] (target trow, kind mode) on geometry row i of g (N, 11)."""
    n = rows.size
    out = np.empty(n)
    for i in range(n):
        r = rows[i]
        m = trow[r]
        x = np.empty(3)
        nt = _terms(u[m, 0], u[m, 1], u[m, 2], g, i, mode[r], lim, x)
        out[i] = _value(mode[r], x, nt)
    return out


@njit(cache=True)
def hermite_bodies(t, t_first, node_step, sun, earth):  # pragma: no cover - numba
    """Sun and Earth positions (N,3) at t by cubic Hermite interpolation of their states
    (n, 6) (km, km/s) at nodes t_first + k node_step."""
    n = t.size
    nn = sun.shape[0]
    ps = np.empty((n, 3))
    pe = np.empty((n, 3))
    for i in range(n):
        tau = (t[i] - t_first) / node_step
        k = min(max(int(math.floor(tau)), 0), nn - 2)
        s = tau - k
        s2 = s * s
        s3 = s2 * s
        h00 = 2.0 * s3 - 3.0 * s2 + 1.0
        h10 = (s3 - 2.0 * s2 + s) * node_step
        h01 = -2.0 * s3 + 3.0 * s2
        h11 = (s3 - s2) * node_step
        for j in range(3):
            ps[i, j] = h00 * sun[k, j] + h10 * sun[k, j + 3] + h01 * sun[k + 1, j] + h11 * sun[k + 1, j + 3]
            pe[i, j] = h00 * earth[k, j] + h10 * earth[k, j + 3] + h01 * earth[k + 1, j] + h11 * earth[k + 1, j + 3]
    return ps, pe


# ====================================================================== march
@njit(cache=True, inline="always")
def _forward(lam, ia, val, eps, limit):  # pragma: no cover - numba
    """Grid position (cells, fractional) where the running bound lam reaches lam[ia] + val,
    or ``limit`` if that is not before it. Galloping search from the guess the local slope
    at ia gives (the slope varies slowly along the orbit, so the guess is close)."""
    target = lam[ia] + val - eps
    n = lam.size
    if target <= lam[ia]:
        return float(ia)
    if limit >= n - 1:
        limit = float(n - 1)
        if target >= lam[n - 1]:
            return limit
    slope = lam[ia + 1] - lam[ia]
    k = ia + int(min((target - lam[ia]) / slope, limit - ia))
    k = min(max(k, ia), n - 2)
    if lam[k] <= target:  # gallop forward: find lam[lo] <= target < lam[hi]
        lo = k
        step = 1
        hi = min(k + 1, n - 1)
        while lam[hi] <= target:
            if hi >= limit:
                return limit
            lo = hi
            step *= 2
            hi = min(k + step, n - 1)
    else:  # gallop backward
        hi = k
        step = 1
        lo = max(k - 1, ia)
        while lam[lo] > target:
            hi = lo
            step *= 2
            lo = max(k - step, ia)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if lam[mid] <= target:
            lo = mid
        else:
            hi = mid
    return min(limit, lo + (target - lam[lo]) / (lam[hi] - lam[lo]))


@njit(cache=True, inline="always")
def _term(i, ux, uy, uz, g, k, mode, lim):  # pragma: no cover - numba
    """Term i of :func:`_terms` alone (same arithmetic, so the same value)."""
    if i == 0:
        v = _sep(ux, uy, uz, g, k, 0) - g[k, 3]
        return v - lim[0] if mode == VISIBLE else v
    if i == 1:
        v = _sep(ux, uy, uz, g, k, 4) - g[k, 7]
        return v - lim[1] if mode == VISIBLE else v
    return _sep(ux, uy, uz, g, k, 8) - lim[2]


@njit(cache=True, inline="always")
def _reach(lam, eps, dmax, ia, v, limit):  # pragma: no cover - numba
    """A grid position before which a term of value v at ia cannot change sign: the exact
    one (search) if it is below ``limit``, else a cheaper one that is at least ``limit``."""
    lb = ia + (abs(v) - eps) / dmax
    if lb >= limit:
        return max(lb, float(ia))
    return _forward(lam, ia, abs(v), eps, limit)


@njit(cache=True, inline="always")
def _cover(lam, eps, dmax, dmin, ia, x, fresh, reach, nt):  # pragma: no cover - numba
    """Update the reaches of the fresh terms evaluated at ia; return the grid position before
    which the sign of min(x) cannot change (the last index n - 1 if beyond the grid).

    Inside (all x >= 0) the first term that can reach zero decides; outside the last of the
    negative terms does. A term not re-evaluated keeps the reach found from its last value
    (still a valid bound: it was derived for every later time up to it).
    """
    n = lam.shape[1]
    top = float(n - 1)
    mn = x[0]
    for i in range(1, nt):
        mn = min(mn, x[i])
    if mn >= 0.0:
        tau = top
        for i in range(nt):
            if fresh[i]:
                reach[i] = _reach(lam[i], eps[i], dmax[i], ia, x[i], tau)
            tau = min(tau, reach[i])
        return tau
    tau = float(ia)
    for i in range(nt):
        if fresh[i]:
            if x[i] < 0.0 and ia + (-x[i]) / dmin[i] > tau:
                reach[i] = _forward(lam[i], ia, -x[i], eps[i], top)
            else:
                reach[i] = max(float(ia), ia + (abs(x[i]) - eps[i]) / dmax[i])
        if x[i] < 0.0:
            tau = max(tau, reach[i])
    return min(tau, top)


@njit(cache=True, inline="always")
def _next(tau, ia, h_cells, n):  # pragma: no cover - numba
    """Next sample: the last grid point at most h past the covered part."""
    if tau >= n - 1:
        return n - 1
    jb = int(math.floor(tau + h_cells))
    return min(max(jb, ia + 1), n - 1)


@njit(cache=True, inline="always")
def _nterms(mode, lim):  # pragma: no cover - numba
    return 3 if (mode == VISIBLE and lim[3] > 0.0) else 2


@njit(cache=True)
def march_start(g, lam, eps, dmax, dmin, u, trow, mode, lim, h_cells):  # pragma: no cover - numba
    """First sample (grid point 0) of every row: value, terms, their reaches, the covered
    part's end and the next sample."""
    nr = trow.size
    n = g.shape[0]
    val = np.empty(nr)
    nxt = np.empty(nr, dtype=np.int64)
    tex = np.empty(nr)
    xs = np.zeros((nr, 3))
    reach = np.zeros((nr, 3))
    for r in range(nr):
        m = trow[r]
        fresh = np.ones(3, dtype=np.bool_)
        nt = _terms(u[m, 0], u[m, 1], u[m, 2], g, 0, mode[r], lim, xs[r])
        val[r] = _value(mode[r], xs[r], nt)
        tex[r] = _cover(lam, eps, dmax, dmin, 0, xs[r], fresh, reach[r], nt)
        nxt[r] = _next(tex[r], 0, h_cells, n)
    return val, nxt, tex, xs, reach


@njit(cache=True, parallel=True)
def march(
    g,
    lam,
    eps,
    dmax,
    dmin,
    u,
    trow,
    mode,
    lim,
    h_cells,
    rows,
    offs,
    st_i,
    st_v,
    st_n,
    st_tex,
    st_x,
    st_reach,
    cap,
    block,
):  # pragma: no cover - numba
    """Advance the rows of each group (rows[offs[j]:offs[j+1]]) from their states (last sample
    st_i with value st_v, its terms st_x and their reaches st_reach, the covered part's end
    st_tex, next sample st_n) to the span end, or until the group has stored ``cap``
    brackets. A term is re-evaluated only once the sample reaches its reach (before it, its
    sign is known). A group's rows advance together block by block in time (``block`` grid
    cells), so the geometry they read stays in cache; groups run in parallel. The state
    arrays are updated in place (st_i == N-1: done).

    Returns per group the brackets (row, ia, ib, value at ia, value at ib, covered end of
    ia), their counts, and the numbers of samples and of term evaluations.
    """
    n = g.shape[0]
    ng = offs.size - 1
    o_r = np.empty((ng, cap), dtype=np.int64)
    o_ia = np.empty((ng, cap), dtype=np.int64)
    o_ib = np.empty((ng, cap), dtype=np.int64)
    o_ga = np.empty((ng, cap))
    o_gb = np.empty((ng, cap))
    o_tx = np.empty((ng, cap))
    count = np.zeros(ng, dtype=np.int64)
    samples = np.zeros(ng, dtype=np.int64)
    terms = np.zeros(ng, dtype=np.int64)
    for gi in prange(ng):
        fresh = np.zeros(3, dtype=np.bool_)
        c = 0
        ns = 0
        ne = 0
        full = False
        stop = min(block, n - 1)
        while True:
            for q in range(offs[gi], offs[gi + 1]):
                r = rows[q]
                m = trow[r]
                md = mode[r]
                nt = _nterms(md, lim)
                ux, uy, uz = u[m, 0], u[m, 1], u[m, 2]
                x = st_x[r]
                reach = st_reach[r]
                ia, ga, jb, tex = st_i[r], st_v[r], st_n[r], st_tex[r]
                while ia < n - 1 and jb <= stop:
                    for i in range(nt):
                        fresh[i] = reach[i] <= jb
                    if c == cap:  # a bracket here could not be stored: look before leaping
                        old = x.copy()
                    for i in range(nt):
                        if fresh[i]:
                            x[i] = _term(i, ux, uy, uz, g, jb, md, lim)
                            ne += 1
                    gb = _value(md, x, nt)
                    if (gb >= 0.0) != (ga >= 0.0):
                        if c == cap:
                            x[:] = old
                            full = True
                            break
                        o_r[gi, c] = r
                        o_ia[gi, c] = ia
                        o_ib[gi, c] = jb
                        o_ga[gi, c] = ga
                        o_gb[gi, c] = gb
                        o_tx[gi, c] = tex
                        c += 1
                    ns += 1
                    ia = jb
                    ga = gb
                    if ia == n - 1:
                        break
                    tex = _cover(lam, eps, dmax, dmin, ia, x, fresh, reach, nt)
                    jb = _next(tex, ia, h_cells, n)
                st_i[r], st_v[r], st_n[r], st_tex[r] = ia, ga, jb, tex
                if full:
                    break
            if full or stop >= n - 1:
                break
            stop = min(stop + block, n - 1)
        count[gi] = c
        samples[gi] = ns
        terms[gi] = ne
    return o_r, o_ia, o_ib, o_ga, o_gb, o_tx, count, samples.sum(), terms.sum()


# ====================================================================== refinement
@njit(cache=True, inline="always")
def _hermite(p, v, k, s, step, j):  # pragma: no cover - numba
    """Cubic Hermite of component j on cell k at fraction s (positions p, rates v per s)."""
    s2 = s * s
    s3 = s2 * s
    return (
        (2.0 * s3 - 3.0 * s2 + 1.0) * p[k, j]
        + (s3 - 2.0 * s2 + s) * step * v[k, j]
        + (-2.0 * s3 + 3.0 * s2) * p[k + 1, j]
        + (s3 - s2) * step * v[k + 1, j]
    )


@njit(cache=True, inline="always")
def _fd_rate(p, k, j, step):  # pragma: no cover - numba
    """Rate of p[:, j] at grid point k by central (one-sided at the ends) differences."""
    n = p.shape[0]
    if k == 0:
        return (-3.0 * p[0, j] + 4.0 * p[1, j] - p[2, j]) / (2.0 * step)
    if k == n - 1:
        return (3.0 * p[n - 1, j] - 4.0 * p[n - 2, j] + p[n - 3, j]) / (2.0 * step)
    return (p[k + 1, j] - p[k - 1, j]) / (2.0 * step)


@njit(cache=True, inline="always")
def _interp_g(tau, pos, vel, sun, earth, step, earth_r, ux, uy, uz, md, lim, x, buf, gbuf):  # pragma: no cover
    """g on the interpolated geometry at grid position tau (cells)."""
    n = pos.shape[0]
    k = min(max(int(math.floor(tau)), 0), n - 2)
    s = tau - k
    s2 = s * s
    s3 = s2 * s
    h00 = 2.0 * s3 - 3.0 * s2 + 1.0
    h10 = (s3 - 2.0 * s2 + s) * step
    h01 = -2.0 * s3 + 3.0 * s2
    h11 = (s3 - s2) * step
    for j in range(3):
        buf[0, j] = h00 * pos[k, j] + h10 * vel[k, j] + h01 * pos[k + 1, j] + h11 * vel[k + 1, j]
        buf[1, j] = (
            h00 * sun[k, j]
            + h10 * _fd_rate(sun, k, j, step)
            + h01 * sun[k + 1, j]
            + h11 * _fd_rate(sun, k + 1, j, step)
        )
        buf[2, j] = (
            h00 * earth[k, j]
            + h10 * _fd_rate(earth, k, j, step)
            + h01 * earth[k + 1, j]
            + h11 * _fd_rate(earth, k + 1, j, step)
        )
    _derive_one(buf[0], buf[1], buf[2], earth_r, gbuf, 0)
    nt = _terms(ux, uy, uz, gbuf, 0, md, lim, x)
    return _value(md, x, nt)


@njit(cache=True, parallel=True)
def refine_interpolated(
    pos, vel, sun, earth, step, earth_r, u, trow, mode, lim, rows, lo, hi, glo, ghi, tol_cells
):  # pragma: no cover - numba
    """Root of each bracket [lo, hi] (grid positions, cells; g(lo), g(hi) of opposite signs)
    on the Hermite-interpolated geometry, by the Illinois method (regula falsi that halves the
    retained end's value when the same end is kept twice; Dowell & Jarratt 1971, superlinear
    of order 1.44), until a step is below ``tol_cells`` or the bracket is that narrow.
    Only an estimate: the caller checks it with exact evaluations."""
    nb = rows.size
    out = np.empty(nb)
    for q in prange(nb):
        r = rows[q]
        m = trow[r]
        md = mode[r]
        ux, uy, uz = u[m, 0], u[m, 1], u[m, 2]
        x = np.empty(3)
        buf = np.empty((3, 3))
        gbuf = np.empty((1, 11))
        a, b, fa, fb = lo[q], hi[q], glo[q], ghi[q]
        side = 0
        xi = 0.5 * (a + b)
        for _ in range(_MAX_ITER):
            den = fb - fa
            xn = (a * fb - b * fa) / den if den != 0.0 else 0.5 * (a + b)
            if not (a < xn < b):
                xn = 0.5 * (a + b)
            done = abs(xn - xi) <= tol_cells or b - a <= tol_cells
            xi = xn
            if done:
                break
            fx = _interp_g(xi, pos, vel, sun, earth, step, earth_r, ux, uy, uz, md, lim, x, buf, gbuf)
            if (fx >= 0.0) == (fb >= 0.0):
                b, fb = xi, fx
                if side == -1:
                    fa *= 0.5
                side = -1
            else:
                a, fa = xi, fx
                if side == 1:
                    fb *= 0.5
                side = 1
        out[q] = xi
    return out


@njit(cache=True)
def interp_values(pos, vel, sun, earth, step, earth_r, u, trow, mode, lim, rows, tau):  # pragma: no cover
    """g on the interpolated geometry of rows[i] at grid positions tau[i] (cells)."""
    nb = rows.size
    out = np.empty(nb)
    for q in range(nb):
        r = rows[q]
        m = trow[r]
        x = np.empty(3)
        buf = np.empty((3, 3))
        gbuf = np.empty((1, 11))
        out[q] = _interp_g(
            tau[q], pos, vel, sun, earth, step, earth_r, u[m, 0], u[m, 1], u[m, 2], mode[r], lim, x, buf, gbuf
        )
    return out


# ====================================================================== assembly
def assemble(m, rows, a, b, fb, first_inside, last_inside, t0, t1):
    """M Windows from refined brackets (a outside/inside, b the other side) and the span ends.

    A bracket with g(b) >= 0 starts a window at b, otherwise ends one at a (the ends with
    g >= 0); rows inside at t0 / t1 open / close a window there.
    """
    rising = fb >= 0
    all_rows = np.arange(m)
    s_rows = np.r_[all_rows[first_inside], rows[rising]]
    s_time = np.r_[np.full(int(first_inside.sum()), t0), b[rising]]
    e_rows = np.r_[rows[~rising], all_rows[last_inside]]
    e_time = np.r_[a[~rising], np.full(int(last_inside.sum()), t1)]
    so = np.lexsort((s_time, s_rows))
    eo = np.lexsort((e_time, e_rows))
    s_rows, s_time = s_rows[so], s_time[so]
    e_rows, e_time = e_rows[eo], e_time[eo]
    counts = np.bincount(s_rows, minlength=m)
    if not np.array_equal(counts, np.bincount(e_rows, minlength=m)):  # pragma: no cover
        raise RuntimeError("internal error: unbalanced window boundaries")
    split = np.cumsum(counts)[:-1]
    return [Windows(s, e) for s, e in zip(np.split(s_time, split), np.split(e_time, split))]
