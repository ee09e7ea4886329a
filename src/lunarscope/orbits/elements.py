"""Keplerian orbital elements, running-mean elements and apsis radii (vectorized numpy).

Elements are ``(a, e, i, raan, argp, ta)``: semi-major axis [km], eccentricity,
inclination, right ascension of the ascending node, argument of periapsis and true
anomaly [rad], relative to the x-y plane and x axis of whatever frame the Cartesian
state is given in (ICRF or a Moon-fixed frame: the caller chooses). Formulas:
D. A. Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013),
Alg. 9 (RV2COE) and Alg. 10 (COE2RV), with atan2 forms for accuracy.

Convention where angles are undefined (the same in both directions, so that
``keplerian_to_cartesian(*cartesian_to_keplerian(x).T)`` reproduces ``x``):

* equatorial orbit (sin i < ``EQUATORIAL_TOL``): ``raan = 0`` and the node line is
  taken as the +x axis, so ``argp`` is the longitude of periapsis measured from +x in
  the direction of motion;
* circular orbit (e < ``CIRCULAR_TOL``): ``argp = 0`` and ``ta`` is the argument of
  latitude (angle from the ascending node, or from +x if also equatorial, to the
  position, in the direction of motion).

Angles are returned in [0, 2 pi) (i in [0, pi]).
"""

from __future__ import annotations

import numpy as np

from lunarscope.errors import InputError

CIRCULAR_TOL = 1e-11  # eccentricity below which argp is undefined (set to 0)
EQUATORIAL_TOL = 1e-11  # sin(i) below which raan is undefined (set to 0)
TWO_PI = 2.0 * np.pi


def _as_states(state, name="state"):
    x = np.asarray(state, dtype=np.float64)
    if x.shape[-1:] != (6,):
        raise InputError(name, f"must have shape (N, 6) or (6,), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise InputError(name, "contains non-finite values")
    return x


def cartesian_to_keplerian(state, gm):
    """Osculating elements (..., 6) = (a, e, i, raan, argp, ta) from states (..., 6).

    state in km, km/s; gm in km^3/s^2. Vallado Alg. 9 with the convention for
    circular/equatorial orbits described in the module docstring. Unbound states are
    not elliptical: they come back with e >= 1 and a < 0 (a = inf when parabolic).
    """
    x = _as_states(state)
    if not gm > 0:
        raise InputError("gm", f"{gm!r} must be > 0 km^3/s^2")
    r = x[..., :3]
    v = x[..., 3:]
    rn = np.linalg.norm(r, axis=-1)
    if np.any(rn == 0.0):
        raise InputError("state", "position vector of zero length")
    v2 = np.sum(v * v, axis=-1)
    rv = np.sum(r * v, axis=-1)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=-1)
    if np.any(hn == 0.0):
        raise InputError("state", "rectilinear motion (zero angular momentum) has no elements")
    hhat = h / hn[..., None]
    evec = ((v2 - gm / rn)[..., None] * r - rv[..., None] * v) / gm
    e = np.linalg.norm(evec, axis=-1)
    energy = 0.5 * v2 - gm / rn
    with np.errstate(divide="ignore"):
        a = -gm / (2.0 * energy)
    sin_i = np.hypot(h[..., 0], h[..., 1]) / hn
    inc = np.arctan2(np.hypot(h[..., 0], h[..., 1]), h[..., 2])
    equatorial = sin_i < EQUATORIAL_TOL
    circular = e < CIRCULAR_TOL
    # node direction k x h = (-h_y, h_x, 0); +x axis when equatorial
    nvec = np.stack([-h[..., 1], h[..., 0], np.zeros_like(hn)], axis=-1)
    nvec = np.where(equatorial[..., None], np.array([1.0, 0.0, 0.0]), nvec)
    raan = np.where(equatorial, 0.0, np.arctan2(h[..., 0], -h[..., 1]))

    def angle(p, q):
        """Angle from p to q about hhat (direction of motion)."""
        return np.arctan2(np.sum(hhat * np.cross(p, q), axis=-1), np.sum(p * q, axis=-1))

    argp = np.where(circular, 0.0, angle(nvec, evec))
    pref = np.where(circular[..., None], nvec, evec)
    ta = angle(pref, r)
    out = np.stack([a, e, inc, np.mod(raan, TWO_PI), np.mod(argp, TWO_PI), np.mod(ta, TWO_PI)], axis=-1)
    return out


def keplerian_to_cartesian(a, e, i, raan, argp, ta, gm):
    """States (..., 6) [km, km/s] from elliptical elements (broadcast together).

    a [km] > 0, 0 <= e < 1, i in [0, pi], angles [rad]; gm [km^3/s^2].
    Vallado Alg. 10: perifocal position/velocity rotated by R3(-raan) R1(-i) R3(-argp).
    """
    a, e, i, raan, argp, ta = np.broadcast_arrays(*[np.asarray(q, dtype=np.float64) for q in (a, e, i, raan, argp, ta)])
    for name, q in (("a", a), ("e", e), ("i", i), ("raan", raan), ("argp", argp), ("ta", ta)):
        if not np.all(np.isfinite(q)):
            raise InputError(name, "contains non-finite values")
    if np.any(a <= 0.0):
        raise InputError("a", "semi-major axis must be > 0 km (elliptical orbits only)")
    if np.any((e < 0.0) | (e >= 1.0)):
        raise InputError("e", "eccentricity must be in [0, 1) (elliptical orbits only)")
    if np.any((i < 0.0) | (i > np.pi)):
        raise InputError("i", "inclination must be in [0, pi] rad")
    if not gm > 0:
        raise InputError("gm", f"{gm!r} must be > 0 km^3/s^2")
    p = a * (1.0 - e * e)
    ct, st = np.cos(ta), np.sin(ta)
    r = p / (1.0 + e * ct)
    sq = np.sqrt(gm / p)
    xp, yp = r * ct, r * st
    vxp, vyp = -sq * st, sq * (e + ct)
    cO, sO, ci, si, cw, sw = (np.cos(raan), np.sin(raan), np.cos(i), np.sin(i), np.cos(argp), np.sin(argp))
    # columns P (periapsis direction) and Q (90 deg ahead in the orbit plane)
    px, py, pz = cO * cw - sO * sw * ci, sO * cw + cO * sw * ci, sw * si
    qx, qy, qz = -cO * sw - sO * cw * ci, -sO * sw + cO * cw * ci, cw * si
    return np.stack(
        [
            xp * px + yp * qx,
            xp * py + yp * qy,
            xp * pz + yp * qz,
            vxp * px + vyp * qx,
            vxp * py + vyp * qy,
            vxp * pz + vyp * qz,
        ],
        axis=-1,
    )


