"""Tests of lunarscope.orbits.elements.

Independent references: NAIF SPICE (spiceypy ``oscltx`` for state -> elements and
``conics`` for elements -> state), scipy.integrate.quad for the running mean, and
Hypothesis round trips.
"""

import math

import numpy as np
import pytest
import spiceypy as spice
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from lunarscope.errors import InputError
from lunarscope.orbits.elements import (
    apoapsis_radius,
    apsis_radii,
    cartesian_to_keplerian,
    keplerian_to_cartesian,
    mean_elements,
    periapsis_radius,
)

GM_MOON = 4902.80011526323  # km^3/s^2
ONE_MICRON_KM = 1e-9
ONE_MICRON_PER_S_KMS = 1e-9
ANGLE_TOL_RAD = 1e-9  # ~2 mm along a 2000 km radius
TWO_PI = 2.0 * math.pi


def _random_elements(rng, n):
    a = rng.uniform(1750.0, 20000.0, n)
    e = rng.uniform(0.001, 0.9, n)
    i = rng.uniform(0.01, math.pi - 0.01, n)
    raan, argp, ta = (rng.uniform(0.0, TWO_PI, n) for _ in range(3))
    return a, e, i, raan, argp, ta


def _angle_diff(x, y):
    return np.abs((np.asarray(x) - np.asarray(y) + math.pi) % TWO_PI - math.pi)


def test_cartesian_to_keplerian_against_spice_oscltx():
    rng = np.random.default_rng(3)
    a, e, i, raan, argp, ta = _random_elements(rng, 200)
    states = keplerian_to_cartesian(a, e, i, raan, argp, ta, GM_MOON)
    el = cartesian_to_keplerian(states, GM_MOON)
    for k in range(states.shape[0]):
        ref = spice.oscltx(states[k], 0.0, GM_MOON)
        # oscltx: rp, ecc, inc, lnode, argp, M0, t0, mu, nu, a, tau
        assert abs(el[k, 0] - ref[9]) < 1e-12 * ref[9] * 10
        assert abs(el[k, 1] - ref[1]) < 1e-12
        assert abs(el[k, 2] - ref[2]) < ANGLE_TOL_RAD
        assert _angle_diff(el[k, 3], ref[3]) < ANGLE_TOL_RAD
        assert _angle_diff(el[k, 4], ref[4]) < ANGLE_TOL_RAD
        assert _angle_diff(el[k, 5], ref[8]) < ANGLE_TOL_RAD


def test_keplerian_to_cartesian_against_spice_conics():
    rng = np.random.default_rng(4)
    a, e, i, raan, argp, ta = _random_elements(rng, 200)
    states = keplerian_to_cartesian(a, e, i, raan, argp, ta, GM_MOON)
    for k in range(a.size):
        ecc_anom = 2.0 * math.atan(math.sqrt((1 - e[k]) / (1 + e[k])) * math.tan(ta[k] / 2))
        m0 = ecc_anom - e[k] * math.sin(ecc_anom)
        ref = spice.conics([a[k] * (1 - e[k]), e[k], i[k], raan[k], argp[k], m0, 0.0, GM_MOON], 0.0)
        assert np.max(np.abs(states[k, :3] - ref[:3])) < 1e3 * ONE_MICRON_KM
        assert np.max(np.abs(states[k, 3:] - ref[3:])) < ONE_MICRON_PER_S_KMS


