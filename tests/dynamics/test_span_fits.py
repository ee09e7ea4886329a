"""The span fit of the force model's geometry (``forces.span_fit``): the Earth, Sun and planet
positions relative to the Moon and the ICRF → body rotation, one Chebyshev series per record
instead of the DE440 chain and the PCK's Euler angles, checked against the direct evaluation
of the kernels' own records over a multi-day span; and the cheaper fixed cost of a
``propagate`` call (argument tuples and compiled kernels reused)."""

import numpy as np
import pytest

from lunarscope.dynamics import forces as F
from lunarscope.dynamics import integrators
from lunarscope.dynamics.forces import ForceModel, impact_event, moon_rhs
from lunarscope.dynamics.propagator import ARGS_CACHE_SIZE, force_args, propagate
from lunarscope.gravity import builtin_field
from lunarscope.sources import Sources

T0 = 946728069.183926  # 2030-01-01T00:00:00Z in TDB seconds
SPAN_S = 30 * 86400.0
SOURCES = Sources.default()
FIELD = builtin_field("GRGM1200A").truncated(8)
POINTS_PER_RECORD = 400  # evenly spaced check points per 4-day record (~14 min apart)


def _model(frame="MOON_PA", bodies=("earth", "sun")):
    return ForceModel(FIELD, frame, bodies, ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck)


@pytest.mark.parametrize(
    "frame, bodies", [("MOON_PA", ("earth", "sun")), ("MOON_ME", ("earth", "sun", "jupiter")), ("IAU_MOON", ("sun",))]
)
def test_fit_matches_direct_evaluation_over_30_days(frame, bodies):
    fm = _model(frame, bodies)
    args = fm.args(T0, T0 + SPAN_S)
    geo, init, intlen = args[5], args[6], args[7]
    assert intlen == 4 * 86400.0  # DE440's Moon records: exact re-expansion of every chain segment
    direct = fm.direct_args(T0, T0 + SPAN_S)
    err = F.span_fit_errors(geo, init, intlen, direct, T0, T0 + SPAN_S, POINTS_PER_RECORD)
    earth, sun, rotation = err[0], err[1], err[-1]
    assert earth <= F.SPAN_FIT_EARTH_MAX_KM
    assert sun <= F.SPAN_FIT_SUN_MAX_KM
    assert rotation <= F.SPAN_FIT_ROTATION_MAX_RAD
    assert np.all(err[2:-1] <= F.SPAN_FIT_PLANET_MAX_KM)
    # measured: rounding only (Earth 5e-10 km, Sun 1.3e-7 km, Jupiter 8e-7 km, rotation 5e-12 —
    # the noise of the PCK's ~5,000 rad third Euler angle); a fit that only met the limits
    # would show here
    assert earth < 1e-8 and sun < 1e-5 and rotation < 1e-11


def test_fit_check_catches_a_misfit():
    """The acceptance check sees a fit that is off: records on the wrong grid (shifted by a third
    of a record, so each straddles DE440 and PCK record boundaries) with few coefficients."""
    fm = _model()
    direct = fm.direct_args(T0, T0 + 5 * 86400.0)
    lo, hi = T0 - 2 * 86400.0, T0 + 7 * 86400.0
    start = float(direct[1][0]) + 345600.0 / 3.0
    n_rec = int(np.ceil((hi - (start - 345600.0)) / 345600.0)) + 1
    geo = F._fit_records(start - 345600.0 * 2, 345600.0, n_rec + 2, 5, *direct)
    err = F.span_fit_errors(geo, start - 345600.0 * 2, 345600.0, direct, lo, hi, 50)
    assert err[0] > F.SPAN_FIT_EARTH_MAX_KM and err[-1] > F.SPAN_FIT_ROTATION_MAX_RAD


def test_fitted_rotation_is_orthonormal_and_matches_the_pck():
    fm = _model("MOON_ME")
    args = fm.args(T0, T0 + 86400.0)
    direct = fm.direct_args(T0, T0 + 86400.0)
    rot = np.empty((1, 3, 3))
    ref = np.empty((1, 3, 3))
    for t in T0 + np.linspace(0.0, 86400.0, 37):
        F.moon_body_rotation(t, *args[5:10], rot)
        F.direct_body_rotation(t, *direct[3:8], ref)
        assert np.max(np.abs(rot[0] @ rot[0].T - np.eye(3))) < 1e-15
        assert np.max(np.abs(rot[0] - ref[0])) < F.SPAN_FIT_ROTATION_MAX_RAD


