"""RKN12(10) (Dormand, El-Mikkawy & Prince 1987): tableau, order, dense output, events, maneuvers,
and the 70×70 one-day case against the committed Orekit reference."""

import math
import pathlib
from fractions import Fraction

import numba
import numpy as np
import pytest

from lunarscope.dynamics import rkn12_tableau as tab
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.integrators import HermiteDenseSolution, integrate
from lunarscope.dynamics.propagator import Maneuver, propagate
from lunarscope.errors import InputError
from lunarscope.gravity import load_field
from lunarscope.sources import Sources

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "orekit"
MU = 4902.800118  # km^3/s^2, the Moon (DE440)
A_KM, ECC = 2500.0, 0.2  # test orbit: periapsis 2000 km, apoapsis 3000 km
PERIOD_S = 2.0 * math.pi * math.sqrt(A_KM**3 / MU)
KEPLER_100_REV_TOL_KM = 1e-6  # 100 revolutions at rtol 1e-13: within 1 mm of the exact solution
DENSE_TOL_KM = 3e-8  # dense output between the steps vs the exact orbit, 0.03 mm (rtol 1e-13; measured 7e-9)
DENSE_REAL_ATOL_KM = 1e-7  # 70×70 orbit at rtol 1e-10: dense output within the run's own atol_km
ORDER_TOL = 0.5  # measured orders (log2 of error ratios) within 0.5 of the theoretical ones
EVENT_AGREEMENT_S = 1e-5  # impact times of RKN12 and DOP853 agree to 10 µs
MANEUVER_AGREEMENT_KM = 1e-5  # 1 day with a burn: RKN12 vs DOP853 within 1 cm at rtol 1e-13
ONE_DAY_TOL_KM = 1e-3  # as tests/dynamics/test_against_orekit.py: ≤ 1 m over 1 day


@numba.njit(cache=True)
def kepler_rhs(t, y, args):
    r = math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2)
    k = -args[0] / r**3
    return np.array([y[3], y[4], y[5], k * y[0], k * y[1], k * y[2]])


@numba.njit(cache=True)
def below_radius(t, y, args):
    return math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2) - args[1]


@numba.njit(cache=True)
def drag_like_rhs(t, y, args):
    out = kepler_rhs(t, y, args)
    for m in range(3):
        out[3 + m] -= 1e-6 * y[3 + m]
    return out


def _initial(a=A_KM, e=ECC):
    """Periapsis state of an inclined ellipse and its perifocal axes P, Q."""
    rp = a * (1.0 - e)
    vp = math.sqrt(MU * (1.0 + e) / rp)
    inc = math.radians(50.0)
    p = np.array([1.0, 0.0, 0.0])
    q = np.array([0.0, math.cos(inc), math.sin(inc)])
    return np.concatenate([rp * p, vp * q]), p, q


def _exact(t, a=A_KM, e=ECC):
    """Two-body states (N, 6) at times t from periapsis at t = 0 (Kepler's equation by Newton)."""
    _, p, q = _initial(a, e)
    n = math.sqrt(MU / a**3)
    m_anom = np.mod(n * np.asarray(t, float), 2.0 * math.pi)
    ecc_anom = m_anom.copy()
    for _ in range(30):
        ecc_anom -= (ecc_anom - e * np.sin(ecc_anom) - m_anom) / (1.0 - e * np.cos(ecc_anom))
    c, s = np.cos(ecc_anom), np.sin(ecc_anom)
    b = math.sqrt(1.0 - e * e)
    x, yq = a * (c - e), a * b * s
    k = n * a / (1.0 - e * c)
    vx, vy = -k * s, k * b * c
    return np.column_stack([np.outer(x, p) + np.outer(yq, q), np.outer(vx, p) + np.outer(vy, q)])


def test_tableau_quadrature_and_row_conditions():
    c = [Fraction(x) for x in tab._C_EXACT]
    b = [Fraction(x) for x in tab._B_EXACT]
    bp = [Fraction(x) for x in tab._BP_EXACT]
    bh = [Fraction(x) for x in tab._BHAT_EXACT]
    bph = [Fraction(x) for x in tab._BPHAT_EXACT]
    for k in range(11):  # order 12: ∫ positions to c^10, velocities to c^11
        assert sum(w * ci**k for w, ci in zip(b, c)) == Fraction(1, (k + 1) * (k + 2))
    for k in range(12):
        assert sum(w * ci**k for w, ci in zip(bp, c)) == Fraction(1, k + 1)
    for k in range(9):  # embedded order 10
        assert sum(w * ci**k for w, ci in zip(bh, c)) == Fraction(1, (k + 1) * (k + 2))
        assert sum(w * ci**k for w, ci in zip(bph, c)) == Fraction(1, k + 1)
    row = tab.RKN12_A.sum(axis=1)
    np.testing.assert_allclose(row, tab.RKN12_C**2 / 2.0, rtol=0, atol=1e-14)


