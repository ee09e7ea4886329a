"""Elliptical lunar frozen orbits (ELFO) in the doubly averaged model.

Model: the Moon's J2 and one or two third bodies (the Earth; optionally the Sun), each term
averaged over the spacecraft's mean anomaly and over the third body's orbit, quadrupole
order (a / a' = 0.017 for the Earth at a = 6541 km: the octupole is below 2 % of it).
Disturbing functions (R, acceleration = +grad R), with the unit orbit normal h, the
eccentricity vector e (|e| = e), eta = sqrt(1 - e^2):

    third body:  R3 = mu' a^2 / (4 a'^3 (1 - e'^2)^1.5) [1 + 1.5 e^2 - 7.5 (e.n')^2 - 1.5 eta^2 (1 - (h.n')^2)]
    lunar J2:    R2 = mu J2 Rref^2 / (4 a^3 eta^3) (3 (h.p)^2 - 1)

(n' the third body's orbit normal, p the lunar pole). R3 is the quadrupole tide
mu' r^2 / (2 r'^3) (3 cos^2 psi - 1) averaged with <r'^-3 r'r'^T> = (I - n'n'^T) / (2 a'^3 (1 - e'^2)^1.5)
and <r r^T> = a^2 [2.5 e e^T + 0.5 eta^2 (I - h h^T)] (the Kozai 1962 / Lidov 1962 model;
in the third body's plane it is Kozai's eq. with i and w measured in that plane). The
elements evolve by the Lagrange planetary equations (Vallado 2013 eq. 9-12; a is constant
after averaging), partial derivatives by central differences. With the Earth alone, circular,
the frozen ELFO (de/dt = dw/dt = 0 at w = 90 deg) is e = sqrt(1 - (5/3) cos^2 i) with i to the
Earth-Moon orbit plane (Ely 2005, J. Astronaut. Sci. 53(3); :func:`kozai_frozen_e`).

Reference plane: elements are in the EARTH_MOON plane of ``orbits.planes`` at the epoch
(osculating Moon-about-Earth orbit plane, DE440), held fixed over the integration: the
18.6-year regression of that plane about the ecliptic is not modelled (the full-model check,
:func:`full_model_check`, has it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import AU_KM, EARTH_MOON_DISTANCE_KM, MOON_RADIUS_KM, SECONDS_PER_DAY
from ..errors import InputError

#: Mean eccentricity of the Moon's orbit about the Earth (Simon et al. 1994, A&A 282, 663: 0.0554;
#: the Moon Fact Sheet's 0.0549 differs by 0.1 % in (1 - e'^2)^-1.5), dimensionless.
EARTH_ORBIT_E = 0.0549
#: Eccentricity of the Earth's (EMB's) orbit about the Sun, J2000 (Simon et al. 1994), dimensionless.
SUN_ORBIT_E = 0.0167
#: Central-difference steps for the partial derivatives of R: e (dimensionless), angles (rad).
DIFF_STEP_E = 1e-7
DIFF_STEP_ANGLE_RAD = 1e-7
#: Tolerance of the averaged-model integration (scipy DOP853, relative and absolute on e and rad).
AVERAGED_RTOL = 1e-10
#: Ely (2005) ELFO: a (km), e, i (deg, to the Earth-Moon orbit plane), argp (deg).
ELY_ELFO = {"a_km": 6541.4, "e": 0.6, "i_deg": 56.2, "argp_deg": 90.0}


def kozai_frozen_e(i_deg) -> np.ndarray:
    """Frozen e of the Earth-only circular quadrupole model at w = 90 deg:
    e = sqrt(1 - (5/3) cos^2 i) (i to the Earth-Moon plane); NaN where none (i < 39.23 deg)."""
    c2 = np.cos(np.radians(np.asarray(i_deg, float))) ** 2
    v = 1.0 - (5.0 / 3.0) * c2
    return np.where(v > 0, np.sqrt(np.clip(v, 0.0, None)), np.nan)


def kozai_frozen_i_deg(e) -> np.ndarray:
    """Inverse of :func:`kozai_frozen_e`: i (deg, < 90) with cos^2 i = 3 (1 - e^2) / 5."""
    e = np.asarray(e, float)
    return np.degrees(np.arccos(np.sqrt(0.6 * (1.0 - e * e))))


def _vectors(e, i, raan, argp):
    """(unit normal h, eccentricity vector) (..., 3) of elements in the reference axes."""
    si, ci = np.sin(i), np.cos(i)
    so, co = np.sin(raan), np.cos(raan)
    sw, cw = np.sin(argp), np.cos(argp)
    h = np.stack([si * so, -si * co, ci], axis=-1)
    pv = np.stack([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si], axis=-1)
    return h, np.asarray(e)[..., None] * pv


@dataclass(frozen=True)
class AveragedModel:
    """Doubly averaged J2 + third-body model (module docstring); vectors in the reference axes.

    ``bodies``: tuples (gm' km^3/s^2, a' km, e', unit orbit normal n' (3,)); ``pole`` the
    lunar spin axis (3,); gm, j2, radius_km of the Moon's field; ``plane`` names the axes."""

    gm: float
    j2: float
    radius_km: float
    pole: tuple
    bodies: tuple
    plane: str = "EARTH_MOON"

    def potential(self, a, e, i, raan, argp) -> np.ndarray:
        """Averaged disturbing function R (km^2/s^2) at the elements (a km; e; angles rad)."""
        h, ev = _vectors(e, i, raan, argp)
        e2 = np.asarray(e, float) ** 2
        eta2 = 1.0 - e2
        hp = h @ np.asarray(self.pole, float)
        r = self.gm * self.j2 * self.radius_km**2 / (4.0 * a**3 * eta2**1.5) * (3.0 * hp * hp - 1.0)
        for gm3, a3, e3, n3 in self.bodies:
            n3 = np.asarray(n3, float)
            en, hn = ev @ n3, h @ n3
            k = gm3 * a * a / (4.0 * a3**3 * (1.0 - e3 * e3) ** 1.5)
            r = r + k * (1.0 + 1.5 * e2 - 7.5 * en * en - 1.5 * eta2 * (1.0 - hn * hn))
        return r

    def rates(self, a, e, i, raan, argp) -> np.ndarray:
        """d/dt (e, i, raan, argp) [1/s, rad/s] by the Lagrange planetary equations."""
        he, ha = DIFF_STEP_E, DIFF_STEP_ANGLE_RAD
        p = self.potential
        d_e = (p(a, e + he, i, raan, argp) - p(a, e - he, i, raan, argp)) / (2 * he)
        d_i = (p(a, e, i + ha, raan, argp) - p(a, e, i - ha, raan, argp)) / (2 * ha)
        d_o = (p(a, e, i, raan + ha, argp) - p(a, e, i, raan - ha, argp)) / (2 * ha)
        d_w = (p(a, e, i, raan, argp + ha) - p(a, e, i, raan, argp - ha)) / (2 * ha)
        n = math.sqrt(self.gm / a**3)
        eta = np.sqrt(1.0 - e * e)
        na2 = n * a * a
        si, ci = np.sin(i), np.cos(i)
        e_dot = -eta / (na2 * e) * d_w
        i_dot = (ci * d_w - d_o) / (na2 * eta * si)
        o_dot = d_i / (na2 * eta * si)
        w_dot = eta / (na2 * e) * d_e - ci / (na2 * eta * si) * d_i
        return np.array([e_dot, i_dot, o_dot, w_dot])

    def frozen_e(self, a_km: float, i_deg: float, raan_deg: float = 0.0, e_lo: float = 0.05, e_hi: float = 0.95):
        """e in (e_lo, e_hi) with dw/dt = 0 at w = 90 deg (de/dt is then ~0 too), or None."""
        from scipy.optimize import brentq

        i, o, w = math.radians(i_deg), math.radians(raan_deg), math.pi / 2

        def f(x):
            return float(self.rates(a_km, x, i, o, w)[3])

        grid = np.linspace(e_lo, e_hi, 91)
        vals = [f(x) for x in grid]
        for k in range(len(grid) - 1):
            if vals[k] == 0.0:
                return float(grid[k])
            if vals[k] * vals[k + 1] < 0:
                return float(brentq(f, grid[k], grid[k + 1], xtol=1e-12))
        return None

    def integrate(self, a_km, e, i_deg, raan_deg, argp_deg, span_s: float, n_out: int = 2001):
        """Averaged evolution: (t s from 0, (n_out, 4) e, i deg, raan deg, argp deg)."""
        from scipy.integrate import solve_ivp

        y0 = [float(e), math.radians(i_deg), math.radians(raan_deg), math.radians(argp_deg)]
        t_eval = np.linspace(0.0, float(span_s), int(n_out))
        sol = solve_ivp(
            lambda t, y: self.rates(a_km, y[0], y[1], y[2], y[3]),
            (0.0, float(span_s)),
            y0,
            method="DOP853",
            t_eval=t_eval,
            rtol=AVERAGED_RTOL,
            atol=AVERAGED_RTOL,
        )
        if not sol.success:
            raise InputError("elfo", f"averaged integration failed: {sol.message}")
        y = sol.y.T.copy()
        y[:, 1:] = np.degrees(y[:, 1:])
        y[:, 2:] = np.mod(y[:, 2:], 360.0)
        return sol.t, y


