"""x-axis-crossing station-keeping of three-body orbits in the full model (design/three_body_stationkeeping):
the free flight follows the baseline without errors, the burn meets the reference's vx at its target
crossing, control bounds the deviation where the uncontrolled orbit leaves, the Monte Carlo is
reproducible, and wrong settings give one InputError naming the key."""

from __future__ import annotations

import numpy as np
import pytest

from lunarscope.design import families as F
from lunarscope.design import three_body_stationkeeping as T
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.sources import Sources
from lunarscope.time import to_tdb

T0 = float(to_tdb("2030-01-01T00:00:00Z"))
DAY = 86400.0


@pytest.fixture(scope="module")
def force_model():
    src = Sources.default()
    fld = builtin_field("GRGM1200A").truncated(8, 8)
    return ForceModel(fld, "MOON_PA", ("earth", "sun"), True, ephemeris=src.ephemeris, moon_pck=src.moon_pck)


@pytest.fixture(scope="module")
def nrho_ctx(force_model):
    """The 9:2 NRHO over 3 revolutions (19.7 d), targeting 2 revolutions downstream."""
    m = F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("9:2"), option="--resonance")
    t1 = T0 + 3 * m.period_d * DAY
    ref = T.reference(m, T0, t1, force_model, 2)
    return T.make_context("nrho", ref, T0, t1, force_model, target_revs=2)


@pytest.fixture(scope="module")
def halo_ctx(force_model):
    """The L2 south halo of Az 15,000 km (stability index ~540) over 4 revolutions (59 d)."""
    m = F.pick("halo", "L2", "south", az_km=15000.0, option="--az-km")
    t1 = T0 + 4 * m.period_d * DAY
    ref = T.reference(m, T0, t1, force_model, 1)
    return T.make_context("halo", ref, T0, t1, force_model)


def test_reference_crossings(nrho_ctx):
    ctx = nrho_ctx
    assert ctx.period_s / DAY == pytest.approx(6.56, abs=0.1)
    # two crossings per revolution, alternating sides; apolune side far (~70,000 km), perilune near
    r = np.linalg.norm(ctx.reference.position(ctx.tc), axis=1)
    assert np.all(r[ctx.burn_side] > 60000.0) and np.all(r[~ctx.burn_side] < 5000.0)
    assert np.all(np.abs(np.diff(ctx.tc) - 0.5 * ctx.period_s) < 0.1 * ctx.period_s)
    burns = ctx.burns()  # the apolunes inside the 3-revolution span, each with a perilune target 1.5 revs on
    assert len(burns) in (2, 3)
    for tb, j in burns:
        i = int(np.argmin(np.abs(ctx.tc - tb)))
        assert ctx.burn_side[i] and not ctx.burn_side[j] and j == i + 3
        assert T0 < tb < nrho_ctx.t_stop


def test_no_errors_no_control_follows_baseline(nrho_ctx):
    run = T.simulate(nrho_ctx, control=False)
    assert run.maneuvers == ()
    # 3 revolutions of free flight from the baseline's first state (measured: 0.02 km)
    assert run.max_deviation_km < 1.0


def test_burn_restores_vx_at_target_crossing(nrho_ctx, force_model):
    ctx = nrho_ctx
    tb, j = ctx.burns()[0]
    y = ctx.reference.state(np.array([tb]))[0].copy()
    y[3:] += np.array([2e-5, -1e-5, 1e-5])  # a 2.4 cm/s velocity error at apolune
    plan = T.plan_burn(ctx, y, tb, j)
    assert plan is not None and abs(plan.vx_miss_kms) <= T.VX_TOL_KMS
    horizon = ctx.tc[j] + 0.3 * ctx.period_s
    miss = []
    for dv in (np.zeros(3), plan.dv_icrf):
        y0 = y.copy()
        y0[3:] += dv
        traj = propagate(y0, tb, horizon, force_model).trajectory
        tc = T._match(ctx, traj, j)
        miss.append(abs(T.vx_at(traj, ctx.ephemeris, tc)[0] - ctx.vx_ref[j]))
    assert miss[1] <= T.VX_TOL_KMS  # flown again: the target is met to the tolerance
    assert miss[0] > 100 * T.VX_TOL_KMS  # and without the burn it is not
    assert 0 < np.linalg.norm(plan.dv_icrf) < 0.01  # km/s: a cm/s-class correction, not a transfer


