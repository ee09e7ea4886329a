"""Explicit data sources: a mission's own SPK and lunar PCK reach propagation, windows and
products (issue 10, bug 1: windows used DE440 and the default PCK whatever the mission said),
lower layers refuse to run without a source, Sources pickle by path, impacts and escapes.

The test kernels are written here with spiceypy from the shipped ones, restricted to a few
weeks around the mission: ``shifted.bsp`` is DE440 with the Earth moved by EARTH_SHIFT_KM
(ICRF z; added to the constant Chebyshev term of Earth w.r.t. the EMB), ``rotated.bpc`` is the
DE421 lunar PA PCK with the third Euler angle ψ increased by DPSI_RAD (a rotation of the Moon
about its own pole: R_new = rot(δ, 3)·R_old, so a site at longitude λ behaves like a site at
λ + δ under the default PCK, up to the 1e-4 rad PA→ME offset).
"""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
from dataclasses import replace

import numpy as np
import pytest
import spiceypy as sp
import yaml
from jplephem.pck import PCK
from jplephem.spk import SPK

from lunarscope import frames
from lunarscope.chebyshev import ChebSegment
from lunarscope.cli.main import main
from lunarscope.errors import InputError
from lunarscope.mission import load_mission
from lunarscope.mission.run import propagate_mission
from lunarscope.mission.stages import mission_windows, window_job
from lunarscope.sites import LunarSite
from lunarscope.sources import Sources, default_moon_pck_path, default_spk_path
from lunarscope.windows.compute import SiteJob, WindowJob, compute_windows
from lunarscope.windows.scene import Scene

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "quick-look.yaml")
T0 = 946728069.183926  # 2030-01-01T00:00:00Z, TDB s
#: Kernel span written around the mission (s): the propagator slices ±2 d around its span.
KERNEL_MARGIN_S = 20 * 86400.0
EARTH_SHIFT_KM = np.array([0.0, 0.0, 20000.0])
DPSI_RAD = 0.01
#: Site-pass boundaries under the rotated PCK vs. the equivalent site under the default one:
#: the PA→ME offset (~4e-4 rad) makes the equivalence approximate at ~δ·4e-4·1737 km ≈ 7 m,
#: a few ms of pass time; 0.5 s leaves room for the finder tolerance.
SITE_EQUIVALENCE_S = 0.5
#: Elevation crossings found by bisection here vs. contact boundaries (s).
CROSSING_TOL_S = 0.05


def _records(seg, lo, hi):
    c = ChebSegment.from_jplephem(seg)
    k0 = int(np.floor((lo - c.init) / c.intlen))
    k1 = int(np.ceil((hi - c.init) / c.intlen))
    return np.array(c.coeffs[k0:k1], float), c.init + k0 * c.intlen, c.intlen


def write_shifted_spk(path, lo, hi, earth_shift_km):
    """DE440's Moon, Earth, EMB and Sun chains over [lo, hi], the Earth moved by a constant."""
    k = SPK.open(default_spk_path())
    h = sp.spkopn(str(path), "LUNARSCOPE TEST", 0)
    for seg in k.segments:
        if (seg.target, seg.center) not in ((301, 3), (399, 3), (3, 0), (10, 0)):
            continue
        co, b, dt = _records(seg, lo, hi)
        if seg.target == 399:
            co[:, :, 0] += np.asarray(earth_shift_km)
        n = co.shape[0]
        sp.spkw02(
            h, seg.target, seg.center, "J2000", b, b + n * dt, "shifted", dt, n, co.shape[2] - 1, co.reshape(-1), b
        )
    sp.spkcls(h)
    k.close()


def write_rotated_pck(path, lo, hi, dpsi_rad):
    """The DE421 PA PCK over [lo, hi] with ψ (third 3-1-3 angle) increased by ``dpsi_rad``."""
    p = PCK.open(default_moon_pck_path())
    co, b, dt = _records(p.segments[0], lo, hi)
    co[:, 2, 0] += dpsi_rad
    n = co.shape[0]
    h = sp.pckopn(str(path), "LUNARSCOPE TEST", 0)
    sp.pckw02(h, 31006, "J2000", b, b + n * dt, "rotated", dt, n, co.shape[2] - 1, co.reshape(-1), b)
    sp.pckcls(h)
    p.close()


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kernels")
    spk, pck = folder / "shifted.bsp", folder / "rotated.bpc"
    write_shifted_spk(spk, T0 - KERNEL_MARGIN_S, T0 + KERNEL_MARGIN_S, EARTH_SHIFT_KM)
    write_rotated_pck(pck, T0 - KERNEL_MARGIN_S, T0 + KERNEL_MARGIN_S, DPSI_RAD)
    return folder, str(spk), str(pck)