def model_at(t0: float, field, ephemeris, pck, sun: bool = True) -> AveragedModel:
    """The averaged model at TDB ``t0`` in EARTH_MOON axes at t0: the Moon's GM, J2 and radius
    from ``field``; the Earth on the Moon's orbit (mean a' = 384,400 km, e' = 0.0549, normal
    n' = z of the plane); the Sun on the ecliptic (normal of the EMB's heliocentric orbit from
    the ephemeris, a' = 1 au) when ``sun``; the lunar pole = MOON_ME z at t0 (``pck``)."""
    from ..ephemeris import GM_KM3_S2
    from ..orbits.planes import plane_rotation

    rot = plane_rotation("EARTH_MOON", [t0], ephemeris=ephemeris)[0]  # r_EM = rot @ r_ICRF
    pole = rot @ plane_rotation("MOON_ME", [t0], pck=pck)[0][2]
    bodies = [(GM_KM3_S2[399], EARTH_MOON_DISTANCE_KM, EARTH_ORBIT_E, (0.0, 0.0, 1.0))]
    if sun:
        s = np.asarray(ephemeris.state("earth", "sun", [t0]), float).reshape(6)
        n = np.cross(s[:3], s[3:])
        bodies.append((GM_KM3_S2[10], AU_KM, SUN_ORBIT_E, tuple(rot @ (n / np.linalg.norm(n)))))
    j2 = -math.sqrt(5.0) * float(field.C[2, 0])
    return AveragedModel(field.gm_km3_s2, j2, field.radius_km, tuple(pole), tuple(bodies))


