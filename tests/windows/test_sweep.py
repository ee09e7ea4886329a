"""The compiled target sweep (windows.sweep, TargetConstraints.windows) against the general finder,
its per-cell rate bounds against finite differences, the interpolated Sun/Earth positions
against DE440, and its fallbacks (exact refinement, general finder)."""

import math

import numpy as np
import pytest
from test_conditions import SOURCES, T0, kepler_trajectory

from lunarscope.constants import MOON_RADIUS_KM
from lunarscope.geometry.angles import apparent_radius, norm, radec_to_unit, separation_many
from lunarscope.windows import Condition, find_windows
from lunarscope.windows import sweep as sw
from lunarscope.windows.conditions import TargetConstraints
from lunarscope.windows.scene import Scene

MIN_S, TOL_S = 60.0, 1e-3
SUN, EARTH, MOON = math.radians(45), math.radians(20), math.radians(10)


@pytest.fixture(scope="module")
def elfo():
    traj = kepler_trajectory(T0, 2.0, a_km=6541.4, e=0.6, inc_deg=56.2)
    return Scene(traj, SOURCES.ephemeris, SOURCES.moon_pck)


def targets(m=60):
    k = np.arange(m) + 0.5
    return radec_to_unit(np.degrees(np.pi * (3 - np.sqrt(5)) * k) % 360, np.degrees(np.arcsin(1 - 2 * k / m)))


def canonical(w, min_s=MIN_S):
    """Gaps shorter than min_s filled, then windows shorter than min_s dropped (the guarantee
    says nothing about either)."""
    out = []
    for a, b in w:
        if out and a - out[-1][1] < min_s:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return np.array([(a, b) for a, b in out if b - a >= min_s]).reshape(-1, 2)


def assert_same(found, ref, tol=2 * TOL_S):
    assert len(found) == len(ref)
    for f, r in zip(found, ref):
        f, r = canonical(list(f)), canonical(list(r))
        assert f.shape == r.shape
        assert np.max(np.abs(f - r), initial=0.0) <= tol


def general(cond, t0, t1):
    """The general finder on the same condition (the sweep hook dropped)."""
    return find_windows(Condition(cond.g, cond.rate_bound, cond.g_rows, cond.name), t0, t1, MIN_S, TOL_S)


@pytest.mark.parametrize("visible", [True, False])
def test_sweep_matches_general_finder(elfo, visible):
    t0, t1 = T0 + 100.0, T0 + 1.5 * 86400.0
    tc = TargetConstraints(elfo, targets(), SUN, EARTH, MOON, 100.0)
    swept = tc.windows(t0, t1, MIN_S, TOL_S, (visible,))[visible]
    assert sum(len(w) for w in swept) > 50
    assert tc.sweep_stats["brackets"] > 100 and tc.sweep_stats["fallback_brackets"] == 0
    assert_same(swept, general(tc.condition(t0, t1, visible), t0, t1))
    # find_windows on the condition itself takes the sweep (same windows)
    via_finder = find_windows(tc.condition(t0, t1, visible), t0, t1, MIN_S, TOL_S)
    assert all(a == b for a, b in zip(via_finder, swept))


def test_boundaries_are_sign_changes_within_tolerance(elfo):
    """Each reported boundary is inside (g >= 0) with an outside point within tol_s."""
    t0, t1 = T0, T0 + 86400.0
    tc = TargetConstraints(elfo, targets(20), SUN, EARTH, MOON, 100.0)
    cond = tc.condition(t0, t1, True)
    found = tc.windows(t0, t1, MIN_S, TOL_S, (True,))[True]
    for m, w in enumerate(found):
        for a, b in w:
            for edge, out in ((a, a - TOL_S), (b, b + TOL_S)):
                if t0 < edge < t1:
                    rows = np.array([m, m])
                    g_in, g_out = cond.eval_rows(np.array([edge, out]), rows)
                    assert g_in >= -1e-12 and g_out < 1e-12


def _terms_numpy(scene, tc, t):
    """The three terms (Moon, Earth, Sun) of target_visible, plain numpy, (M, 3, N)."""
    s = scene.at(t)
    rm = norm(s.r)
    to_e = s.earth - s.r
    de = norm(to_e)
    to_s = s.sun - s.r

    def sep(d):
        return separation_many(tc.u, d / norm(d)[:, None])

    tm = sep(-s.r) - apparent_radius(MOON_RADIUS_KM, rm)[None, :] - MOON
    te = sep(to_e) - apparent_radius(tc.earth_r, de)[None, :] - EARTH
    ts = sep(to_s) - SUN
    return np.stack([tm, te, ts], axis=1)


