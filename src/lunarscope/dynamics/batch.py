"""Many orbits at once: :func:`propagate_many` runs M independent propagations on all cores.

Each orbit is exactly the single-orbit :func:`~lunarscope.dynamics.propagator.propagate` (same
integrator, tolerances, force model and arcs), so orbit i of a batch is bit for bit the orbit
one would get alone. The orbits are spread over worker processes: the compiled integrator
holds the GIL, so threads would run one at a time, while forked workers inherit the parent's
compiled kernels and field data (no recompilation, no pickling of the force model); only the
results travel back (measured with ``benchmarks/bench_batch.py``, docs/benchmarks.md: the
workers' CPU time in all was -4..+25 % of the serial loop's, so two idle cores give ~1.6-2x;
starting the pool costs ~0.1 s). Below ``PARALLEL_MIN_ORBITS`` orbits, with ``workers=1``
or without ``fork`` the loop runs in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..errors import InputError
from .forces import ForceModel
from .propagator import PropagationResult, propagate

PARALLEL_MIN_ORBITS = 4
"""Fewer orbits than this run in the calling process (starting the workers costs ~0.1 s)."""

WARMUP_SPAN_S = 1.0
"""Span (s) of the short propagation run in the parent before forking, so the workers inherit
the compiled integrator instead of each compiling it."""

CHUNKS_PER_WORKER = 4
"""Orbits are handed out in about this many chunks per worker, so a slow chunk (an eccentric
orbit takes more steps) does not leave the other cores idle at the end."""

# Set in the parent just before the workers fork; read by _run_chunk in the children.
_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()  # one forking batch at a time per process


def _span(values, m: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(m, float(v))
    if v.shape != (m,) or not np.all(np.isfinite(v)):
        raise InputError(name, f"must be one finite TDB time (s) or {m} of them (one per orbit), got shape {v.shape}")
    return v


def _run_one(i: int, settings: dict) -> PropagationResult:
    return propagate(
        settings["states"][i],
        float(settings["t_start"][i]),
        float(settings["t_stop"][i]),
        settings["force_model"],
        name=settings["names"][i],
        **settings["options"],
    )


def _run_chunk(indices):
    """Worker: propagate orbits ``indices``; InputErrors come back as data (they do not pickle)."""
    out = []
    for i in indices:
        try:
            out.append((i, _run_one(i, _SHARED), None))
        except InputError as exc:
            out.append((i, None, (exc.field, exc.problem)))
    return out


def default_workers() -> int:
    """Cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def propagate_many(
    states0,
    t_start,
    t_stop,
    force_model: ForceModel,
    *,
    rtol: float = 1e-12,
    atol_km: float = 1e-9,
    impact_altitude_km: float = 0.0,
    fixed_step_s: float | None = None,
    method: str = "dop853",
    names=None,
    workers: int | None = None,
    progress=None,
) -> list[PropagationResult]:
    """Propagate M Moon-centred ICRF states ``states0`` (M, 6) (km, km/s) with one force model.

    ``t_start``, ``t_stop``: TDB seconds, one value for all orbits or one per orbit (M,).
    ``rtol``, ``atol_km``, ``impact_altitude_km``, ``fixed_step_s``, ``method`` as in ``propagate``;
    ``names``: M trajectory names (default ``orbit-<i>``); ``workers``: processes (default: the
    cores available; 1 runs in this process); ``progress(done, total)`` after each finished chunk.
    Returns M ``PropagationResult`` in input order, each identical to ``propagate`` of that orbit.
    """
    states = np.array(states0, dtype=np.float64)
    if states.ndim != 2 or states.shape[1] != 6 or states.shape[0] == 0:
        raise InputError("states0", f"must be an (M, 6) array of states (km, km/s), got shape {np.shape(states0)}")
    m = states.shape[0]
    if not np.all(np.isfinite(states)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(states), axis=1))[0])
        raise InputError("states0", f"orbit {bad}: state must be 6 finite numbers (km, km/s)")
    t0 = _span(t_start, m, "t_start")
    t1 = _span(t_stop, m, "t_stop")
    if np.any(t1 <= t0):
        raise InputError("t_stop", f"orbit {int(np.flatnonzero(t1 <= t0)[0])}: stop must be after start")
    impact_r = MOON_RADIUS_KM + float(impact_altitude_km)
    low = np.linalg.norm(states[:, :3], axis=1) <= impact_r
    if np.any(low):
        raise InputError("states0", f"orbit {int(np.flatnonzero(low)[0])}: initial radius is below the impact radius")
    if names is None:
        names = [f"orbit-{i}" for i in range(m)]
    names = [str(n) for n in names]
    if len(names) != m:
        raise InputError("names", f"need {m} names (one per orbit), got {len(names)}")
    if workers is None:
        workers = default_workers()
    workers = int(workers)
    if workers < 1:
        raise InputError("workers", f"{workers} must be >= 1")
    settings = {
        "states": states,
        "t_start": t0,
        "t_stop": t1,
        "force_model": force_model,
        "names": names,
        "options": {
            "rtol": rtol,
            "atol_km": atol_km,
            "impact_altitude_km": impact_altitude_km,
            "fixed_step_s": fixed_step_s,
            "method": method,
        },
    }
    workers = min(workers, m)
    if workers == 1 or m < PARALLEL_MIN_ORBITS or "fork" not in mp.get_all_start_methods():
        results = []
        for i in range(m):
            results.append(_run_one(i, settings))
            if progress is not None:
                progress(i + 1, m)
        return results
    force_model.args(float(t0.min()), float(t1.max()))  # span and data errors surface here, once
    # compile (or load) the integrator for this force model here, once, instead of in every worker
    propagate(states[0], float(t0[0]), float(t0[0]) + WARMUP_SPAN_S, force_model, **settings["options"])
    n_chunks = min(m, workers * CHUNKS_PER_WORKER)
    chunks = [c.tolist() for c in np.array_split(np.arange(m), n_chunks)]
    results: list = [None] * m
    done = 0
    with _SHARED_LOCK:
        _SHARED.clear()
        _SHARED.update(settings)
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
                for chunk_out in pool.map(_run_chunk, chunks):
                    for i, res, err in chunk_out:
                        if err is not None:
                            raise InputError(err[0], f"orbit {i}: {err[1]}")
                        results[i] = res
                    done += len(chunk_out)
                    if progress is not None:
                        progress(done, m)
        finally:
            _SHARED.clear()
    return results
