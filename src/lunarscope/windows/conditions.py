"""Event conditions on a :class:`~lunarscope.windows.scene.Scene`: g(t) >= 0 inside the window.

Every builder returns a :class:`~lunarscope.windows.finder.Condition` whose ``g`` is an angle
(rad) or a dimensionless ratio, continuous in t, with a derived bound on ``|dg/dt|`` (rad/s)
over the span (``docs/windows.md`` gives the derivation for each kind). The bounds use the
kinematic extrema of :meth:`Scene.bounds` (symbols as in the docs):

* direction from the spacecraft to a point moving with relative velocity w at distance d
  turns at most |w|/d (the transverse part of w over d);
* apparent radius ρ = asin(R/d) changes at most R·|ḋ|/(d·sqrt(d² − R²)) with |ḋ| <= |w|;
* a separation between two directions changes at most the sum of their turning rates, and
  a fixed ICRS target direction does not turn (spacecraft aberration ignored);
* elevation in a body-fixed topocentric frame changes at most the line-of-sight turning rate
  plus the body's rotation rate.

Target conditions take ``u`` (M,3) ICRS unit vectors and return (M, N) in one pass; they also
provide ``g_rows`` so the finder evaluates only the (time, target) pairs it needs.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np

from ..constants import EARTH_RADIUS_KM, MOON_RADIUS_KM, SUN_RADIUS_KM
from ..errors import InputError
from ..geometry.angles import apparent_radius, elevation_azimuth, interp_mask, norm, separation
from .finder import _RATE_SAFETY, Condition
from .scene import Bounds, Scene

#: Earth rotation rate bound, rad/s: nominal 7.2921150e-5 (IERS Conventions 2010, sec. 1.2)
#: plus LOD and precession-nutation variations (< 1e-11 rad/s), rounded up.
EARTH_ROTATION_BOUND = 7.30e-5
#: Lunar rotation rate bound, rad/s: mean 2.6617e-6 (sidereal month 27.3217 d) plus physical
#: libration rates (< 1e-7 rad/s; Williams et al. 2008), rounded up.
MOON_ROTATION_BOUND = 3.0e-6
#: Half-width of the elevation band over which an azimuth mask is blended into its extreme
#: value (keeps |d az/dt| bounded away from zenith and nadir), rad.
MASK_BLEND_RAD = math.radians(5.0)

__all__ = [
    "shadow_condition",
    "target_constraints",
    "target_occulted",
    "contact_condition",
    "site_pass",
    "site_sunlit",
    "site_earth_visible",
    "user_condition",
    "TargetConstraints",
    "StationGeometry",
]


# ====================================================================== rate helpers
def _dir_rate(w: float, d: float) -> float:
    """Largest turning rate of a direction at distance >= d with relative speed <= w."""
    return math.inf if d <= 0 else w / d


def _radius_rate(radius: float, w: float, d: float) -> float:
    """Largest |d/dt asin(R/d)| for distance >= d and |ḋ| <= w."""
    if d <= radius:
        return math.inf
    return radius * w / (d * math.sqrt(d * d - radius * radius))


def _rates(b: Bounds, earth_radius: float = EARTH_RADIUS_KM) -> dict:
    """Turning rates (rad/s) of the Moon, Earth and Sun directions and their apparent radii."""
    v = b.v_max
    we, de = b.earth_v_max + v, b.earth_d_min - b.r_max
    ws, ds = b.sun_v_max + v, b.sun_d_min - b.r_max
    return {
        "moon_dir": _dir_rate(v, b.r_min),
        "moon_rho": _radius_rate(MOON_RADIUS_KM, v, b.r_min),
        "earth_dir": _dir_rate(we, de),
        "earth_rho": _radius_rate(earth_radius, we, de),
        "sun_dir": _dir_rate(ws, ds),
        "sun_rho": _radius_rate(SUN_RADIUS_KM, ws, ds),
    }


def _finite(rate: float):
    return rate if np.isfinite(rate) and rate > 0 else None


def _sep_paired(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Separation between unit vectors u[i] and d[i] (N,), atan2 form (exact near 0 and π)."""
    c = np.einsum("ij,ij->i", u, d)
    return np.arctan2(np.sqrt(np.maximum(0.0, (1.0 - c) * (1.0 + c))), c)