def _raw(**ephemeris):
    with open(EXAMPLE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "6 h"
    raw["targets"] = raw["targets"][:2]
    raw["sites"].append({"name": "mid", "lat_deg": 30.0, "lon_deg": 120.0, "height_km": 0.0})
    if ephemeris:
        raw["ephemeris"] = ephemeris
    return raw


def _mission(folder, name, **ephemeris):
    path = os.path.join(folder, f"{name}.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(_raw(**ephemeris), fh)
    return load_mission(path)


@pytest.fixture(scope="module")
def missions(kernels):
    folder, spk, pck = kernels
    return {
        "default": _mission(folder, "default"),
        "spk": _mission(folder, "spk", spk=spk),
        "pck": _mission(folder, "pck", moon_pck=pck),
        "both": _mission(folder, "both", spk=spk, moon_pck=pck),
    }


@pytest.fixture(scope="module")
def default_trajectory(missions):
    return propagate_mission(missions["default"]).trajectory


# ---------------------------------------------------------------- the sources themselves
def test_mission_sources_name_the_files(missions, kernels):
    _, spk, pck = kernels
    m = missions["both"]
    assert m.sources.spk_path == spk and m.sources.moon_pck_path == pck
    assert m.force_model.ephemeris is m.sources.ephemeris and m.force_model.moon_pck is m.sources.moon_pck
    text = m.sources.describe()
    assert spk in text and pck in text and "2029-12-" in text and "astropy-iers-data" in text
    assert "GRGM1200A 20x20" in text
    d = missions["default"].sources
    assert d.spk_path == default_spk_path() and d.moon_pck_path == default_moon_pck_path()


def test_sources_pickle_by_path_and_reopen(missions):
    s = missions["both"].sources
    blob = pickle.dumps(s)
    assert len(blob) < 200_000  # paths + a 20x20 field, not the kernels
    back = pickle.loads(blob)
    t = T0 + np.arange(4) * 600.0
    assert back.spk_path == s.spk_path and back.moon_pck == s.moon_pck
    assert np.array_equal(back.ephemeris.state("earth", "moon", t), s.ephemeris.state("earth", "moon", t))
    assert np.array_equal(back.moon_pck.angles(t), s.moon_pck.angles(t))
    assert np.array_equal(
        pickle.loads(pickle.dumps(s.ephemeris)).position("sun", "moon", t), s.ephemeris.position("sun", "moon", t)
    )


def test_test_kernels_differ_from_default_as_built(missions):
    t = T0 + np.arange(3) * 3600.0
    d, b = missions["default"].sources, missions["both"].sources
    de = b.ephemeris.position("earth", "moon", t) - d.ephemeris.position("earth", "moon", t)
    assert np.allclose(de, EARTH_SHIFT_KM, atol=1e-6)
    assert np.allclose(b.ephemeris.position("sun", "moon", t), d.ephemeris.position("sun", "moon", t), atol=1e-6)
    da = b.moon_pck.angles(t) - d.moon_pck.angles(t)
    assert np.allclose(da[:, 2], DPSI_RAD, atol=1e-12) and np.allclose(da[:, [0, 1, 3, 4, 5]], 0, atol=1e-12)


def test_lower_layers_refuse_to_run_without_a_source(default_trajectory, missions):
    t = np.array([T0])
    with pytest.raises(TypeError):
        frames.rotation("MOON_PA", t)
    with pytest.raises(TypeError):
        frames.to_frame(np.zeros((1, 6)), "MOON_ME", t)
    with pytest.raises(TypeError):
        default_trajectory.state_in("MOON_ME", t)
    with pytest.raises(TypeError):
        Scene(default_trajectory, None, None)
    with pytest.raises(TypeError):
        LunarSite("x", 0.0, 0.0, 0.0).state_icrf(t)
    fm = replace(missions["default"].force_model, ephemeris=None, moon_pck=None)
    with pytest.raises(TypeError):
        fm.args(T0, T0 + 60.0)
    with pytest.raises(TypeError):
        WindowJob(T0, T0 + 60.0, None, ("umbra",))
    with pytest.raises(TypeError):
        compute_windows(object(), default_trajectory)
    # the Python API's top-level default
    assert frames.rotation("ICRF", t).shape == (1, 3, 3)
    assert frames.rotation("MOON_PA", t, Sources.default()).shape == (1, 3, 3)


# ---------------------------------------------------------------- bug 1: windows use the mission's kernels
def test_windows_use_the_mission_pck(missions, default_trajectory):
    """Failed before: compute_windows read a non-existent ``moon_pck`` attribute and placed lunar
    sites with the default PCK. Under the rotated PCK the equator site passes like a site
    DPSI_RAD further east does under the default PCK (site at 30° N, 120° E: one ~1 h pass in
    the 6 h span)."""
    traj = default_trajectory
    rotated = compute_windows(replace(window_job(missions["pck"]), kinds=("site_pass",)), traj)
    default = compute_windows(replace(window_job(missions["default"]), kinds=("site_pass",)), traj)
    east = LunarSite("mid", 30.0, 120.0 + math.degrees(DPSI_RAD), 0.0)
    job = replace(window_job(missions["default"]), kinds=("site_pass",), sites=(SiteJob("mid", east),))
    equivalent = compute_windows(job, traj)[("site_pass", "mid")]
    mine, base = rotated[("site_pass", "mid")], default[("site_pass", "mid")]
    assert len(mine) == len(equivalent) == len(base) >= 1
    edges = [np.concatenate([w.starts, w.stops]) for w in (mine, equivalent, base)]
    inside = (edges[0] > traj.t_start + 1.0) & (edges[0] < traj.t_stop - 1.0)  # set by the pass
    assert inside.any()
    assert np.abs(edges[0] - edges[1])[inside].max() < SITE_EQUIVALENCE_S
    # and not the default: 0.57° of longitude at 30° N is ~15 km of ground
    assert np.abs(edges[0] - edges[2])[inside].min() > 1.0


def _elevation_crossings(sources, station, traj, t0, t1, min_el_deg):
    """Times where the station's elevation of the spacecraft crosses ``min_el_deg``, brute force:
    states from relative_state (the station w.r.t. the Moon through the given SPK), 10 s grid,
    bisection to 1 ms. Independent of the window finder and the Scene."""
    from lunarscope.states import relative_state

    def el(t):
        t = np.atleast_1d(t)
        rho = traj.position(t) - relative_state(station, "moon", t, sources=sources)[:, :3]
        r, _ = station.enu_rotation(t)
        enu = np.einsum("nij,nj->ni", r, rho)
        return np.degrees(np.arcsin(enu[:, 2] / np.linalg.norm(enu, axis=1))) - min_el_deg

    grid = np.arange(t0, t1, 10.0)
    g = el(grid)
    out = []
    for k in np.nonzero(np.sign(g[:-1]) != np.sign(g[1:]))[0]:
        a, b = grid[k], grid[k + 1]
        while b - a > 1e-3:
            m = 0.5 * (a + b)
            a, b = (m, b) if np.sign(el(m)[0]) == np.sign(g[k]) else (a, m)
        out.append(0.5 * (a + b))
    return np.array(out)


def test_windows_use_the_mission_spk(missions, default_trajectory):
    """Contacts through the shifted SPK: every contact boundary set by the elevation mask sits
    where the brute-force elevation through the same SPK crosses the mask, and moved by more
    than a minute against DE440 (20,000 km is ~3° of Earth direction seen from the Moon)."""
    traj = default_trajectory
    m_spk, m_def = missions["spk"], missions["default"]
    ws = compute_windows(replace(window_job(m_spk), kinds=("contact",)), traj)
    wd = compute_windows(replace(window_job(m_def), kinds=("contact",)), traj)
    matched = 0
    for spec in m_spk.observing.stations:
        mine = _elevation_crossings(m_spk.sources, spec.site, traj, traj.t_start, traj.t_stop, spec.min_elevation_deg)
        base = _elevation_crossings(m_def.sources, spec.site, traj, traj.t_start, traj.t_stop, spec.min_elevation_deg)
        w = ws[("contact", spec.name)]
        edges = np.concatenate([w.starts, w.stops])
        inner = edges[(edges > traj.t_start + 1) & (edges < traj.t_stop - 1)]
        for e in inner:
            near = mine[np.abs(mine - e) < 600.0]
            if near.size:  # an elevation-limited boundary (others are Moon blockage)
                assert abs(near[0] - e) < CROSSING_TOL_S
                assert np.abs(base - e).min() > 60.0
                matched += 1
        assert ws[("contact", spec.name)] != wd[("contact", spec.name)]
    assert matched >= 1


def test_propagation_uses_the_mission_kernels(missions):
    """Earth shifted by 20,000 km changes its tide on the orbit; ψ rotated by 0.57° turns the
    20×20 field under the orbit. Both move the spacecraft, by very different amounts."""
    t = np.linspace(T0, T0 + 6 * 3600.0, 7)
    d = propagate_mission(missions["default"]).trajectory.position(t)
    s = propagate_mission(missions["spk"]).trajectory.position(t)
    p = propagate_mission(missions["pck"]).trajectory.position(t)
    ds = np.linalg.norm(s - d, axis=1).max()
    dp = np.linalg.norm(p - d, axis=1).max()
    # tidal acceleration change ~ 3 GM_E r |D| / a_EM^4 ≈ 1e-8 km/s² at r = 10,000 km:
    # at most ½ a t² ≈ 2.6 km over 6 h (less: r is smaller most of the time); measured 1.2 km
    assert 0.1 < ds < 5.0
    assert dp > 0.01  # a rotated field under an orbit with 700 km periapsis: tens of metres and more


def test_products_use_the_mission_kernels(missions, kernels, tmp_path):
    """plan: windows.csv equals the windows through the mission's kernels, the CZML Moon sits
    where the shifted SPK puts it (relative to the Earth)."""
    from lunarscope.mission.plan import run_plan

    m = missions["both"]
    res = run_plan(
        m, str(tmp_path / "out"), solver="greedy", generated_utc="2030-01-01T00:00:00Z", stream=open(os.devnull, "w")
    )
    traj = res.trajectory
    assert (tmp_path / "out" / "windows.csv").read_text() == mission_windows(m, traj).to_csv_text()
    czml = json.loads((tmp_path / "out" / "mission.czml").read_text())
    moon = next(p for p in czml if p["id"] == "moon")["position"]["cartesian"]
    first = np.array(moon[1:4]) / 1000.0  # (offset, x, y, z) metres
    expected = m.sources.ephemeris.position("moon", "earth", traj.t_start)
    default = missions["default"].sources.ephemeris.position("moon", "earth", traj.t_start)
    assert np.linalg.norm(first - expected) < 1e-3
    assert np.linalg.norm(first - default) > 19000.0


# ---------------------------------------------------------------- impact and escape
def _low_orbit(tmp_path, periapsis_km=5.0, duration="1 d"):
    raw = _raw()
    raw["duration"] = duration
    rp = 1737.4 + periapsis_km
    raw["orbit"]["elements"] = {
        "a_km": 1900.0,
        "e": 1.0 - rp / 1900.0,
        "i_deg": 90.0,
        "raan_deg": 0,
        "argp_deg": 0,
        "ta_deg": 180.0,
    }
    # the spacecraft counts as crashed 10 km above the mean sphere: the first periapsis (half an
    # orbit, ~1 h from the start at apoapsis) is an impact whatever the field does
    raw["propagator"]["impact_altitude_km"] = 10.0
    path = tmp_path / "low.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_impact_before_the_span_ends_is_named(tmp_path, capsys):
    path = _low_orbit(tmp_path)
    m = load_mission(str(path))
    traj = propagate_mission(m).trajectory
    assert traj.t_stop < m.t_stop
    with pytest.raises(InputError) as err:
        mission_windows(m, traj)
    msg = str(err.value)
    assert msg.startswith("orbit: the spacecraft impacts the Moon (10 km altitude") and "at 2030-01-01T0" in msg
    assert "before the span ends at 2030-01-02T00:00:00.000Z" in msg and "shorten duration" in msg
    capsys.readouterr()
    assert main(["windows", str(path), "-o", str(tmp_path / "w.csv")]) == 2
    err_text = capsys.readouterr().err
    assert "lunarscope: error: orbit: the spacecraft impacts the Moon" in err_text
    assert not (tmp_path / "w.csv").exists()
    assert main(["plan", str(path), "-o", str(tmp_path / "plan")]) == 2
    assert "impacts the Moon" in capsys.readouterr().err
    assert not (tmp_path / "plan").exists()


def test_leaving_the_sphere_of_influence_warns(tmp_path):
    from lunarscope.constants import MOON_SOI_RADIUS_KM
    from lunarscope.mission.run import check_sphere_of_influence
    from lunarscope.trajectory import Trajectory

    assert 66000.0 < MOON_SOI_RADIUS_KM < 66400.0
    t = T0 + np.array([0.0, 60.0, 120.0])
    far = np.array([[70000.0, 0, 0, 0, 0.1, 0]] * 3)
    with pytest.warns(UserWarning, match="leaves the Moon's sphere of influence"):
        assert check_sphere_of_influence(Trajectory.from_table(t, far, 2)) == T0
    raw = copy.deepcopy(_raw())
    raw["duration"] = "1 h"
    raw["orbit"]["elements"]["a_km"] = 6541400.0  # metres by mistake
    path = tmp_path / "metres.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.warns(UserWarning, match="beyond the Moon's sphere of influence"):  # read: the elements
        mission = load_mission(str(path))
    with pytest.warns(UserWarning, match="propagated orbit leaves the Moon's sphere of influence"):
        propagate_mission(mission)
