"""Elliptical lunar frozen orbits, doubly averaged model (``lunarscope.design.elfo``): the
quadrupole third-body rates equal the Kozai equations, the Earth-only frozen ELFO is
e = sqrt(1 - (5/3) cos^2 i), the J2 rates equal the classical secular ones, the model's planes
come from the ephemeris and PCK, and Ely's ELFO stays bounded over a year of the averaged model."""

import math

import numpy as np
import pytest

from lunarscope.design import elfo
from lunarscope.ephemeris import GM_KM3_S2

GM_MOON = 4902.800118
A_ELY = elfo.ELY_ELFO["a_km"]
RATE_RTOL = 1e-6  # central differences of R vs the closed forms (relative)


def earth_only(e_prime=0.0):
    return elfo.AveragedModel(GM_MOON, 0.0, 1738.0, (0.0, 0.0, 1.0), ((GM_KM3_S2[399], 384400.0, e_prime, (0, 0, 1)),))


def test_kozai_formula_values():
    # the number: e = sqrt(1 - 5/3 cos^2 56.2 deg) = 0.70
    assert float(elfo.kozai_frozen_e(56.2)) == pytest.approx(0.6959, abs=1e-4)
    assert math.isnan(float(elfo.kozai_frozen_e(30.0)))  # below 39.23 deg: no ELFO
    assert float(elfo.kozai_frozen_i_deg(elfo.kozai_frozen_e(56.2))) == pytest.approx(56.2, abs=1e-9)


@pytest.mark.parametrize("i_deg,w_deg,e", [(56.2, 60.0, 0.6), (40.0, 130.0, 0.3), (75.0, 20.0, 0.8)])
def test_third_body_rates_equal_kozai_equations(i_deg, w_deg, e):
    """Kozai (1962) / Innanen et al. (1997, AJ 113, 1915) secular rates of the circular
    quadrupole problem, with k = GM' / (a'^3 n)."""
    m = earth_only()
    i, w = math.radians(i_deg), math.radians(w_deg)
    r = m.rates(A_ELY, e, i, 0.4, w)
    k = GM_KM3_S2[399] / 384400.0**3 / math.sqrt(GM_MOON / A_ELY**3)
    eta = math.sqrt(1 - e * e)
    si2 = math.sin(i) ** 2
    assert r[0] == pytest.approx(15 / 8 * k * e * eta * si2 * math.sin(2 * w), rel=RATE_RTOL)
    assert r[1] == pytest.approx(-15 / 16 * k * e * e * math.sin(2 * i) * math.sin(2 * w) / eta, rel=RATE_RTOL)
    w_dot = 3 / 4 * k / eta * (2 * (1 - e * e) + 5 * math.sin(w) ** 2 * (e * e - si2))
    assert r[3] == pytest.approx(w_dot, rel=1e-5, abs=1e-16)
    o_dot = -k * math.cos(i) / (4 * eta) * (3 + 12 * e * e - 15 * e * e * math.cos(w) ** 2)
    assert r[2] == pytest.approx(o_dot, rel=RATE_RTOL)


def test_earth_only_frozen_e_is_the_published_relation():
    m = earth_only()
    for i_deg in (45.0, 56.2, 70.0):
        e = m.frozen_e(A_ELY, i_deg)
        assert e == pytest.approx(float(elfo.kozai_frozen_e(i_deg)), abs=1e-7)
        r = m.rates(A_ELY, e, math.radians(i_deg), 1.0, math.pi / 2)
        assert abs(r[0]) < 1e-15 and abs(r[3]) < 1e-15


def test_j2_rates_equal_classical_secular_rates():
    """Vallado 2013 eqs. 9-41: dw/dt = 3/4 n J2 (R/p)^2 (5 cos^2 i - 1), dRAAN/dt = -3/2 n J2 (R/p)^2 cos i."""
    j2, rr, a, e, i = 2.03e-4, 1738.0, 2500.0, 0.2, math.radians(35.0)
    m = elfo.AveragedModel(GM_MOON, j2, rr, (0.0, 0.0, 1.0), ())
    r = m.rates(a, e, i, 0.2, 0.5)
    n, p = math.sqrt(GM_MOON / a**3), a * (1 - e * e)
    assert r[3] == pytest.approx(0.75 * n * j2 * (rr / p) ** 2 * (5 * math.cos(i) ** 2 - 1), rel=RATE_RTOL)
    assert r[2] == pytest.approx(-1.5 * n * j2 * (rr / p) ** 2 * math.cos(i), rel=RATE_RTOL)
    assert abs(r[0]) < 1e-18 and abs(r[1]) < 1e-18