def test_control_bounds_deviation_uncontrolled_grows(halo_ctx):
    errors = T.default_errors()
    ctrl = T.simulate(halo_ctx, errors, np.random.default_rng([5, 0]))
    free = T.simulate(halo_ctx, errors, np.random.default_rng([5, 0]), control=False)
    assert ctrl.lost is None and len(ctrl.maneuvers) >= 2
    # measured: controlled 110 km, uncontrolled ~1e5 km after 4 revolutions
    assert ctrl.max_deviation_km < 1000.0
    assert free.max_deviation_km > 10 * ctrl.max_deviation_km
    # the uncontrolled deviation grows: the last revolution is far worse than the first
    P = halo_ctx.period_s
    first = free.deviation_km[free.t < free.t[0] + P].max()
    last = free.deviation_km[free.t > free.t[-1] - P].max()
    assert last > 100 * first


def test_monte_carlo_reproducible(nrho_ctx):
    errors = T.default_errors()
    a = T.monte_carlo(nrho_ctx, errors, 2, seed=3, workers=1)
    b = T.monte_carlo(nrho_ctx, errors, 2, seed=3, workers=2)
    c = T.monte_carlo(nrho_ctx, errors, 1, seed=4, workers=1)
    assert repr(a) == repr(b)  # identical numbers on 1 and 2 workers (repr: NaN spacing of a 1-burn run)
    assert repr(a[0]) != repr(c[0])
    s = T.statistics(a)
    assert s["runs"] == 2 and s["impacts"] == 0
    assert s["dv_per_year_p95_mps"] >= s["dv_per_year_mean_mps"] * 0.999 or s["dv_per_year_std_mps"] == 0


def test_wrong_settings_name_the_key(nrho_ctx, force_model):
    ref = nrho_ctx.reference
    with pytest.raises(InputError, match="target_revs"):
        T.make_context("nrho", ref, T0, T0 + 10 * DAY, force_model, target_revs=0)
    with pytest.raises(InputError, match="burn_points"):
        T.make_context("nrho", ref, T0, T0 + 10 * DAY, force_model, burn_points="perilune")
    with pytest.raises(InputError, match="strategy"):
        T.make_context("elfo", ref, T0, T0 + 10 * DAY, force_model)
    with pytest.raises(InputError, match="span"):  # the reference ends before the target of the last burn
        T.make_context("nrho", ref, T0, ref.t_stop - 1.0, force_model, target_revs=6)


# ------------------------------------------------------------------ mission file and command line

DRO_MISSION = """name: dro-sk
start: 2030-01-01T00:00:00Z
duration: 16 d
spacecraft: {mass_kg: 450, srp_area_m2: 4.0, cr: 1.3}
orbit: {family: dro, resonance: "2:1"}
force_model:
  gravity: {model: GRGM1200A, degree: 8, order: 8}
  third_bodies: [earth, sun]
  srp: true
"""
LOW_ORBIT = {
    "name": "low",
    "start": "2030-01-01T00:00:00Z",
    "duration": "1 d",
    "orbit": {
        "frame": "MOON_ME_INERTIAL",
        "elements": {"a_km": 1837.4, "e": 0.0, "i_deg": 90, "raan_deg": 0, "argp_deg": 0, "ta_deg": 0},
    },
    "force_model": {"gravity": {"model": "GRGM1200A", "degree": 4, "order": 4}},
}