def test_cell_rate_bounds_hold(elfo):
    """|d term/dt| from 0.5 s differences stays below the bound of its grid cell, through a
    periapsis passage (where the bound is largest) and an apoapsis."""
    t0, t1 = T0, T0 + 14 * 3600.0
    tc = TargetConstraints(elfo, targets(40), SUN, EARTH, MOON, 100.0)
    step = 29.5
    tg = t0 + step * np.arange(int((t1 - t0) / step) + 1)
    s = elfo.trajectory.state(tg)
    v_hi, r_lo, r_hi, b = elfo.cell_bounds(norm(s[:, :3]), norm(s[:, 3:]), step, t0, t1)
    rates = tc.cell_rates(v_hi, r_lo, r_hi, b)
    t = np.arange(tg[0], tg[-1], 0.5)
    g = _terms_numpy(elfo, tc, t)
    seen = np.max(np.abs(np.diff(g, axis=2)), axis=0) / 0.5  # (3, N-1), worst target
    cell = np.floor((t[:-1] - t0) / step).astype(int)
    # each difference spans [t, t + 0.5]: compare with the larger bound of the cells it touches
    cell_end = np.minimum(np.floor((t[1:] - t0) / step).astype(int), rates.shape[1] - 1)
    bound = np.maximum(rates[:, cell], rates[:, cell_end])
    assert np.all(seen <= bound)
    # time-varying: the Moon term's bound is far smaller at apoapsis than at periapsis
    assert rates[0].max() > 10 * rates[0].min()
    # and no looser than the span-wide constant bound
    assert np.all(rates[0] <= tc.rate(t0, t1) * (1 + 1e-12))


def test_interpolated_bodies_match_de440():
    """Sun and Earth from the Hermite nodes agree with direct DE440 evaluation to ~1e-8 km
    (BODY_NODE_STEP_S derivation), far below any geometric effect."""
    traj = kepler_trajectory(T0, 30.0)
    scene = Scene(traj, SOURCES.ephemeris, SOURCES.moon_pck)
    t0, t1 = T0, T0 + 30 * 86400.0
    bodies = scene.body_positions(t0, t1)
    t = np.random.default_rng(4).uniform(t0, t1, 20000)
    sun, earth = bodies(t, None)
    err_s = np.max(norm(sun - SOURCES.ephemeris.position("sun", "moon", t)))
    err_e = np.max(norm(earth - SOURCES.ephemeris.position("earth", "moon", t)))
    assert err_s < 1e-6 and err_e < 1e-6, (err_s, err_e)
    # with light time the positions depend on the spacecraft: evaluated directly
    lt = Scene(traj, SOURCES.ephemeris, SOURCES.moon_pck, light_time=True)
    assert lt.body_positions(t0, t1) == lt._bodies


def test_exact_fallback_when_the_check_fails(elfo, monkeypatch):
    """A wrong interpolated root fails the exact check; exact ITP then gives the same windows."""
    t0, t1 = T0, T0 + 86400.0
    tc = TargetConstraints(elfo, targets(30), SUN, EARTH, MOON, 100.0)
    ref = tc.windows(t0, t1, MIN_S, TOL_S, (True, False))
    real = sw.refine_interpolated

    def off(*args):
        return real(*args) + 0.3  # 0.3 cells (~9 s) off

    monkeypatch.setattr(sw, "refine_interpolated", off)
    got = tc.windows(t0, t1, MIN_S, TOL_S, (True, False))
    assert tc.sweep_stats["fallback_brackets"] == tc.sweep_stats["brackets"] > 0
    for k in (True, False):
        assert_same(got[k], ref[k])


def test_small_buffers_and_blocks_give_the_same_windows(elfo, monkeypatch):
    """Rows that fill their bracket buffer are marched again from where they stopped."""
    t0, t1 = T0, T0 + 86400.0
    tc = TargetConstraints(elfo, targets(30), SUN, EARTH, MOON, 100.0)
    ref = tc.windows(t0, t1, MIN_S, TOL_S, (True,))[True]
    monkeypatch.setattr(sw, "BRACKETS_PER_CALL", 3)
    monkeypatch.setattr(sw, "BLOCK_CELLS", 7)
    got = tc.windows(t0, t1, MIN_S, TOL_S, (True,))[True]
    assert all(a == b for a, b in zip(got, ref))


def test_large_grid_falls_back_to_the_general_finder(elfo, monkeypatch):
    t0, t1 = T0, T0 + 6 * 3600.0
    tc = TargetConstraints(elfo, targets(10), SUN, EARTH, MOON, 100.0)
    cond = tc.condition(t0, t1, True)
    monkeypatch.setattr(sw, "MAX_GRID_POINTS", 100)
    assert tc.windows(t0, t1, MIN_S, TOL_S) is None
    assert_same(find_windows(cond, t0, t1, MIN_S, TOL_S), general(cond, t0, t1))


def test_short_span_and_a_target_always_visible(elfo):
    """A span shorter than one step, and rows without any bracket."""
    t0 = T0 + 3600.0
    tc = TargetConstraints(elfo, targets(8), SUN, EARTH, MOON, 100.0)
    for t1 in (t0 + 10.0, t0 + 200.0):
        for k in (True, False):
            got = tc.windows(t0, t1, MIN_S, TOL_S, (k,))[k]
            assert_same(got, general(tc.condition(t0, t1, k), t0, t1))
