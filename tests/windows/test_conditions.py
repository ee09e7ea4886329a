"""Geometry primitives, condition rate bounds, shadows against geometry.shadow, mission sections."""

import copy
import math
import os

import numpy as np
import pytest
import yaml

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.errors import InputError
from lunarscope.geometry.angles import (
    apparent_radius,
    elevation_azimuth,
    interp_mask,
    limb_angle,
    radec_to_unit,
    segment_sphere_clearance,
    separation,
    separation_many,
)
from lunarscope.geometry.shadow import shadow
from lunarscope.mission.core import mission_from_dict
from lunarscope.sources import Sources
from lunarscope.trajectory import Trajectory
from lunarscope.windows import find_windows
from lunarscope.windows.conditions import (
    SiteGeometry,
    StationGeometry,
    TargetConstraints,
    _Mask,
    contact_condition,
    shadow_condition,
    site_earth_visible,
    site_pass,
    site_sunlit,
    user_condition,
)
from lunarscope.windows.scene import Scene

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "windows")
#: Rounding allowance for angles computed by two formulas, rad.
ANGLE_ATOL = 1e-12
ONE_MS = 1e-3


# ---------------------------------------------------------------- a Keplerian test trajectory
def kepler_trajectory(t0, days, a_km=1837.4, e=0.0, inc_deg=90.0, step_s=20.0):
    """Two-body orbit about the Moon (closed form, Kepler's equation by Newton)."""
    gm = 4902.800118
    t = t0 + np.arange(0.0, days * 86400 + step_s, step_s)
    n = math.sqrt(gm / a_km**3)
    m = n * (t - t0)
    ecc = m.copy()
    for _ in range(30):
        ecc = ecc - (ecc - e * np.sin(ecc) - m) / (1 - e * np.cos(ecc))
    x = a_km * (np.cos(ecc) - e)
    y = a_km * math.sqrt(1 - e * e) * np.sin(ecc)
    edot = n / (1 - e * np.cos(ecc))
    vx = -a_km * np.sin(ecc) * edot
    vy = a_km * math.sqrt(1 - e * e) * np.cos(ecc) * edot
    ci, si = math.cos(math.radians(inc_deg)), math.sin(math.radians(inc_deg))
    pos = np.stack([x, y * ci, y * si], axis=1)
    vel = np.stack([vx, vy * ci, vy * si], axis=1)
    return Trajectory.from_table(t, np.hstack([pos, vel]), degree=9)


T0 = 8.256e8  # 2026-02-28 (TDB s past J2000)
SOURCES = Sources.default()


@pytest.fixture(scope="module")
def scene_low():
    return Scene(kepler_trajectory(T0, 1.0), SOURCES.ephemeris, SOURCES.moon_pck)


@pytest.fixture(scope="module")
def scene_elfo():
    return Scene(kepler_trajectory(T0, 1.0, a_km=6541.4, e=0.6, inc_deg=56.2), SOURCES.ephemeris, SOURCES.moon_pck)


# ---------------------------------------------------------------- primitives
def test_separation_and_many_agree_with_acos_away_from_poles():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(200, 3))
    b = rng.normal(size=(200, 3))
    ua = a / np.linalg.norm(a, axis=1)[:, None]
    ub = b / np.linalg.norm(b, axis=1)[:, None]
    ref = np.arccos(np.clip(np.sum(ua * ub, axis=1), -1, 1))
    ok = (ref > 1e-3) & (ref < np.pi - 1e-3)
    np.testing.assert_allclose(separation(a, b)[ok], ref[ok], atol=1e-12)
    full = separation_many(ua[:5], ub)
    np.testing.assert_allclose(full, separation(ua[:5, None, :], ub[None, :, :]), atol=1e-7)
    # tiny angles stay accurate with the atan2 form
    tiny = 1e-9
    assert abs(separation([1, 0, 0], [math.cos(tiny), math.sin(tiny), 0]) - tiny) < 1e-20


def test_apparent_radius_limb_and_elevation():
    assert apparent_radius(1.0, 2.0) == pytest.approx(math.pi / 6)
    assert apparent_radius(2.0, 1.0) == pytest.approx(math.pi / 2)
    # direction 90 deg away from a body at distance 2R: limb angle 90 - 30 deg
    assert limb_angle(np.array([0, 1.0, 0]), np.array([2.0, 0, 0]), 1.0) == pytest.approx(math.pi / 3)
    el, az = elevation_azimuth(np.array([[1.0, 0, 0], [0, 1.0, 1.0], [-1.0, 0, -1.0]]))
    np.testing.assert_allclose(np.degrees(el), [0, 45, -45], atol=1e-12)
    np.testing.assert_allclose(np.degrees(az), [90, 0, 270], atol=1e-12)


