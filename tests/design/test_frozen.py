"""Frozen low orbits (``lunarscope.design.frozen``): the unnormalised zonals, the averaged
zonal potential and rates against closed forms (J2 secular rates, the J2-J3 frozen e), the
frozen inclinations of the J2..J30 map near the published 27, 50, 76, 86 deg, the full-field
correction, and ``orbit: {design: frozen}`` in a mission file."""

import math

import numpy as np
import pytest

from lunarscope.design import frozen as fz
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.gravity.field import GravityField

GM, RR = 4902.800118, 1738.0
J2, J3 = 2.0323e-4, 8.4593e-6


@pytest.fixture(scope="module")
def grgm():
    return builtin_field("GRGM1200A")


def zonal_field(js):
    """A field with only the zonals J_n of ``js`` (index n), normalised as ``gravity.field``."""
    n = len(js) - 1
    c = np.zeros((n + 1, n + 1))
    c[0, 0] = 1.0
    for k in range(2, n + 1):
        c[k, 0] = -js[k] / math.sqrt(2 * k + 1)
    return GravityField(GM, RR, n, 0, c, np.zeros_like(c), name="zonal-test")


def test_zonal_j_unnormalised(grgm):
    j = fz.zonal_j(grgm, 9)
    assert j[2] == pytest.approx(-math.sqrt(5) * grgm.C[2, 0], rel=1e-15)
    assert j[2] == pytest.approx(J2, rel=1e-3)  # GRGM1200A J2 = 2.0323e-4 (LP150Q: 2.0321e-4)
    assert j[3] == pytest.approx(J3, rel=1e-3)
    with pytest.raises(InputError, match="zonal degree 2"):
        fz.zonal_j(grgm, 2)
    with pytest.raises(InputError, match="the field's degree"):
        fz.zonal_j(grgm, grgm.degree_max + 1)


def test_averaged_j2_potential_closed_form():
    """<R_J2> = mu J2 R^2 / (a^3 eta^3) (1/2 - 3/4 sin^2 i) (Kaula 1966; Vallado 2013 sec. 9.6)."""
    a, e, i = 1900.0, 0.05, math.radians(40.0)
    r = fz.averaged_zonal_potential(a, e, i, 0.7, GM, RR, np.array([0, 0, J2]))
    eta3 = (1 - e * e) ** 1.5
    assert float(r) == pytest.approx(GM * J2 * RR**2 / (a**3 * eta3) * (0.5 - 0.75 * math.sin(i) ** 2), rel=1e-12)


def test_zonal_rates_j2_secular():
    a, e, i = 1900.0, 0.03, math.radians(60.0)
    e_dot, w_dot = fz.zonal_rates(a, e, i, 1.0, GM, RR, np.array([0, 0, J2]))
    n, p = math.sqrt(GM / a**3), a * (1 - e * e)
    assert float(w_dot) == pytest.approx(0.75 * n * J2 * (RR / p) ** 2 * (5 * math.cos(i) ** 2 - 1), rel=1e-6)
    assert abs(float(e_dot)) < 1e-6 * abs(float(w_dot))  # finite-difference rounding only


def test_j2_j3_frozen_e_classical():
    """J2 + J3 only: e = (J3 / (2 J2)) (R / a) sin i at argp = 270 deg for the Moon's J3 > 0
    (the small-e frozen condition, e.g. Vallado 2013 sec. 11.4, Earth's J3 < 0 gives 90 deg)."""
    fld = zonal_field([0, 0, J2, J3])
    for i_deg in (30.0, 86.0):
        root = fz.frozen_first_guess(i_deg, fld, altitude_km=100.0, degree=3)
        expect = J3 / (2 * J2) * RR / 1837.4 * math.sin(math.radians(i_deg))
        assert root.argp_deg == 270.0
        assert root.e == pytest.approx(expect, rel=0.01)  # O(e^2) terms: 0.04 % at e = 0.02
        e_dot, w_dot = fz.zonal_rates(
            root.a_km, root.e, math.radians(i_deg), math.radians(270), GM, RR, fz.zonal_j(fld, 3)
        )
        assert abs(float(w_dot)) < 1e-13 and abs(float(e_dot)) < 1e-13  # rates ~1e-7 rad/s
    assert fz.frozen_roots(0.0, fld, altitude_km=100.0, degree=3)[0].e == 0.0  # equatorial


def test_map_finds_the_published_frozen_inclinations(grgm):
    """J2..J30 of GRGM1200A at 100 km: near-circular frozen inclinations within 1.5 deg of the
    published 27, 50, 76, 86 deg (Science@NASA 2006, after Ramanan & Adimurthy 2005)."""
    found = []
    for lo in (26, 49, 75, 84):
        rows = fz.existence_map(range(lo, lo + 3), grgm, altitude_km=100.0, degree=30)
        found += fz.near_circular_inclinations(rows)
    for pub in (27.0, 50.0, 76.0, 86.0):
        assert min(abs(f - pub) for f in found) < 1.5, (pub, found)


def test_no_frozen_orbit_names_the_key(grgm):
    with pytest.raises(InputError, match=r"--inclination-deg: no zonal \(J2..J30\) frozen orbit at i = 60 deg"):
        fz.frozen_first_guess(60.0, grgm, altitude_km=100.0, key="--inclination-deg")
    with pytest.raises(InputError, match="i_deg"):
        fz.frozen_roots(190.0, grgm, altitude_km=100.0)
    with pytest.raises(InputError, match="altitude_km"):
        fz.frozen_roots(86.0, grgm, altitude_km=-5.0)


