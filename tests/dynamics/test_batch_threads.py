"""propagate_many's threaded path: results equal to single runs, errors from a thread naming the
orbit, a bug raised as itself, Ctrl-C that stops every thread promptly, nothing left running."""

import _thread
import threading
import time

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
#: Ctrl-C must stop a batch within this (s): the arc each thread is in, plus the poll interval.
STOP_WITHIN_S = 5.0


def _model(degree=4):
    return ForceModel(
        FIELD.truncated(degree), "MOON_PA", ("earth", "sun"), ephemeris=SOURCES.ephemeris, moon_pck=SOURCES.moon_pck
    )


def _states(m=M):
    gm = FIELD.gm_km3_s2
    return np.array(
        [
            np.asarray(
                keplerian_to_cartesian(1800.0 + 25.0 * i, 0.005, np.radians(10.0 * i % 180.0), 0.3 * i, 0, 0, gm), float
            ).reshape(6)
            for i in range(m)
        ]
    )


def _batch_threads() -> list:
    return [t for t in threading.enumerate() if t.name.startswith("lunarscope-batch-")]


def test_results_equal_single_runs_and_progress_is_in_order():
    fm = _model()
    states = _states()
    seen = []
    res = propagate_many(states, T0, T0 + SPAN_S, fm, workers=2, progress=lambda d, n: seen.append((d, n)))
    assert not _batch_threads()
    for i, r in enumerate(res):
        one = propagate(states[i], T0, T0 + SPAN_S, fm, name=f"orbit-{i}")
        dense = r.trajectory.interpolant
        assert type(dense) is type(one.trajectory.interpolant)
        for name in ("t_nodes", "t_old", "h", "coefs", "_keys"):
            assert np.array_equal(getattr(dense, name), getattr(one.trajectory.interpolant, name))
        assert (r.n_steps, r.n_rhs, r.impact_time, r.trajectory.name) == (one.n_steps, one.n_rhs, None, f"orbit-{i}")
    assert seen == [(k, M) for k in range(1, M + 1)]


def test_the_threads_run_at_once(monkeypatch):
    """Two orbits that each wait for the other can only finish if they run at the same time."""
    barrier = threading.Barrier(2, timeout=10.0)
    real = batch_mod._run_one

    def meet(i, settings, arc_done=None):
        if i < 2:
            barrier.wait()
        return real(i, settings, arc_done)

    monkeypatch.setattr(batch_mod, "_run_one", meet)
    res = propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)
    assert len(res) == M and not barrier.broken


def test_thread_input_error_names_the_orbit(monkeypatch):
    real = batch_mod._run_one

    def fail_on_3(i, settings, arc_done=None):
        if i == 3:
            raise InputError("propagator", "integration stopped at t=1.000 s: MAX_STEPS")
        return real(i, settings, arc_done)

    monkeypatch.setattr(batch_mod, "_run_one", fail_on_3)
    with pytest.raises(InputError, match=r"^propagator: orbit 3: integration stopped"):
        propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)
    assert not _batch_threads()


def test_thread_bug_is_raised_as_itself(monkeypatch):
    def bug(i, settings, arc_done=None):
        raise ZeroDivisionError("a bug in a thread")

    monkeypatch.setattr(batch_mod, "_run_one", bug)
    with pytest.raises(ZeroDivisionError, match="a bug in a thread"):
        propagate_many(_states(), T0, T0 + SPAN_S, _model(), workers=2)
    assert not _batch_threads()


def test_ctrl_c_stops_every_thread_promptly():
    """16 orbits x 60 d at 20x20 (~15 CPU-s) interrupted after 0.5 s: KeyboardInterrupt here
    within STOP_WITHIN_S, and no batch thread left running."""
    fm = _model(20)
    states = _states(16)
    propagate(states[0], T0, T0 + 60.0, fm)  # compiled before the clock starts
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    t = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        propagate_many(states, T0, T0 + 60 * 86400.0, fm, workers=2)
    elapsed = time.perf_counter() - t
    timer.cancel()
    assert elapsed < 0.5 + STOP_WITHIN_S
    assert not _batch_threads()
