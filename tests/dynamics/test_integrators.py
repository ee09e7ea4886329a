"""Tests of the compiled DOP853 integrator (lunarscope.dynamics.integrators).

Independent references: an analytic two-body solution written here from Kepler's
equation (Vallado, Fundamentals of Astrodynamics, 4th ed., Alg. 2 and eq. 2-58),
scipy.integrate.solve_ivp(method="DOP853"), and the order conditions of Runge–Kutta
methods (Hairer–Nørsett–Wanner I, Sec. II.2).
"""

import math

import numba
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.integrate._ivp import dop853_coefficients as scipy_dop853

from lunarscope.dynamics import integrators as itg
from lunarscope.dynamics.integrators import DenseSolution, IntegrationStatus, integrate
from lunarscope.errors import InputError

GM_MOON = 4902.80011526323  # km^3/s^2 (project value)
ONE_MM_KM = 1e-6
ONE_CM_KM = 1e-5
ONE_M_KM = 1e-3
ONE_UM_S_KMS = 1e-9  # 1 micrometre per second in km/s
EVENT_TIME_TOL_S = 1e-5  # event located to 1e-6 s + trajectory error
RELATIVE_DRIFT_LIMIT = 1e-12  # project figure: invariants over 100 orbits

CIRCULAR = {"a": 1838.0, "e": 0.0, "i": math.radians(90.0), "raan": 0.4, "argp": 0.0}
ECCENTRIC = {"a": 6541.4, "e": 0.6, "i": math.radians(56.2), "raan": 1.1, "argp": 0.8}


@numba.njit(cache=True)
def two_body(t, y, args):
    mu = args[0]
    r = math.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    k = -mu / (r * r * r)
    out = np.empty(6)
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = k * y[0]
    out[4] = k * y[1]
    out[5] = k * y[2]
    return out


@numba.njit(cache=True)
def harmonic(t, y, args):
    """y'' = -w^2 y (a second, unrelated right-hand side)."""
    w = args[0]
    out = np.empty(2)
    out[0] = y[1]
    out[1] = -w * w * y[0]
    return out


@numba.njit(cache=True)
def radius_below(t, y, args):
    """Terminal event: r - r_threshold (crosses + -> - when r drops below)."""
    return math.sqrt(y[0] ** 2 + y[1] ** 2 + y[2] ** 2) - args[1]


@numba.njit(cache=True)
def nan_rhs(t, y, args):
    return np.full(y.shape[0], np.nan)


def _rot(i, raan, argp):
    """Perifocal -> inertial rotation R3(-raan) R1(-i) R3(-argp) (Vallado eq. 2-99)."""
    cO, sO, ci, si, cw, sw = (np.cos(raan), np.sin(raan), np.cos(i), np.sin(i), np.cos(argp), np.sin(argp))
    return np.array(
        [
            [cO * cw - sO * sw * ci, -cO * sw - sO * cw * ci, sO * si],
            [sO * cw + cO * sw * ci, -sO * sw + cO * cw * ci, -cO * si],
            [sw * si, cw * si, ci],
        ]
    )


