"""The lanes kernel: RKN12 orbits run 8 at a time by propagate_many, each exactly its single run."""

import numpy as np
import pytest

from lunarscope.dynamics.batch import LANES_MIN_ORBITS, _run_lanes, _work_items, propagate_many
from lunarscope.dynamics.forces import ForceModel, moon_accel_lanes, moon_rhs
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.gravity.kernel import LANES
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.sources import Sources

T0 = 946728069.183926  # 2030-01-01T00:00:00Z in TDB seconds
FIELD = builtin_field("GRGM1200A")
SOURCES = Sources.default()
RTOL = 1e-10


def _model(degree=10, srp=False):
    return ForceModel(
        FIELD.truncated(degree),
        "MOON_PA",
        ("earth", "sun"),
        ephemeris=SOURCES.ephemeris,
        moon_pck=SOURCES.moon_pck,
        srp=srp,
    )


def _states(m, seed=5):
    rng = np.random.default_rng(seed)
    gm = FIELD.gm_km3_s2
    out = []
    for _ in range(m):
        a = 1737.4 + rng.uniform(80.0, 600.0)
        inc, node = np.arccos(rng.uniform(-1, 1)), rng.uniform(0, 2 * np.pi)
        out.append(np.asarray(keplerian_to_cartesian(a, rng.uniform(0, 0.03), inc, node, 0.0, 0.0, gm), float).ravel())
    return np.array(out)