def elements_to_state(a_km, e, i_deg, raan_deg, argp_deg, ta_deg, gm, rot) -> np.ndarray:
    """Moon-centred ICRF state (6,) of elements given in the axes ``rot`` (r_plane = rot @ r_ICRF)."""
    from ..orbits.elements import keplerian_to_cartesian

    s = np.asarray(
        keplerian_to_cartesian(a_km, e, *np.radians([i_deg, raan_deg, argp_deg, ta_deg]), gm), float
    ).reshape(6)
    return np.concatenate([s[:3] @ rot, s[3:] @ rot])


@dataclass(frozen=True)
class Excursion:
    """Evolution summary of one ELFO in one model: periapsis altitude range (km), e, i (deg,
    EARTH_MOON plane) and argp (deg) ranges, and the largest distance of the eccentricity
    vector (e cos w, e sin w) from its start (the "excursion"), over ``span_d`` days;
    ``below_surface_d``: first day the periapsis altitude is below 0 km (None: never)."""

    label: str
    span_d: float
    hp_min_km: float
    hp_max_km: float
    e_range: tuple
    i_range: tuple
    argp_range: tuple
    evec_excursion: float
    below_surface_d: float | None = None


def summarise(label, span_d, a_km, e, i_deg, argp_deg, t_d=None) -> Excursion:
    """:class:`Excursion` from series of e, i, argp (a fixed or a series, km) at days ``t_d``."""
    e, w = np.asarray(e, float), np.radians(np.asarray(argp_deg, float))
    ok = np.isfinite(e) & np.isfinite(w)
    t_d = np.linspace(0.0, span_d, e.size) if t_d is None else np.asarray(t_d, float)
    e, w, i, t_d = e[ok], w[ok], np.asarray(i_deg, float)[ok], t_d[ok]
    a = np.broadcast_to(np.asarray(a_km, float), ok.shape)[ok]
    hp = a * (1.0 - e) - MOON_RADIUS_KM
    ex, ey = e * np.cos(w), e * np.sin(w)
    wd = np.degrees(np.unwrap(w))
    below = np.flatnonzero(hp < 0.0)
    return Excursion(
        label,
        float(span_d),
        float(hp.min()),
        float(hp.max()),
        (float(e.min()), float(e.max())),
        (float(i.min()), float(i.max())),
        (float(wd.min() % 360.0), float(wd.min() % 360.0 + (wd.max() - wd.min()))),
        float(np.max(np.hypot(ex - ex[0], ey - ey[0]))),
        float(t_d[below[0]]) if below.size else None,
    )