def kepler_state(t, a, e, i, raan, argp, mu=GM_MOON, m0=0.0):
    """Analytic two-body states (N, 6) at times t [s]; mean anomaly m0 at t = 0."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    n = math.sqrt(mu / a**3)
    m = m0 + n * t
    ecc = m.copy() if e < 0.8 else np.full_like(m, math.pi)
    for _ in range(50):  # Newton on E - e sin E = M
        ecc = ecc - (ecc - e * np.sin(ecc) - m) / (1.0 - e * np.cos(ecc))
    b = a * math.sqrt(1.0 - e * e)
    cE, sE = np.cos(ecc), np.sin(ecc)
    den = 1.0 - e * cE
    pf = np.zeros((t.size, 6))
    pf[:, 0] = a * (cE - e)
    pf[:, 1] = b * sE
    pf[:, 3] = -a * n * sE / den
    pf[:, 4] = b * n * cE / den
    rot = _rot(i, raan, argp)
    out = np.empty_like(pf)
    out[:, :3] = pf[:, :3] @ rot.T
    out[:, 3:] = pf[:, 3:] @ rot.T
    return out


def period(a, mu=GM_MOON):
    return 2.0 * math.pi * math.sqrt(a**3 / mu)


def invariants(y):
    r = np.linalg.norm(y[:, :3], axis=1)
    energy = 0.5 * np.sum(y[:, 3:] ** 2, axis=1) - GM_MOON / r
    h = np.linalg.norm(np.cross(y[:, :3], y[:, 3:]), axis=1)
    return energy, h


# ------------------------------------------------------------------------------ tableau


def test_tableau_order_conditions():
    c, a, b = itg.DOP853_C, itg.DOP853_A, itg.DOP853_A[12, :12]
    # row sums c_i = sum_j a_ij (all 16 stages)
    np.testing.assert_allclose(a.sum(axis=1), c, atol=1e-14)
    # quadrature conditions sum b_i c_i^(k-1) = 1/k for k = 1..8
    for k in range(1, 9):
        assert abs(np.dot(b, c[:12] ** (k - 1)) - 1.0 / k) < 1e-14
    # error estimators are differences of consistent weights: they sum to zero
    assert abs(itg.DOP853_E5.sum()) < 1e-14
    assert abs(itg.DOP853_E3.sum()) < 1e-14


def test_tableau_matches_scipy_transcription():
    """Same HNW values as the independent transcription inside scipy."""
    np.testing.assert_allclose(itg.DOP853_C, scipy_dop853.C, rtol=0, atol=1e-16)
    np.testing.assert_allclose(itg.DOP853_A, scipy_dop853.A, rtol=0, atol=1e-15)
    np.testing.assert_allclose(itg.DOP853_E3, scipy_dop853.E3, rtol=0, atol=1e-15)
    np.testing.assert_allclose(itg.DOP853_E5, scipy_dop853.E5, rtol=0, atol=1e-15)
    np.testing.assert_allclose(itg.DOP853_D, scipy_dop853.D, rtol=0, atol=1e-13)


# ------------------------------------------------------------------------------ (a) Kepler


@pytest.mark.parametrize("orbit,bound_km", [(CIRCULAR, ONE_MM_KM), (ECCENTRIC, ONE_M_KM)], ids=["circular", "e0.6"])
def test_kepler_many_orbits(orbit, bound_km):
    p = period(orbit["a"])
    n_orbits = 50
    y0 = kepler_state(0.0, **orbit)[0]
    t = np.linspace(0.0, n_orbits * p, 2001)
    res = integrate(two_body, 0.0, y0, t[-1], (GM_MOON,), rtol=1e-12, atol=1e-12)
    assert res.status == IntegrationStatus.SUCCESS
    assert res.t[-1] == t[-1]
    ref = kepler_state(t, **orbit)
    err = np.linalg.norm(res.dense(t)[:, :3] - ref[:, :3], axis=1).max()
    print(
        f"\n{n_orbits} orbits a={orbit['a']} e={orbit['e']}: max position error {err * 1e6:.3f} mm, {res.n_steps} steps"
    )
    # the along-track error grows linearly with time (energy error of the method, the
    # same as scipy's DOP853 at these tolerances: see test_invariant_drift_100_orbits)
    assert err < bound_km


# ------------------------------------------------------------------------------ (b) drift


@pytest.mark.parametrize(
    "orbit,rtol,atol",
    [
        (CIRCULAR, 1e-13, 1e-13),
        (ECCENTRIC, 3e-15, 1e-20),
    ],
    ids=["circular", "e0.6"],
)
def test_invariant_drift_100_orbits(orbit, rtol, atol):
    """Project figure: relative energy and angular-momentum drift over 100 orbits."""
    y0 = kepler_state(0.0, **orbit)[0]
    t_end = 100 * period(orbit["a"])
    res = integrate(two_body, 0.0, y0, t_end, (GM_MOON,), rtol=rtol, atol=atol)
    energy, h = invariants(res.y)
    d_e = np.abs(energy / energy[0] - 1.0).max()
    d_h = np.abs(h / h[0] - 1.0).max()
    # the same at the common setting rtol = atol = 1e-12, for the record
    res12 = integrate(two_body, 0.0, y0, t_end, (GM_MOON,), rtol=1e-12, atol=1e-12)
    e12, h12 = invariants(res12.y)
    print(
        f"\n100 orbits a={orbit['a']} km e={orbit['e']}: rtol={rtol:g} atol={atol:g}: "
        f"energy drift {d_e:.2e}, |h| drift {d_h:.2e} ({res.n_steps} steps); "
        f"rtol=atol=1e-12: energy {np.abs(e12 / e12[0] - 1).max():.2e}, "
        f"|h| {np.abs(h12 / h12[0] - 1).max():.2e} ({res12.n_steps} steps)"
    )
    assert d_e <= RELATIVE_DRIFT_LIMIT
    assert d_h <= RELATIVE_DRIFT_LIMIT


# ------------------------------------------------------------------------------ (c) dense


@pytest.mark.parametrize("rtol,bound_km", [(1e-8, 50 * ONE_M_KM), (1e-12, ONE_MM_KM)])
def test_dense_output_random_times(rtol, bound_km):
    orbit = ECCENTRIC
    p = period(orbit["a"])
    y0 = kepler_state(0.0, **orbit)[0]
    res = integrate(two_body, 0.0, y0, 3 * p, (GM_MOON,), rtol=rtol, atol=rtol)
    rng = np.random.default_rng(42)
    tq = rng.uniform(0.0, 3 * p, 5000)
    got = res.dense(tq)
    ref = kepler_state(tq, **orbit)
    err_dense = np.linalg.norm(got[:, :3] - ref[:, :3], axis=1).max()
    err_nodes = np.linalg.norm(res.y[:, :3] - kepler_state(res.t, **orbit)[:, :3], axis=1).max()
    print(f"\nrtol {rtol:g}: dense error {err_dense * 1e3:.3e} m, node error {err_nodes * 1e3:.3e} m")
    assert err_dense < bound_km
    # interpolation adds little to the error already present at the step boundaries
    assert err_dense < 2.0 * err_nodes + 1e-9
    # at the nodes the dense output reproduces the stored states
    np.testing.assert_allclose(res.dense(res.t), res.y, rtol=0, atol=1e-9)
    # scalar call
    assert res.dense(tq[0]).shape == (6,)


# ------------------------------------------------------------------------------ (d) scipy


def test_against_scipy_dop853():
    orbit = ECCENTRIC
    p = period(orbit["a"])
    y0 = kepler_state(0.0, **orbit)[0]
    rtol = atol = 1e-10
    res = integrate(two_body, 0.0, y0, 5 * p, (GM_MOON,), rtol=rtol, atol=atol)
    ref = solve_ivp(
        lambda t, y: two_body(t, y, (GM_MOON,)),
        (0.0, 5 * p),
        y0,
        method="DOP853",
        rtol=rtol,
        atol=atol,
        dense_output=True,
    )
    n_scipy = len(ref.t) - 1
    print(
        f"\nsteps: lunarscope {res.n_steps}, scipy {n_scipy}; rhs calls "
        f"{res.n_rhs} vs {ref.nfev} (lunarscope includes the 3 dense-output stages of "
        "every step)"
    )
    # same tableau and error norm; controllers differ only in the clamp factors
    assert abs(res.n_steps - n_scipy) <= 0.05 * n_scipy
    d_end = np.linalg.norm(res.y[-1, :3] - ref.y[:3, -1])
    assert d_end < 10 * ONE_CM_KM
    tq = np.linspace(0.0, 5 * p, 777)
    d_dense = np.abs(res.dense(tq)[:, :3] - ref.sol(tq).T[:, :3]).max()
    assert d_dense < 10 * ONE_CM_KM


# ------------------------------------------------------------------------------ (e) events


def test_event_radius_threshold():
    orbit = ECCENTRIC
    a, e = orbit["a"], orbit["e"]
    n = math.sqrt(GM_MOON / a**3)
    y0 = kepler_state(0.0, m0=math.pi, **orbit)[0]  # start at apoapsis
    r_thr = 3500.0  # km, between periapsis 2616.56 and apoapsis 10466.24
    # analytic: r = a (1 - e cos E) on the descending branch E in (pi, 2 pi)
    ecc = 2.0 * math.pi - math.acos((1.0 - r_thr / a) / e)
    t_ref = (ecc - e * math.sin(ecc) - math.pi) / n
    res = integrate(two_body, 0.0, y0, 2 * period(a), (GM_MOON, r_thr), rtol=1e-12, atol=1e-12, event=radius_below)
    assert res.status == IntegrationStatus.EVENT
    print(f"\nevent time error {(res.event_time - t_ref) * 1e6:.3f} us")
    assert abs(res.event_time - t_ref) < EVENT_TIME_TOL_S
    assert abs(np.linalg.norm(res.event_state[:3]) - r_thr) < ONE_MM_KM
    assert res.t[-1] == res.event_time
    np.testing.assert_array_equal(res.y[-1], res.event_state)
    assert res.dense.t_stop == res.event_time
    # dense output up to the event still works
    np.testing.assert_allclose(res.dense(res.event_time), res.event_state, atol=1e-12)


def test_event_not_triggered_without_crossing():
    orbit = CIRCULAR
    y0 = kepler_state(0.0, **orbit)[0]
    res = integrate(
        two_body, 0.0, y0, period(orbit["a"]), (GM_MOON, 1000.0), rtol=1e-10, atol=1e-10, event=radius_below
    )
    assert res.status == IntegrationStatus.SUCCESS
    assert np.isnan(res.event_time)


# ------------------------------------------------------------------------------ (f) backward


def test_backward_integration():
    orbit = ECCENTRIC
    p = period(orbit["a"])
    t0 = 7.0e8  # a 2022 epoch in TDB seconds past J2000
    y0 = kepler_state(0.0, **orbit)[0]
    res = integrate(two_body, t0, y0, t0 - 4 * p, (GM_MOON,), rtol=1e-12, atol=1e-12)
    assert res.status == IntegrationStatus.SUCCESS
    assert np.all(np.diff(res.t) < 0)
    assert res.dense.t_start == t0 and res.dense.t_stop == t0 - 4 * p
    tq = t0 - np.random.default_rng(1).uniform(0.0, 4 * p, 1000)
    ref = kepler_state(tq - t0, **orbit)
    err = np.linalg.norm(res.dense(tq)[:, :3] - ref[:, :3], axis=1).max()
    assert err < ONE_CM_KM
    # and forward again back to the start
    back = integrate(two_body, res.t[-1], res.y[-1], t0, (GM_MOON,), rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(back.y[-1, :3] - y0[:3]) < 10 * ONE_CM_KM


# ------------------------------------------------------------------------------ other rhs


def test_second_rhs_function_and_per_component_atol():
    w = 0.3
    res = integrate(harmonic, 0.0, np.array([1.0, 0.0]), 100.0, (w,), rtol=1e-12, atol=np.array([1e-12, 1e-13]))
    tq = np.linspace(0.0, 100.0, 301)
    np.testing.assert_allclose(res.dense(tq)[:, 0], np.cos(w * tq), atol=1e-10)
    np.testing.assert_allclose(res.dense(tq)[:, 1], -w * np.sin(w * tq), atol=1e-10)
    # the Kepler problem still runs through the same machinery afterwards
    y0 = kepler_state(0.0, **CIRCULAR)[0]
    res2 = integrate(two_body, 0.0, y0, 100.0, (GM_MOON,), rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(res2.y[-1] - kepler_state(100.0, **CIRCULAR)[0]) < ONE_MM_KM


def test_fixed_step_eighth_order():
    orbit = CIRCULAR
    p = period(orbit["a"])
    y0 = kepler_state(0.0, **orbit)[0]
    errs = []
    for h in (400.0, 200.0):
        res = integrate(two_body, 0.0, y0, p, (GM_MOON,), fixed_step=h)
        assert res.status == IntegrationStatus.SUCCESS
        assert res.t[-1] == p
        assert np.allclose(np.diff(res.t)[:-1], h)
        errs.append(np.linalg.norm(res.y[-1, :3] - kepler_state(p, **orbit)[0, :3]))
    order = math.log2(errs[0] / errs[1])
    print(f"\nfixed step errors {errs[0]:.3e}, {errs[1]:.3e} km: observed order {order:.2f}")
    assert 7.0 < order < 9.5


# ------------------------------------------------------------------------------ piecewise


def test_dense_concatenation_with_impulse():
    orbit = CIRCULAR
    y0 = kepler_state(0.0, **orbit)[0]
    arc1 = integrate(two_body, 0.0, y0, 1000.0, (GM_MOON,), rtol=1e-12, atol=1e-12)
    y1 = arc1.y[-1].copy()
    y1[3:] += 0.01 * y1[3:] / np.linalg.norm(y1[3:])  # 10 m/s prograde burn
    arc2 = integrate(two_body, 1000.0, y1, 3000.0, (GM_MOON,), rtol=1e-12, atol=1e-12)
    joined = DenseSolution.concatenate([arc1.dense, arc2.dense])
    assert joined.t_start == 0.0 and joined.t_stop == 3000.0
    tq = np.array([10.0, 999.0, 1000.0, 1500.0, 3000.0])
    got = joined(tq)
    np.testing.assert_array_equal(got[:2], arc1.dense(tq[:2]))
    np.testing.assert_array_equal(got[2:], arc2.dense(tq[2:]))  # post-burn at the joint
    np.testing.assert_array_equal((arc1.dense + arc2.dense)(tq), got)
    with pytest.raises(InputError):
        DenseSolution.concatenate([arc1.dense, arc1.dense])  # not contiguous
    with pytest.raises(InputError):
        joined(np.array([3000.5]))


# ------------------------------------------------------------------------------ status


def test_max_steps_and_step_too_small():
    y0 = kepler_state(0.0, **CIRCULAR)[0]
    res = integrate(two_body, 0.0, y0, 1e5, (GM_MOON,), rtol=1e-12, atol=1e-12, max_steps=10)
    assert res.status == IntegrationStatus.MAX_STEPS
    assert not res.success and res.n_steps <= 10
    res = integrate(nan_rhs, 1.0e8, y0, 1.0e8 + 100.0, (GM_MOON,))
    assert res.status == IntegrationStatus.STEP_TOO_SMALL


def test_input_errors():
    y0 = kepler_state(0.0, **CIRCULAR)[0]
    with pytest.raises(InputError, match="rhs"):
        integrate(lambda t, y, a: y, 0.0, y0, 1.0, (GM_MOON,))
    with pytest.raises(InputError, match="rtol"):
        integrate(two_body, 0.0, y0, 1.0, (GM_MOON,), rtol=0.0)
    with pytest.raises(InputError, match="atol"):
        integrate(two_body, 0.0, y0, 1.0, (GM_MOON,), atol=np.ones(3))
    with pytest.raises(InputError, match="y0"):
        integrate(two_body, 0.0, np.array([np.nan] * 6), 1.0, (GM_MOON,))
    with pytest.raises(InputError, match="fixed_step"):
        integrate(two_body, 0.0, y0, 1.0, (GM_MOON,), fixed_step=-1.0)


def test_zero_length_span():
    y0 = kepler_state(0.0, **CIRCULAR)[0]
    res = integrate(two_body, 5.0, y0, 5.0, (GM_MOON,))
    assert res.status == IntegrationStatus.SUCCESS and res.n_steps == 0
    np.testing.assert_array_equal(res.dense(5.0), y0)