def test_degenerate_conventions():
    # circular equatorial prograde: raan = argp = 0, ta = true longitude from +x
    r, lon = 1838.0, 2.0
    v = math.sqrt(GM_MOON / r)
    x = np.array([r * math.cos(lon), r * math.sin(lon), 0.0, -v * math.sin(lon), v * math.cos(lon), 0.0])
    el = cartesian_to_keplerian(x, GM_MOON)
    assert el.shape == (6,)
    assert abs(el[0] - r) < 1e-9 and el[1] < 1e-12 and el[2] == 0.0
    assert el[3] == 0.0 and el[4] == 0.0 and _angle_diff(el[5], lon) < 1e-12
    # circular polar: argp = 0, ta = argument of latitude (from the ascending node)
    x = keplerian_to_cartesian(1838.0, 0.0, math.pi / 2, 0.7, 0.0, 1.2, GM_MOON)
    el = cartesian_to_keplerian(x, GM_MOON)
    assert _angle_diff(el[3], 0.7) < 1e-12 and el[4] == 0.0 and _angle_diff(el[5], 1.2) < 1e-12
    # eccentric equatorial: raan = 0, argp = longitude of periapsis
    x = keplerian_to_cartesian(6541.4, 0.6, 0.0, 0.5, 0.3, 0.2, GM_MOON)
    el = cartesian_to_keplerian(x, GM_MOON)
    assert el[3] == 0.0 and _angle_diff(el[4], 0.8) < 1e-12 and _angle_diff(el[5], 0.2) < 1e-12


@settings(max_examples=300, deadline=None)
@given(
    a=st.floats(1740.0, 50000.0),
    e=st.one_of(st.just(0.0), st.floats(0.0, 0.95)),
    i=st.one_of(st.sampled_from([0.0, math.pi / 2, math.pi]), st.floats(0.0, math.pi)),
    raan=st.floats(0.0, TWO_PI),
    argp=st.floats(0.0, TWO_PI),
    ta=st.floats(-10.0, 10.0),
)
def test_roundtrip_cartesian(a, e, i, raan, argp, ta):
    """state -> elements -> state reproduces the state, degenerate orbits included."""
    x = keplerian_to_cartesian(a, e, i, raan, argp, ta, GM_MOON)
    back = keplerian_to_cartesian(*cartesian_to_keplerian(x, GM_MOON), GM_MOON)
    rscale = np.linalg.norm(x[:3])
    vscale = np.linalg.norm(x[3:])
    assert np.linalg.norm(back[:3] - x[:3]) <= 1e-12 * rscale * 100
    assert np.linalg.norm(back[3:] - x[3:]) <= 1e-12 * vscale * 100


@settings(max_examples=300, deadline=None)
@given(
    a=st.floats(1740.0, 50000.0),
    e=st.floats(1e-4, 0.95),
    i=st.floats(1e-4, math.pi - 1e-4),
    raan=st.floats(0.0, TWO_PI),
    argp=st.floats(0.0, TWO_PI),
    ta=st.floats(0.0, TWO_PI),
)
def test_roundtrip_elements(a, e, i, raan, argp, ta):
    """elements -> state -> elements for non-degenerate orbits."""
    el = cartesian_to_keplerian(keplerian_to_cartesian(a, e, i, raan, argp, ta, GM_MOON), GM_MOON)
    assert abs(el[0] - a) <= 1e-11 * a / (1 - e)
    assert abs(el[1] - e) <= 1e-11
    assert abs(el[2] - i) <= 1e-9
    assert _angle_diff(el[3], raan) <= 1e-8
    # argp and ta are individually ill-conditioned as e -> 0; their sum is not
    assert _angle_diff(el[4], argp) <= 1e-11 / e + 1e-9
    assert _angle_diff(el[4] + el[5], argp + ta) <= 1e-8


def test_apsides():
    x = keplerian_to_cartesian(6541.4, 0.6, 1.0, 0.1, 0.2, 2.0, GM_MOON)
    rp, ra = apsis_radii(x, GM_MOON)
    assert abs(rp - 6541.4 * 0.4) < 1e-9 and abs(ra - 6541.4 * 1.6) < 1e-8
    assert periapsis_radius(6541.4, 0.6) == pytest.approx(2616.56, abs=1e-9)
    assert apoapsis_radius(6541.4, 0.6) == pytest.approx(10466.24, abs=1e-9)
    # periapsis is where the two-body position is smallest: check on a sampled orbit
    tas = np.linspace(0.0, TWO_PI, 100001)
    r = np.linalg.norm(keplerian_to_cartesian(6541.4, 0.6, 1.0, 0.1, 0.2, tas, GM_MOON)[:, :3], axis=1)
    assert abs(r.min() - rp) < 1e-6 and abs(r.max() - ra) < 1e-6


