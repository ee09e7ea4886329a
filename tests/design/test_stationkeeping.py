"""Station keeping (``lunarscope.design.stationkeeping``): the controlled orbit stays in its box
where the uncontrolled one leaves it; one apsis-pair correction costs the two-body (vis-viva)
Δv; the near-circular Gauss pair costs v|Δe|/2; the Monte Carlo is deterministic for a seed and
any number of workers; errors widen the spread. Low-degree field, short spans: seconds each."""

import math

import numpy as np
import pytest
from sk_context import sk_context

from lunarscope.design import stationkeeping as sk
from lunarscope.errors import InputError
from lunarscope.mission.core import mission_from_dict

#: Allowed dip of the controlled mean periapsis below the box (km): the mean over one orbit
#: straddling a burn blends the two orbits.
BOX_SLACK_KM = 0.3


def _mission(days="8 d", degree=10, elements=None, bodies=("earth", "sun")):
    el = elements or {"a_km": 1787.4, "e": 0.0, "i_deg": 90.0}
    raw = {
        "name": "sk",
        "start": "2030-01-01T00:00:00Z",
        "duration": days,
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": el},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": degree, "order": degree},
            "third_bodies": list(bodies),
        },
    }
    return mission_from_dict(raw)


def _ctx(m, box, policy="reset", **kw):
    """Policy reset unless told: these tests check the deadband's reset target and burn sizes."""
    return sk_context(m, box, policy, **kw)


@pytest.fixture(scope="module")
def low():
    m = _mission()
    return m, _ctx(m, {"periapsis_km": [44, 56]})


def test_controlled_orbit_stays_in_box_uncontrolled_leaves(low):
    m, ctx = low
    free = sk.simulate(ctx, m.state0_icrf, control=False)
    run = sk.simulate(ctx, m.state0_icrf)
    assert np.nanmin(free.hp_km) < 44.0 - 3.0  # the 50 km polar orbit's periapsis falls out of the box
    assert run.corrections >= 2 and len(run.maneuvers) == 2 * run.corrections
    assert np.nanmin(run.hp_km) >= 44.0 - BOX_SLACK_KM
    assert np.nanmax(run.hp_km) <= 56.0 + BOX_SLACK_KM
    assert run.impact is None and run.dv_per_year_mps > 0
    # each correction: two transverse burns about half an orbit apart
    for a, b in zip(run.maneuvers[::2], run.maneuvers[1::2]):
        assert b.t - a.t == pytest.approx(0.5 * ctx.period_s, rel=0.1)
        assert a.dv_kms[0] == 0 and a.dv_kms[2] == 0


def test_e_vector_circle_is_held(low):
    m, _ = low
    ctx = _ctx(m, {"e_vector": {"center": [0.0, 0.0], "radius": 0.003, "plane": "MOON_ME"}})
    free = sk.simulate(ctx, m.state0_icrf, control=False)
    run = sk.simulate(ctx, m.state0_icrf)
    assert np.nanmax(np.hypot(free.ex, free.ey)) > 0.006  # uncontrolled: twice the radius
    assert run.corrections >= 2 and np.nanmax(np.hypot(run.ex, run.ey)) < 0.003


def test_apsis_pair_matches_vis_viva_in_two_body():
    # ELFO-like orbit, point-mass Moon: the refined pair is the vis-viva pair
    el = {"a_km": 5000.0, "e": 0.5, "i_deg": 60.0, "argp_deg": 90.0}
    m = _mission("3 d", degree=0, elements=el, bodies=())
    ctx = _ctx(m, {"periapsis_km": [500, 1500]})
    assert ctx.elliptic
    rp0, ra0 = 2500.0, 7500.0
    assert ctx.target["rp"] == pytest.approx(rp0, abs=1e-3) and ctx.target["ra"] == pytest.approx(ra0, abs=1e-3)
    ctx.target.update(rp=rp0 + 100.0, ra=ra0 - 200.0)
    m1, m2 = sk.plan_correction(ctx, m.state0_icrf, m.t_start)
    dv1, dv2 = sk.apsis_pair_dv(rp0, ra0, rp0 + 100.0, ra0 - 200.0, m.gm_moon)
    assert m1.dv_kms[1] == pytest.approx(dv1, rel=1e-4) and m2.dv_kms[1] == pytest.approx(dv2, rel=1e-4)
    assert dv1 > 0 > dv2  # raise periapsis at apoapsis, lower apoapsis at periapsis
    # the burns happen at apoapsis and then periapsis
    from lunarscope.dynamics.propagator import propagate

    r = propagate(m.state0_icrf, m.t_start, m2.t + 100.0, m.force_model, maneuvers=(m1, m2), rtol=1e-11, atol_km=1e-8)
    r1 = np.linalg.norm(r.trajectory.position(np.array([m1.t]))[0])
    r2 = np.linalg.norm(r.trajectory.position(np.array([m2.t]))[0])
    assert r1 == pytest.approx(ra0, abs=1e-3) and r2 == pytest.approx(rp0 + 100.0, abs=0.05)
    # after the pair: the target apsides
    s = r.trajectory.state(np.array([m2.t + 100.0]))[0]
    from lunarscope.orbits.elements import cartesian_to_keplerian

    a, e = np.asarray(cartesian_to_keplerian(s, m.gm_moon)).reshape(-1)[:2]
    assert a * (1 - e) == pytest.approx(rp0 + 100.0, abs=0.05) and a * (1 + e) == pytest.approx(ra0 - 200.0, abs=0.05)


