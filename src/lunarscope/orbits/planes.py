"""Reference planes for orbital elements, and the mean eccentricity-vector history.

An element set is only meaningful with the plane (and in-plane x axis) it is measured
from. ``plane_rotation(plane, t, ...)`` gives R (N, 3, 3) with ``r_plane = R @ r_icrf``;
states are rotated with R only (positions and velocities alike, no omega x r term), i.e.
in the *inertial* axes that coincide with the plane's axes at each epoch:

============= ==========================================================================
``MOON_ME``   lunar equator: the MOON_ME (mean-Earth/polar-axis) axes at each epoch, from
              the lunar PCK (``pck``: MoonPCK, path or Sources). x is the body-fixed
              prime meridian, so raan measured here turns with the Moon (one turn per
              27.3 d); i, e, argp do not depend on the x axis.
``EARTH_MOON`` the osculating plane of the Moon's orbit about the Earth at each epoch:
              z = unit(r x v) of the Moon relative to the Earth from the ephemeris
              (``ephemeris``: an Ephemeris, e.g. ``sources.ephemeris``); x = ascending node
              of that plane on the ICRF equator, unit(z_ICRF x z).
``ICRF``      the ICRF x-y plane (Earth's mean equator of J2000, to the frame bias).
============= ==========================================================================

The lunar equator and the Earth–Moon orbit plane are about 6.7 deg apart (Cassini's
laws: equator 1.54 deg to the ecliptic, orbit 5.145 deg on the other side of it;
Seidelmann (ed.), Explanatory Supplement to the Astronomical Almanac, 1992), varying by
~±0.15 deg with the orbit's solar perturbations.

The eccentricity-vector history (:func:`eccentricity_vector_history`) is the one-period
running mean (``elements.running_mean``) of the osculating ``(e cos argp, e sin argp)``
and a in the chosen plane; the mean periapsis altitude is ``a_mean (1 - |e_mean|) - R``
with R = ``constants.MOON_RADIUS_KM``. Averaging the vector components (not e and argp
separately) keeps it well defined for near-circular orbits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..errors import InputError
from .elements import TWO_PI, _as_states, cartesian_to_keplerian, running_mean

PLANES = ("MOON_ME", "EARTH_MOON", "ICRF")


def check_plane(plane, field: str = "plane") -> str:
    """Normalize a plane name or raise InputError listing the known planes."""
    name = str(plane).strip().upper().replace("-", "_")
    if name not in PLANES:
        raise InputError(field, f"unknown reference plane {plane!r}; use one of {', '.join(PLANES)}")
    return name


def plane_rotation(plane: str, t, pck=None, ephemeris=None) -> np.ndarray:
    """R (N, 3, 3), ICRF axes -> ``plane`` axes at TDB seconds ``t``.

    ``pck`` (MoonPCK, path or Sources) is required for MOON_ME, ``ephemeris`` (an
    Ephemeris) for EARTH_MOON; TypeError without them (nothing is defaulted)."""
    name = check_plane(plane)
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if name == "ICRF":
        return np.broadcast_to(np.eye(3), (t.size, 3, 3)).copy()
    if name == "MOON_ME":
        from .. import frames

        if pck is None:
            raise TypeError("plane MOON_ME needs the lunar orientation: pass pck=sources.moon_pck")
        return frames.rotation("MOON_ME", t, pck)
    if ephemeris is None:
        raise TypeError("plane EARTH_MOON needs the ephemeris: pass ephemeris=sources.ephemeris")
    s = np.asarray(ephemeris.state("moon", "earth", t), dtype=np.float64).reshape(t.size, 6)
    z = np.cross(s[:, :3], s[:, 3:])
    z /= np.linalg.norm(z, axis=1)[:, None]
    x = np.stack([-z[:, 1], z[:, 0], np.zeros(t.size)], axis=1)  # z_ICRF x z
    x /= np.linalg.norm(x, axis=1)[:, None]
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)  # rows are the plane axes in ICRF


def states_in_plane(t, states_icrf, plane: str, pck=None, ephemeris=None) -> np.ndarray:
    """Moon-centred ICRF states (N, 6) -> components in ``plane`` axes (rotation only)."""
    x = _as_states(states_icrf, "states")
    x = np.atleast_2d(x)
    r = plane_rotation(plane, t, pck, ephemeris)
    if r.shape[0] != x.shape[0]:
        raise InputError("times", f"{r.shape[0]} times for {x.shape[0]} states")
    return np.concatenate([np.einsum("nij,nj->ni", r, x[:, :3]), np.einsum("nij,nj->ni", r, x[:, 3:])], axis=1)


def elements_in_plane(t, states_icrf, gm, plane: str, pck=None, ephemeris=None) -> np.ndarray:
    """Osculating (a, e, i, raan, argp, ta) (N, 6) [km, rad] measured in ``plane``."""
    return cartesian_to_keplerian(states_in_plane(t, states_icrf, plane, pck, ephemeris), gm)


@dataclass(frozen=True)
class EccentricityHistory:
    """Mean eccentricity vector and periapsis altitude in a named plane.

    ``t`` (N,) TDB s; ``ex``, ``ey`` = mean (e cos argp, e sin argp); ``a_km`` mean a;
    ``i_deg`` mean inclination to ``plane``; ``periapsis_alt_km`` = a (1 - |e|) - R_moon.
    NaN within half a period of either end (the averaging window)."""

    plane: str
    t: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    a_km: np.ndarray
    i_deg: np.ndarray
    periapsis_alt_km: np.ndarray
    period_s: float

    @property
    def e(self) -> np.ndarray:
        return np.hypot(self.ex, self.ey)

    @property
    def argp_deg(self) -> np.ndarray:
        return np.mod(np.degrees(np.arctan2(self.ey, self.ex)), 360.0)


def eccentricity_vector_history(
    t, states_icrf, gm, plane: str, pck=None, ephemeris=None, period=None
) -> EccentricityHistory:
    """Mean e-vector history (module docstring) from samples ``states_icrf`` (N, 6) at ``t`` (N,).

    ``period`` [s]: averaging window, default one Keplerian period of the median
    osculating a. gm [km^3/s^2]."""
    t = np.asarray(t, dtype=np.float64)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0.0) or not np.all(np.isfinite(t)):
        raise InputError("times", "need >= 2 finite, strictly increasing times")
    name = check_plane(plane)
    osc = elements_in_plane(t, states_icrf, gm, name, pck, ephemeris)
    if period is None:
        a_med = float(np.median(osc[:, 0]))
        if not a_med > 0:
            raise InputError("states", "median osculating orbit is not elliptical")
        period = TWO_PI * np.sqrt(a_med**3 / gm)
    e, w = osc[:, 1], osc[:, 4]
    series = np.column_stack([e * np.cos(w), e * np.sin(w), osc[:, 0], osc[:, 2]])
    m = running_mean(t, series, period)
    ex, ey, a, inc = m.T
    return EccentricityHistory(
        name, t, ex, ey, a, np.degrees(inc), a * (1.0 - np.hypot(ex, ey)) - MOON_RADIUS_KM, float(period)
    )