SMALL = """name: frozen-small
start: 2030-01-01T00:00:00Z
duration: {duration}
orbit: {orbit}
force_model:
  gravity: {{model: GRGM1200A, degree: 10, order: 10}}
  third_bodies: [earth]
propagator: {{rtol: 1.0e-8, atol_km: 1.0e-5}}
"""


def load(tmp_path, orbit, duration="1 d"):
    from lunarscope.mission import load_mission

    p = tmp_path / "m.yaml"
    p.write_text(SMALL.format(orbit=orbit, duration=duration))
    return load_mission(str(p))


def test_correction_stops_the_loop_centre_drift(tmp_path):
    """One Newton step in a 10x10 + Earth field over 55 d cuts the centre drift > 5x and
    leaves the loop centre within 1e-3 of its mean."""
    m = load(tmp_path, "{design: frozen, altitude_km: 100, i_deg: 86, zonal_degree: 10}", "55 d")
    g = fz.frozen_first_guess(86.0, m.force_model.field, altitude_km=100.0, degree=10)
    c = fz.correct_frozen(g, m.t_start, m.t_stop, m.force_model, iterations=1, rtol=1e-8, atol_km=1e-5, neighbour=True)
    assert c.n_orbits == 5
    before, after = c.history[0][2], c.history[-1][2]
    assert after < before / 5
    assert c.loop.centre_excursion < 1e-3
    assert c.neighbour.centre_excursion > c.loop.centre_excursion
    assert c.loop.impact is None
    with pytest.raises(InputError, match="span"):
        fz.correct_frozen(g, m.t_start, m.t_start + 30 * 86400.0, m.force_model)


def test_mission_orbit_design_frozen_resolves_at_load(tmp_path):
    from lunarscope.orbits.planes import elements_in_plane

    m = load(tmp_path, "{design: frozen, altitude_km: 100, i_deg: 86, zonal_degree: 10}")
    g = fz.frozen_first_guess(86.0, m.force_model.field, altitude_km=100.0, degree=10)
    el = elements_in_plane([m.t_start], m.state0_icrf[None], m.gm_moon, "MOON_ME", pck=m.sources.moon_pck)[0]
    assert el[0] == pytest.approx(1837.4, abs=1e-6)
    assert el[1] == pytest.approx(g.e, abs=1e-9)
    assert math.degrees(el[2]) == pytest.approx(86.0, abs=1e-9)
    assert math.degrees(el[4]) == pytest.approx(g.argp_deg, abs=1e-6)
    assert m.orbit_frame == "MOON_ME_INERTIAL"


@pytest.mark.parametrize(
    "orbit,key",
    [
        ("{design: frozen, altitude_km: 100, a_km: 1837.4, i_deg: 86}", "orbit.altitude_km"),
        ("{design: frozen, i_deg: 86}", "orbit.altitude_km"),
        ("{design: frozen, altitude_km: 100}", "orbit.i_deg"),
        ("{design: frozen, altitude_km: 100, i_deg: 200}", "orbit.i_deg"),
        ("{design: freeze, altitude_km: 100, i_deg: 86}", "orbit.design"),
        ("{design: frozen, altitude_km: -3, i_deg: 86}", "orbit.altitude_km"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, zonal_degree: 99}", "orbit.zonal_degree"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, frame: ICRF}", "orbit.frame"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, correct_span: 90 d}", "orbit.correct_span"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, correct: true}", "duration"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, correct: true, correct_span: 20 d}", "orbit.correct_span"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, correct: yes please}", "orbit.correct"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, elements: {a_km: 1837.4, e: 0, i_deg: 86}}", "orbit.design"),
        ("{elements: {a_km: 1837.4, e: 0, i_deg: 86}, altitude_km: 100}", "orbit.altitude_km"),
        ("{design: frozen, altitude_km: 100, i_deg: 86, zonal_degre: 10}", "orbit.zonal_degre"),
    ],
)
def test_mission_orbit_design_bad_input(tmp_path, orbit, key):
    with pytest.raises(InputError) as exc:
        load(tmp_path, orbit)
    assert exc.value.field == key, str(exc.value)


@pytest.mark.slow
def test_mission_orbit_design_frozen_correct_true(tmp_path):
    """``correct: true`` at load runs the full-field correction (~15-30 s here): the initial
    e-vector moves off the zonal guess (e 0.00358 at 270 deg) to e 0.0023 at argp ~9 deg."""
    from lunarscope.orbits.planes import elements_in_plane

    orbit = (
        "{design: frozen, altitude_km: 100, i_deg: 86, zonal_degree: 10, correct: true, "
        "correct_span: 55 d, correct_iterations: 1}"
    )
    m = load(tmp_path, orbit)
    el = elements_in_plane([m.t_start], m.state0_icrf[None], m.gm_moon, "MOON_ME", pck=m.sources.moon_pck)[0]
    assert el[1] == pytest.approx(0.00227, abs=1e-4)
    assert math.degrees(el[4]) == pytest.approx(9.3, abs=1.0)