def test_kepler_100_revolutions_against_the_exact_solution():
    y0, _, _ = _initial()
    t_end = 100.0 * PERIOD_S
    res = integrate(kepler_rhs, 0.0, y0, t_end, args=(MU, 0.0), rtol=1e-13, atol=1e-10, method="rkn12")
    assert res.success
    err = np.linalg.norm(res.y[:, :3] - _exact(res.t)[:, :3], axis=1).max()
    print(f"RKN12 100 revs: max |dr| = {err * 1e6:.3f} mm in {res.n_steps} steps, {res.n_rhs} rhs")
    assert err <= KEPLER_100_REV_TOL_KM
    dop = integrate(kepler_rhs, 0.0, y0, t_end, args=(MU, 0.0), rtol=1e-13, atol=1e-10)
    assert res.n_rhs < dop.n_rhs  # fewer force evaluations at this tolerance
    assert isinstance(res.dense, HermiteDenseSolution)


@pytest.mark.parametrize("method", ["rkn12", "dop853"])
def test_steps_land_on_representable_times_far_from_j2000(method):
    """In 2030 ulp(t) = 1.2e-7 s: a step advanced by h but stamped fl(t + h) would drift along
    track by ~v·ulp/2 per step (random walk, ~1e-6 km over 30 revs); both kernels step by
    fl(t + h) − t (DOP853 did not before: the test failed for it)."""
    y0, _, _ = _initial()
    t0 = 946_728_069.184  # 2030-01-01 TDB
    runs = [
        integrate(kepler_rhs, t, y0, t + 30.0 * PERIOD_S, args=(MU, 0.0), rtol=1e-13, atol=1e-10, method=method)
        for t in (0.0, t0)
    ]
    errs = [np.linalg.norm(r.y[:, :3] - _exact(r.t - r.t[0])[:, :3], axis=1).max() for r in runs]
    print(f"30 revs from t = 0 / 2030: max |dr| {errs[0] * 1e6:.4f} / {errs[1] * 1e6:.4f} mm")
    assert errs[1] <= max(3.0 * errs[0], 1e-8)


def _fixed_step_error(n_steps):
    y0, _, _ = _initial()
    res = integrate(kepler_rhs, 0.0, y0, PERIOD_S, args=(MU, 0.0), fixed_step=PERIOD_S / n_steps, method="rkn12")
    return np.abs(res.y[-1] - _exact([PERIOD_S])[0]).max()


def test_global_error_scales_as_h12():
    # 12 and 16 steps per revolution: asymptotic, yet well above the round-off floor (~1e-11 km)
    e1, e2 = _fixed_step_error(12), _fixed_step_error(16)
    order = math.log(e1 / e2) / math.log(16 / 12)
    print(f"one revolution, 12 vs 16 fixed steps: errors {e1:.2e}, {e2:.2e} km → order {order:.2f}")
    assert abs(order - tab.ORDER) <= ORDER_TOL


def _embedded_error(n_steps):
    """Global error after one revolution of the embedded (order-10) solution, fixed steps."""
    from lunarscope.dynamics.rkn12_kernel import _rkn_step

    y, _, _ = _initial()
    h = PERIOD_S / n_steps
    f = np.zeros((tab.N_STAGES, 3))
    y_new, err = np.empty(6), np.empty(6)
    for k in range(n_steps):
        a0 = kepler_rhs(k * h, y, (MU, 0.0))[3:].copy()
        _rkn_step(kepler_rhs, k * h, y, a0, h, (MU, 0.0), f, np.empty(6), y_new, err)
        y = y_new - err  # the embedded solution
    return np.abs(y - _exact([PERIOD_S])[0]).max()


