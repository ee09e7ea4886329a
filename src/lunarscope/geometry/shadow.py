"""Conical shadows: the visible fraction of the solar disk seen from a point.

Both the Sun and the occulting body are treated as disks of apparent radii
a = asin(R_sun/|s|) and b = asin(R_body/|p|) separated by the angle c between their
centres. The occulted area is the area of overlap of the two circles (Montenbruck & Gill,
"Satellite Orbits", 2000, Sec. 3.4.2, eqs. 3.87–3.94), and

    visible fraction ν = 1 − overlap / (π a²)      (1 = full Sun, 0 = umbra)

Cases: c ≥ a + b: no shadow (ν = 1); c ≤ b − a: umbra (ν = 0); c ≤ a − b: antumbra
(annular, ν = 1 − b²/a²); otherwise penumbra (partial overlap).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..constants import SUN_RADIUS_KM


@numba.njit(cache=True)
def disk_overlap_fraction(a, b, c):
    """Fraction of a disk of angular radius ``a`` covered by a disk of radius ``b`` at
    centre separation ``c`` (radians, small-angle plane geometry as in M&G 3.4.2)."""
    if c >= a + b:
        return 0.0
    if c <= b - a:
        return 1.0
    if c <= a - b:
        return (b * b) / (a * a)
    x = (c * c + a * a - b * b) / (2.0 * c)
    y2 = a * a - x * x
    y = math.sqrt(y2) if y2 > 0.0 else 0.0
    area = a * a * math.acos(min(1.0, max(-1.0, x / a))) + b * b * math.acos(min(1.0, max(-1.0, (c - x) / b))) - c * y
    return area / (math.pi * a * a)


@numba.njit(cache=True)
def sun_visible_fraction(r, r_sun, r_body, body_radius):
    """Visible fraction of the solar disk at ``r`` with one occulting body.

    r, r_sun, r_body: positions (3,) in one frame and origin (km); body_radius in km.
    """
    sx = r_sun[0] - r[0]
    sy = r_sun[1] - r[1]
    sz = r_sun[2] - r[2]
    px = r_body[0] - r[0]
    py = r_body[1] - r[1]
    pz = r_body[2] - r[2]
    ds = math.sqrt(sx * sx + sy * sy + sz * sz)
    dp = math.sqrt(px * px + py * py + pz * pz)
    if dp <= body_radius:
        return 0.0
    a = math.asin(min(1.0, SUN_RADIUS_KM / ds))
    b = math.asin(body_radius / dp)
    cosc = (sx * px + sy * py + sz * pz) / (ds * dp)
    c = math.acos(min(1.0, max(-1.0, cosc)))
    return 1.0 - disk_overlap_fraction(a, b, c)


@numba.njit(cache=True)
def _visible_fraction_many(r, r_sun, r_body, body_radius):
    nu = np.empty(r.shape[0])
    for i in range(r.shape[0]):
        nu[i] = sun_visible_fraction(r[i], r_sun[i], r_body[i], body_radius)
    return nu


def shadow(r, r_sun, r_body, body_radius_km):
    """Vectorized shadow of one body: (visible fraction ν (N,), separations (N, 3)).

    Returns ν and the columns (c, a, b) [rad]: centre separation, apparent solar radius,
    apparent body radius, from which event functions are built:
    penumbra or umbra  ⇔  c < a + b;  umbra ⇔ c < b − a.
    """
    r = np.ascontiguousarray(np.atleast_2d(r), float)
    r_sun = np.ascontiguousarray(np.broadcast_to(r_sun, r.shape), float)
    r_body = np.ascontiguousarray(np.broadcast_to(r_body, r.shape), float)
    nu = _visible_fraction_many(r, r_sun, r_body, float(body_radius_km))
    s = r_sun - r
    p = r_body - r
    ds = np.linalg.norm(s, axis=1)
    dp = np.linalg.norm(p, axis=1)
    a = np.arcsin(np.minimum(1.0, SUN_RADIUS_KM / ds))
    b = np.arcsin(np.minimum(1.0, body_radius_km / dp))
    c = np.arccos(np.clip(np.einsum("ij,ij->i", s, p) / (ds * dp), -1.0, 1.0))
    return nu, np.stack([c, a, b], axis=1)
