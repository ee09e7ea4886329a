"""Ephemerides and frames against SPICE reading the same kernels (DE440, DE421 lunar PCK,
moon_080317.tf, ITRF93 high-precision EOP), on 1000 random epochs.

Figures (DEVELOPERS issue 2): ≤ 1 m and ≤ 1 mm/s for every pair and frame.
"""

import numpy as np
import pytest
from spice_kernels import furnish, itrf93_coverage

from lunarscope import time as lt
from lunarscope.sites import EarthStation, LunarSite
from lunarscope.sources import Sources
from lunarscope.states import relative_state

ONE_METRE_KM = 1e-3
ONE_MM_S_KM_S = 1e-6
N_EPOCHS = 1000
#: Last date with observed (not predicted) Earth orientation in both EOP sources we ship/test.
OBSERVED_EOP_END = "2026-10-01"
#: Rotation-matrix agreement with SPICE: 1e-11 rad is 4 mm at the Earth-Moon distance.
ROTATION_TOL = 1e-11
FRAMES = [("ICRF", "J2000"), ("MOON_PA", "MOON_PA"), ("MOON_ME", "MOON_ME")]
TIEN_SHAN = EarthStation("Tien-Shan", 43.0576, 76.9715, 2.735)
SOUTH_POLE_SITE = LunarSite("ILRS south pole", -88.74, 124.5, 0.5)


def _epochs(start, stop, seed):
    return np.random.default_rng(seed).uniform(lt.to_tdb(start), lt.to_tdb(stop), N_EPOCHS)


def _spice_site_state(site_frame, site_pos, body, observer, frame, t):
    sp = furnish()
    out = np.empty((t.size, 6))
    for k, tk in enumerate(t):
        body_state = np.array(sp.spkezr(body, tk, frame, "NONE", observer)[0])
        out[k] = body_state + np.array(sp.sxform(site_frame, frame, tk)) @ np.r_[site_pos, 0.0, 0.0, 0.0]
    return out


def _report(label, ours, ref):
    dp = np.linalg.norm(ours[:, :3] - ref[:, :3], axis=1).max()
    dv = np.linalg.norm(ours[:, 3:] - ref[:, 3:], axis=1).max()
    print(f"{label}: max |dr| = {dp * 1e3:.3e} m, max |dv| = {dv * 1e6:.3e} mm/s")
    assert dp <= ONE_METRE_KM and dv <= ONE_MM_S_KM_S


@pytest.mark.parametrize("target,observer", [("moon", "earth"), ("sun", "moon")])
@pytest.mark.parametrize("frame,spice_frame", FRAMES)
def test_bodies(target, observer, frame, spice_frame):
    sp = furnish()
    t = _epochs("1990-01-01", "2049-12-31", 1)
    ref = np.array([sp.spkezr(target.upper(), tk, spice_frame, "NONE", observer.upper())[0] for tk in t])
    _report(f"{target} wrt {observer} {frame}", relative_state(target, observer, t, frame), ref)


@pytest.mark.parametrize("frame,spice_frame", FRAMES)
def test_lunar_site_wrt_earth(frame, spice_frame):
    t = _epochs("1990-01-01", "2049-12-31", 2)
    ref = _spice_site_state("MOON_ME", SOUTH_POLE_SITE.position_body_km, "MOON", "EARTH", spice_frame, t)
    _report(f"lunar site wrt earth {frame}", relative_state(SOUTH_POLE_SITE, "earth", t, frame), ref)


@pytest.mark.parametrize("frame,spice_frame", FRAMES)
def test_earth_station_wrt_moon(frame, spice_frame):
    """Earth orientation from SPICE ITRF93 (high-precision EOP kernel) where both it and the
    IERS table of astropy-iers-data hold observed (not predicted) values."""
    lo, hi = itrf93_coverage()
    hi = min(hi, lt.to_tdb(OBSERVED_EOP_END))
    t = np.random.default_rng(3).uniform(lo + 86400.0, hi, N_EPOCHS)
    ref = _spice_site_state("ITRF93", TIEN_SHAN.position_body_km, "EARTH", "MOON", spice_frame, t)
    _report(f"Earth station wrt moon {frame}", relative_state(TIEN_SHAN, "moon", t, frame), ref)


def test_earth_station_against_astropy():
    """Earth stations against astropy's EarthLocation.get_gcrs over the IERS table span."""
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    t = _epochs("1990-01-01", "2026-06-01", 4)[:300]
    loc = EarthLocation.from_geodetic(TIEN_SHAN.lon_deg, TIEN_SHAN.lat_deg, TIEN_SHAN.height_km * 1e3)
    gcrs = loc.get_gcrs(Time(*lt._split(t), format="jd", scale="tdb"))
    ref = gcrs.cartesian.xyz.to("km").value.T
    ours = TIEN_SHAN.state_icrf(t)[:, :3]
    err = np.linalg.norm(ours - ref, axis=1).max()
    print(f"Earth station vs astropy EarthLocation: max {err * 1e3:.3f} m")
    assert err <= ONE_METRE_KM


def test_frame_rotations_match_spice():
    sp = furnish()
    t = _epochs("1990-01-01", "2049-12-31", 5)[:200]
    from lunarscope import frames

    for frame in ("MOON_PA", "MOON_ME"):
        m = frames.state_transform(frame, t, Sources.default().moon_pck)
        ref = np.array([sp.sxform("J2000", frame, tk) for tk in t])
        assert np.abs(m[:, :3, :3] - ref[:, :3, :3]).max() < ROTATION_TOL
        assert np.abs(m[:, 3:, :3] - ref[:, 3:, :3]).max() < ROTATION_TOL * 1e-5


def test_light_time_corrected_states_match_spice_converged_lt():
    """Our LT iterates light time to convergence: SPICE's 'CN' correction."""
    sp = furnish()
    t = _epochs("1990-01-01", "2049-12-31", 6)[:300]
    for target, observer in (("sun", "moon"), ("earth", "moon"), ("jupiter", "earth")):
        ref = np.array(
            [
                sp.spkezr(
                    target.upper() if target != "jupiter" else "JUPITER BARYCENTER", tk, "J2000", "CN", observer.upper()
                )[0]
                for tk in t
            ]
        )
        _report(f"{target} wrt {observer} LT", relative_state(target, observer, t, aberration="LT"), ref)