def test_embedded_solution_error_scales_as_h10():
    e1, e2 = _embedded_error(16), _embedded_error(32)
    order = math.log2(e1 / e2)
    print(f"embedded solution, 16 vs 32 fixed steps: errors {e1:.2e}, {e2:.2e} km → order {order:.2f}")
    assert abs(order - tab.EMBEDDED_ORDER) <= ORDER_TOL


def test_dense_output_hits_step_endpoints_and_the_orbit_between_them():
    y0, _, _ = _initial()
    res = integrate(kepler_rhs, 0.0, y0, 3.0 * PERIOD_S, args=(MU, 0.0), rtol=1e-13, atol=1e-10, method="rkn12")
    at_nodes = res.dense(res.t)
    np.testing.assert_allclose(at_nodes[:, :3], res.y[:, :3], rtol=0, atol=1e-9)
    np.testing.assert_allclose(at_nodes[:, 3:], res.y[:, 3:], rtol=0, atol=1e-12)
    mids = 0.5 * (res.t[:-1] + res.t[1:])
    quarter = res.t[:-1] + 0.25 * np.diff(res.t)
    tq = np.sort(np.concatenate([mids, quarter]))
    exact = _exact(tq)
    dr = np.linalg.norm(res.dense(tq)[:, :3] - exact[:, :3], axis=1).max()
    dv = np.linalg.norm(res.dense(tq)[:, 3:] - exact[:, 3:], axis=1).max()
    node_err = np.linalg.norm(res.y[:, :3] - _exact(res.t)[:, :3], axis=1).max()
    print(f"dense between steps: |dr| {dr * 1e6:.4f} mm, |dv| {dv * 1e9:.4f} µm/s (nodes {node_err * 1e6:.4f} mm)")
    assert dr <= DENSE_TOL_KM
    assert dv <= DENSE_TOL_KM * 1e-2


def test_impact_event_time_matches_dop853():
    y0, _, _ = _initial(A_KM, 0.4)  # periapsis 1500 km: crosses r = 1600 km inbound
    args = (MU, 1600.0)
    runs = [
        integrate(kepler_rhs, 0.0, y0, 2.0 * PERIOD_S, args=args, rtol=1e-12, atol=1e-9, event=below_radius, method=m)
        for m in ("dop853", "rkn12")
    ]
    for r in runs:
        assert r.status.name == "EVENT"
        assert abs(np.linalg.norm(r.event_state[:3]) - 1600.0) <= 1e-6
        assert r.dense(r.event_time).shape == (6,)
    assert abs(runs[0].event_time - runs[1].event_time) <= EVENT_AGREEMENT_S


def test_velocity_dependent_rhs_is_refused():
    y0, _, _ = _initial()
    with pytest.raises(InputError, match="does not depend on the velocity"):
        integrate(drag_like_rhs, 0.0, y0, 100.0, args=(MU, 0.0), method="rkn12")
    with pytest.raises(InputError, match="method"):
        integrate(kepler_rhs, 0.0, y0, 100.0, args=(MU, 0.0), method="rk4")


def test_velocity_check_is_kept_per_rhs_and_argument_tuple():
    # integrate remembers that an argument tuple passed the check, but for that rhs only: the
    # same tuple handed to a velocity-dependent rhs is still refused, every time
    y0, _, _ = _initial()
    args = (MU, 0.0)
    for _ in range(2):
        assert integrate(kepler_rhs, 0.0, y0, 100.0, args=args, method="rkn12").success
    for _ in range(2):
        with pytest.raises(InputError, match="does not depend on the velocity"):
            integrate(drag_like_rhs, 0.0, y0, 100.0, args=args, method="rkn12")


@pytest.fixture(scope="module")
def field70():
    src = Sources.default()
    fld = load_field(str(DATA / "grgm1200a_70.sha")).truncated(70, 70)
    return ForceModel(fld, "IAU_MOON", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)


def test_polar_70x70_one_day_agrees_with_orekit(field70):
    ref = np.load(DATA / "polar100_1d.npz")
    t = ref["t_tdb"]
    res = propagate(ref["state0"], t[0], t[-1], field70, rtol=1e-13, atol_km=1e-10, method="rkn12")
    dr = np.linalg.norm(res.trajectory.state(t)[:, :3] - ref["states"][:, :3], axis=1)
    print(f"RKN12 polar100_1d: max |dr| = {dr.max() * 1e3:.4f} m, {res.n_steps} steps, {res.n_rhs} rhs")
    assert dr.max() <= ONE_DAY_TOL_KM
    assert res.trajectory.source == "lunarscope RKN12"