def test_segment_sphere_clearance_against_sampling():
    rng = np.random.default_rng(2)
    p = rng.uniform(-3, 3, size=(300, 3))
    q = rng.uniform(-3, 3, size=(300, 3))
    s = np.linspace(0, 1, 20001)
    pts = p[:, None, :] + s[None, :, None] * (q - p)[:, None, :]
    brute = np.linalg.norm(pts, axis=2).min(axis=1) - 1.0
    got = segment_sphere_clearance(p, q, np.zeros(3), 1.0)
    np.testing.assert_allclose(got, brute, atol=1e-6)


def test_radec_and_mask_interpolation():
    np.testing.assert_allclose(radec_to_unit([0, 90], [0, 0]), [[1, 0, 0], [0, 1, 0]], atol=1e-15)
    az = np.radians([0, 45, 350, 359.99])
    m = interp_mask(az, np.array([0.0, 90.0, 180.0, 270.0]), np.array([8.0, 12.0, 20.0, 5.0]))
    np.testing.assert_allclose(np.degrees(m), [8, 10, 5 + 3 * 80 / 90, 5 + 3 * 89.99 / 90], atol=1e-9)


def test_mask_blend_keeps_the_sign():
    mask = _Mask(table=[(0.0, 8.0), (90.0, 12.0), (180.0, 40.0), (270.0, -5.0)])
    rng = np.random.default_rng(3)
    el = rng.uniform(-np.pi / 2, np.pi / 2, 200000)
    az = rng.uniform(0, 2 * np.pi, el.size)
    truth = el - interp_mask(az, mask.az, mask.el)
    g = mask.g(el, az)
    assert np.array_equal(g >= 0, truth >= 0)
    band = (el > mask.lo) & (el < mask.hi)
    np.testing.assert_allclose(g[band], truth[band], atol=1e-15)


# ---------------------------------------------------------------- scene
def test_scene_caches_per_time_array_and_light_time(scene_low):
    t = T0 + np.linspace(0, 3600, 7)
    s1 = scene_low.at(t)
    n = scene_low.evaluations
    assert scene_low.at(t.copy()) is s1 and scene_low.evaluations == n
    assert scene_low.at(t + 1.0) is not s1
    from lunarscope.states import relative_state

    lt_scene = Scene(scene_low.trajectory, SOURCES.ephemeris, SOURCES.moon_pck, light_time=True)
    snap = lt_scene.at(t)
    # independent: lunarscope.states light-time Sun seen from the Moon centre; the spacecraft
    # is 1837 km from it, so the light time differs by < 1837/c = 6 ms -> < 200 m of Sun motion
    sun_lt = relative_state("sun", "moon", t, aberration="LT")[:, :3]
    assert np.max(np.linalg.norm(snap.sun - sun_lt, axis=1)) < 0.2
    # the Sun moves ~12 m/s about the barycentre: ~6 km in the 500 s light time
    assert np.min(np.linalg.norm(snap.sun - s1.sun, axis=1)) > 1.0


# ---------------------------------------------------------------- rate bounds hold
def _max_rate(cond, t0, t1, step=0.5):
    t = np.arange(t0, t1, step)
    g = np.atleast_2d(cond(t))
    return np.max(np.abs(np.diff(g, axis=1)), axis=1) / step


def _conditions(scene):
    t0, t1 = T0, T0 + 86400.0
    st = StationGeometry(
        __import__("lunarscope.sites", fromlist=["EarthStation"]).EarthStation("Kashi", 39.5, 76.0, 1.3),
        mask_table=[(0, 8), (90, 12), (180, 20), (270, 5)],
        max_range_km=4.2e5,
    )
    sg = SiteGeometry(
        __import__("lunarscope.sites", fromlist=["LunarSite"]).LunarSite("sp", -88.74, 124.5, 0.0), 2.0, 0.0
    )
    u = radec_to_unit(np.linspace(0, 330, 12), np.linspace(-80, 80, 12))
    tc = TargetConstraints(scene, u, math.radians(45), math.radians(20), math.radians(10), 100.0)
    out = [shadow_condition(scene, b, k, t0, t1) for b in ("moon", "earth") for k in ("umbra", "penumbra")]
    out += [
        contact_condition(scene, st, t0, t1),
        site_pass(scene, sg, t0, t1),
        site_sunlit(scene, sg, t0, t1),
        site_earth_visible(scene, sg, t0, t1),
        tc.condition(t0, t1, True),
        tc.condition(t0, t1, False),
    ]
    return out


