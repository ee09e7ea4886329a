"""propagate_many's forked path: results back through shared memory, errors from the workers,
progress as orbits finish, and nothing left open afterwards."""

import ctypes
import os

import numpy as np
import pytest

from lunarscope.dynamics import batch as batch_mod
from lunarscope.dynamics.batch import propagate_many
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.orbits.elements import keplerian_to_cartesian
from lunarscope.sources import Sources

T0 = 946728069.183926  # 2030-01-01T00:00:00Z in TDB seconds
SOURCES = Sources.default()
FIELD = builtin_field("GRGM1200A")
SPAN_S = 1800.0
M = 6

pytestmark = pytest.mark.skipif(not batch_mod._can_fork(), reason="the forked path needs fork and memfd (Linux)")


def _model():
    return ForceModel(
        FIELD.truncated(4), "MOON_PA", ("earth", "sun"), ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck
    )


def _states(m=M):
    gm = FIELD.gm_km3_s2
    return np.array(
        [
            np.asarray(
                keplerian_to_cartesian(1800.0 + 25.0 * i, 0.005, np.radians(15.0 * i), 0.3 * i, 0, 0, gm), float
            ).reshape(6)
            for i in range(m)
        ]
    )


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _base(a: np.ndarray):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a


def test_results_are_views_of_shared_memory_and_equal_single_runs():
    fm = _model()
    states = _states()
    before = _open_fds()
    seen = []
    res = propagate_many(states, T0, T0 + SPAN_S, fm, workers=2, progress=lambda d, n: seen.append((d, n)))
    assert _open_fds() == before  # memfds and pipes closed
    for i, r in enumerate(res):
        one = propagate(states[i], T0, T0 + SPAN_S, fm, name=f"orbit-{i}")
        dense = r.trajectory.interpolant
        assert type(dense) is type(one.trajectory.interpolant)
        for name in ("t_nodes", "t_old", "h", "coefs", "_keys"):
            assert np.array_equal(getattr(dense, name), getattr(one.trajectory.interpolant, name))
        base = _base(dense.coefs)
        assert isinstance(base, memoryview) and isinstance(base.obj, ctypes.Array)  # mapped, not copied back
        assert r.trajectory.nodes is dense.t_nodes  # shared objects stay shared
        assert (r.n_steps, r.n_rhs, r.impact_time, r.trajectory.name) == (one.n_steps, one.n_rhs, None, f"orbit-{i}")
    assert seen[-1] == (M, M) and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))


def test_worker_input_error_names_the_orbit(monkeypatch):
    real = batch_mod._run_one

    def fail_on_3(i, settings):
        if i == 3:
            raise InputError("propagator", "integration stopped at t=1.000 s: MAX_STEPS")
        return real(i, settings)

    monkeypatch.setattr(batch_mod, "_run_one", fail_on_3)  # the forked workers inherit it
    before = _open_fds()
    with pytest.raises(InputError, match=r"^propagator: orbit 3: integration stopped"):
        propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)
    assert _open_fds() == before


def test_worker_bug_keeps_its_traceback(monkeypatch):
    def bug(i, settings):
        raise ZeroDivisionError("a bug in a worker")

    monkeypatch.setattr(batch_mod, "_run_one", bug)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in a worker"):
        propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)


def test_killed_worker_is_an_error_not_a_hang(monkeypatch):
    def die(i, settings):
        os._exit(9)

    monkeypatch.setattr(batch_mod, "_run_one", die)
    with pytest.raises(RuntimeError, match="exit code 9"):
        propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)