def periapsis_radius(a, e):
    """Periapsis radius a (1 - e) [km]."""
    return np.asarray(a) * (1.0 - np.asarray(e))


def apoapsis_radius(a, e):
    """Apoapsis radius a (1 + e) [km] (negative/meaningless for e >= 1)."""
    return np.asarray(a) * (1.0 + np.asarray(e))


def apsis_radii(state, gm):
    """(periapsis radius, apoapsis radius) [km] of the osculating orbit of each state."""
    el = cartesian_to_keplerian(state, gm)
    return periapsis_radius(el[..., 0], el[..., 1]), apoapsis_radius(el[..., 0], el[..., 1])


def mean_elements(times, states, gm, period=None):
    """Running one-period average of osculating (a, e, i, raan, argp): (N, 5).

    What it is, exactly: osculating elements are computed at every sample
    (:func:`cartesian_to_keplerian`); raan and argp are unwrapped along the history
    (``numpy.unwrap``, so consecutive samples must differ by less than pi); each of the
    five series x(t) is then replaced by its time average over the window
    [t_k - P/2, t_k + P/2] centred on each sample t_k,
    ``(1/P) * integral x(t) dt``, with x piecewise linear between samples (trapezoid
    rule; the window ends are interpolated). P [s] is ``period`` if given, else one
    Keplerian period 2 pi sqrt(a_med^3/gm) of the median osculating a. Rows whose
    window is not inside [times[0], times[-1]] are NaN. Averaged angles are wrapped
    to [0, 2 pi). This removes short-period (once- and twice-per-revolution)
    variations to first order; it is not Brouwer or Kozai mean-element theory. argp is
    meaningless for near-circular orbits and raan for near-equatorial ones.

    times (N,) [s] strictly increasing; states (N, 6) [km, km/s]; gm [km^3/s^2].
    """
    t = np.asarray(times, dtype=np.float64)
    x = _as_states(states, "states")
    if t.ndim != 1 or x.ndim != 2 or x.shape[0] != t.shape[0]:
        raise InputError("times", "must be (N,) matching states (N, 6)")
    if t.size < 2 or np.any(np.diff(t) <= 0.0) or not np.all(np.isfinite(t)):
        raise InputError("times", "need >= 2 finite, strictly increasing times")
    osc = cartesian_to_keplerian(x, gm)
    series = np.column_stack([osc[:, 0], osc[:, 1], osc[:, 2], np.unwrap(osc[:, 3]), np.unwrap(osc[:, 4])])
    if period is None:
        a_med = float(np.median(osc[:, 0]))
        if not a_med > 0:
            raise InputError("states", "median osculating orbit is not elliptical")
        period = TWO_PI * np.sqrt(a_med**3 / gm)
    period = float(period)
    if not period > 0:
        raise InputError("period", f"{period!r} must be > 0 s")
    out = running_mean(t, series, period)
    ok = np.all(np.isfinite(out), axis=1)
    if np.any(ok):
        out[ok, 3] = np.mod(out[ok, 3], TWO_PI)
        out[ok, 4] = np.mod(out[ok, 4], TWO_PI)
    return out


def running_mean(times, series, period):
    """Centred running mean over ``period`` [s] of samples ``series`` (N,) or (N, K) at ``times`` (N,).

    Row k is ``(1/P) * integral x(t) dt`` over [t_k - P/2, t_k + P/2], x piecewise linear
    between samples (trapezoid rule, window ends interpolated exactly); NaN where the
    window is not inside [times[0], times[-1]]. ``times`` strictly increasing (checked by
    the callers)."""
    t = np.asarray(times, dtype=np.float64)
    x = np.asarray(series, dtype=np.float64)
    one = x.ndim == 1
    x = x.reshape(t.size, -1)
    period = float(period)
    if not period > 0:
        raise InputError("period", f"{period!r} must be > 0 s")
    # cumulative trapezoid integral C(t_k); C between samples is quadratic for linear x,
    # evaluated exactly at the window ends below
    dt = np.diff(t)
    cum = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(0.5 * (x[1:] + x[:-1]) * dt[:, None], axis=0)])

    def integral_to(tq):
        j = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, t.size - 2)
        s = (tq - t[j])[:, None]
        h = dt[j][:, None]
        x0 = x[j]
        slope = (x[j + 1] - x0) / h
        return cum[j] + x0 * s + 0.5 * slope * s * s

    lo = t - 0.5 * period
    hi = t + 0.5 * period
    ok = (lo >= t[0]) & (hi <= t[-1])
    out = np.full(x.shape, np.nan)
    if np.any(ok):
        out[ok] = (integral_to(hi[ok]) - integral_to(lo[ok])) / period
    return out[:, 0] if one else out