@pytest.fixture(scope="module")
def model_2030():
    from lunarscope.gravity import builtin_field
    from lunarscope.sources import Sources
    from lunarscope.time import to_tdb

    src = Sources.default()
    t0 = float(to_tdb("2030-01-01T00:00:00Z"))
    return t0, elfo.model_at(t0, builtin_field("GRGM1200A"), src.ephemeris, src.moon_pck, sun=True)


def test_model_planes_from_ephemeris(model_2030):
    _, m = model_2030
    pole_tilt = math.degrees(math.acos(m.pole[2]))
    assert 6.5 < pole_tilt < 6.9  # lunar equator vs Earth-Moon orbit plane (Cassini: ~6.7 deg)
    sun_tilt = math.degrees(math.acos(m.bodies[1][3][2]))
    assert 4.9 < sun_tilt < 5.4  # ecliptic vs the Moon's orbit plane: 5.145 deg +- the solar nodding
    assert m.j2 == pytest.approx(2.0322e-4, rel=1e-3)
    # J2 and the Sun shift the ELFO from Kozai's 0.696 by about -0.011 at 56.2 deg
    assert m.frozen_e(A_ELY, 56.2) == pytest.approx(0.685, abs=0.003)


def test_ely_elfo_bounded_over_a_year_of_the_averaged_model(model_2030):
    _, m = model_2030
    t, y, ex = elfo.averaged_check(m, A_ELY, 0.6, 56.2, 0.0, 90.0, 365.25 * 86400.0, label="ely")
    assert ex.below_surface_d is None
    assert 0.59 < ex.e_range[0] and ex.e_range[1] < 0.70
    assert 80.0 < ex.argp_range[0] and ex.argp_range[1] < 100.0
    assert ex.hp_min_km > 300.0
    assert np.all(np.diff(t) > 0)


def _elfo_states(degree, days):
    from lunarscope import frames
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.orbits.planes import plane_rotation

    raw = {
        "name": "elfo",
        "start": "2030-01-01T00:00:00Z",
        "duration": f"{days} d",
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": A_ELY, "e": 0.6, "i_deg": 56.2, "argp_deg": 90}},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": degree, "order": degree},
            "third_bodies": ["earth", "sun"],
        },
    }
    m = mission_from_dict(raw)
    gm, t0 = m.gm_moon, m.t_start
    rot_em = plane_rotation("EARTH_MOON", [t0], ephemeris=m.sources.ephemeris)[0]
    rot_me = frames.rotation("MOON_ME", [t0], m.sources.moon_pck)[0]
    ely = elfo.elements_to_state(A_ELY, 0.6, 56.2, 0.0, 90.0, 0.0, gm, rot_em)
    demo = elfo.elements_to_state(A_ELY, 0.6, 56.2, 0.0, 90.0, 0.0, gm, rot_me)
    return m, ely, demo


def test_demo_elfo_plane_conventions_full_model():
    """The demo's numbers (a 6541.4 km, e 0.6, i 56.2, argp 90, RAAN 0) as MOON_ME elements are
    i = 62.3 deg to the Earth-Moon plane and hit the Moon after ~110 d (10x10 + Earth + Sun);
    as EARTH_MOON elements (Ely's convention) the periapsis stays above 500 km over 130 d (measured 555)."""
    m, ely, demo = _elfo_states(10, 130)
    h, osc_hp, ex, imp = elfo.full_model_check(demo, m.t_start, m.t_stop, m.force_model, m.sources.ephemeris)
    assert imp is not None and 100.0 < (imp - m.t_start) / 86400.0 < 120.0
    assert ex.i_range[1] == pytest.approx(62.3, abs=0.1)
    h, osc_hp, ex, imp = elfo.full_model_check(ely, m.t_start, m.t_stop, m.force_model, m.sources.ephemeris)
    assert imp is None and osc_hp.min() > 500.0 and osc_hp.max() < 1100.0


@pytest.mark.slow
def test_ely_elfo_ten_years_full_model():
    """10 years, GRGM1200A 10x10 + Earth + Sun (~2 min): periapsis bounded (measured 159 .. 1114 km)."""
    m, ely, _ = _elfo_states(10, 3652)
    h, osc_hp, ex, imp = elfo.full_model_check(ely, m.t_start, m.t_stop, m.force_model, m.sources.ephemeris)
    assert imp is None and 100.0 < osc_hp.min() and osc_hp.max() < 1200.0