def test_rhs_matches_the_direct_geometry():
    """moon_rhs on the fit against the same force model written out with the direct records:
    the field through the PCK rotation, Earth and Sun through the DE440 chain (km/s²)."""
    fm = _model()
    args = fm.args(T0, T0 + 86400.0)
    direct = fm.direct_args(T0, T0 + 86400.0)
    rng = np.random.default_rng(5)
    gms = args[4]
    for t in T0 + rng.uniform(0.0, 86400.0, 20):
        y = np.concatenate([rng.normal(size=3), rng.normal(size=3)])
        y[:3] *= 1900.0 / np.linalg.norm(y[:3])
        rot = np.empty((1, 3, 3))
        F.direct_body_rotation(t, *direct[3:8], rot)
        pos = np.empty((2, 3))
        F.chain_body_positions(t, *direct[:3], pos)
        ref = rot[0].T @ FIELD.acceleration(rot[0] @ y[:3]).reshape(3)
        for k, gm in ((0, gms[1]), (1, gms[3])):
            d = pos[k] - y[:3]
            ref += gm * (d / np.linalg.norm(d) ** 3 - pos[k] / np.linalg.norm(pos[k]) ** 3)
        got = moon_rhs(t, y, args)
        assert np.array_equal(got[:3], y[3:])
        # the field's ~1.4e-3 km/s² to ~1e-16 relative (rotation noise ~5e-12 rad times the
        # non-central part); the tides to the fit's rounding
        assert np.max(np.abs(got[3:] - ref)) < 1e-16


def test_argument_tuples_are_reused_per_force_model_and_span():
    fm, other = _model(), _model()
    a = force_args(fm, T0, T0 + 600.0, 1737.4)
    assert force_args(fm, T0, T0 + 600.0, 1737.4) is a
    assert force_args(other, T0, T0 + 600.0, 1737.4) is not a  # an equal model, but not the same object
    assert force_args(fm, T0, T0 + 601.0, 1737.4) is not a
    for k in range(ARGS_CACHE_SIZE):
        force_args(fm, T0, T0 + 700.0 + k, 1737.4)
    assert force_args(fm, T0, T0 + 600.0, 1737.4) is not a  # evicted: least recently used


def test_fast_call_gives_the_same_bits():
    fm = _model()
    args = fm.args(T0, T0 + 3600.0, 1737.4)
    y0 = np.array([1837.4, 0.0, 0.0, 0.0, 1.2, 1.1])
    atol = np.array([1e-9] * 3 + [1e-12] * 3)
    for method in ("dop853", "rkn12"):
        slow = integrators.integrate(
            moon_rhs, T0, y0, T0 + 3600.0, args=args, rtol=1e-11, atol=atol, event=impact_event, method=method
        )
        fast = integrators.integrate(
            moon_rhs,
            T0,
            y0,
            T0 + 3600.0,
            args=args,
            rtol=1e-11,
            atol=atol,
            event=impact_event,
            method=method,
            fast_call=True,
        )
        assert np.array_equal(slow.y, fast.y) and slow.n_rhs == fast.n_rhs


def test_second_propagation_builds_nothing_again(monkeypatch):
    """A second propagation over the same span with the same force model neither rebuilds the
    argument tuple nor types it with numba.typeof (the two ~0.5 ms steps of the old fixed cost)."""
    import numba

    fm = _model()
    y0 = np.array([1837.4, 0.0, 0.0, 0.0, 1.2, 1.1])
    first = propagate(y0, T0, T0 + 120.0, fm)
    calls = {"args": 0, "typeof": 0}
    real_args, real_typeof = ForceModel.args, numba.typeof

    def counting_args(self, *a, **k):
        calls["args"] += 1
        return real_args(self, *a, **k)

    def counting_typeof(*a, **k):
        calls["typeof"] += 1
        return real_typeof(*a, **k)

    monkeypatch.setattr(ForceModel, "args", counting_args)
    monkeypatch.setattr(numba, "typeof", counting_typeof)
    second = propagate(y0 + np.array([1.0, 0, 0, 0, 0, 0]), T0, T0 + 120.0, fm)
    assert calls == {"args": 0, "typeof": 0}
    assert second.n_rhs > 0 and not np.array_equal(
        first.trajectory.state([T0 + 120.0]), second.trajectory.state([T0 + 120.0])
    )
