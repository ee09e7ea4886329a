"""Vectorized angular geometry for event conditions (radians, km).

All functions broadcast over leading axes: vectors are ``(..., 3)``. Angles between
vectors use ``atan2(|a × b|, a · b)``, accurate at every angle (unlike ``acos`` near 0 and
π; Kahan, "How futile are mindless assessments of roundoff", 2006, sec. 12).

* apparent (angular) radius of a sphere of radius R at distance d: ``asin(R / d)``
  (the half-angle of the tangent cone);
* limb angle of a direction u seen from a point: separation of u from the body centre minus
  the body's apparent radius (negative: u points at the body's disk, i.e. u is occulted);
* elevation/azimuth in east-north-up axes: ``el = atan2(up, hypot(e, n))``,
  ``az = atan2(e, n)`` (from north through east, [0, 2π));
* line of sight blocked by a sphere: the segment between two points passes within R of the
  centre (closest-point-on-segment distance minus R).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "norm",
    "unit",
    "separation",
    "separation_many",
    "apparent_radius",
    "limb_angle",
    "elevation_azimuth",
    "segment_sphere_clearance",
    "radec_to_unit",
    "interp_mask",
]


def norm(v: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis."""
    v = np.asarray(v, float)
    return np.sqrt(np.einsum("...i,...i->...", v, v))


def unit(v: np.ndarray) -> np.ndarray:
    """``v / |v|`` over the last axis."""
    v = np.asarray(v, float)
    return v / norm(v)[..., None]


def separation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between vectors ``a`` and ``b`` (rad, [0, π]); ``atan2(|a×b|, a·b)``."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    return np.arctan2(norm(np.cross(a, b)), np.einsum("...i,...i->...", a, b))


def separation_many(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Angles (M, N) between M unit vectors ``u`` (M,3) and N unit vectors ``d`` (N,3).

    ``atan2(|u×d|, u·d)`` with ``|u×d| = sqrt(max(0, 1 − (u·d)²))`` computed as
    ``|u − d|·|u + d| / 2`` (exact for unit vectors; keeps full accuracy near 0 and π).
    """
    c = np.asarray(u, float) @ np.asarray(d, float).T  # (M, N)
    # |u - d|^2 = 2 - 2c, |u + d|^2 = 2 + 2c  =>  |u x d| = sqrt((1-c)(1+c))
    s = np.sqrt(np.maximum(0.0, (1.0 - c) * (1.0 + c)))
    return np.arctan2(s, c)


def apparent_radius(radius_km, distance_km) -> np.ndarray:
    """Angular radius ``asin(R/d)`` of a sphere of radius R seen from distance d (rad);
    π/2 when inside the sphere."""
    d = np.asarray(distance_km, float)
    return np.arcsin(np.minimum(1.0, np.asarray(radius_km, float) / d))


def limb_angle(direction: np.ndarray, to_body: np.ndarray, radius_km) -> np.ndarray:
    """Angle of ``direction`` above the limb of a sphere of radius R at vector ``to_body``
    (observer → centre, km): ``sep(direction, to_body) − asin(R/|to_body|)`` (rad).

    Negative when the direction points into the body's disk (occulted)."""
    return separation(direction, to_body) - apparent_radius(radius_km, norm(to_body))


def elevation_azimuth(enu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elevation and azimuth (rad) of east-north-up vectors ``(..., 3)``.

    ``el = atan2(u, hypot(e, n))`` in [−π/2, π/2]; ``az = atan2(e, n) mod 2π`` from north
    through east."""
    enu = np.asarray(enu, float)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    el = np.arctan2(u, np.hypot(e, n))
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    return el, az


def segment_sphere_clearance(p: np.ndarray, q: np.ndarray, center: np.ndarray, radius_km) -> np.ndarray:
    """Closest distance from the segment p→q to ``center`` minus the radius (km).

    Negative: the segment crosses the sphere (line of sight blocked). The closest point is
    ``p + clip(((c − p)·(q − p)) / |q − p|², 0, 1) (q − p)`` (standard point–segment distance).
    """
    p = np.asarray(p, float)
    q = np.asarray(q, float)
    c = np.asarray(center, float)
    d = q - p
    dd = np.einsum("...i,...i->...", d, d)
    s = np.clip(np.einsum("...i,...i->...", c - p, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = p + s[..., None] * d
    return norm(c - closest) - np.asarray(radius_km, float)


def radec_to_unit(ra_deg, dec_deg) -> np.ndarray:
    """ICRS unit vectors (M,3) from right ascension and declination (deg)."""
    ra = np.radians(np.asarray(ra_deg, float))
    dec = np.radians(np.asarray(dec_deg, float))
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=-1)


def interp_mask(az_rad: np.ndarray, table_az_deg: np.ndarray, table_el_deg: np.ndarray) -> np.ndarray:
    """Mask elevation (rad) at azimuths ``az_rad`` by linear interpolation in azimuth,
    periodic over 360° (the table is wrapped: its last point joins its first)."""
    az = np.degrees(np.mod(az_rad, 2.0 * np.pi))
    return np.radians(np.interp(az, table_az_deg, table_el_deg, period=360.0))
