"""Frozen low lunar orbits: zonal first guess, full-field correction, existence map.

**Zonal first guess.** The zonal disturbing function (Kaula 1966, *Theory of Satellite
Geodesy*, eq. 3.4, J_n = -C_n0 unnormalised)

    R = -(mu / r) sum_{n=2..N} J_n (R_ref / r)^n P_n(sin phi),   sin phi = sin i sin(w + nu),

is averaged over the mean anomaly numerically (periodic trapezoid rule in the eccentric
anomaly E, dM = (1 - e cos E) dE; spectrally accurate, equal to Kaula's closed form with the
M-free terms of his F and G functions), and put into the Lagrange planetary equations
(Kaula 1966 eq. 3.38; Vallado 2013, *Fundamentals of Astrodynamics*, eq. 9-12; partial
derivatives by central differences):

    de/dt = -sqrt(1 - e^2) / (n a^2 e) dR/dw
    dw/dt =  sqrt(1 - e^2) / (n a^2 e) dR/de - cos i / (n a^2 sqrt(1 - e^2) sin i) dR/di

A frozen orbit is an equilibrium of these averaged equations (Abad, Elipe & Tresaco 2009,
J. Guid. Control Dyn. 32(3), "Analytical model to find frozen orbits for a lunar orbiter";
Folta & Quinn 2006, AIAA 2006-6749): at w = 90 or 270 deg every zonal term has dR/dw = 0,
so de/dt = 0, and e is a root of dw/dt(e) = 0 (searched on a grid, refined by Brent).
The J_n come from the mission's field, unnormalised: J_n = -sqrt(2n + 1) Cbar_n0 (the field's
4-pi normalisation, ``gravity.field``); first order in the J_n (J2^2 ~ 4e-8 is 200x below J3).

**Full-field correction** (:func:`correct_frozen`): in the full field the mean eccentricity
vector (one-orbit running mean, ``orbits.planes.eccentricity_vector_history``, MOON_ME) runs
around a loop of about a month (the field turning under the orbit once per sidereal month);
the loop centre is the running mean of the mean vector over ``LOOP_PERIOD_S``. Frozen means
the centre stays put: the initial (e cos w, e sin w) are corrected by Newton steps on the
centre's drift (least-squares slope of the centre over the span times the span), the
Jacobian by finite differences, each iteration's three trial orbits in one
``propagate_many`` batch.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from ..errors import InputError

#: Highest zonal degree of the first guess by default (J2..J30). At 100 km (R/a)^n decays
#: slowly (0.946^30 = 0.19), so J10..J30 still move the frozen inclinations by 2-4 deg
#: (docs/design-orbits.md, "Frozen orbits"); the issue's minimum is n >= 9.
ZONAL_DEGREE_DEFAULT = 30
#: Fewest zonal degrees accepted for the first guess (J2 and J3: the smallest model with a frozen e).
ZONAL_DEGREE_MIN = 3
#: Eccentric-anomaly nodes of the periodic trapezoid rule for the mean-anomaly average, added
#: to 2 (N + 1) for zonal degree N: the integrand's harmonics in E beyond N + 1 decay like
#: (e / 2)^k, so the rule is exact to rounding for the near-circular orbits searched here.
AVERAGING_EXTRA_NODES = 32
#: Central-difference step in e (dimensionless) and in i and w (rad) for dR/de, dR/di, dR/dw.
DIFF_STEP_E = 1e-7
DIFF_STEP_ANGLE_RAD = 1e-6
#: Smallest e searched for a frozen root (below it the odd-zonal 1/e term dominates everywhere).
E_SEARCH_MIN = 1e-6
#: Grid points of the root search in e (geometric up to 1e-3, linear above).
E_SEARCH_POINTS = 80
#: Inclinations closer than this to 0 or 180 deg are equatorial: odd zonals do not act there.
EQUATORIAL_TOL_DEG = 1e-6
#: Period of the full-field loop of the mean eccentricity vector: the Moon's sidereal
#: rotation (27.321661 d; the field turns once under the orbit plane), s.
LOOP_PERIOD_S = 27.321661 * SECONDS_PER_DAY
#: Shortest span of a full-field correction: two loop periods, so the loop centre (a running
#: mean over one loop period) exists over at least one loop period, s.
MIN_CORRECTION_SPAN_S = 2.0 * LOOP_PERIOD_S
#: Finite-difference step of the correction's Jacobian, in e cos w and e sin w.
CORRECTION_STEP_E = 2e-4
#: Output step of the correction's trial orbits (coarse: ~50 samples per 2 h orbit), s.
CORRECTION_OUTPUT_STEP_S = 120.0


@dataclass(frozen=True)
class FrozenRoot:
    """One zonal frozen orbit: mean e and argp (deg: 90 or 270) at semi-major axis a_km,
    inclination i_deg (to the field's equator, MOON_PA ~ MOON_ME to 0.02 deg)."""

    a_km: float
    i_deg: float
    e: float
    argp_deg: float

    @property
    def periapsis_alt_km(self) -> float:
        return self.a_km * (1.0 - self.e) - MOON_RADIUS_KM


def zonal_j(field, degree: int = ZONAL_DEGREE_DEFAULT) -> np.ndarray:
    """Unnormalised zonal coefficients J[0..degree] (J_n = -sqrt(2n+1) Cbar_n0) of ``field``
    (a ``GravityField``, fully normalised 4-pi coefficients); J[0] = J[1] = 0."""
    degree = int(degree)
    if degree < ZONAL_DEGREE_MIN or degree > field.degree_max:
        raise InputError(
            "degree", f"zonal degree {degree} must be in {ZONAL_DEGREE_MIN} .. {field.degree_max} (the field's degree)"
        )
    n = np.arange(degree + 1)
    j = -np.sqrt(2.0 * n + 1.0) * np.asarray(field.C)[: degree + 1, 0]
    j[:2] = 0.0
    return j


def _legendre(x: np.ndarray, nmax: int) -> np.ndarray:
    """P_0..P_nmax(x) (nmax + 1, ...) by the Bonnet recursion."""
    p = np.empty((nmax + 1,) + x.shape)
    p[0] = 1.0
    if nmax >= 1:
        p[1] = x
    for n in range(2, nmax + 1):
        p[n] = ((2 * n - 1) * x * p[n - 1] - (n - 1) * p[n - 2]) / n
    return p


def averaged_zonal_potential(a, e, i, argp, gm, radius_km, j) -> np.ndarray:
    """Mean-anomaly average of the zonal disturbing function R (km^2/s^2; module docstring).

    a [km], e, i and argp [rad] broadcast together; gm [km^3/s^2]; radius_km the field's
    reference radius; j the unnormalised J_n (``zonal_j``)."""
    a, e, i, w = np.broadcast_arrays(*[np.asarray(q, dtype=np.float64) for q in (a, e, i, argp)])
    nodes = 2 * len(j) + AVERAGING_EXTRA_NODES
    ecc_anom = 2.0 * np.pi * np.arange(nodes) / nodes
    cos_e, sin_e = np.cos(ecc_anom), np.sin(ecc_anom)
    ex = e[..., None]
    eta = np.sqrt(1.0 - ex * ex)
    one_m = 1.0 - ex * cos_e
    r = a[..., None] * one_m
    cos_nu = (cos_e - ex) / one_m
    sin_nu = eta * sin_e / one_m
    u = w[..., None]
    sin_lat = np.sin(i)[..., None] * (np.sin(u) * cos_nu + np.cos(u) * sin_nu)
    p = _legendre(sin_lat, len(j) - 1)
    rr = radius_km / r
    total = np.zeros_like(r)
    for n in range(2, len(j)):
        if j[n] != 0.0:
            total += j[n] * rr**n * p[n]
    integrand = -(gm / r) * total * one_m  # dM = (1 - e cos E) dE
    return integrand.mean(axis=-1)


def zonal_rates(a_km, e, i_rad, argp_rad, gm, radius_km, j) -> tuple[np.ndarray, np.ndarray]:
    """(de/dt [1/s], dw/dt [rad/s]) of the averaged zonal problem (Lagrange equations,
    module docstring) at (a, e, i, w); e > 0, 0 < i < pi."""
    a, e, i, w = np.broadcast_arrays(*[np.asarray(q, dtype=np.float64) for q in (a_km, e, i_rad, argp_rad)])

    def pot(de=0.0, di=0.0, dw=0.0):
        return averaged_zonal_potential(a, e + de, i + di, w + dw, gm, radius_km, j)

    he, ha = DIFF_STEP_E, DIFF_STEP_ANGLE_RAD
    d_e = (pot(de=he) - pot(de=-he)) / (2 * he)
    d_i = (pot(di=ha) - pot(di=-ha)) / (2 * ha)
    d_w = (pot(dw=ha) - pot(dw=-ha)) / (2 * ha)
    n = np.sqrt(gm / a**3)
    eta = np.sqrt(1.0 - e * e)
    e_dot = -eta / (n * a * a * e) * d_w
    w_dot = eta / (n * a * a * e) * d_e - np.cos(i) / (n * a * a * eta * np.sin(i)) * d_i
    return e_dot, w_dot


def _semi_major_axis(altitude_km, a_km) -> float:
    if (altitude_km is None) == (a_km is None):
        raise InputError("altitude_km", "give exactly one of altitude_km or a_km")
    a = MOON_RADIUS_KM + float(altitude_km) if a_km is None else float(a_km)
    if not (math.isfinite(a) and a > MOON_RADIUS_KM):
        key = "altitude_km" if a_km is None else "a_km"
        raise InputError(key, f"gives a = {a:g} km; the orbit must lie above the lunar surface ({MOON_RADIUS_KM} km)")
    return a


def check_inclination(i_deg, key: str = "i_deg") -> float:
    """Inclination in [0, 180] deg or InputError naming ``key``."""
    i = float(i_deg)
    if not (math.isfinite(i) and 0.0 <= i <= 180.0):
        raise InputError(key, f"{i_deg!r} deg must be in 0 .. 180 deg")
    return i


#: Root tolerance in e of the frozen search (dimensionless; 1e-12 of e is 2 micrometres in a).
ROOT_TOL_E = 1e-12
#: Most iterations of the bracketing root refinement (Illinois converges superlinearly: ~10).
ROOT_MAX_ITER = 100


def _illinois(f, x0, x1, f0, f1):
    """Root of f in the bracket [x0, x1] (f0 f1 < 0) by the Illinois variant of regula falsi
    (Dowell & Jarratt 1971): superlinear, never leaves the bracket; scipy-free so that a mission
    load does not import scipy.optimize."""
    x = x0
    for _ in range(ROOT_MAX_ITER):
        x = (x0 * f1 - x1 * f0) / (f1 - f0)
        fx = f(x)
        if fx == 0.0:
            return x
        if fx * f1 < 0:
            x0, f0 = x1, f1
        else:
            f0 *= 0.5
        x1, f1 = x, fx
        if abs(x1 - x0) < ROOT_TOL_E:
            break
    return x


def frozen_roots(
    i_deg: float,
    field,
    *,
    altitude_km: float | None = None,
    a_km: float | None = None,
    degree: int = ZONAL_DEGREE_DEFAULT,
    e_max: float | None = None,
) -> list[FrozenRoot]:
    """Every zonal frozen orbit at this a and inclination with e < ``e_max`` (default: the
    periapsis above the surface, e < 1 - R_moon / a), smallest e first.

    An equatorial orbit (i = 0 or 180 deg) gets the circular root only (odd zonals vanish)."""
    a = _semi_major_axis(altitude_km, a_km)
    i_deg = check_inclination(i_deg)
    j = zonal_j(field, degree)
    e_hi = 1.0 - MOON_RADIUS_KM / a if e_max is None else float(e_max)
    if not 0.0 < e_hi < 1.0:
        raise InputError("e_max", f"{e_max!r} must be in (0, 1)")
    if min(i_deg, 180.0 - i_deg) < EQUATORIAL_TOL_DEG:
        return [FrozenRoot(a, i_deg, 0.0, 0.0)]
    gm, rr = field.gm_km3_s2, field.radius_km
    inc = math.radians(i_deg)
    lo = min(1e-3, 0.5 * e_hi)
    grid = np.unique(
        np.concatenate(
            [np.geomspace(E_SEARCH_MIN, lo, E_SEARCH_POINTS // 4), np.linspace(lo, e_hi, E_SEARCH_POINTS)[1:]]
        )
    )
    grid = grid[grid < e_hi]
    roots: list[FrozenRoot] = []
    for argp_deg in (90.0, 270.0):
        w = math.radians(argp_deg)
        f = zonal_rates(a, grid, inc, w, gm, rr, j)[1]
        for k in np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0):
            e0 = _illinois(
                lambda x, w=w: float(zonal_rates(a, x, inc, w, gm, rr, j)[1]), grid[k], grid[k + 1], f[k], f[k + 1]
            )
            roots.append(FrozenRoot(a, i_deg, float(e0), argp_deg))
    return sorted(roots, key=lambda r: r.e)


def frozen_first_guess(
    i_deg: float,
    field,
    *,
    altitude_km: float | None = None,
    a_km: float | None = None,
    degree: int = ZONAL_DEGREE_DEFAULT,
    key: str = "i_deg",
) -> FrozenRoot:
    """The zonal frozen orbit of smallest e with periapsis above the surface, or InputError
    (naming ``key``) when the zonal model has none at this inclination."""
    roots = frozen_roots(i_deg, field, altitude_km=altitude_km, a_km=a_km, degree=degree)
    if not roots:
        a = _semi_major_axis(altitude_km, a_km)
        raise InputError(
            key,
            f"no zonal (J2..J{degree}) frozen orbit at i = {float(i_deg):g} deg and a = {a:.1f} km has its "
            f"periapsis above the surface; try another inclination or altitude (frozen-existence map: "
            "docs/design-orbits.md, Frozen orbits)",
        )
    return roots[0]


@dataclass(frozen=True)
class MapRow:
    """One inclination of the existence map: every frozen root with e < the bound."""

    i_deg: float
    roots: tuple

    @property
    def exists(self) -> bool:
        return bool(self.roots)

    @property
    def e_min(self) -> float | None:
        return min(r.e for r in self.roots) if self.roots else None


def existence_map(
    inclinations_deg, field, *, altitude_km: float, degree: int = ZONAL_DEGREE_DEFAULT, e_bound: float | None = None
) -> list[MapRow]:
    """Zonal frozen solutions at each inclination (deg) for one altitude (km); ``e_bound``
    (default: periapsis above the surface) bounds e."""
    return [
        MapRow(
            float(i),
            tuple(frozen_roots(i, field, altitude_km=altitude_km, degree=degree, e_max=e_bound)),
        )
        for i in inclinations_deg
    ]


#: A local minimum of the frozen e along the inclination map below this counts as a
#: near-circular frozen inclination (at 100 km: periapsis within ~9 km of apoapsis).
NEAR_CIRCULAR_E = 0.005


def near_circular_inclinations(rows: list[MapRow], e_below: float = NEAR_CIRCULAR_E) -> list[float]:
    """Inclinations (deg) where a circular orbit is (nearly) frozen: the signed frozen e of the
    smallest root (+e at argp 90 deg, -e at 270 deg) crosses zero between two grid points
    (linear interpolation), or |e| has a local minimum below ``e_below`` (parabola through
    three grid points)."""
    i = np.array([r.i_deg for r in rows])
    e = np.array([np.nan if r.e_min is None else r.e_min for r in rows])
    sgn = np.array([0.0 if not r.roots else (1.0 if r.roots[0].argp_deg == 90.0 else -1.0) for r in rows])
    signed = e * sgn
    out = []
    crossed = set()
    for k in range(len(rows) - 1):
        a, b = signed[k], signed[k + 1]
        if np.isfinite(a) and np.isfinite(b) and a * b < 0 and max(abs(a), abs(b)) < 2 * e_below:
            out.append(float(i[k] + (i[k + 1] - i[k]) * a / (a - b)))
            crossed.update((k, k + 1))
    for k in range(1, len(rows) - 1):
        if k in crossed or not np.isfinite(e[k - 1 : k + 2]).all():
            continue
        if e[k] <= e[k - 1] and e[k] < e[k + 1] and e[k] < e_below:
            d = e[k - 1] - 2 * e[k] + e[k + 1]
            shift = 0.0 if d <= 0 else 0.5 * (e[k - 1] - e[k + 1]) / d
            out.append(float(i[k] + shift * 0.5 * (i[k + 1] - i[k - 1])))
    return sorted(out)


# ------------------------------------------------------------------ full-field correction


def initial_state(a_km, ex, ey, i_deg, raan_deg, t0, gm, pck) -> np.ndarray:
    """Moon-centred ICRF state at periapsis (ta = 0) of the orbit with (e cos w, e sin w) =
    (ex, ey) and i, raan in the MOON_ME axes at ``t0`` (the mission frame MOON_ME_INERTIAL)."""
    from .. import frames
    from ..orbits.elements import keplerian_to_cartesian

    e = math.hypot(ex, ey)
    w = math.atan2(ey, ex) if e > 0 else 0.0
    s = np.asarray(
        keplerian_to_cartesian(a_km, e, math.radians(i_deg), math.radians(raan_deg), w, 0.0, gm), float
    ).reshape(6)
    rot = frames.rotation("MOON_ME", [float(t0)], pck)[0]  # r_ME = rot @ r_ICRF
    return np.concatenate([s[:3] @ rot, s[3:] @ rot])


@dataclass(frozen=True)
class Loop:
    """The mean eccentricity vector's loop and its centre (MOON_ME), from one trajectory.

    ``t`` TDB s; ``ex``, ``ey`` the one-orbit mean vector; ``cx``, ``cy`` its running mean over
    ``LOOP_PERIOD_S`` (the loop centre; NaN within half a loop of the ends); ``hp_km`` mean
    periapsis altitude; ``osc_hp_km`` osculating periapsis altitude a(1-e) - R; ``impact``
    the impact time or None."""

    t: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    hp_km: np.ndarray
    osc_hp_km: np.ndarray
    impact: float | None

    def _valid(self):
        return np.isfinite(self.cx) & np.isfinite(self.cy)

    @property
    def centre_drift(self) -> np.ndarray:
        """(dx, dy): least-squares slope of the centre times the span it is defined over."""
        ok = self._valid()
        if ok.sum() < 3:
            return np.array([np.nan, np.nan])
        t = self.t[ok]
        span = t[-1] - t[0]
        return np.array([np.polyfit(t, c[ok], 1)[0] * span for c in (self.cx, self.cy)])

    @property
    def centre_excursion(self) -> float:
        """Largest distance of the centre from its mean over the span (dimensionless e)."""
        ok = self._valid()
        if not ok.any():
            return float("nan")
        dx, dy = self.cx[ok] - self.cx[ok].mean(), self.cy[ok] - self.cy[ok].mean()
        return float(np.max(np.hypot(dx, dy)))

    @property
    def centre(self) -> tuple[float, float]:
        ok = self._valid()
        return (float(np.mean(self.cx[ok])), float(np.mean(self.cy[ok]))) if ok.any() else (math.nan, math.nan)


def loop_of(result, gm, pck, step_s: float = CORRECTION_OUTPUT_STEP_S) -> Loop:
    """The :class:`Loop` of one ``PropagationResult`` (MOON_ME plane)."""
    from ..orbits.elements import cartesian_to_keplerian, running_mean
    from ..orbits.planes import eccentricity_vector_history

    traj = result.trajectory
    t, s = traj.sample(step_s)
    if t.size < 3:
        nan = np.full(t.size, np.nan)
        return Loop(t, nan, nan, nan, nan, nan, nan, result.impact_time)
    h = eccentricity_vector_history(t, s, gm, "MOON_ME", pck=pck)
    ok = np.isfinite(h.ex)
    c = np.full((t.size, 2), np.nan)
    if ok.sum() > 2 and t[ok][-1] - t[ok][0] > LOOP_PERIOD_S:
        c[ok] = running_mean(t[ok], np.column_stack([h.ex[ok], h.ey[ok]]), LOOP_PERIOD_S)
    osc = np.asarray(cartesian_to_keplerian(s, gm))
    osc_hp = osc[:, 0] * (1.0 - osc[:, 1]) - MOON_RADIUS_KM
    return Loop(t, h.ex, h.ey, c[:, 0], c[:, 1], h.periapsis_alt_km, osc_hp, result.impact_time)


@dataclass(frozen=True)
class Correction:
    """Result of :func:`correct_frozen`: initial (ex, ey) osculating in MOON_ME at t0 per
    iteration, the centre drift and excursion of each, the final loop, trial orbits and wall s."""

    a_km: float
    i_deg: float
    raan_deg: float
    ex: float
    ey: float
    history: tuple  # (ex, ey, drift_norm, excursion) per evaluated centre orbit
    loop: Loop
    n_orbits: int
    wall_s: float
    neighbour: Loop | None = None  # the circular orbit of the same a, i, raan (``neighbour=True``)

    @property
    def e(self) -> float:
        return math.hypot(self.ex, self.ey)

    @property
    def argp_deg(self) -> float:
        return math.degrees(math.atan2(self.ey, self.ex)) % 360.0


def correct_frozen(
    guess: FrozenRoot,
    t0: float,
    t1: float,
    force_model,
    *,
    raan_deg: float = 0.0,
    iterations: int = 2,
    rtol: float = 1e-10,
    atol_km: float = 1e-7,
    workers: int | None = None,
    neighbour: bool = False,
    progress=None,
) -> Correction:
    """Newton correction of the initial (e cos w, e sin w) that stops the loop centre's drift
    over [t0, t1] TDB s in ``force_model`` (module docstring); ``iterations`` Newton steps,
    each a batch of 3 orbits (centre, +d ex, +d ey) through ``propagate_many``, then one
    batch for the final orbit (with the circular orbit of the same a, i, raan when
    ``neighbour``). ``progress(done, total)`` per batch."""
    import time

    from ..dynamics.batch import propagate_many

    if not t1 - t0 >= MIN_CORRECTION_SPAN_S - 1e-6:
        raise InputError(
            "span",
            f"{(t1 - t0) / SECONDS_PER_DAY:.1f} d is too short: the loop centre needs at least "
            f"{MIN_CORRECTION_SPAN_S / SECONDS_PER_DAY:.1f} d (two loop periods)",
        )
    iterations = int(iterations)
    if iterations < 0:
        raise InputError("iterations", f"{iterations} must be >= 0")
    gm, pck = force_model.field.gm_km3_s2, force_model.moon_pck
    w = math.radians(guess.argp_deg)
    p = np.array([guess.e * math.cos(w), guess.e * math.sin(w)])
    start = time.perf_counter()
    history = []
    n_orbits = 0
    total = iterations + 1

    def run(points):
        states = np.array([initial_state(guess.a_km, x, y, guess.i_deg, raan_deg, t0, gm, pck) for x, y in points])
        res = propagate_many(states, t0, t1, force_model, rtol=rtol, atol_km=atol_km, workers=workers)
        return [loop_of(r, gm, pck) for r in res]

    loop, other = None, None
    for k in range(iterations):
        h = CORRECTION_STEP_E
        loops = run([p, p + [h, 0.0], p + [0.0, h]])
        n_orbits += 3
        d0 = loops[0].centre_drift
        history.append((float(p[0]), float(p[1]), float(np.hypot(*d0)), loops[0].centre_excursion))
        jac = np.column_stack([(loops[1].centre_drift - d0) / h, (loops[2].centre_drift - d0) / h])
        if progress is not None:
            progress(k + 1, total)
        hit = [lp.impact for lp in loops if lp.impact is not None]
        bad = not (np.all(np.isfinite(jac)) and np.all(np.isfinite(d0))) or abs(np.linalg.det(jac)) < 1e-300
        if hit or bad:
            why = (
                f"a trial orbit hits the Moon on day {(min(hit) - t0) / SECONDS_PER_DAY:.1f}"
                if hit
                else ("the loop centre's drift is undefined")
            )
            warnings.warn(f"frozen correction stopped after {k} steps: {why}", stacklevel=2)
            loop = loops[0]
            break
        step = -np.linalg.solve(jac, d0)
        # keep the step inside the periapsis-above-surface disc
        e_lim = 1.0 - MOON_RADIUS_KM / guess.a_km
        new = p + step
        if np.hypot(*new) >= e_lim:
            new = new * (0.9 * e_lim / np.hypot(*new))
        p = new
    if loop is None:
        loops = run([p, np.zeros(2)] if neighbour else [p])
        loop = loops[0]
        other = loops[1] if neighbour else None
        n_orbits += len(loops)
        history.append((float(p[0]), float(p[1]), float(np.hypot(*loop.centre_drift)), loop.centre_excursion))
        if progress is not None:
            progress(total, total)
    if neighbour and other is None:
        other = run([np.zeros(2)])[0]
        n_orbits += 1
    return Correction(
        guess.a_km,
        guess.i_deg,
        float(raan_deg),
        float(p[0]),
        float(p[1]),
        tuple(history),
        loop,
        n_orbits,
        time.perf_counter() - start,
        other,
    )


# ------------------------------------------------------------------ plot page


def _line(parts, px, py, colour, width=1.5, dash=""):
    from ..report.svg import decimate_stride, polyline_points

    ok = np.isfinite(px) & np.isfinite(py)
    px, py = np.asarray(px)[ok], np.asarray(py)[ok]
    if px.size < 2:
        return
    idx = decimate_stride(px.size)
    d = f' stroke-dasharray="{dash}"' if dash else ""
    parts.append(
        f'<polyline fill="none" stroke="{colour}" stroke-width="{width}"{d} points="{polyline_points(px[idx], py[idx])}"/>'
    )


def plot_page(corr: Correction, t0: float, title: str, subtitle: str = "") -> str:
    """Self-contained HTML page (inline SVG, ``report.svg`` helpers): the mean eccentricity
    vector (MOON_ME) with its loop centre, frozen vs the circular neighbour, and the mean
    periapsis altitude history of both."""
    from ..report.svg import Linear, esc, nice_ticks, num, plot_axes

    frozen, other = corr.loop, corr.neighbour
    label = "frozen (corrected)" if len(corr.history) > 1 else "frozen (zonal first guess)"
    loops = [(frozen, "#3b528b", label)] + ([(other, "#b5651d", "circular, same a, i")] if other else [])
    # panel 1: eccentricity vector, equal scales
    vals = np.concatenate([np.concatenate([lp.ex, lp.ey]) for lp, _, _ in loops])
    vals = vals[np.isfinite(vals)]
    lim = float(np.max(np.abs(vals))) * 1.08 if vals.size else 0.01
    lim = lim if lim > 0 else 0.01
    size, m, mt = 420, 70, 20
    x = Linear(-lim, lim, m, m + size)
    y = Linear(-lim, lim, mt + size, mt)
    w1, h1 = m + size + 290, mt + size + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w1}" height="{h1}" viewBox="0 0 {w1} {h1}" '
        'font-family="sans-serif" font-size="12">'
    ]
    ticks = nice_ticks(-lim, lim, 6)
    ticks = [v for v in ticks if -lim <= v <= lim]
    plot_axes(parts, x, y, ticks, ticks, (m, mt, m + size, mt + size), "e cos ω (MOON_ME)", "e sin ω (MOON_ME)")
    parts.append(f'<circle cx="{num(x(0.0))}" cy="{num(y(0.0))}" r="2" fill="#000"/>')
    for k, (lp, col, name) in enumerate(loops):
        _line(parts, x(lp.ex), y(lp.ey), col, 1.0)
        _line(parts, x(lp.cx), y(lp.cy), col, 3.0)
        ok = np.flatnonzero(np.isfinite(lp.cx))
        if ok.size:
            parts.append(
                f'<circle cx="{num(x(lp.cx[ok[0]]))}" cy="{num(y(lp.cy[ok[0]]))}" r="4" fill="white" stroke="{col}">'
                f"<title>{esc(name)}: loop centre, first</title></circle>"
            )
        ly = mt + 14 + 36 * k
        parts.append(f'<line x1="{m + size + 16}" x2="{m + size + 36}" y1="{ly}" y2="{ly}" stroke="{col}"/>')
        parts.append(f'<text x="{m + size + 42}" y="{ly + 4}">{esc(name)}: mean vector</text>')
        parts.append(
            f'<line x1="{m + size + 16}" x2="{m + size + 36}" y1="{ly + 16}" y2="{ly + 16}" stroke="{col}" '
            'stroke-width="3"/>'
        )
        parts.append(f'<text x="{m + size + 42}" y="{ly + 20}">loop centre (exc. {lp.centre_excursion:.1e})</text>')
    parts.append("</svg>")
    svg1 = "".join(parts)
    # panel 2: mean periapsis altitude vs days
    w2, h2, ml, mr, mt, mb = 860, 360, 70, 290, 20, 50
    days = [(lp.t - t0) / SECONDS_PER_DAY for lp, _, _ in loops]
    hp = np.concatenate([lp.hp_km for lp, _, _ in loops])
    hp = hp[np.isfinite(hp)]
    lo, hi = (float(hp.min()), float(hp.max())) if hp.size else (0.0, 1.0)
    pad = max(1.0, 0.05 * (hi - lo))
    d1 = max(float(d[-1]) for d in days) if days and days[0].size else 1.0
    x2 = Linear(0.0, d1, ml, w2 - mr)
    y2 = Linear(max(0.0, lo - pad), hi + pad, h2 - mb, mt)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w2}" height="{h2}" viewBox="0 0 {w2} {h2}" '
        'font-family="sans-serif" font-size="12">'
    ]
    plot_axes(
        parts,
        x2,
        y2,
        nice_ticks(0.0, d1, 8),
        nice_ticks(y2.d0, y2.d1, 6),
        (ml, mt, w2 - mr, h2 - mb),
        "days from the epoch",
        "mean periapsis altitude (km)",
    )
    for k, ((lp, col, name), d) in enumerate(zip(loops, days)):
        _line(parts, x2(d), y2(lp.hp_km), col, 1.5)
        ly = mt + 14 + 18 * k
        parts.append(
            f'<line x1="{w2 - mr + 12}" x2="{w2 - mr + 32}" y1="{ly}" y2="{ly}" stroke="{col}" stroke-width="2"/>'
        )
        imp = "" if lp.impact is None else f", impact day {(lp.impact - t0) / SECONDS_PER_DAY:.1f}"
        parts.append(f'<text x="{w2 - mr + 38}" y="{ly + 4}">{esc(name + imp)}</text>')
    parts.append("</svg>")
    svg2 = "".join(parts)
    rows = "".join(
        f"<tr><td>{k}</td><td>{h[0]:+.6f}</td><td>{h[1]:+.6f}</td><td>{h[2]:.2e}</td><td>{h[3]:.2e}</td></tr>"
        for k, h in enumerate(corr.history)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head><body style=\"font-family:sans-serif\">"
        f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p>"
        "<h2>Mean eccentricity vector and its loop centre</h2>"
        "<p>Thin: the one-orbit mean eccentricity vector (MOON_ME); thick: its running mean over one "
        f"{LOOP_PERIOD_S / SECONDS_PER_DAY:.2f} d loop (the loop centre). Frozen: the centre stays put.</p>"
        + svg1
        + "<h2>Mean periapsis altitude</h2>"
        + svg2
        + "<h2>Correction</h2><table border=\"1\" cellpadding=\"3\"><tr><th>step</th><th>e cos ω</th>"
        "<th>e sin ω</th><th>centre drift</th><th>centre excursion</th></tr>" + rows + "</table></body></html>\n"
    )