def _same(a, b, t0, t1):
    tq = np.linspace(t0, min(a.trajectory.t_stop, t1), 301)
    return (
        np.array_equal(a.trajectory.state(tq), b.trajectory.state(tq))
        and a.n_steps == b.n_steps
        and a.n_rhs == b.n_rhs
        and a.impact_time == b.impact_time
        and a.trajectory.t_stop == b.trajectory.t_stop
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_lanes_equal_single_runs_over_two_arcs(workers):
    # 11 orbits: one group of 8 lanes and one of 3 (LANES_MIN_ORBITS), 1.5 d = two arcs
    fm = _model()
    states = _states(LANES + LANES_MIN_ORBITS)
    t1 = T0 + 1.5 * 86400.0
    many = propagate_many(states, T0, t1, fm, rtol=RTOL, atol_km=RTOL * 1e3, method="rkn12", workers=workers)
    for s, got in zip(states, many):
        one = propagate(s, T0, t1, fm, rtol=RTOL, atol_km=RTOL * 1e3, method="rkn12")
        assert _same(got, one, T0, t1)


def test_impact_in_one_lane_leaves_the_others_alone():
    fm = _model(8)
    states = _states(5)
    low = np.asarray(keplerian_to_cartesian(1737.4 + 30.0, 0.02, 1.0, 0.3, 0.0, 3.0, FIELD.gm_km3_s2), float).ravel()
    states[2] = low  # perilune 35 km below the surface: impacts within the first revolution
    t1 = T0 + 6 * 3600.0
    many = propagate_many(states, T0, t1, fm, rtol=RTOL, atol_km=RTOL * 1e3, method="rkn12", workers=1)
    assert many[2].impact_time is not None
    for s, got in zip(states, many):
        assert _same(got, propagate(s, T0, t1, fm, rtol=RTOL, atol_km=RTOL * 1e3, method="rkn12"), T0, t1)


def test_radiation_pressure_fixed_step_and_two_spans():
    fm = _model(6, srp=True)
    states = _states(9, seed=8)
    t_start = np.where(np.arange(9) % 2 == 0, T0, T0 + 3600.0)  # two spans: groups of 5 and 4
    t_stop = t_start + 8 * 3600.0
    for opts in ({"rtol": RTOL, "atol_km": RTOL * 1e3}, {"fixed_step_s": 120.0}):
        many = propagate_many(states, t_start, t_stop, fm, method="rkn12", workers=2, **opts)
        for i, got in enumerate(many):
            one = propagate(states[i], t_start[i], t_stop[i], fm, method="rkn12", **opts)
            assert _same(got, one, t_start[i], t_stop[i])


def test_work_items_group_rkn12_orbits_by_span():
    settings = {
        "states": _states(20),
        "t_start": np.r_[np.full(18, T0), T0 + 1.0, T0 + 1.0],
        "t_stop": np.full(20, T0 + 3600.0),
        "force_model": _model(4),
        "options": {"method": "rkn12"},
    }
    items = _work_items(settings, 20)
    assert sorted(i for item in items for i in item) == list(range(20))
    sizes = sorted(len(item) for item in items)
    assert sizes == [1, 1, 1, 1, 8, 8]  # 18 = 8 + 8 + 2 (two single runs); the other span's 2 alone
    settings["options"]["method"] = "dop853"
    assert all(len(item) == 1 for item in _work_items(settings, 20))


def test_lanes_right_hand_side_has_moon_rhs_bits():
    fm = _model(20, srp=True)
    args = fm.args(T0, T0 + 86400.0, 1737.4)
    rng = np.random.default_rng(3)
    g = np.empty((LANES, args[5].shape[2]))
    acc = np.empty((3, LANES))
    for _ in range(200):
        ts = T0 + rng.uniform(0.0, 86400.0, LANES)
        r = rng.normal(size=(3, LANES))
        r *= (1800.0 + rng.uniform(0.0, 3000.0, LANES)) / np.linalg.norm(r, axis=0)
        moon_accel_lanes(ts, r, args, g, acc)
        for p in range(LANES):
            ref = moon_rhs(ts[p], np.r_[r[:, p], 0.0, 0.0, 0.0], args)[3:]
            assert np.array_equal(acc[:, p], ref)


_CACHE_PROBE = """
import numpy as np
from lunarscope.dynamics.batch import propagate_many
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.rkn12_lanes import rkn12_lanes_kernel
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.sources import Sources
src = Sources.default()
f = builtin_field("GRGM1200A").truncated(4)
fm = ForceModel(f, "MOON_PA", ("earth", "sun"), ephemeris=src.ephemeris, moon_pck=src.moon_pck)
s = np.array([np.asarray(keplerian_to_cartesian(1900.0 + 10 * i, 0.01, 1.0, 0.1 * i, 0.0, 0.0, f.gm_km3_s2), float).ravel()
              for i in range(4)])
propagate_many(s, 946728069.183926, 946728069.183926 + 600.0, fm, method="rkn12", workers=1)
st = rkn12_lanes_kernel.stats
print(sum(st.cache_hits.values()), sum(st.cache_misses.values()))
"""


def test_the_lanes_kernel_is_loaded_from_numbas_cache_in_a_new_process():
    # its arguments must not include types numba's cache index cannot match across processes
    # (a Dispatcher argument made every new process compile it again, ~12 s)
    import subprocess
    import sys

    runs = [subprocess.run([sys.executable, "-c", _CACHE_PROBE], capture_output=True, text=True) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    hits, misses = (int(v) for v in runs[1].stdout.split()[-2:])
    assert (hits, misses) == (1, 0)


@pytest.mark.parametrize(("m", "workers", "sizes"), [(4, 1, [4]), (4, 2, [1, 1, 1, 1]), (8, 2, [8]), (12, 2, [4, 8])])
def test_work_items_run_single_when_that_ends_sooner(m, workers, sizes):
    # a lanes call costs about three single runs: 4 orbits on 2 threads are two single runs each
    settings = {
        "states": _states(m),
        "t_start": np.full(m, T0),
        "t_stop": np.full(m, T0 + 3600.0),
        "force_model": _model(4),
        "options": {"method": "rkn12"},
    }
    assert sorted(len(item) for item in _work_items(settings, m, workers)) == sizes


@pytest.mark.parametrize("workers", [1, 2])
def test_a_lane_that_cannot_step_names_its_orbit(workers):
    # a 1e-7 s fixed step is below what t ~ 1e9 s resolves: every lane stops at once, as a single run
    fm = _model(4)
    states = _states(9)
    with pytest.raises(InputError, match="integration stopped at t=.*STEP_TOO_SMALL") as single:
        propagate(states[0], T0, T0 + 60.0, fm, method="rkn12", fixed_step_s=1e-7)
    with pytest.raises(InputError, match="integration stopped at t=.*STEP_TOO_SMALL") as many:
        propagate_many(states, T0, T0 + 60.0, fm, method="rkn12", fixed_step_s=1e-7, workers=workers)
    assert single.value.field == many.value.field == "propagator"
    # (propagate_many's checking run meets it first; the lanes kernel itself, once past it:)
    settings = {
        "states": states,
        "t_start": np.full(9, T0),
        "t_stop": np.full(9, T0 + 60.0),
        "force_model": fm,
        "names": [str(i) for i in range(9)],
        "options": {"rtol": 1e-10, "atol_km": 1e-7, "impact_altitude_km": 0.0, "fixed_step_s": 1e-7, "method": "rkn12"},
    }
    with pytest.raises(InputError, match="integration stopped at t=.*STEP_TOO_SMALL") as lanes:
        _run_lanes(list(range(1, 9)), settings)
    assert lanes.value.orbit == 1 and str(lanes.value) == str(single.value)
