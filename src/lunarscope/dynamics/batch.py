"""Many orbits at once: :func:`propagate_many` runs M independent propagations on all cores.

Each orbit is exactly the single-orbit :func:`~lunarscope.dynamics.propagator.propagate` (same
integrator, tolerances, force model and arcs), so orbit i of a batch is bit for bit the orbit
one would get alone. The orbits are spread over threads of this process: the compiled
integrators (``dop853_kernel``, ``rkn12_kernel``) release the GIL (``nogil``), so the threads
integrate at the same time while only the few Python lines around each kernel call (~0.2 ms per
orbit) take turns. Measured against the forked worker processes this module used before
(``benchmarks/bench_batch.py``, docs/benchmarks.md): the same wall time on 1000 orbits x 1 d at
10x10, and no fixed cost per call (forking and mapping the results back cost ~50-150 CPU-ms
per batch, more than the propagation itself for 100 orbits x 1 d at 10x10). The results need
no trip between processes: they are the ``PropagationResult`` objects the threads made.

- orbits are handed out one at a time from a shared counter, so no core idles at the end
  while another finishes a long chunk;
- the right-hand side's argument tuple (``ForceModel.args``: the span fit, ~0.3 ms) of each of
  the batch's spans (fewer than ``propagator.ARGS_CACHE_SIZE``) is built once before the threads
  start; every orbit finds it in ``propagate``'s cache (the same tuple, so the same bits as a
  single run);
- Ctrl-C (or an error in one orbit) stops every thread at the end of its current arc (at most
  ``propagate``'s one-day chunk) and is raised here once they have stopped.

Below ``PARALLEL_MIN_ORBITS`` orbits or with ``workers=1`` the loop runs in the calling thread.
"""

from __future__ import annotations

import os
import queue
import threading

import numpy as np

from ..constants import MOON_RADIUS_KM
from ..errors import InputError
from .forces import ForceModel
from .propagator import ARGS_CACHE_SIZE, PropagationResult, force_args, propagate

PARALLEL_MIN_ORBITS = 4
"""Fewer orbits than this run in the calling thread."""

WARMUP_SPAN_S = 1.0
"""Span (s) of the short propagation run before the threads start, so that the integrator for
this force model is compiled (or loaded from numba's cache) once, not raced for by the threads."""

POLL_S = 0.2
"""How often (s) the calling thread wakes while waiting for the workers (Ctrl-C is seen then)."""


def _span(values, m: int, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(m, float(v))
    if v.shape != (m,) or not np.all(np.isfinite(v)):
        raise InputError(name, f"must be one finite TDB time (s) or {m} of them (one per orbit), got shape {v.shape}")
    return v


def _run_one(i: int, settings: dict, arc_done=None) -> PropagationResult:
    return propagate(
        settings["states"][i],
        float(settings["t_start"][i]),
        float(settings["t_stop"][i]),
        settings["force_model"],
        name=settings["names"][i],
        progress=arc_done,
        **settings["options"],
    )


class _Stopped(Exception):
    """Raised inside a worker thread at the end of an arc once the batch is told to stop."""


def _run_threads(settings: dict, m: int, workers: int, progress) -> list[PropagationResult]:
    """Propagate the ``m`` orbits of ``settings`` on ``workers`` threads; results in input order.
    An error in an orbit (the lowest-numbered one if several) or Ctrl-C is raised here after
    every thread has stopped."""
    results: list = [None] * m
    failures: list[tuple[int, BaseException]] = []
    stop = threading.Event()
    counter = iter(range(m))  # next() on a range iterator is atomic under the GIL
    finished: queue.SimpleQueue = queue.SimpleQueue()

    def arc_done(_fraction):
        if stop.is_set():
            raise _Stopped

    def work():
        try:
            for i in counter:
                if stop.is_set():
                    break
                try:
                    results[i] = _run_one(i, settings, arc_done)
                except _Stopped:
                    break
                except BaseException as exc:  # an input error or a bug: stop the others, raise it there
                    failures.append((i, exc))
                    stop.set()
                    break
                finished.put(i)
        finally:
            finished.put(None)

    threads = [threading.Thread(target=work, name=f"lunarscope-batch-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    try:
        running, done = workers, 0
        while running:
            try:
                item = finished.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            elif not failures:
                done += 1
                if progress is not None:
                    progress(done, m)
    finally:
        stop.set()  # no-op when all went well; after Ctrl-C or an error the threads end their arc
        for t in threads:
            t.join()
    if failures:
        i, exc = min(failures, key=lambda f: f[0])
        if isinstance(exc, InputError):
            raise InputError(exc.field, f"orbit {i}: {exc.problem}") from exc
        raise exc
    return results


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
    ``names``: M trajectory names (default ``orbit-<i>``); ``workers``: threads (default: the
    cores available; 1 runs in the calling thread); ``progress(done, total)`` as orbits finish
    (called in the calling thread).
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
    if workers == 1 or m < PARALLEL_MIN_ORBITS:
        results = []
        for i in range(m):
            results.append(_run_one(i, settings))
            if progress is not None:
                progress(i + 1, m)
        return results
    spans = sorted(set(zip(t0.tolist(), t1.tolist())))
    if len(spans) >= ARGS_CACHE_SIZE:
        force_model.args(float(t0.min()), float(t1.max()))  # span and data errors surface here, once
    # compile (or load) the integrator for this force model here, once, before the threads start
    propagate(states[0], float(t0[0]), float(t0[0]) + WARMUP_SPAN_S, force_model, **settings["options"])
    if len(spans) < ARGS_CACHE_SIZE:
        # the argument tuples (span fits) of the orbits' spans, built once here: every orbit finds
        # them in propagate's cache instead of each thread building them per orbit
        for a, b in spans:
            force_args(force_model, a, b, impact_r)
    return _run_threads(settings, m, workers, progress)