# ------------------------------------------------------------------ mission file: orbit: {design: frozen}

#: Keys of ``orbit: {design: frozen, ...}`` in a mission file (docs/mission-file.md).
FROZEN_ORBIT_KEYS = {
    "design",
    "frame",
    "altitude_km",
    "a_km",
    "i_deg",
    "raan_deg",
    "zonal_degree",
    "correct",
    "correct_span",
    "correct_iterations",
}
#: Orbit designs ``orbit.design`` accepts.
ORBIT_DESIGNS = ("frozen",)


def orbit_from_design(orbit, t0: float, t1: float, force_model) -> tuple[np.ndarray, str]:
    """Moon-centred ICRF initial state and frame of ``orbit: {design: frozen, ...}``.

    ``orbit`` is the mission's orbit section (``mission.reader.Section``: typed getters that
    name the key in errors). At load only the zonal first guess is computed (~0.5 s at J2..J30);
    ``correct: true`` adds the full-field correction over ``correct_span`` (default: the
    mission span, at least two loop periods) with rtol 1e-10, atol 1e-7 km on all cores."""
    from ..time import parse_duration_s

    orbit.choice("design", ORBIT_DESIGNS, required=True)
    if orbit.has("elements") or orbit.has("state"):
        raise InputError("orbit.design", "give either design or elements/state, not both")
    frame = orbit.choice("frame", ["MOON_ME_INERTIAL"], default="MOON_ME_INERTIAL")
    if orbit.has("altitude_km") == orbit.has("a_km"):
        raise InputError("orbit.altitude_km", "give exactly one of altitude_km or a_km for design: frozen")
    alt = orbit.number("altitude_km", None, exclusive_minimum=0, unit="km")
    a = orbit.number("a_km", None, exclusive_minimum=MOON_RADIUS_KM, unit="km")
    inc = orbit.number("i_deg", required=True, minimum=0, maximum=180, unit="deg")
    raan = orbit.number("raan_deg", 0.0, minimum=-360, maximum=360, unit="deg")
    fld = force_model.field
    deg = orbit.number(
        "zonal_degree",
        min(ZONAL_DEGREE_DEFAULT, fld.degree_max),
        minimum=ZONAL_DEGREE_MIN,
        maximum=fld.degree_max,
        integer=True,
    )
    guess = frozen_first_guess(inc, fld, altitude_km=alt, a_km=a, degree=deg, key="orbit.i_deg")
    w = math.radians(guess.argp_deg)
    ex, ey = guess.e * math.cos(w), guess.e * math.sin(w)
    correct = orbit.boolean("correct", False)
    if not correct:
        for k in ("correct_span", "correct_iterations"):
            if orbit.has(k):
                raise InputError(f"orbit.{k}", "only used with correct: true")
    else:
        span = t1 - t0
        if orbit.has("correct_span"):
            span = parse_duration_s(orbit.raw["correct_span"], "orbit.correct_span")
        if not span >= MIN_CORRECTION_SPAN_S - 1e-6:
            raise InputError(
                "orbit.correct_span" if orbit.has("correct_span") else "duration",
                f"{span / SECONDS_PER_DAY:.1f} d is too short for the frozen correction: at least "
                f"{math.ceil(MIN_CORRECTION_SPAN_S / SECONDS_PER_DAY)} d (two loop periods); give orbit.correct_span",
            )
        its = orbit.number("correct_iterations", 2, minimum=1, maximum=10, integer=True)
        c = correct_frozen(guess, t0, t0 + span, force_model, raan_deg=raan, iterations=its)
        ex, ey = c.ex, c.ey
    state = initial_state(guess.a_km, ex, ey, guess.i_deg, raan, t0, fld.gm_km3_s2, force_model.moon_pck)
    return state, frame


def check_no_design_keys(orbit) -> None:
    """InputError for a design key (altitude_km, correct, ...) in an orbit without ``design``."""
    extra = sorted(k for k in FROZEN_ORBIT_KEYS - {"frame", "design"} if orbit.has(k))
    if extra:
        raise InputError(
            f"orbit.{extra[0]}", "is a key of orbit: {design: frozen, ...}; add design: frozen or remove it"
        )