def averaged_check(model: AveragedModel, a_km, e, i_deg, raan_deg, argp_deg, span_s: float, label: str = ""):
    """Integrate the averaged model over ``span_s`` and summarise (:class:`Excursion`)."""
    t, y = model.integrate(a_km, e, i_deg, raan_deg, argp_deg, span_s)
    return t, y, summarise(label, span_s / SECONDS_PER_DAY, a_km, y[:, 0], y[:, 1], y[:, 3], t / SECONDS_PER_DAY)


def full_model_check(
    state0,
    t0: float,
    t1: float,
    force_model,
    ephemeris,
    *,
    step_s: float = 3600.0,
    rtol: float = 1e-10,
    atol_km: float = 1e-6,
    label: str = "",
):
    """Propagate ``state0`` (ICRF) in ``force_model`` over [t0, t1] and summarise the mean
    elements (one-orbit running mean, EARTH_MOON plane at each epoch) and the osculating
    periapsis altitude sampled every ``step_s``: (history, osculating hp (N,), Excursion of
    the mean elements, impact time or None)."""
    from ..dynamics.propagator import propagate
    from ..orbits.elements import cartesian_to_keplerian
    from ..orbits.planes import eccentricity_vector_history

    res = propagate(state0, t0, t1, force_model, rtol=rtol, atol_km=atol_km)
    gm = force_model.field.gm_km3_s2
    t, s = res.trajectory.sample(step_s)
    h = eccentricity_vector_history(t, s, gm, "EARTH_MOON", ephemeris=ephemeris)
    osc = np.asarray(cartesian_to_keplerian(s, gm))
    osc_hp = osc[:, 0] * (1.0 - osc[:, 1]) - MOON_RADIUS_KM
    ex = summarise(
        label, (t[-1] - t[0]) / SECONDS_PER_DAY, h.a_km, h.e, h.i_deg, h.argp_deg, (t - t0) / SECONDS_PER_DAY
    )
    return h, osc_hp, ex, res.impact_time
