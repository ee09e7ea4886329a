"""Propagator features: impulsive maneuvers (RTN and ICRF), the impact event, trajectory
interpolation and frames, mean elements."""

import numpy as np
import pytest

from lunarscope import frames
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import Maneuver, propagate
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import cartesian_to_keplerian, keplerian_to_cartesian
from lunarscope.sources import Sources

T0 = 946728069.183926  # 2030-01-01T00:00:00Z in TDB seconds
FIELD = builtin_field("GRGM1200A")
SOURCES = Sources.default()
GM = FIELD.gm_km3_s2
ONE_MM_KM = 1e-6


def _two_body():
    return ForceModel(
        FIELD.truncated(0, 0), "MOON_PA", (), srp=False, ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck
    )


def _circular(r_km):
    return np.asarray(keplerian_to_cartesian(r_km, 0.0, np.radians(60.0), 0.3, 0.0, 0.0, GM), float).reshape(6)


def test_tangential_burn_matches_vis_viva_and_split_arcs():
    s0 = _circular(2000.0)
    dv = 0.050  # km/s along-track
    tb = T0 + 1800.0
    res = propagate(
        s0, T0, T0 + 7200.0, _two_body(), maneuvers=[Maneuver(tb, (0.0, dv, 0.0), "RTN")], rtol=1e-13, atol_km=1e-10
    )
    before = res.trajectory.state([tb - 1e-3])[0]
    after = res.trajectory.state([tb])[0]  # right-continuous: post-burn at the burn epoch
    assert np.linalg.norm(after[3:] - before[3:]) == pytest.approx(dv, abs=1e-8)
    v_after = np.linalg.norm(before[3:]) + dv
    a_expected = 1.0 / (2.0 / 2000.0 - v_after**2 / GM)
    a = cartesian_to_keplerian(res.trajectory.state([T0 + 5000.0])[0], GM)[0]
    assert a == pytest.approx(a_expected, rel=1e-9)
    # same as propagating to the burn, adding the Δv in ICRF, propagating on
    first = propagate(s0, T0, tb, _two_body(), rtol=1e-13, atol_km=1e-10).trajectory.state([tb])[0]
    burn = Maneuver(tb, tuple(after[3:] - before[3:]), "ICRF")
    second = propagate(first, tb, T0 + 7200.0, _two_body(), maneuvers=[burn], rtol=1e-13, atol_km=1e-10)
    assert np.allclose(second.trajectory.state([T0 + 7200.0]), res.trajectory.state([T0 + 7200.0]), atol=1e-6)


def test_impact_event_reports_time_and_stops():
    # periapsis 20 km below the sphere: impact on the way down, analytic time from Kepler
    r_a, r_p = 1837.4, 1717.4
    a, e = 0.5 * (r_a + r_p), (r_a - r_p) / (r_a + r_p)
    s0 = np.asarray(keplerian_to_cartesian(a, e, np.radians(90.0), 0.0, 0.0, np.pi, GM), float).reshape(6)
    res = propagate(s0, T0, T0 + 86400.0, _two_body(), impact_altitude_km=0.0)
    assert res.impact_time is not None and res.trajectory.t_stop == res.impact_time
    r_hit = np.linalg.norm(res.trajectory.state([res.impact_time])[0, :3])
    assert r_hit == pytest.approx(1737.4, abs=1e-4)
    # analytic (Kepler): from apoapsis (M = π) inward to r = 1737.4 km at ν = 2π − ν1
    nu1 = np.arccos((a * (1 - e * e) / 1737.4 - 1.0) / e)
    E1 = 2 * np.arctan(np.sqrt((1 - e) / (1 + e)) * np.tan(nu1 / 2))
    M1 = E1 - e * np.sin(E1)
    t_hit = (np.pi - M1) / np.sqrt(GM / a**3)  # (2π − M1) − π
    assert res.impact_time - T0 == pytest.approx(t_hit, abs=1e-3)


def test_trajectory_frames_and_mean_elements():
    s0 = _circular(1837.4)
    traj = propagate(s0, T0, T0 + 6 * 3600.0, _two_body(), rtol=1e-12).trajectory
    t = np.linspace(T0, T0 + 6 * 3600.0, 17)
    me = traj.state_in("MOON_ME", t, SOURCES)
    ref = frames.to_frame(traj.state(t), "MOON_ME", t, SOURCES.moon_pck)
    assert np.abs(me - ref).max() < 1e-12
    tm, mean = traj.mean_elements(GM, 60.0)
    ok = ~np.isnan(mean[:, 0])
    assert ok.sum() > 10 and np.allclose(mean[ok, 0], 1837.4, atol=1e-6)