def test_dense_output_on_the_70x70_orbit_within_atol(field70):
    from lunarscope.constants import MOON_RADIUS_KM
    from lunarscope.dynamics.forces import moon_rhs

    ref = np.load(DATA / "polar100_1d.npz")
    t0 = float(ref["t_tdb"][0])
    args = field70.args(t0, t0 + 21600.0, MOON_RADIUS_KM)
    atol = np.array([DENSE_REAL_ATOL_KM] * 3 + [DENSE_REAL_ATOL_KM * 1e-3] * 3)
    res = integrate(moon_rhs, t0, ref["state0"], t0 + 21600.0, args=args, rtol=1e-10, atol=atol, method="rkn12")
    worst = 0.0
    for k in np.random.default_rng(1).choice(res.n_steps, 20, replace=False):
        for frac in (0.25, 0.5, 0.75):
            tq = res.t[k] + frac * (res.t[k + 1] - res.t[k])
            direct = integrate(moon_rhs, res.t[k], res.y[k], tq, args=args, rtol=1e-14, atol=1e-13, method="rkn12")
            worst = max(worst, float(np.linalg.norm(res.dense(tq)[:3] - direct.y[-1][:3])))
    print(f"70x70 dense output vs direct integration from the step start: {worst * 1e6:.4f} mm")
    assert worst <= DENSE_REAL_ATOL_KM


def test_maneuver_and_impact_match_dop853(field70):
    ref = np.load(DATA / "polar100_1d.npz")
    t0 = float(ref["t_tdb"][0])
    burn = Maneuver(t0 + 20000.0, (0.0, -0.03, 0.0))  # lowers periapsis; the orbit then hits the Moon
    out = {}
    for m in ("dop853", "rkn12"):
        out[m] = propagate(
            ref["state0"], t0, t0 + 86400.0, field70, rtol=1e-13, atol_km=1e-10, maneuvers=[burn], method=m
        )
    a, b = out["dop853"], out["rkn12"]
    assert (a.impact_time is None) == (b.impact_time is None)
    stop = a.impact_time if a.impact_time is not None else t0 + 86400.0
    if a.impact_time is not None:
        assert abs(a.impact_time - b.impact_time) <= EVENT_AGREEMENT_S * 10
    tq = np.linspace(t0, stop - 1.0, 500)
    dr = np.linalg.norm(a.trajectory.state(tq)[:, :3] - b.trajectory.state(tq)[:, :3], axis=1).max()
    print(f"maneuver case: max |dr| RKN12 vs DOP853 = {dr * 1e3:.4f} m, impact {a.impact_time} / {b.impact_time}")
    assert dr <= MANEUVER_AGREEMENT_KM
    with pytest.raises(InputError, match="propagator.method"):
        propagate(ref["state0"], t0, t0 + 60.0, field70, method="euler")


def _mission_raw(**propagator):
    return {
        "name": "rkn",
        "start": "2030-01-01T00:00:00Z",
        "duration": "2 h",
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": {"a_km": 1837.4, "e": 0.001, "i_deg": 90.0}},
        "force_model": {"gravity": {"model": "GRGM1200A", "degree": 8, "order": 8}},
        "propagator": propagator,
    }


def test_mission_file_selects_the_method():
    from lunarscope.dynamics.propagator import run_propagation
    from lunarscope.mission.core import mission_from_dict
    from lunarscope.mission.stages import propagation_job

    assert propagation_job(mission_from_dict(_mission_raw())).method == "dop853"
    job = propagation_job(mission_from_dict(_mission_raw(method="RKN12", rtol=1e-12)))
    assert job.method == "rkn12"
    res = run_propagation(job)
    assert res.trajectory.source == "lunarscope RKN12"
    ref = propagate(job.state0, job.t_start, job.t_stop, job.force_model, rtol=1e-13, atol_km=1e-10)
    dr = np.linalg.norm(res.trajectory.state([job.t_stop])[0, :3] - ref.trajectory.state([job.t_stop])[0, :3])
    assert dr <= 1e-5  # 1 cm after 2 h at the mission's rtol 1e-12 / atol 1e-9 km
    with pytest.raises(InputError, match=r"propagator\.method.*dop853, rkn12"):
        mission_from_dict(_mission_raw(method="rk45"))