def _dro(extra=None):
    import yaml

    raw = yaml.safe_load(DRO_MISSION)
    raw["station_keeping"] = extra
    return raw


def test_mission_section_x_axis_crossing():
    """orbit.family + station_keeping: the strategy defaults to x_axis_crossing; nothing is inserted
    at load (the maneuvers are the reference's patch-point jumps only)."""
    from lunarscope.design.ephemeris_shooting import CONTINUITY_VEL_TOL_KM_S
    from lunarscope.mission.core import mission_from_dict

    m = mission_from_dict(_dro({"target_revs": 2, "min_dv_mps": 0.02, "runs": 5}))
    sk = m.station_keeping
    assert sk.strategy == "x_axis_crossing" and sk.box is None and sk.nominal is None
    assert (sk.target_revs, sk.burn_points, sk.min_dv_kms, sk.runs) == (2, None, 2e-5, 5)
    assert sk.od_position_km == (1.0, 1.0, 1.0) and sk.od_velocity_kms == (1e-5, 1e-5, 1e-5)  # the three-body defaults
    assert all(np.linalg.norm(b.dv_kms) <= CONTINUITY_VEL_TOL_KM_S for b in m.maneuvers)  # jumps only


@pytest.mark.parametrize(
    "raw, key",
    [
        (_dro({"box": {"periapsis_km": [100, 200]}}), "station_keeping.box"),
        (_dro({"strategy": "deadband", "box": {"periapsis_km": [100, 200]}}), "station_keeping.strategy"),
        (_dro({"target_revs": 9}), "station_keeping.target_revs"),
        (_dro({"burn_points": "perilune"}), "station_keeping.burn_points"),
        ({**LOW_ORBIT, "station_keeping": {"strategy": "x_axis_crossing"}}, "station_keeping.strategy"),
        (
            {**LOW_ORBIT, "station_keeping": {"box": {"periapsis_km": [50, 150]}, "target_revs": 2}},
            "station_keeping.target_revs",
        ),
    ],
)
def test_mission_section_wrong_combinations(raw, key):
    """The section as the mission load parses it (the family orbits: against a stand-in mission, so
    that the test does not carry the DRO into the force model each time)."""
    from types import SimpleNamespace

    from lunarscope.mission import station_keeping as msk
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.mission.reader import Section

    with pytest.raises(InputError) as e:
        if "family" in raw["orbit"]:
            msk.parse(Section(raw, ""), SimpleNamespace(raw=raw, t_start=T0, t_stop=T0 + 16 * DAY))
        else:
            mission_from_dict(raw)
    assert e.value.field == key


def test_cli_design_stationkeeping_three_body(tmp_path, capsys):
    """A real run of the 2:1 DRO over 16 days: run table, run 0's burns, the page; no mission.yaml."""
    import csv

    from lunarscope.cli.main import main

    p = tmp_path / "dro.yaml"
    p.write_text(DRO_MISSION)
    out = tmp_path / "out"
    rc = main(["design", "stationkeeping", str(p), "--runs", "2", "--seed", "3", "--workers", "1", "-o", str(out)])
    assert rc == 0
    assert sorted(q.name for q in out.iterdir()) == ["maneuvers.csv", "stationkeeping.csv", "stationkeeping.html"]
    rows = list(csv.DictReader((out / "stationkeeping.csv").open()))
    assert [r["run"] for r in rows] == ["0", "1"] and all(float(r["max_deviation_km"]) > 0 for r in rows)
    page = (out / "stationkeeping.html").read_text()
    assert page.count("<svg") == 2 and "Distance from the reference" in page
    err = capsys.readouterr().err
    assert "x_axis_crossing" in err and "Monte Carlo 2 runs" in err
    # options of the other strategy are refused with one line naming the option
    rc = main(["design", "stationkeeping", str(p), "--box", "periapsis_km: [1, 2]", "-o", str(tmp_path / "o2")])
    assert rc == 2 and "--box" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()
