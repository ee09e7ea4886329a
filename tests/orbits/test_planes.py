"""Tests of lunarscope.orbits.planes (reference planes, mean eccentricity-vector history).

Independent references: NAIF SPICE (spiceypy ``pxform`` J2000 -> MOON_ME with the DE421
frame kernel, ``oscltx``; ``spkezr`` for the Moon's geocentric orbit), and an analytic
two-body (Kepler-equation) trajectory.
"""

import math

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.orbits.planes import (
    PLANES,
    check_plane,
    eccentricity_vector_history,
    elements_in_plane,
    plane_rotation,
)
from lunarscope.sources import Sources
from lunarscope.time import to_tdb
from lunarscope.trajectory import Trajectory

GM_MOON = 4902.80011526323  # km^3/s^2
INC_TOL_RAD = 1e-8  # inclination agreement with SPICE (same kernels), rad
EVEC_CONST_TOL = 1e-9  # spread of the mean e-vector of a two-body orbit in ICRF (dimensionless)
#: Angle between the lunar equator and the Earth-Moon orbit plane: 6.68 deg (Cassini's laws)
#: varying by about +-0.15 deg with the Moon's orbit perturbations.
EQUATOR_TO_ORBIT_DEG = (6.5, 6.9)


@pytest.fixture(scope="module")
def src():
    return Sources.default()


def _kepler_states(t, t0, a, e, i, raan, argp):
    """Two-body states at t (analytic: Kepler's equation by Newton iteration)."""
    n = math.sqrt(GM_MOON / a**3)
    m = n * (np.asarray(t) - t0)
    ea = m.copy()
    for _ in range(30):
        ea -= (ea - e * np.sin(ea) - m) / (1.0 - e * np.cos(ea))
    ta = 2.0 * np.arctan2(math.sqrt(1 + e) * np.sin(ea / 2), math.sqrt(1 - e) * np.cos(ea / 2))
    return keplerian_to_cartesian(a, e, i, raan, argp, ta, GM_MOON)


def test_check_plane():
    assert check_plane("earth-moon") == "EARTH_MOON"
    assert set(PLANES) == {"MOON_ME", "EARTH_MOON", "ICRF"}
    with pytest.raises(InputError, match="plane.*MOON_ME, EARTH_MOON, ICRF"):
        check_plane("ecliptic")


def test_planes_need_explicit_sources():
    with pytest.raises(TypeError, match="pck"):
        plane_rotation("MOON_ME", [0.0])
    with pytest.raises(TypeError, match="ephemeris"):
        plane_rotation("EARTH_MOON", [0.0])


def test_two_body_mean_evector_is_constant(src):
    t0 = to_tdb(["2030-01-01T00:00:00Z"])[0]
    a, e = 1900.0, 0.05
    t = t0 + np.arange(0.0, 3 * 86400.0, 30.0)
    s = _kepler_states(t, t0, a, e, math.radians(60), 0.3, math.radians(90))
    h = eccentricity_vector_history(t, s, GM_MOON, "ICRF")
    ok = np.isfinite(h.ex)
    assert ok.sum() > 0.8 * t.size
    assert np.ptp(h.ex[ok]) < EVEC_CONST_TOL and np.ptp(h.ey[ok]) < EVEC_CONST_TOL
    assert np.allclose(h.e[ok], e, atol=1e-9)
    assert np.allclose(h.argp_deg[ok], 90.0, atol=1e-6)
    assert np.allclose(h.periapsis_alt_km[ok], a * (1 - e) - 1737.4, atol=1e-5)
    # the lunar equator hardly moves in 3 days: the e-vector there is constant to ~1e-5
    hm = eccentricity_vector_history(t, s, GM_MOON, "MOON_ME", pck=src.moon_pck)
    assert np.ptp(hm.ex[ok]) < 1e-4 and np.ptp(hm.ey[ok]) < 1e-4
    assert np.allclose(hm.e[ok], e, atol=1e-9)  # |e| does not depend on the plane


def test_trajectory_eccentricity_history(src):
    t0 = to_tdb(["2030-01-01T00:00:00Z"])[0]
    t = t0 + np.arange(0.0, 86400.0, 20.0)
    traj = Trajectory.from_table(t, _kepler_states(t, t0, 2000.0, 0.02, 1.0, 0.0, 0.5))
    h = traj.eccentricity_history(GM_MOON, "EARTH_MOON", ephemeris=src.ephemeris, step_s=60.0)
    assert h.plane == "EARTH_MOON" and np.nanmax(np.abs(h.e - 0.02)) < 1e-6


def test_inclination_between_planes_and_against_spice(src):
    """An orbit in the lunar equator is inclined ~6.7 deg to the Earth-Moon orbit plane; both
    inclinations agree with SPICE (pxform + oscltx; the Moon's orbit normal from spkezr)."""
    from spice_kernels import furnish

    sp = furnish()
    t0 = float(to_tdb(["2030-01-01T00:00:00Z"])[0])
    # a state in the MOON_ME equatorial plane at t0 (i = 0 there), rotated to ICRF
    r_me = plane_rotation("MOON_ME", [t0], src.moon_pck)[0]
    s_plane = keplerian_to_cartesian(1837.4, 0.01, 0.0, 0.0, 0.0, 0.7, GM_MOON)
    s_icrf = np.concatenate([r_me.T @ s_plane[:3], r_me.T @ s_plane[3:]])
    el_me = elements_in_plane([t0], s_icrf[None], GM_MOON, "MOON_ME", pck=src.moon_pck)[0]
    el_em = elements_in_plane([t0], s_icrf[None], GM_MOON, "EARTH_MOON", ephemeris=src.ephemeris)[0]
    el_icrf = elements_in_plane([t0], s_icrf[None], GM_MOON, "ICRF")[0]
    assert el_me[2] < 1e-9
    assert EQUATOR_TO_ORBIT_DEG[0] < math.degrees(el_em[2]) < EQUATOR_TO_ORBIT_DEG[1]
    # SPICE: J2000 -> MOON_ME rotation, oscltx inclination (tilt the orbit so i is well defined)
    s2 = keplerian_to_cartesian(1837.4, 0.01, math.radians(40.0), 1.0, 0.5, 0.7, GM_MOON)
    s2_icrf = np.concatenate([r_me.T @ s2[:3], r_me.T @ s2[3:]])
    rot = np.array(sp.pxform("J2000", "MOON_ME", t0))
    ref_me = sp.oscltx(np.concatenate([rot @ s2_icrf[:3], rot @ s2_icrf[3:]]), t0, GM_MOON)
    mine_me = elements_in_plane([t0], s2_icrf[None], GM_MOON, "MOON_ME", pck=src.moon_pck)[0]
    assert abs(mine_me[2] - ref_me[2]) < INC_TOL_RAD
    assert abs(mine_me[4] - ref_me[4]) < 1e-7  # argp from the node on the lunar equator
    # Earth-Moon plane: inclination = angle between the orbit normal and the Moon's orbit normal
    moon, _ = sp.spkezr("MOON", t0, "J2000", "NONE", "EARTH")
    hm = np.cross(moon[:3], moon[3:])
    hs = np.cross(s2_icrf[:3], s2_icrf[3:])
    ref_em = math.acos(np.dot(hm, hs) / np.linalg.norm(hm) / np.linalg.norm(hs))
    mine_em = elements_in_plane([t0], s2_icrf[None], GM_MOON, "EARTH_MOON", ephemeris=src.ephemeris)[0]
    assert abs(mine_em[2] - ref_em) < INC_TOL_RAD
    assert abs(el_icrf[2] - el_me[2]) > math.radians(1)  # the planes really differ
