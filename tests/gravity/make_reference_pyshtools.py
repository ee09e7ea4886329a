"""Generate pyshtools reference accelerations for the gravity kernel tests.

Run from the repository root (needs pyshtools, a test-only dependency; ~1-2 minutes):

    python tests/gravity/make_reference_pyshtools.py

Writes tests/gravity/data/pyshtools_reference.npz with, for each case
(``grgm70``: shipped GRGM1200A to degree 70; ``syn600``, ``syn1200``: synthetic fields
from gravity_synthetic.py):

* ``<case>_points``  (N, 3) body-fixed positions, km
* ``<case>_accel``   (N, 3) accelerations, km/s^2, from pyshtools.gravmag.MakeGravGridPoint
* ``<case>_pole_points`` / ``<case>_pole_accel``: exact +z / -z points. pyshtools' point
  routine cannot evaluate at |z| = r (PlmBar_d1 aborts at cos(theta) = +-1) and its grids
  set the horizontal components to zero there, so the reference is obtained by rotating
  the *field* with pyshtools (SHCoeffs.rotate(0, 90, 0, body=True) moves +z to +x) and
  evaluating the rotated field on the equator, then rotating the vector back.
* ``grgm70_pot_points`` / ``grgm70_pot``: potentials (km^2/s^2) from
  pyshtools.expand.MakeGridPoint applied to (GM/r)(R/r)^n C_nm.

Conventions: pyshtools takes SI units and latitude/longitude in degrees and returns
(g_r, g_theta, g_phi) = grad V with V = GM/r sum (R/r)^n C Y (theta = colatitude).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyshtools as pysh

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gravity_synthetic import synthetic_field  # noqa: E402

from lunarscope.gravity import builtin_field  # noqa: E402

OUT = HERE / "data" / "pyshtools_reference.npz"
R_MIN_KM = 1738.0
R_MAX_KM = 20000.0

# Q maps a position before the pyshtools rotation (0, 90, 0, body=True) to after it:
# +z -> +x, x -> -z (rotation by +90 deg about y; checked numerically when writing this script).
Q_ROT = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])


def random_points(n: int, seed: int, r_min=R_MIN_KM, r_max=R_MAX_KM) -> np.ndarray:
    """Points with uniform directions and radii uniform in [r_min, r_max] (plus r = R)."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    r = rng.uniform(r_min, r_max, size=n)
    r[:2] = R_MIN_KM  # always include the reference sphere
    return v * r[:, None]


def pysh_accel(cilm: np.ndarray, gm: float, radius: float, p: np.ndarray) -> np.ndarray:
    """pyshtools acceleration (km/s^2) at body-fixed p (km), Cartesian components."""
    r = float(np.linalg.norm(p))
    lat = np.degrees(np.arcsin(p[2] / r))
    lon = np.degrees(np.arctan2(p[1], p[0]))
    g = pysh.gravmag.MakeGravGridPoint(cilm, gm * 1e9, radius * 1e3, r * 1e3, lat, lon) / 1e3
    th = np.radians(90.0 - lat)
    ph = np.radians(lon)
    e_r = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    e_t = np.array([np.cos(th) * np.cos(ph), np.cos(th) * np.sin(ph), -np.sin(th)])
    e_p = np.array([-np.sin(ph), np.cos(ph), 0.0])
    return g[0] * e_r + g[1] * e_t + g[2] * e_p


def pysh_pole_accel(field, radii) -> tuple[np.ndarray, np.ndarray]:
    """Reference accelerations at (0, 0, +-r) via a pyshtools rotation of the field."""
    coeffs = pysh.SHCoeffs.from_array(np.array([field.C, field.S]), normalization="4pi", csphase=1)
    rot = coeffs.rotate(0.0, 90.0, 0.0, degrees=True, body=True).to_array(normalization="4pi", csphase=1)
    pts, acc = [], []
    for r in radii:
        for sign in (1.0, -1.0):
            p = np.array([0.0, 0.0, sign * r])
            b = pysh_accel(rot, field.gm_km3_s2, field.radius_km, Q_ROT @ p)
            pts.append(p)
            acc.append(Q_ROT.T @ b)
    return np.array(pts), np.array(acc)


def pysh_potential(field, p: np.ndarray) -> float:
    """Potential (km^2/s^2) at p (km) from pyshtools.expand.MakeGridPoint."""
    r = float(np.linalg.norm(p))
    lat = np.degrees(np.arcsin(p[2] / r))
    lon = np.degrees(np.arctan2(p[1], p[0]))
    n = np.arange(field.degree_max + 1)[:, None]
    scale = (field.gm_km3_s2 / r) * (field.radius_km / r) ** n
    cilm = np.array([field.C * scale, field.S * scale])
    return float(pysh.expand.MakeGridPoint(cilm, lat, lon, norm=1, csphase=1))


def cases():
    return {
        "grgm70": (builtin_field("GRGM1200A"), random_points(40, 1), (R_MIN_KM, 5000.0, R_MAX_KM)),
        "syn600": (synthetic_field(600), random_points(16, 2), (R_MIN_KM, 2500.0)),
        "syn1200": (synthetic_field(1200), random_points(4, 3, r_max=1800.0), (R_MIN_KM,)),
    }


def main() -> None:
    out = {}
    for name, (field, pts, pole_radii) in cases().items():
        cilm = np.array([field.C, field.S])
        out[f"{name}_points"] = pts
        out[f"{name}_accel"] = np.array([pysh_accel(cilm, field.gm_km3_s2, field.radius_km, p) for p in pts])
        pp, pa = pysh_pole_accel(field, pole_radii)
        out[f"{name}_pole_points"] = pp
        out[f"{name}_pole_accel"] = pa
        out[f"{name}_coef_checksum"] = np.array([np.sum(np.abs(field.C)), np.sum(np.abs(field.S))])
        print(f"{name}: {len(pts)} points + {len(pp)} pole points")
    field = builtin_field("GRGM1200A")
    pot_pts = random_points(10, 4)
    out["grgm70_pot_points"] = pot_pts
    out["grgm70_pot"] = np.array([pysh_potential(field, p) for p in pot_pts])
    out["pyshtools_version"] = np.array(pysh.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