@pytest.mark.parametrize("which", ["scene_low", "scene_elfo"])
def test_rate_bounds_hold(which, request):
    scene = request.getfixturevalue(which)
    for cond in _conditions(scene):
        bound = np.atleast_1d(cond.rate_bound)
        seen = _max_rate(cond, T0 + 10.0, T0 + 6 * 3600.0)
        assert np.all(seen <= bound), (cond.name, seen.max(), bound.max())
        # and the bound is not absurdly loose for the fast conditions (useful skipping)
        assert bound.max() < 0.1, cond.name


def test_g_rows_equal_full_evaluation(scene_elfo):
    u = radec_to_unit(np.linspace(0, 350, 40), np.linspace(-89, 89, 40))
    tc = TargetConstraints(scene_elfo, u, 0.7, 0.3, 0.2, 100.0)
    cond = tc.condition(T0, T0 + 86400, True)
    t = T0 + np.linspace(0, 80000, 500)
    full = cond(t)
    rows = np.arange(500) % 40
    np.testing.assert_allclose(cond.eval_rows(t, rows), full[rows, np.arange(500)], atol=ANGLE_ATOL)
    # one target at a time gives the same as the vectorized pass
    one = TargetConstraints(scene_elfo, u[7:8], 0.7, 0.3, 0.2, 100.0).condition(T0, T0 + 86400)(t)
    np.testing.assert_allclose(one[0], full[7], atol=ANGLE_ATOL)


def test_shadow_windows_agree_with_visible_fraction(scene_low):
    t0, t1 = T0, T0 + 86400.0
    um = find_windows(shadow_condition(scene_low, "moon", "umbra", t0, t1), t0, t1, 1.0, 1e-4)
    pe = find_windows(shadow_condition(scene_low, "moon", "penumbra", t0, t1), t0, t1, 1.0, 1e-4)
    assert len(um) > 10 and len(pe) >= 2 * len(um) - 2
    assert (um & pe).total_duration == 0.0  # disjoint by definition
    t = np.arange(t0, t1, 0.25)
    snap = scene_low.at(t)
    nu, _ = shadow(snap.r, snap.sun, np.zeros(3), MOON_RADIUS_KM)  # lunarscope.geometry.shadow
    # away from the boundaries (1 ms), the windows say exactly what the visible fraction says
    near = np.zeros(t.size, bool)
    for w in (um, pe):
        for edge in np.r_[w.starts, w.stops]:
            near |= np.abs(t - edge) < ONE_MS
    in_um, in_pe = um.contains(t), pe.contains(t)
    assert np.all((nu[in_um & ~near]) == 0.0)
    assert np.all((nu[in_pe & ~near] > 0) & (nu[in_pe & ~near] < 1))
    out = ~in_um & ~in_pe & ~near
    assert np.all(nu[out] == 1.0)


def test_user_condition_with_finder():
    cond = user_condition(lambda t: np.sin(2 * np.pi * (t - T0) / 1000.0), rate_bound=2 * np.pi / 1000)
    w = find_windows(cond, T0, T0 + 3000, 10.0, 1e-6)
    np.testing.assert_allclose(w.starts, T0 + np.array([0, 1000, 2000]), atol=2e-6)
    np.testing.assert_allclose(w.stops, T0 + np.array([500, 1500, 2500]), atol=2e-6)
    with pytest.raises(InputError):
        user_condition(3)


