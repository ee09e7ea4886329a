"""propagate_many: M orbits on all cores, each identical to its single-orbit propagate."""

import numpy as np
import pytest

from lunarscope.dynamics.batch import propagate_many
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.sources import Sources

T0 = 946728069.183926  # 2030-01-01T00:00:00Z in TDB seconds
FIELD = builtin_field("GRGM1200A")
SOURCES = Sources.default()
SPAN_S = 3600.0


def _model(degree=8):
    return ForceModel(
        FIELD.truncated(degree), "MOON_PA", ("earth", "sun"), ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck
    )


def _states(m):
    gm = FIELD.gm_km3_s2
    return np.array(
        [
            np.asarray(
                keplerian_to_cartesian(1837.4 + 40.0 * i, 0.01, np.radians(10.0 + 20.0 * i), 0.4 * i, 0.0, 0.0, gm),
                float,
            ).reshape(6)
            for i in range(m)
        ]
    )


@pytest.mark.parametrize("method", ["dop853", "rkn12"])
def test_batch_equals_single_runs_on_two_workers(method):
    fm = _model()
    states = _states(5)
    t_start = T0 + 60.0 * np.arange(5)  # per-orbit epochs
    names = [f"sc{i}" for i in range(5)]
    batch = propagate_many(states, t_start, T0 + SPAN_S, fm, workers=2, names=names, method=method)
    assert len(batch) == 5
    for i, res in enumerate(batch):
        one = propagate(states[i], t_start[i], T0 + SPAN_S, fm, name=f"sc{i}", method=method)
        t = np.linspace(t_start[i], T0 + SPAN_S, 7)
        assert np.array_equal(res.trajectory.state(t), one.trajectory.state(t))
        assert (res.n_steps, res.n_rhs, res.impact_time) == (one.n_steps, one.n_rhs, None)
        assert res.trajectory.name == f"sc{i}"


def test_serial_path_progress_and_impact():
    fm = _model(4)
    states = _states(2)
    # second orbit: periapsis 20 km below the surface -> impact inside the span
    r_a, r_p = 1837.4, 1717.4
    a, e = 0.5 * (r_a + r_p), (r_a - r_p) / (r_a + r_p)
    states[1] = np.asarray(
        keplerian_to_cartesian(a, e, np.radians(90.0), 0.0, 0.0, np.pi, FIELD.gm_km3_s2), float
    ).reshape(6)
    seen = []
    res = propagate_many(states, T0, T0 + SPAN_S, fm, workers=1, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 2), (2, 2)]
    assert res[0].impact_time is None and res[1].impact_time is not None
    assert res[1].trajectory.t_stop == res[1].impact_time < T0 + SPAN_S


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"states0": np.zeros((3, 5))}, "states0"),
        ({"states0": np.full((2, 6), np.nan)}, "states0"),
        ({"states0": np.array([[1000.0, 0, 0, 0, 1.6, 0]])}, "states0"),  # below the surface
        ({"t_stop": T0}, "t_stop"),
        ({"t_start": np.array([T0, T0])}, "t_start"),  # 2 epochs for 3 orbits
        ({"names": ["a"]}, "names"),
        ({"workers": 0}, "workers"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs, field):
    call = {"states0": _states(3), "t_start": T0, "t_stop": T0 + SPAN_S, "force_model": _model(2)}
    call.update(kwargs)
    with pytest.raises(InputError, match=field):
        propagate_many(**call)