def test_gauss_pair_matches_v_de_over_two_in_two_body():
    el = {"a_km": 1837.4, "e": 0.004, "i_deg": 86.0, "argp_deg": 270.0}
    m = _mission("2 d", degree=0, elements=el, bodies=())
    ctx = _ctx(m, {"periapsis_km": [50, 150]})
    assert not ctx.elliptic
    ex0, ey0 = ctx.target["ex"], ctx.target["ey"]
    assert math.hypot(ex0, ey0) == pytest.approx(0.004, abs=1e-6)
    ctx.target.update(ex=ex0 + 0.003, ey=ey0 - 0.002)  # |de| = 0.0036, a unchanged
    m1, m2 = sk.plan_correction(ctx, m.state0_icrf, m.t_start)
    v = math.sqrt(m.gm_moon / ctx.target["a"])
    total = abs(m1.dv_kms[1]) + abs(m2.dv_kms[1])
    assert total == pytest.approx(v * math.hypot(0.003, 0.002) / 2, rel=0.02)  # Gauss: v |de| / 2
    assert m1.dv_kms[1] == pytest.approx(-m2.dv_kms[1], rel=0.05)  # a kept: equal and opposite


@pytest.fixture(scope="module")
def short():
    m = _mission("4 d")
    return m, _ctx(m, {"periapsis_km": [44, 56]})


def test_monte_carlo_is_seeded_and_worker_independent(short):
    m, ctx = short
    err = sk.Errors.default()
    a = sk.monte_carlo(ctx, m.state0_icrf, err, runs=2, seed=7, workers=1)
    b = sk.monte_carlo(ctx, m.state0_icrf, err, runs=2, seed=7, workers=2)
    assert a == b
    c = sk.monte_carlo(ctx, m.state0_icrf, err, runs=1, seed=8, workers=1)
    assert c[0]["dv_total_mps"] != a[0]["dv_total_mps"]


def test_errors_widen_the_spread(short):
    m, ctx = short
    none = sk.monte_carlo(ctx, m.state0_icrf, sk.Errors(), runs=2, seed=1, workers=2)
    big = sk.Errors((0.2, 0.2, 0.2), (2e-4, 2e-4, 2e-4), 0.1, 5.0)
    wide = sk.monte_carlo(ctx, m.state0_icrf, big, runs=2, seed=1, workers=2)
    s0, s1 = sk.statistics(none), sk.statistics(wide)
    assert s0["dv_per_year_std_mps"] == 0.0
    assert s1["dv_per_year_std_mps"] > 0.1


@pytest.mark.parametrize(
    "box, key, words",
    [
        ("periapsis_km: [80, 120]", "box", "mapping"),
        ({"periapsis_km": [120, 80]}, "box.periapsis_km", "below"),
        ({"periapsis_km": [80]}, "box.periapsis_km", "pair"),
        ({"perigee_km": [80, 120]}, "box.perigee_km", "unknown key"),
        ({}, "box", "empty"),
        ({"e_vector": {"center": [0, 0], "radius": 2}}, "box.e_vector.radius", "(0, 1)"),
        ({"e_vector": {"center": [0, 0], "radius": 0.01, "plane": "XY"}}, "box.e_vector.plane", "plane"),
    ],
)
def test_box_errors_name_the_key(box, key, words):
    with pytest.raises(InputError) as e:
        sk.parse_box(box, "box")
    assert e.value.field == key and words in str(e.value)


def test_target_outside_box_is_refused():
    m = _mission("2 d")
    with pytest.raises(InputError) as e:
        _ctx(m, {"periapsis_km": [80, 120]}, key="--box")
    assert e.value.field == "--box" and "outside the box" in str(e.value)