# ---------------------------------------------------------------- mission sections
@pytest.fixture(scope="module")
def polar_raw():
    with open(os.path.join(DATA, "polar100.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "1 h"
    return raw


def test_sections_parse(polar_raw):
    m = mission_from_dict(copy.deepcopy(polar_raw), DATA)
    obs = m.observing
    assert [s.name for s in obs.stations] == ["Tien-Shan", "DSS-43", "Kashi"]
    assert obs.stations[0].downlink_mbps == 20 and obs.stations[1].max_range_km == 420000
    assert obs.stations[2].elevation_mask[0] == (0.0, 8.0) and len(obs.stations[2].elevation_mask) == 4
    assert obs.sites[0].horizon_mask_deg == 2
    assert obs.constraints.sun_exclusion_deg == 45 and obs.constraints.earth_atmosphere_km == 100
    assert obs.station("DSS-43").name == "DSS-43"
    with pytest.raises(InputError, match="unknown station"):
        obs.station("Goldstone")
    # proper motion: Sirius moves ~1.34 arcsec/yr; 26 yr from J2000 -> ~35 arcsec
    sirius = obs.targets[0]
    u0 = sirius.unit_vector(0.0)
    u26 = sirius.unit_vector(26 * 365.25 * 86400)
    moved = math.degrees(separation(u0, u26)) * 3600
    assert moved == pytest.approx(26 * math.hypot(546.01, 1223.07) / 1000, rel=1e-6)


def test_catalogue_targets(tmp_path, polar_raw):
    (tmp_path / "cat.csv").write_text(
        "# a comment\nname,ra_deg,dec_deg,vmag,priority\nA,10,20,5.5,high\nB,200,-30,7.1,low\n"
    )
    raw = copy.deepcopy(polar_raw)
    raw["targets"] = {"catalogue": "cat.csv"}
    t = mission_from_dict(raw, str(tmp_path)).observing.targets
    assert [x.name for x in t] == ["A", "B"] and t[1].dec_deg == -30
    assert t[0].extra == {"vmag": 5.5, "priority": "high"}
    from astropy.table import Table

    Table({"name": ["C"], "ra_deg": [1.0], "dec_deg": [2.0], "band": ["V"]}).write(
        tmp_path / "cat.ecsv", format="ascii.ecsv"
    )
    raw["targets"] = {"catalogue": "cat.ecsv"}
    t = mission_from_dict(raw, str(tmp_path)).observing.targets
    assert t[0].name == "C" and t[0].extra == {"band": "V"}


def _set(raw, path, value):
    node = raw
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


BAD = [
    (("targets", 1, "dec_deg"), 95.0, "targets[1].dec_deg"),
    (("targets", 2, "dec_deg"), -90.5, "targets[2].dec_deg"),
    (("targets", 0, "ra_deg"), "ten", "targets[0].ra_deg"),
    (("targets", 3, "name"), "Vega", "duplicate name"),
    (("stations", 1, "name"), "Tien-Shan", "stations[1].name"),
    (("sites", 0, "lat_deg"), -91.0, "sites[0].lat_deg"),
    (("sites", 0, "horizon_mask_deg"), 91.0, "sites[0].horizon_mask_deg"),
    (("stations", 0, "min_elevation_deg"), -95.0, "stations[0].min_elevation_deg"),
    (("stations", 2, "elevation_mask"), [[0, 8], [90, 95]], "stations[2].elevation_mask[1]"),
    (("stations", 2, "elevation_mask"), [[0, 8], [400, 5]], "stations[2].elevation_mask[1]"),
    (("stations", 2, "elevation_mask"), [[0, 8], [0, 5]], "stations[2].elevation_mask"),
    (("stations", 2, "elevation_mask"), [[0, 8], [360, 9]], "stations[2].elevation_mask"),
    (("stations", 2, "elevation_mask"), [[0, 8, 1]], "stations[2].elevation_mask[0]"),
    (("stations", 0, "max_range_km"), -1.0, "stations[0].max_range_km"),
    (("stations", 0, "antenna"), 34, "stations[0].antenna"),
    (("constraints", "sun_exclusion_deg"), 190, "constraints.sun_exclusion_deg"),
    (("constraints", "min_window_s"), 0, "constraints.min_window_s"),
    (("constraints", "tolerance_s"), 1e-9, "constraints.tolerance_s"),
    (("constraints", "moon_limb"), 10, "constraints.moon_limb"),
    (("windows",), {"stations": ["Goldstone"]}, "windows.stations[0]"),
    (("windows",), {"sites": ["north-pole"]}, "windows.sites[0]"),
    (("windows",), {"kinds": ["eclipse"]}, "windows.kinds[0]"),
    (("targets",), {"catalogue": "missing.csv"}, "targets.catalogue"),
    (("targets",), {"catalogue": "x.fits"}, "targets.catalogue"),
]


@pytest.mark.parametrize("path,value,key", BAD, ids=[b[2] + ":" + str(b[1])[:12] for b in BAD])
def test_bad_inputs_name_the_key(polar_raw, path, value, key):
    raw = copy.deepcopy(polar_raw)
    _set(raw, path, value)
    with pytest.raises(InputError) as exc:
        mission_from_dict(raw, DATA)
    assert key in str(exc.value)


def test_station_mask_and_min_elevation_exclusive(polar_raw):
    raw = copy.deepcopy(polar_raw)
    raw["stations"][2]["min_elevation_deg"] = 5
    with pytest.raises(InputError, match="stations\\[2\\]"):
        mission_from_dict(raw, DATA)