def test_batch_shapes_and_errors():
    x = keplerian_to_cartesian([2000.0, 3000.0], 0.1, 0.5, 0.0, 0.0, [0.0, 1.0], GM_MOON)
    assert x.shape == (2, 6)
    assert cartesian_to_keplerian(x, GM_MOON).shape == (2, 6)
    with pytest.raises(InputError, match="^e:"):
        keplerian_to_cartesian(2000.0, 1.2, 0.5, 0.0, 0.0, 0.0, GM_MOON)
    with pytest.raises(InputError, match="^a:"):
        keplerian_to_cartesian(-2000.0, 0.1, 0.5, 0.0, 0.0, 0.0, GM_MOON)
    with pytest.raises(InputError, match="^i:"):
        keplerian_to_cartesian(2000.0, 0.1, 4.0, 0.0, 0.0, 0.0, GM_MOON)
    with pytest.raises(InputError, match="state"):
        cartesian_to_keplerian(np.zeros((3, 5)), GM_MOON)
    with pytest.raises(InputError, match="state"):
        cartesian_to_keplerian(np.array([1.0, 0, 0, 2.0, 0, 0]), GM_MOON)  # rectilinear


# ------------------------------------------------------------------------- mean elements


def _synthetic_history(n=4001, n_periods=4.0):
    """States whose osculating elements follow known functions of time."""
    a0, period = 1838.0, 2.0 * math.pi * math.sqrt(1838.0**3 / GM_MOON)
    t = np.linspace(0.0, n_periods * period, n)
    w = TWO_PI / period
    funcs = {
        "a": lambda s: a0 + 3.0 * np.sin(w * s) + 1.0 * np.cos(2 * w * s),
        "e": lambda s: 0.02 + 0.005 * np.cos(w * s),
        "i": lambda s: 1.5 + 1e-3 * np.sin(2 * w * s),
        # raan drifts through the 0/2pi wrap; argp has a once-per-rev term
        "raan": lambda s: TWO_PI - 0.05 + 1e-5 * s + 1e-3 * np.sin(w * s),
        "argp": lambda s: 1.0 + 0.02 * np.sin(w * s),
    }
    ta = w * t  # any angle: it is not averaged
    states = keplerian_to_cartesian(
        funcs["a"](t), funcs["e"](t), funcs["i"](t), np.mod(funcs["raan"](t), TWO_PI), funcs["argp"](t), ta, GM_MOON
    )
    return t, states, period, funcs


def test_mean_elements_against_quadrature():
    t, states, period, funcs = _synthetic_history()
    mean = mean_elements(t, states, GM_MOON, period=period)
    ok = ~np.isnan(mean[:, 0])
    assert ok.sum() > 2000 and np.isnan(mean[0, 0]) and np.isnan(mean[-1, 0])
    for col, name in enumerate(["a", "e", "i", "raan", "argp"]):
        for k in np.flatnonzero(ok)[::250]:
            ref = quad(funcs[name], t[k] - period / 2, t[k] + period / 2, limit=200)[0] / period
            got = mean[k, col]
            diff = _angle_diff(got, ref) if col >= 3 else abs(got - ref)
            tol = {"a": 1e-4, "e": 1e-8, "i": 1e-8, "raan": 1e-8, "argp": 1e-7}[name]
            assert diff < tol, (name, k, got, ref)
    # the periodic terms are gone: mean a is a0, mean e is 0.02
    assert np.nanmax(np.abs(mean[:, 0] - 1838.0)) < 1e-4
    assert np.nanmax(np.abs(mean[:, 1] - 0.02)) < 1e-8


def test_mean_elements_default_period_and_errors():
    t, states, _, _ = _synthetic_history(n=2001, n_periods=3.0)
    mean = mean_elements(t, states, GM_MOON)  # period from the median osculating a
    assert np.nanmax(np.abs(mean[:, 0] - 1838.0)) < 0.05
    with pytest.raises(InputError, match="times"):
        mean_elements(t[::-1], states, GM_MOON)
    with pytest.raises(InputError, match="times"):
        mean_elements(t[:-1], states, GM_MOON)