def _sep_full(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Separation (M, N) between M unit vectors u and N unit vectors d."""
    c = u @ d.T
    return np.arctan2(np.sqrt(np.maximum(0.0, (1.0 - c) * (1.0 + c))), c)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / norm(x)[:, None]


# ====================================================================== shadows
def shadow_condition(scene: Scene, body: str, kind: str, t0: float, t1: float) -> Condition:
    """Spacecraft in the ``umbra`` or ``penumbra`` of ``body`` ('moon' or 'earth').

    Conical shadow of spheres (Montenbruck & Gill 2000, sec. 3.4.2): from the spacecraft, the
    Sun's apparent radius a, the body's b, centre separation c.
    umbra: g = (b − a) − c  (the whole solar disk hidden; ν = 0);
    penumbra: g = min(a + b − c, c − (b − a))  (partially hidden, 0 < ν < 1; the umbra part
    is excluded, so umbra and penumbra windows are disjoint; an annular (antumbral) passage
    counts as penumbra). Earth radius: WGS84 equatorial, no atmosphere.
    Rate: |ċ| + |ȧ| + |ḃ| with the direction and apparent-radius rates of the Sun and the body.
    """
    if body not in ("moon", "earth"):
        raise InputError("body", f"{body!r} must be 'moon' or 'earth'")
    if kind not in ("umbra", "penumbra"):
        raise InputError("kind", f"{kind!r} must be 'umbra' or 'penumbra'")
    radius = MOON_RADIUS_KM if body == "moon" else EARTH_RADIUS_KM
    rt = _rates(scene.bounds(t0, t1))
    rate = rt["sun_dir"] + rt["sun_rho"] + rt[f"{body}_dir"] + rt[f"{body}_rho"]

    def g(t):
        s = scene.at(t)
        to_sun = s.sun - s.r
        to_body = -s.r if body == "moon" else s.earth - s.r
        ds, db = norm(to_sun), norm(to_body)
        a = apparent_radius(SUN_RADIUS_KM, ds)
        bb = apparent_radius(radius, db)
        c = separation(to_sun, to_body)
        if kind == "umbra":
            return (bb - a) - c
        return np.minimum(a + bb - c, c - (bb - a))

    return Condition(g, _finite(rate), name=f"{kind}:{body}")


# ====================================================================== targets
class TargetConstraints:
    """Angular constraints on M fixed ICRS directions ``u`` (M,3), radians.

    Terms (each >= 0 when satisfied; any may be None to skip it):
    sun: sep(u, Sun) − sun_exclusion;  earth_limb: sep(u, Earth) − ρ_E − earth_limb
    (ρ_E from R_E + atmosphere);  moon_limb: sep(u, Moon) − ρ_M − moon_limb;
    occultation by the Moon: sep(u, Moon) − ρ_M;  by the Earth: sep(u, Earth) − ρ_E.
    """

    def __init__(
        self,
        scene: Scene,
        u,
        sun_exclusion_rad=None,
        earth_limb_rad=None,
        moon_limb_rad=None,
        earth_atmosphere_km: float = 100.0,
    ):
        self.scene = scene
        self.u = np.ascontiguousarray(np.atleast_2d(np.asarray(u, float)))
        if self.u.ndim != 2 or self.u.shape[1] != 3:
            raise InputError("targets", f"directions must be (M, 3), got {self.u.shape}")
        self.u = self.u / norm(self.u)[:, None]
        self.sun_ex = sun_exclusion_rad
        self.earth_limb = earth_limb_rad
        self.moon_limb = moon_limb_rad
        self.earth_r = EARTH_RADIUS_KM + float(earth_atmosphere_km)

    # shared directions per snapshot
    def _dirs(self, t):
        s = self.scene.at(t)

        def make():
            to_earth = s.earth - s.r
            rm = norm(s.r)
            de = norm(to_earth)
            return {
                "moon": -s.r / rm[:, None],
                "rho_m": apparent_radius(MOON_RADIUS_KM, rm),
                "earth": to_earth / de[:, None],
                "rho_e": apparent_radius(self.earth_r, de),
                "sun": _unit_rows(s.sun - s.r),
            }

        return s.memo(("targets", self.earth_r), make)

    def _terms(self, t, rows, visible: bool):
        d = self._dirs(t)
        if rows is None:
            sep = lambda key: _sep_full(self.u, d[key])  # noqa: E731
            rho = lambda key: d[key][None, :]  # noqa: E731
        else:
            ur = self.u[rows]
            sep = lambda key: _sep_paired(ur, d[key])  # noqa: E731
            rho = lambda key: d[key]  # noqa: E731
        sm = sep("moon")
        se = sep("earth")
        occ_m = sm - rho("rho_m")  # >= 0: not occulted by the Moon
        occ_e = se - rho("rho_e")  # >= 0: not occulted by the Earth
        if not visible:
            return -np.minimum(occ_m, occ_e)  # >= 0: occulted by either
        g = np.minimum(occ_m, occ_e)
        if self.moon_limb is not None:
            g = np.minimum(g, occ_m - self.moon_limb)
        if self.earth_limb is not None:
            g = np.minimum(g, occ_e - self.earth_limb)
        if self.sun_ex is not None:
            g = np.minimum(g, sep("sun") - self.sun_ex)
        return g

    def rate(self, t0: float, t1: float, visible: bool = True) -> float:
        rt = _rates(self.scene.bounds(t0, t1), self.earth_r)
        r = max(rt["moon_dir"] + rt["moon_rho"], rt["earth_dir"] + rt["earth_rho"])
        if visible and self.sun_ex is not None:
            r = max(r, rt["sun_dir"])
        return r

    def condition(self, t0: float, t1: float, visible: bool = True) -> Condition:
        m = self.u.shape[0]
        rate = _finite(self.rate(t0, t1, visible))

        def g(t):
            return self._terms(t, None, visible)

        def g_rows(t, rows):
            return self._terms(t, rows, visible)

        def sweep(s0, s1, min_duration_s, tol_s):
            found = self.windows(s0, s1, min_duration_s, tol_s, (visible,))
            return None if found is None else found[visible]

        return Condition(
            g,
            None if rate is None else np.full(m, rate),
            g_rows,
            name="target_visible" if visible else "target_occulted",
            sweep=sweep,
        )

    # ------------------------------------------------------------------ survey-scale route
    def _limits(self) -> np.ndarray:
        """(θ_M, θ_E, θ_S, has_sun) for the compiled terms: a limb margin below 0 adds nothing
        to min(occultation, occultation − θ), so max(θ, 0) is exact."""
        pos = lambda a: 0.0 if a is None else max(float(a), 0.0)  # noqa: E731
        sun = self.sun_ex is not None
        return np.array([pos(self.moon_limb), pos(self.earth_limb), float(self.sun_ex) if sun else 0.0, float(sun)])

    def cell_rates(self, v_hi, r_lo, r_hi, b: Bounds) -> np.ndarray:
        """Rate bounds (3, K) rad/s of the Moon, Earth and Sun terms on K grid cells.

        From the cell's speed and radius bounds (:meth:`Scene.cell_bounds`): the separation
        from the Moon's centre changes at most v_⊥/r and ρ_M = asin(R_M/r) at most
        c·|v_r|, c = R_M/(r·sqrt(r² − R_M²)); as v_⊥² + v_r² = v², the Moon term changes at
        most v·sqrt(1/r² + c²) (Cauchy–Schwarz), taken at (v_hi, r_lo). The Earth term likewise
        with w = V_E + v_hi and d = D_E − r_hi; the Sun term (V☉ + v_hi)/(D☉ − r_hi). Each is
        capped by the span-wide bound of :meth:`rate` (both hold).
        """
        with np.errstate(invalid="ignore", divide="ignore"):

            def term(w, d, radius):
                c = radius / (d * np.sqrt(d * d - radius * radius))
                out = w * np.sqrt(1.0 / (d * d) + c * c)
                return np.where(d > radius, out, np.inf)

            lm = term(v_hi, r_lo, MOON_RADIUS_KM)
            le = term(b.earth_v_max + v_hi, b.earth_d_min - r_hi, self.earth_r)
            ls = (b.sun_v_max + v_hi) / (b.sun_d_min - r_hi)
            ls = np.where(b.sun_d_min - r_hi > 0, ls, np.inf)
        rt = _rates(b, self.earth_r)
        const = [rt["moon_dir"] + rt["moon_rho"], rt["earth_dir"] + rt["earth_rho"], rt["sun_dir"]]
        return np.stack([np.minimum(x, c) for x, c in zip((lm, le, ls), const)])

    def windows(self, t0: float, t1: float, min_duration_s: float, tol_s: float = 1e-3, kinds=(True, False)):
        """Windows of every target by the compiled sweep (``windows.sweep``), one grid for all.

        ``kinds``: which of ``True`` (target_visible) and ``False`` (target_occulted) to find.
        Returns {kind: list of M Windows}, or None where the sweep does not apply (its grid
        would exceed ``sweep.MAX_GRID_POINTS``, or a rate bound is infinite); the guarantee is
        the finder's (module docstring of ``windows.sweep``).
        """
        from . import sweep as sw
        from .finder import _check_span, _refine

        t0, t1, h, _ = _check_span(t0, t1, min_duration_s, tol_s, None)
        clock = [time.perf_counter()]
        kinds = tuple(dict.fromkeys(bool(k) for k in kinds))
        m = self.u.shape[0]
        span = t1 - t0
        n_cells = max(2, int(math.ceil(sw.GRID_CELLS_PER_STEP * span / h)))  # >= 3 points (rates)
        if m == 0 or n_cells + 1 > sw.MAX_GRID_POINTS:
            return None if m else {k: [] for k in kinds}
        step = span / n_cells
        tg = t0 + step * np.arange(n_cells + 1, dtype=np.float64)
        tg[-1] = t1
        n = tg.size
        bodies = self.scene.body_positions(t0, t1)
        pos, vel, sun, earth = (np.empty((n, 3)) for _ in range(4))
        for i in range(0, n, sw.EXACT_BATCH):
            sl = slice(i, i + sw.EXACT_BATCH)
            pos[sl], vel[sl], sun[sl], earth[sl] = self._positions(tg[sl], bodies)
        geom = sw.derive_geometry(pos, sun, earth, self.earth_r)
        clock.append(time.perf_counter())
        v_hi, r_lo, r_hi, b = self.scene.cell_bounds(norm(pos), norm(vel), step, t0, t1)
        rates = self.cell_rates(v_hi, r_lo, r_hi, b)
        if not np.all(np.isfinite(rates) & (rates > 0)):
            return None
        lam = np.zeros((3, n))
        np.cumsum(rates * (step * _RATE_SAFETY), axis=1, out=lam[:, 1:])
        eps = sw.LAMBDA_ULPS * np.spacing(lam[:, -1])
        inc = np.diff(lam, axis=1)
        dmax, dmin = inc.max(axis=1), inc.min(axis=1)
        del inc
        lim = self._limits()
        modes = np.array([sw.VISIBLE if k else sw.OCCULTED for k in kinds], dtype=np.int64)
        trow = np.tile(np.arange(m, dtype=np.int64), modes.size)
        mode = np.repeat(modes, m)
        h_cells = h / step
        nr = trow.size

        # march every row to the span end, collecting brackets
        clock.append(time.perf_counter())
        st_v, st_n, st_tex, st_x, st_reach = sw.march_start(
            geom, lam, eps, dmax, dmin, self.u, trow, mode, lim, h_cells
        )
        first_inside = st_v >= 0
        st_i = np.zeros(nr, dtype=np.int64)
        cap = sw.BRACKETS_PER_CALL
        ng = max(1, min(nr, sw.GROUPS_PER_THREAD * numba.get_num_threads()))
        parts = []
        samples = nr
        term_evals = 0
        todo = np.arange(nr, dtype=np.int64)
        while todo.size:
            offs = np.linspace(0, todo.size, min(ng, todo.size) + 1).astype(np.int64)
            chunk = numba.set_parallel_chunksize(1)  # groups go to whichever thread is free
            try:
                o_r, o_ia, o_ib, o_ga, o_gb, o_tx, count, ns, ne = sw.march(
                    geom, lam, eps, dmax, dmin, self.u, trow, mode, lim, h_cells, todo, offs,
                    st_i, st_v, st_n, st_tex, st_x, st_reach, cap, sw.BLOCK_CELLS,
                )  # fmt: skip
            finally:
                numba.set_parallel_chunksize(chunk)
            samples += int(ns)
            term_evals += int(ne)
            keep = np.arange(cap)[None, :] < count[:, None]
            parts.append((o_r[keep], o_ia[keep], o_ib[keep], o_ga[keep], o_gb[keep], o_tx[keep]))
            todo = todo[st_i[todo] < n - 1]
        last_inside = st_v >= 0
        rows, ia, ib, ga, gb, tex = (np.concatenate(x) for x in zip(*parts))

        # refine on the interpolated grid geometry, then check each root exactly
        clock.append(time.perf_counter())
        lo = np.minimum(np.maximum(ia, np.floor(np.minimum(tex, n))), ib - 1).astype(np.float64)
        glo = sw.interp_values(pos, vel, sun, earth, step, self.earth_r, self.u, trow, mode, lim, rows, lo)
        bad = (glo >= 0) != (ga >= 0)
        lo[bad], glo[bad] = ia[bad], ga[bad]
        tol_cells = sw.INTERP_TOL_FRACTION * tol_s / step
        root = sw.refine_interpolated(
            pos,
            vel,
            sun,
            earth,
            step,
            self.earth_r,
            self.u,
            trow,
            mode,
            lim,
            rows,
            lo,
            ib.astype(float),
            glo,
            gb,
            tol_cells,
        )
        ta, tb = tg[ia], tg[ib]
        clock.append(time.perf_counter())
        hw = sw.VERIFY_HALF_WIDTH * tol_s
        a = np.maximum(t0 + root * step - hw, ta)
        bb = np.minimum(t0 + root * step + hw, tb)
        fa = self._exact(np.r_[a, bb], np.r_[rows, rows], trow, mode, lim, bodies)
        fa, fb = fa[: a.size], fa[a.size :]
        ok = ((fa >= 0) == (ga >= 0)) & ((fb >= 0) == (gb >= 0)) & (bb - a <= tol_s) & (bb > a)
        clock.append(time.perf_counter())
        self.sweep_stats = {
            "grid_points": n,
            "samples": samples,
            "term_evaluations": term_evals,
            "brackets": int(rows.size),
            "exact_checks": 2 * int(rows.size),
            "fallback_brackets": int((~ok).sum()),
        }
        if not ok.all():
            ev = _ExactRows(self, trow, mode, lim, bodies)
            nb = ~ok
            a[nb], bb[nb], fa[nb], fb[nb] = _refine(ev, rows[nb], ta[nb], tb[nb], ga[nb], gb[nb], tol_s)
        clock.append(time.perf_counter())
        self.sweep_stats["seconds"] = dict(
            zip(("geometry", "rates", "march", "refine", "exact", "fallback"), np.diff(clock).round(3).tolist())
        )
        found = sw.assemble(nr, rows, a, bb, fb, first_inside, last_inside, t0, t1)
        return {k: found[i * m : (i + 1) * m] for i, k in enumerate(kinds)}

    def _positions(self, t, bodies):
        """Spacecraft position, velocity (trajectory) and Sun, Earth positions (``bodies``)."""
        s = self.scene.trajectory.state(t)
        r = s[:, :3]
        sun, earth = bodies(t, r)
        self.scene.evaluations += t.size
        return r, s[:, 3:], sun, earth

    def _exact(self, t, rows, trow, mode, lim, bodies) -> np.ndarray:
        """g of rows[i] at t[i] from geometry evaluated at t (compiled terms)."""
        from . import sweep as sw

        out = np.empty(t.size)
        for i in range(0, t.size, sw.EXACT_BATCH):
            sl = slice(i, i + sw.EXACT_BATCH)
            r, _, sun, earth = self._positions(t[sl], bodies)
            geom = sw.derive_geometry(r, sun, earth, self.earth_r)
            out[sl] = sw.eval_pairs(self.u, trow, mode, rows[sl], geom, lim)
        return out


class _ExactRows:
    """The finder's evaluator interface (``pairs``) over the sweep's rows, exact geometry."""

    def __init__(self, tc: TargetConstraints, trow, mode, lim, bodies):
        self.tc, self.trow, self.mode, self.lim, self.bodies = tc, trow, mode, lim, bodies

    def pairs(self, t, rows):
        t = np.asarray(t, float)
        return self.tc._exact(t, np.asarray(rows, np.int64), self.trow, self.mode, self.lim, self.bodies)


def target_constraints(scene, u, t0, t1, **kw) -> Condition:
    """``target_visible`` for M directions: all constraints hold and not occulted (M rows)."""
    return TargetConstraints(scene, u, **kw).condition(t0, t1, True)


def target_occulted(scene, u, t0, t1, earth_atmosphere_km: float = 100.0) -> Condition:
    """``target_occulted`` for M directions: behind the Moon's or the Earth's (+atmosphere) disk."""
    return TargetConstraints(scene, u, earth_atmosphere_km=earth_atmosphere_km).condition(t0, t1, False)


# ====================================================================== masks
class _Mask:
    """Fixed or azimuth-dependent elevation mask with a rate-safe blend (see docs)."""

    def __init__(self, fixed_deg=None, table=None):
        if table is None:
            self.fixed = math.radians(float(fixed_deg))
            self.az = self.el = None
            return
        tab = np.asarray(table, float)
        order = np.argsort(tab[:, 0], kind="stable")
        self.az, self.el = tab[order, 0], tab[order, 1]
        self.fixed = None
        el = np.radians(self.el)
        self.lo, self.hi = float(el.min()), float(el.max())
        self.delta = min(MASK_BLEND_RAD, (math.pi / 2 - self.hi) / 2, (math.pi / 2 + self.lo) / 2)
        # slope (rad/rad) of the periodic piecewise-linear table
        az_w = np.r_[self.az, self.az[0] + 360.0]
        el_w = np.r_[self.el, self.el[0]]
        daz = np.diff(az_w)
        slopes = np.abs(np.diff(el_w)[daz > 0] / daz[daz > 0])
        self.slope = float(slopes.max()) if slopes.size else 0.0

    def g(self, el, az):
        """el − mask_eff(az, el) (rad): exact inside [lo, hi]; blended to the extreme value
        over δ beyond it so that the azimuth matters only where cos(el) >= cos(band edge)."""
        if self.fixed is not None:
            return el - self.fixed
        m = interp_mask(az, self.az, self.el)
        w = np.clip(np.minimum((el - (self.lo - self.delta)), ((self.hi + self.delta) - el)) / self.delta, 0.0, 1.0)
        ref = np.where(el > 0.5 * (self.lo + self.hi), self.hi, self.lo)
        return el - (w * m + (1.0 - w) * ref)

    def rate(self, omega: float):
        """Bound on |d g/dt| given a line-of-sight turning rate ``omega`` in ENU axes."""
        if self.fixed is not None:
            return omega
        if self.delta <= 1e-6:
            return None
        cos_edge = min(math.cos(self.hi + self.delta), math.cos(self.lo - self.delta))
        return omega * (1.0 + self.slope / cos_edge + (self.hi - self.lo) / self.delta)


# ====================================================================== stations
class StationGeometry:
    """An Earth station (a :class:`~lunarscope.sites.EarthStation`) with its mask and range."""

    def __init__(self, station, min_elevation_deg=10.0, mask_table=None, max_range_km=None):
        self.station = station
        self.p_body = np.asarray(station.position_body_km, float)
        self.enu = station.enu_matrix
        self.mask = _Mask(min_elevation_deg, mask_table)
        self.max_range_km = max_range_km

    def line_of_sight(self, snap):
        """Spacecraft relative to the station: ICRF vector (N,3) and ENU (N,3), km."""

        def make():
            r_itrf, _ = snap.rotation("ITRF")
            p_icrf = np.einsum("nji,j->ni", r_itrf, self.p_body)  # R^T p
            rho = snap.r - (snap.earth + p_icrf)
            enu = np.einsum("ij,njk,nk->ni", self.enu, r_itrf, rho)
            return rho, enu

        return snap.memo(("station", self.station.name, id(self)), make)


def contact_condition(scene: Scene, st: StationGeometry, t0: float, t1: float) -> Condition:
    """Contact with an Earth station: elevation above the mask, line of sight clear of the
    Moon, range below ``max_range_km`` (if set).

    g = min(el − mask(az), sep(station, Moon) − ρ_M (seen from the spacecraft),
    (max_range − range)/max_range). Rates: the line of sight turns at most
    ω = (v_max + V_E + ω_E|p|)/(D_E − r_max − |p|) in ICRF, plus ω_E in ENU axes.
    """
    b = scene.bounds(t0, t1)
    rt = _rates(b)
    pn = float(np.linalg.norm(st.p_body))
    w = b.v_max + b.earth_v_max + EARTH_ROTATION_BOUND * pn
    d = b.earth_d_min - b.r_max - pn
    los = _dir_rate(w, d)
    el_rate = st.mask.rate(los + EARTH_ROTATION_BOUND)
    rates = [los + rt["moon_dir"] + rt["moon_rho"]]
    if el_rate is not None:
        rates.append(el_rate)
    if st.max_range_km:
        rates.append(w / st.max_range_km)
    rate = _finite(max(rates)) if el_rate is not None else None

    def g(t):
        s = scene.at(t)
        rho, enu = st.line_of_sight(s)
        el, az = elevation_azimuth(enu)
        out = st.mask.g(el, az)
        rm = norm(s.r)
        clear = separation(-rho, -s.r) - apparent_radius(MOON_RADIUS_KM, rm)
        out = np.minimum(out, clear)
        if st.max_range_km:
            out = np.minimum(out, (st.max_range_km - norm(rho)) / st.max_range_km)
        return out

    return Condition(g, rate, name=f"contact:{st.station.name}")


# ====================================================================== lunar sites
class SiteGeometry:
    """A lunar surface site (:class:`~lunarscope.sites.LunarSite`) in MOON_ME."""

    def __init__(self, site, horizon_mask_deg=0.0, min_sun_elevation_deg=0.0):
        self.site = site
        self.p_body = np.asarray(site.position_body_km, float)
        self.enu = site.enu_matrix
        self.horizon = math.radians(float(horizon_mask_deg))
        self.min_sun = math.radians(float(min_sun_elevation_deg))

    def enu_of(self, snap, key: str):
        """ENU (N,3) of the spacecraft ('sc'), the Sun or the Earth seen from the site, km."""

        def make():
            r_me, _ = snap.rotation("MOON_ME")
            p_icrf = np.einsum("nji,j->ni", r_me, self.p_body)
            target = {"sc": snap.r, "sun": snap.sun, "earth": snap.earth}[key]
            return np.einsum("ij,njk,nk->ni", self.enu, r_me, target - p_icrf)

        return snap.memo(("site", self.site.name, id(self), key), make)


def _site_condition(scene, sg: SiteGeometry, key, threshold, rate, name):
    def g(t):
        el, _ = elevation_azimuth(sg.enu_of(scene.at(t), key))
        return el - threshold

    return Condition(g, _finite(rate), name=name)


def site_pass(scene: Scene, sg: SiteGeometry, t0: float, t1: float) -> Condition:
    """Spacecraft above the site's horizon mask. Rate: (v_max + ω_M|p|)/(r_min − |p|) + ω_M."""
    b = scene.bounds(t0, t1)
    pn = float(np.linalg.norm(sg.p_body))
    rate = _dir_rate(b.v_max + MOON_ROTATION_BOUND * pn, b.r_min - pn) + MOON_ROTATION_BOUND
    return _site_condition(scene, sg, "sc", sg.horizon, rate, f"site_pass:{sg.site.name}")


def site_sunlit(scene: Scene, sg: SiteGeometry, t0: float, t1: float) -> Condition:
    """Elevation of the centre of the solar disk at the site above ``min_sun_elevation_deg``.
    Rate: (V_S + ω_M|p|)/(D_S − |p|) + ω_M."""
    b = scene.bounds(t0, t1)
    pn = float(np.linalg.norm(sg.p_body))
    rate = _dir_rate(b.sun_v_max + MOON_ROTATION_BOUND * pn, b.sun_d_min - pn) + MOON_ROTATION_BOUND
    return _site_condition(scene, sg, "sun", sg.min_sun, rate, f"site_sunlit:{sg.site.name}")


def site_earth_visible(scene: Scene, sg: SiteGeometry, t0: float, t1: float) -> Condition:
    """Elevation of the Earth's centre at the site above the horizon mask.
    Rate: (V_E + ω_M|p|)/(D_E − |p|) + ω_M."""
    b = scene.bounds(t0, t1)
    pn = float(np.linalg.norm(sg.p_body))
    rate = _dir_rate(b.earth_v_max + MOON_ROTATION_BOUND * pn, b.earth_d_min - pn) + MOON_ROTATION_BOUND
    return _site_condition(scene, sg, "earth", sg.horizon, rate, f"site_earth_visible:{sg.site.name}")


# ====================================================================== user
def user_condition(func, rate_bound=None, name: str = "user") -> Condition:
    """A user condition: ``func(t (N,)) -> (N,)`` or ``(M, N)``, window where >= 0.

    ``rate_bound`` (g units per second) must truly bound |dg/dt|; without it the finder samples
    every ``min_duration_s`` (the guarantee still holds for windows and gaps longer than that).
    """
    if not callable(func):
        raise InputError("condition", "must be a callable g(t) -> array")
    return Condition(lambda t: np.asarray(func(t), float), rate_bound, name=name)
